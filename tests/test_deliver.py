"""The brief's email: built once, well-formed, and handed to a real SMTP server on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import free_port, utc

from pipeline.config import SmtpSettings
from pipeline.errors import DeliveryError
from pipeline.publish.mail import build_message, send_message

FROM = "Harbor Brief <brief@harbor.example>"
TO = ("ana@example.org", "ben@example.org")
TEXT = "Harbor Brief\nCouncil approves harbor dredging plan [1]\n"
HTML = "<!DOCTYPE html><html><body><h1>Harbor Brief</h1><p>Council approves dredging</p></body></html>"


def build(brief_id: str = "2026-11-23T1500Z", to: tuple[str, ...] = TO) -> tuple[bytes, str]:
    return build_message(
        subject="Harbor Brief · Mon 23 Nov, 15:00 UTC: Council approves dredging",
        text=TEXT,
        html=HTML,
        mail_from=FROM,
        mail_to=to,
        brief_id=brief_id,
        when=utc(2026, 11, 23, 15, 2),
    )


def parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or answers DATA with `reply`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.reply = "250 Message accepted for delivery"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply.startswith("250"):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.reply


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, SmtpSettings]]:
    mailbox = Mailbox()
    port = free_port()  # aiosmtpd cannot bind port 0 itself
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, SmtpSettings(host="127.0.0.1", port=port, user=None, password=None, tls="none")
    finally:
        controller.stop()


# -- the message ---------------------------------------------------------------------------------


def test_the_message_offers_plain_text_first_and_html_last() -> None:
    raw, _ = build()
    message = parse(raw)

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert parts[0].get_content().replace("\r\n", "\n") == TEXT
    assert "<h1>Harbor Brief</h1>" in parts[1].get_content()


def test_the_message_has_the_headers_mail_clients_and_lists_expect() -> None:
    raw, message_id = build()
    message = parse(raw)

    assert message["From"] == FROM
    assert message["To"] == "undisclosed-recipients:;"  # two recipients: neither sees the other
    assert message["Subject"] == "Harbor Brief · Mon 23 Nov, 15:00 UTC: Council approves dredging"
    assert message["Date"].datetime == utc(2026, 11, 23, 15, 2)
    assert message["Message-ID"] == message_id
    assert message_id.startswith("<brief.2026-11-23T1500Z.") and message_id.endswith("@harbor.example>")
    assert message["List-Id"] == "dailybrief <brief.harbor.example>"
    assert message["List-Unsubscribe"] == "<mailto:brief@harbor.example?subject=unsubscribe>"
    assert b"\r\n" in raw  # SMTP line endings


def test_the_message_id_is_stable_for_a_brief_and_its_recipients() -> None:
    _, first = build()
    _, again = build(to=tuple(reversed(TO)))
    _, next_brief = build(brief_id="2026-11-23T2100Z")
    _, other_people = build(to=("carla@example.org",))

    assert first == again
    assert next_brief != first
    assert other_people != first


# -- sending -------------------------------------------------------------------------------------


def test_a_message_is_delivered_to_a_real_smtp_server(smtp_server: tuple[Mailbox, SmtpSettings]) -> None:
    mailbox, settings = smtp_server
    raw, message_id = build()

    detail = send_message(raw, FROM, TO, settings)

    assert detail == f"sent to ana@example.org, ben@example.org via 127.0.0.1:{settings.port}"
    ((sender, recipients, content),) = mailbox.received
    assert sender == "brief@harbor.example"
    assert recipients == list(TO)
    received = parse(content)
    assert received["Message-ID"] == message_id
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]
    assert "Council approves harbor dredging plan [1]" in received.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "<h1>Harbor Brief</h1>" in received.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_no_recipient_sees_another_recipients_address(smtp_server: tuple[Mailbox, SmtpSettings]) -> None:
    mailbox, settings = smtp_server
    people = ("ana@example.org", "ben@example.org", "carla@example.net")
    raw, _ = build(to=people)

    send_message(raw, FROM, people, settings)

    assert mailbox.received, "the server got the brief"
    for _, recipients, content in mailbox.received:
        assert sorted(recipients) == sorted(people)  # each is delivered the brief...
        for address in people:  # ...and none of their addresses is in what a reader sees
            assert address.encode() not in content, address
    assert parse(build(to=people[:1])[0])["To"] == "ana@example.org"  # a sole recipient is named


def test_a_rejection_by_the_server_is_a_delivery_error(smtp_server: tuple[Mailbox, SmtpSettings]) -> None:
    mailbox, settings = smtp_server
    mailbox.reply = "550 5.7.1 Mailbox unavailable"
    raw, _ = build()

    with pytest.raises(DeliveryError, match=re.escape("SMTP server answered 550: 5.7.1 Mailbox unavailable")):
        send_message(raw, FROM, TO, settings)

    assert mailbox.received == []


def test_no_smtp_server_listening_is_a_delivery_error(closed_port: int) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=closed_port, user=None, password=None, tls="none")

    with pytest.raises(DeliveryError, match=re.escape(f"cannot deliver via 127.0.0.1:{closed_port}")) as info:
        send_message(build()[0], FROM, TO, settings)

    assert info.value.hint is not None and "BRIEF_SMTP_HOST" in info.value.hint


def test_a_password_is_never_sent_in_clear_text_to_a_remote_server() -> None:
    settings = SmtpSettings(
        host="smtp.example.invalid", port=25, user="brief-bot", password="hunter2", tls="none"
    )

    with pytest.raises(DeliveryError, match="refusing to send the SMTP password") as info:
        send_message(build()[0], FROM, TO, settings)

    # refused before any connection: a connection attempt would fail with "cannot deliver via"
    assert "cannot deliver" not in str(info.value)
    assert info.value.hint is not None and "BRIEF_SMTP_TLS=starttls" in info.value.hint
