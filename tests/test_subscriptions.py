"""Subscribing and unsubscribing (issue 20, item 2): signed tokens, double opt-in from the mail
a real SMTP sink on loopback received, and the limit that keeps the form from bombing a mailbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import NO_WAIT, LoopbackSite, SmtpServer, brief_cli, publish_news, write_sources

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError
from pipeline.publish import subscriptions
from pipeline.publish.mail import build_message, personalise
from pipeline.publish.outbox import resume_deliveries
from pipeline.publish.personal import Personal
from pipeline.publish.subscriptions import (
    CONFIRM_PATH,
    UNSUBSCRIBE_PATH,
    SubscriptionsClosed,
    TokenError,
    confirm_subscription,
    confirm_url,
    request_subscription,
    secret_from_env,
    unsubscribe,
    unsubscribe_url,
)
from pipeline.publish.tokens import SECRET_ENV, TOKEN_PLACEHOLDER, make_token, read_token, signed_for
from pipeline.service import run_due_slots
from pipeline.settings import WEB_ENV
from pipeline.store import Store
from pipeline.store.records import SlotState, SubscriberStatus

SECRET = b"k" * 32
OTHER_SECRET = b"q" * 32
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
PUBLIC = "https://news.example/"
AT_1500 = datetime(2026, 11, 10, 15, 0, 30, tzinfo=UTC)
AT_2100 = datetime(2026, 11, 10, 21, 0, 30, tzinfo=UTC)


def web_config(tmp_path: Path, public_url: str = PUBLIC) -> Config:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_sources(tmp_path, ["https://feeds.example/rss"], [], to=())
    if public_url:
        path.write_text(path.read_text() + f'web:\n  public_url: "{public_url}"\n', encoding="utf-8")
    return load_config(path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "state")
    yield opened
    opened.close()


def token_of(url: str | None) -> str:
    assert url is not None
    return parse_qs(urlsplit(url).query)["token"][0]


def received(smtp: SmtpServer) -> list[EmailMessage]:
    out = []
    for raw in smtp.mailbox.accepted:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        out.append(message)
    return out


def link_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    (link,) = re.findall(r"https://\S+", str(body.get_content()))
    assert urlsplit(link).path.endswith(path), link
    return str(link)


# -- the tokens -------------------------------------------------------------------------------------


def test_a_token_is_refused_when_forged_altered_expired_or_for_another_purpose() -> None:
    good = make_token(SECRET, "confirm", "ana@readers.example", NOW)
    assert read_token(SECRET, good, "confirm", NOW + timedelta(hours=47)) == (
        "ana@readers.example",
        NOW,
    )
    cases = {
        "forged": make_token(OTHER_SECRET, "confirm", "ana@readers.example", NOW),
        "malformed": good.split(".")[0],
        "purpose": make_token(SECRET, "unsubscribe", "ana@readers.example"),
    }
    for reason, token in cases.items():
        with pytest.raises(TokenError) as refused:
            read_token(SECRET, token, "confirm", NOW)
        assert refused.value.reason == reason, token
    with pytest.raises(TokenError) as late:
        read_token(SECRET, good, "confirm", NOW + timedelta(hours=48))
    assert late.value.reason == "expired"
    # every single character changed, in the payload or the MAC: never believed
    for i in range(len(good)):
        if good[i] == ".":
            continue
        altered = good[:i] + ("A" if good[i] != "A" else "B") + good[i + 1 :]
        with pytest.raises(TokenError) as bad:
            read_token(SECRET, altered, "confirm", NOW)
        assert bad.value.reason in ("forged", "malformed"), (i, altered)


def test_an_unsubscribe_link_never_expires_and_names_its_own_address_only(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    ana = unsubscribe_url(config, SECRET, "ana@readers.example")
    assert ana is not None and ana.startswith(PUBLIC + "unsubscribe?token=")
    assert ana == unsubscribe_url(config, SECRET, "Ana@Readers.example"), "one address, one link"
    years_later = NOW + timedelta(days=3650)
    assert read_token(SECRET, token_of(ana), "unsubscribe", years_later)[0] == "ana@readers.example"
    ben = unsubscribe_url(config, SECRET, "ben@harbour.example")
    assert token_of(ben) != token_of(ana)
    # a token's address cannot be swapped for another's: the MAC covers it
    _, ana_mac = token_of(ana).split(".")
    ben_payload, _ = token_of(ben).split(".")
    with pytest.raises(TokenError) as swapped:
        read_token(SECRET, f"{ben_payload}.{ana_mac}", "unsubscribe", NOW)
    assert swapped.value.reason == "forged"
    assert (
        unsubscribe_url(web_config(tmp_path / "bare", public_url=""), SECRET, "ana@readers.example") is None
    )


def test_an_editions_tokens_are_its_own_and_the_files_are_as_before() -> None:
    coast = make_token(SECRET, "unsubscribe", "ana@readers.example", edition="coast")
    assert read_token(SECRET, coast, "unsubscribe", NOW, edition="coast")[0] == "ana@readers.example"
    for other in ("valley", ""):  # another edition's pages, or a file without editions
        with pytest.raises(TokenError) as refused:
            read_token(SECRET, coast, "unsubscribe", NOW, edition=other)
        assert refused.value.reason == "forged"
    plain = make_token(SECRET, "unsubscribe", "ana@readers.example")
    assert plain == make_token(SECRET, "unsubscribe", "ana@readers.example", edition="") != coast
    assert signed_for(SECRET, coast, ["valley", "coast"]) == "coast"
    assert signed_for(SECRET, plain, ["valley", "coast"]) == "" == signed_for(SECRET, "junk", ["coast"])


def test_the_secret_comes_from_the_environment_and_a_short_one_is_refused() -> None:
    assert SECRET_ENV in WEB_ENV  # the one definition of the web app's secrets
    assert secret_from_env({}) is None
    assert secret_from_env({"BRIEF_SECRET": "x" * 32}) == b"x" * 32
    with pytest.raises(ConfigError, match="BRIEF_SECRET is 12 bytes long; it must be at least 32"):
        secret_from_env({"BRIEF_SECRET": "short secret"})


# -- double opt-in ----------------------------------------------------------------------------------


def test_a_request_mails_a_link_that_confirms_and_only_then_the_address_is_active(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = web_config(tmp_path)

    request_subscription(config, store, SECRET, " ana@readers.example ", "Ana", NOW, smtp.settings())

    pending = store.subscriber("ana@readers.example")
    assert pending is not None and pending.status == SubscriberStatus.PENDING
    assert store.subscribers(SubscriberStatus.ACTIVE) == []
    (mail,) = received(smtp)
    assert smtp.mailbox.envelopes == [["ana@readers.example"]]
    assert mail["To"] == "ana@readers.example" and "Confirm" in mail["Subject"]
    link = link_in(mail, CONFIRM_PATH)
    assert link.startswith(PUBLIC + "confirm?token=")

    assert (
        confirm_subscription(store, SECRET, token_of(link), NOW + timedelta(hours=2)) == "ana@readers.example"
    )
    active = store.subscriber("ana@readers.example")
    assert active is not None and active.status == SubscriberStatus.ACTIVE and active.name == "Ana"
    # confirming again is no error and changes nothing
    assert (
        confirm_subscription(store, SECRET, token_of(link), NOW + timedelta(hours=3)) == "ana@readers.example"
    )


def test_the_requester_learns_nothing_and_the_address_is_mailed_once_an_hour_at_most(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = web_config(tmp_path)
    store.add_subscriber("ben@harbour.example", "Ben", NOW)
    for minute in range(0, 60, 3):  # twenty requests within the hour, for each address
        for address in ("ana@readers.example", "ben@harbour.example"):
            when = NOW + timedelta(minutes=minute)
            request_subscription(config, store, SECRET, address, "", when, smtp.settings())
    assert sorted(e for (e,) in smtp.mailbox.envelopes) == ["ana@readers.example", "ben@harbour.example"]
    subjects = {m["To"]: m["Subject"] for m in received(smtp)}
    assert subjects["ana@readers.example"].startswith("Confirm your subscription")
    assert subjects["ben@harbour.example"].startswith("You are subscribed")  # told, not the requester
    ben = store.subscriber("ben@harbour.example")
    assert ben is not None and ben.status == SubscriberStatus.ACTIVE and ben.name == "Ben"

    request_subscription(
        config, store, SECRET, "ana@readers.example", "", NOW + timedelta(minutes=61), smtp.settings()
    )
    assert len(smtp.mailbox.accepted) == 3, "an hour later, one more"


def test_a_name_given_in_the_form_is_never_mailed_and_a_bad_address_is_said(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = web_config(tmp_path)
    spam = "Win a prize at https://spam.example <script>"
    request_subscription(config, store, SECRET, "ana@readers.example", spam, NOW, smtp.settings())
    assert b"spam.example" not in smtp.mailbox.accepted[0]
    for bad in (
        "",
        "ana",
        "ana@",
        "@readers.example",
        "ana@readers",
        "a b@readers.example",
        "ana@x.example\r\nBcc: z@y.example",
    ):
        with pytest.raises(ValueError, match="email address"):
            request_subscription(config, store, SECRET, bad, "", NOW, smtp.settings())
    assert len(smtp.mailbox.accepted) == 1


def test_without_a_public_address_or_a_secret_no_one_can_subscribe(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    with pytest.raises(SubscriptionsClosed, match=r"web\.public_url"):
        request_subscription(
            web_config(tmp_path, ""), store, SECRET, "ana@readers.example", "", NOW, smtp.settings()
        )
    with pytest.raises(SubscriptionsClosed, match="BRIEF_SECRET"):
        request_subscription(
            web_config(tmp_path / "b"), store, None, "ana@readers.example", "", NOW, smtp.settings()
        )
    assert smtp.mailbox.accepted == [] and store.subscribers() == []


def test_one_who_unsubscribed_comes_back_only_by_confirming_a_new_request(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = web_config(tmp_path)
    request_subscription(config, store, SECRET, "ana@readers.example", "", NOW, smtp.settings())
    first = token_of(link_in(received(smtp)[0], CONFIRM_PATH))
    confirm_subscription(store, SECRET, first, NOW + timedelta(minutes=5))
    leave = token_of(unsubscribe_url(config, SECRET, "ana@readers.example"))
    assert unsubscribe(store, SECRET, leave, NOW + timedelta(minutes=10)) == "ana@readers.example"
    assert unsubscribe(store, SECRET, leave, NOW + timedelta(minutes=11)) == "ana@readers.example"

    with pytest.raises(TokenError) as old:  # the first link, still within its 48 hours
        confirm_subscription(store, SECRET, first, NOW + timedelta(minutes=20))
    assert old.value.reason == "expired"
    gone = store.subscriber("ana@readers.example")
    assert gone is not None and gone.status == SubscriberStatus.UNSUBSCRIBED

    request_subscription(
        config, store, SECRET, "ana@readers.example", "", NOW + timedelta(hours=2), smtp.settings()
    )
    again = received(smtp)[1]
    assert again["Subject"].startswith("Confirm"), "one who left is asked to confirm, not told they are in"
    still = store.subscriber("ana@readers.example")
    assert still is not None and still.status == SubscriberStatus.UNSUBSCRIBED, (
        "a request alone changes nothing"
    )
    confirm_subscription(store, SECRET, token_of(link_in(again, CONFIRM_PATH)), NOW + timedelta(hours=3))
    back = store.subscriber("ana@readers.example")
    assert back is not None and back.status == SubscriberStatus.ACTIVE


def test_an_unsubscribe_token_for_an_unknown_address_keeps_it_from_being_added(
    tmp_path: Path, store: Store
) -> None:
    config = web_config(tmp_path)
    token = token_of(unsubscribe_url(config, SECRET, "zed@quay.example"))
    assert unsubscribe(store, SECRET, token, NOW) == "zed@quay.example"
    assert store.seed_subscribers([("", "Zed@Quay.example")], NOW) == 0
    assert store.add_subscriber("zed@quay.example", "", NOW) == SubscriberStatus.UNSUBSCRIBED
    zed = store.subscriber("zed@quay.example")
    assert zed is not None and zed.status == SubscriberStatus.UNSUBSCRIBED
    with pytest.raises(TokenError) as wrong:
        unsubscribe(store, SECRET, token_of(confirm_url(config, SECRET, "zed@quay.example", NOW)), NOW)
    assert wrong.value.reason == "purpose"


def test_the_api_names_the_web_app_imports() -> None:
    assert (subscriptions.SUBSCRIBE_PATH, CONFIRM_PATH, UNSUBSCRIBE_PATH) == (
        "/subscribe",
        "/confirm",
        "/unsubscribe",
    )


# -- the brief's messages ---------------------------------------------------------------------------


def test_each_message_carries_its_own_unsubscribe_link_in_its_headers_and_both_parts(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEF_SECRET", SECRET.decode())
    smtp = make_smtp()
    three = ("ana@readers.example", "Ben Ode <ben@harbour.example>", "carla@quay.example")
    path = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=three)
    path.write_text(path.read_text() + f'web:\n  public_url: "{PUBLIC}"\n', encoding="utf-8")
    config = load_config(path)

    first = run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)

    assert first is not None and first.delivery.sent, first
    addresses = ["ana@readers.example", "ben@harbour.example", "carla@quay.example"]
    links = {a: unsubscribe_url(config, SECRET, a) for a in addresses}
    assert len(smtp.mailbox.accepted) == 3
    for content, (own,) in zip(smtp.mailbox.accepted, smtp.mailbox.envelopes, strict=True):
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        assert [a.addr_spec for a in message["To"].addresses] == [own]
        https, mailto = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))
        assert https == links[own] and mailto == "mailto:brief@karsholm.example?subject=unsubscribe"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert text is not None and html is not None
        assert f"Unsubscribe in one click: {https}" in text.get_content()
        assert f'href="{https}"' in html.get_content() and ">Unsubscribe</a>" in html.get_content()
        for other in addresses:
            if other != own:
                assert other.encode() not in content
                assert token_of(links[other]).encode() not in content.replace(b"=\r\n", b"")
        assert TOKEN_PLACEHOLDER.encode() not in content.replace(b"=\r\n", b"")
        assert max(len(line) for line in content.split(b"\r\n")) <= 998
        # each part as it travels, encoded again as it was: no longer a line than the email
        # package makes (78, its SMTP policy's max_line_length)
        for part in (text, html):
            assert part["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
            assert max(len(line) for line in str(part.get_payload()).splitlines()) <= 78

    # Carla unsubscribes in one click from her message's header, long after it came
    carla = next(
        message_from_bytes(c, policy=policy.default)
        for c, (own,) in zip(smtp.mailbox.accepted, smtp.mailbox.envelopes, strict=True)
        if own == "carla@quay.example"
    )
    header_link = re.findall(r"<([^>]+)>", str(carla["List-Unsubscribe"]))[0]
    store = Store(config.state_dir)
    try:
        assert (
            unsubscribe(store, SECRET, token_of(header_link), AT_1500 + timedelta(days=400)) == addresses[2]
        )
    finally:
        store.close()
    second = run_due_slots(config, clock=lambda: AT_2100, smtp=smtp.settings(), policy=NO_WAIT)
    assert second is not None and second.delivery.sent, second
    assert sorted(e for (e,) in smtp.mailbox.envelopes[3:]) == addresses[:2], (
        "not to Carla, though delivery.to lists her"
    )


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Plain words only.\n", "7bit"),
        ("Søren’s café · mostly plain words, and a long line " * 6 + "\n", "quoted-printable"),
        ("Ærø øæå ÆØÅ ñ € ’ “ ” · " * 20 + "\n", "base64"),
    ],
)
def test_a_subscribers_link_is_put_in_each_part_as_it_is_encoded(text: str, encoding: str) -> None:
    link = f"https://n.example/u?token={TOKEN_PLACEHOLDER}"  # 7bit: no line over 78
    raw, _ = build_message(
        subject="Karsholm Brief",
        text=f"{text}Unsubscribe in one click:\n{link}\n{text}",
        html=f'<p>{text}</p><p>{text}<a href="{link}"\n>Unsubscribe</a> {text}</p>\n',
        mail_from="Karsholm Brief <brief@karsholm.example>",
        mail_to=["ana@readers.example", "ben@harbour.example"],
        brief_id="2026-11-10T1500Z",
        when=NOW,
        unsubscribe=link,
    )
    personal = Personal(raw)
    sent = {}
    for address in ("ana@readers.example", "ben@harbour.example"):
        token = make_token(SECRET, "unsubscribe", address)
        content, _ = personal.for_subscriber("2026-11-10T1500Z", address, "", token)
        assert content == personalise(raw, "2026-11-10T1500Z", address, "", token)[0], "the same bytes"
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        own = link.replace(TOKEN_PLACEHOLDER, token)
        for part, expected in (
            (message.get_body(("plain",)), f"{text}Unsubscribe in one click:\n{own}\n{text}"),
            (
                message.get_body(("html",)),
                f'<p>{text}</p><p>{text}<a href="{own}"\n>Unsubscribe</a> {text}</p>\n',
            ),
        ):
            assert part is not None and part["Content-Transfer-Encoding"] == encoding
            assert part.get_content().replace("\r\n", "\n") == expected
            longest = max(len(line) for line in str(part.get_payload()).splitlines())
            assert longest <= (998 if encoding == "7bit" else 78)  # 7bit: the link's line grows
        sent[address] = content
    assert sent["ana@readers.example"] != sent["ben@harbour.example"]
    with pytest.raises(ValueError, match="no subscriber's token"):
        personal.for_subscriber("2026-11-10T1500Z", "ana@readers.example", "", None)


@pytest.mark.parametrize("name", ["José Müller", "Zoë O’Brien-Łukasz", "李 小龍", "Ana"])
def test_a_subscribers_name_in_to_is_ascii_on_the_wire_and_reads_back_as_typed(name: str) -> None:
    raw, _ = build_message(
        subject="Karsholm Brief",
        text="Text\n",
        html="<p>Text</p>\n",
        mail_from="Karsholm Brief <brief@karsholm.example>",
        mail_to=(),
        brief_id="2026-11-10T1500Z",
        when=NOW,
    )
    content, _ = personalise(raw, "2026-11-10T1500Z", "jose@readers.example", name)
    head = content.partition(b"\r\n\r\n")[0]
    assert head.isascii(), "a header with 8-bit bytes: refused by strict servers without SMTPUTF8"
    to = message_from_bytes(content, policy=policy.default)["To"]
    assert (to.addresses[0].display_name, to.addresses[0].addr_spec) == (name, "jose@readers.example")


def test_a_strangers_request_never_holds_back_an_address_the_admin_lists(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer]
) -> None:
    smtp = make_smtp()
    config = web_config(tmp_path)
    request_subscription(config, store, SECRET, "boss@harbour.example", "", NOW, smtp.settings())
    assert store.seed_subscribers([("Boss", "boss@harbour.example")], NOW) == 1
    boss = store.subscriber("boss@harbour.example")
    assert boss is not None and boss.status == SubscriberStatus.ACTIVE and boss.name == "Boss"


def test_the_page_a_link_opens_can_show_its_address_without_acting(tmp_path: Path, store: Store) -> None:
    config = web_config(tmp_path)
    store.add_subscriber("ana@readers.example", "", NOW)
    token = token_of(unsubscribe_url(config, SECRET, "ana@readers.example"))
    assert subscriptions.token_address(SECRET, token, "unsubscribe", NOW) == "ana@readers.example"
    ana = store.subscriber("ana@readers.example")
    assert ana is not None and ana.status == SubscriberStatus.ACTIVE
    with pytest.raises(TokenError) as wrong:
        subscriptions.token_address(SECRET, token, "confirm", NOW)
    assert wrong.value.reason == "purpose"


def test_a_message_with_links_is_never_sent_without_the_secret_to_sign_them(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIEF_SECRET", SECRET.decode())
    smtp = make_smtp()
    smtp.mailbox.default = "451 4.3.0 try later"
    path = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=("ana@readers.example",))
    path.write_text(path.read_text() + f'web:\n  public_url: "{PUBLIC}"\n', encoding="utf-8")
    config = load_config(path)
    first = run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT)
    assert first is not None and not first.delivery.sent  # deferred: the scheduler tries again

    monkeypatch.delenv("BRIEF_SECRET")  # the service restarted without it
    smtp.mailbox.default = "250 2.0.0 accepted"
    store = Store(config.state_dir)
    try:
        (later,) = resume_deliveries(store, config, smtp.settings(), AT_1500 + timedelta(hours=1), NO_WAIT)
    finally:
        store.close()
    assert later.failed and "BRIEF_SECRET is not set" in later.detail and "--rebuild" in later.detail
    assert smtp.mailbox.accepted == [], "no message with a link that cannot work"
    # nothing is given up: with the secret back, the next start sends it, its links signed
    monkeypatch.setenv("BRIEF_SECRET", SECRET.decode())
    store = Store(config.state_dir)
    try:
        (sent,) = resume_deliveries(store, config, smtp.settings(), AT_1500 + timedelta(hours=2), NO_WAIT)
        assert sent.sent, sent.detail
        slot = store.slot(first.brief_id)
        assert slot is not None and slot.state == SlotState.DELIVERED
    finally:
        store.close()
    (received,) = smtp.mailbox.accepted
    assert TOKEN_PLACEHOLDER.encode() not in received and b"/unsubscribe?token=" in received


def test_a_brief_sent_again_carries_each_subscribers_own_link_too(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    smtp = make_smtp()
    for name, value in {**smtp.env(), "BRIEF_SECRET": SECRET.decode()}.items():
        monkeypatch.setenv(name, value)
    two = ("ana@readers.example", "ben@harbour.example")
    path = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=two)
    # a long address: its link is longer than a header line, which the email package would encode
    public = "https://the-morning-brief.newsroom-of-a-large-company.example/"
    path.write_text(path.read_text() + f'web:\n  public_url: "{public}"\n', encoding="utf-8")
    config = load_config(path)
    assert run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT) is not None

    again = brief_cli("send", "2026-11-10T1500Z", "--config", str(path))

    assert again.code == 0, again.err
    resent = smtp.mailbox.accepted[2:]
    assert len(resent) == 2
    for content, (own,) in zip(resent, smtp.mailbox.envelopes[2:], strict=True):
        message = message_from_bytes(content, policy=policy.default)
        https = re.findall(r"<([^>]+)>", str(message["List-Unsubscribe"]))[0]
        assert https == unsubscribe_url(config, SECRET, own)
        assert token_of(https).encode() in content.replace(b"=\r\n", b"")
        assert TOKEN_PLACEHOLDER.encode() not in content.replace(b"=\r\n", b"")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_without_a_secret_the_email_offers_only_what_works_a_mail_to_the_sender(
    tmp_path: Path, site: LoopbackSite, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRIEF_SECRET", raising=False)
    smtp = make_smtp()
    path = write_sources(tmp_path, [publish_news(site)], [site.allow()], to=("ana@readers.example",))
    path.write_text(path.read_text() + f'web:\n  public_url: "{PUBLIC}"\n', encoding="utf-8")
    config = load_config(path)
    assert run_due_slots(config, clock=lambda: AT_1500, smtp=smtp.settings(), policy=NO_WAIT) is not None

    (content,) = smtp.mailbox.accepted
    message = message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message["List-Unsubscribe"] == "<mailto:brief@karsholm.example?subject=unsubscribe>"
    assert message["List-Unsubscribe-Post"] is None, "no one-click without a link that works"
    assert f"{PUBLIC}unsubscribe".encode() not in content
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    line = 'To stop receiving this brief, write to brief@karsholm.example with "unsubscribe" as the subject.'
    assert line in text.get_content()
    assert 'href="mailto:brief@karsholm.example?subject=unsubscribe"' in html.get_content()


def test_many_addresses_at_once_pause_subscribing_for_the_hour(
    tmp_path: Path, store: Store, make_smtp: Callable[..., SmtpServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subscriptions, "MAILS_PER_HOUR", 3)
    smtp = make_smtp()
    config = web_config(tmp_path)
    for n in range(3):
        when = NOW + timedelta(minutes=n)
        request_subscription(config, store, SECRET, f"r{n}@town.example", "", when, smtp.settings())
    with pytest.raises(subscriptions.SubscriptionsBusy, match="paused"):
        request_subscription(
            config, store, SECRET, "r3@town.example", "", NOW + timedelta(minutes=5), smtp.settings()
        )
    assert len(smtp.mailbox.accepted) == 3 and store.subscriber("r3@town.example") is None
    request_subscription(
        config, store, SECRET, "r3@town.example", "", NOW + timedelta(minutes=61), smtp.settings()
    )
    assert len(smtp.mailbox.accepted) == 4, "an hour after the first, one more"


def test_a_message_built_for_one_subscriber_still_gets_their_link() -> None:
    link = f"https://news.example/unsubscribe?token={TOKEN_PLACEHOLDER}"
    raw, message_id = build_message(
        subject="Karsholm Brief",
        text=f"News.\nUnsubscribe in one click: {link}\n",
        html=f'<p>News. <a href="{link}">Unsubscribe</a></p>\n',
        mail_from="Karsholm Brief <brief@karsholm.example>",
        mail_to=["ana@readers.example"],
        brief_id="2026-11-10T1500Z",
        when=NOW,
        unsubscribe=link,
    )
    token = make_token(SECRET, "unsubscribe", "ana@readers.example")
    content, same_id = personalise(raw, "2026-11-10T1500Z", "ana@readers.example", "", token)
    assert same_id == message_id
    flat = content.replace(b"=\r\n", b"")
    assert flat.count(token.encode()) == 3 and TOKEN_PLACEHOLDER.encode() not in flat


def test_an_international_public_address_gives_links_a_mail_header_can_carry(tmp_path: Path) -> None:
    config = web_config(tmp_path, public_url="https://nyheter.åre.example/")
    link = unsubscribe_url(config, SECRET, "ana@readers.example")
    assert link is not None and link.isascii()
    assert link.startswith("https://nyheter.xn--re-xia.example/unsubscribe?token=")
