"""Build the brief's email once, and hand it to an SMTP server when one is configured.

The message is multipart/alternative with the plain text first and the HTML last (clients
show the last part they can render). SMTP settings come from the environment only; AUTH is
never sent over an unencrypted connection to a remote host.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses

from pipeline.config import SmtpSettings
from pipeline.errors import DeliveryError
from pipeline.publish.personal import Personal, logical_headers

log = logging.getLogger(__name__)

RETRY_DELAYS = (30.0, 120.0, 300.0)  # seconds between tries after a temporary failure


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for the server, as RFC 5321 (4.5.3.2) says: its greeting and each reply
    up to the end of the message, and the reply to the end of DATA (the server may be delivering
    then; hanging up early is how a slow server gets the message twice)."""

    command: float = 300.0
    data: float = 600.0


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    mail_from: str,
    mail_to: Sequence[str],
    brief_id: str,
    when: datetime,
    nonce: str = "",
    unsubscribe: str = "",
) -> tuple[bytes, str]:
    """The message as bytes, and its Message-ID: stable for a brief and its recipients, so a
    resend after a crash can be recognised; `nonce` makes a deliberate second sending distinct
    (with a digest of its text beside it: a different body never gets a Message-ID used before,
    even if the count in `nonce` started again).
    The To header names the recipient when there is one, and no one when there are several
    (they are the envelope's recipients): no reader learns who else receives the brief.
    With `unsubscribe` (an https link carrying `tokens.TOKEN_PLACEHOLDER`), List-Unsubscribe
    offers it before the mailto and List-Unsubscribe-Post makes it one click (RFC 8058)."""
    domain = _domain(mail_from)
    digest = hashlib.sha1(("|".join(sorted(mail_to)) + brief_id).encode()).hexdigest()[:12]
    if nonce:
        nonce = f"{nonce}-{hashlib.sha1((text + html).encode()).hexdigest()[:4]}"
    message_id = f"<brief.{brief_id}.{digest}{'.' + nonce if nonce else ''}@{domain}>"
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = mail_from
    # recipients never see each other: one address is named, several go in the envelope only
    msg["To"] = mail_to[0] if len(mail_to) == 1 else "undisclosed-recipients:;"
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg["List-Id"] = f"dailybrief <brief.{domain}>"
    sender = getaddresses([mail_from])[0][1]
    msg["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    # the boundary from the Message-ID, not a random draw: the same brief is the same bytes
    msg.set_boundary(_boundary(message_id, text, html))
    raw = msg.as_bytes()
    if unsubscribe:
        raw = _replace_header(raw, "List-Unsubscribe", _one_click(unsubscribe, sender))
    return raw, message_id


def _one_click(link: str, sender: str) -> bytes:
    """The List-Unsubscribe and List-Unsubscribe-Post lines for an https `link` and the sender's
    mailto (left out when the address is not ASCII: a header must be), folded by hand between
    the two: the email package would encode a long link as RFC 2047 words, which no client
    takes for a link."""
    mailto = f",\r\n <mailto:{sender}?subject=unsubscribe>" if sender.isascii() else ""
    lines = f"List-Unsubscribe: <{link}>{mailto}\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    return lines.encode("ascii")


def _replace_header(raw: bytes, name: str, lines: bytes) -> bytes:
    """`raw` with its header `name` (with its folded lines) replaced by `lines` (added at the
    end of the header block when it has none)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    found = logical_headers(head)
    out = [lines if key.lower() == name.lower() else line for key, line in found]
    if not any(key.lower() == name.lower() for key, _ in found):
        out.append(lines)
    return b"".join(out).removesuffix(b"\r\n") + sep + body


def restamped(raw: bytes, message_id: str, when: datetime) -> bytes:
    """`raw` with a new Message-ID and Date and every other byte as it was: read and written
    again by the email package, a long List-Unsubscribe link would come back as RFC 2047 words,
    which no client takes for a link and in which no subscriber's token can be put."""
    raw = _replace_header(raw, "Message-ID", SMTP.fold("Message-ID", message_id).encode("ascii"))
    return _replace_header(raw, "Date", SMTP.fold("Date", format_datetime(when)).encode("ascii"))


def personalise(
    raw: bytes, brief_id: str, address: str, name: str = "", token: str | None = None
) -> tuple[bytes, str]:
    """The brief's one message made one subscriber's: `To` is their address alone, the
    Message-ID theirs and, where the message has one-click links, their own unsubscribe `token`
    in its List-Unsubscribe header and both parts (`personal.Personal`, which the outbox makes
    once for many subscribers). The same message.eml always gives the same bytes."""
    return Personal(raw).for_subscriber(brief_id, address, name, token)


def _boundary(message_id: str, *parts: str) -> str:
    """A MIME boundary made from the message's id, and found in none of its parts."""
    digest = hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:24]
    candidates = (f"=_brief_{digest}" + (f"_{n}" if n else "") for n in itertools.count())
    return next(b for b in candidates if not any(b in p for p in parts))


def html_part_size(raw: bytes) -> int:
    """Bytes of the HTML part as it travels (encoded): what Gmail's clipping counts."""
    message = message_from_bytes(raw, policy=SMTP)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return len(part.as_bytes())
    return 0


def send_message(
    raw: bytes,
    mail_from: str,
    mail_to: Sequence[str],
    smtp: SmtpSettings,
    *,
    send: bool = True,
    timeouts: Timeouts = Timeouts(),
) -> str:
    """Send `raw` over SMTP; return what happened. Raises DeliveryError, whose `temporary` says
    whether trying again may help (a 4xx reply, a dropped connection) or not (5xx, bad login).

    With `send=False` it connects, starts TLS and logs in, then quits: `brief check`.
    """
    sender = getaddresses([mail_from])[0][1]
    recipients = [addr for _, addr in getaddresses(list(mail_to)) if addr]
    if send and not recipients:
        raise DeliveryError("no valid recipient address", hint="check delivery.to in sources.yaml")
    try:
        with _connect(smtp, timeouts) as client:
            if not send:
                return f"{smtp.host}:{smtp.port} accepted the connection" + (
                    " and the login" if smtp.user else ""
                )
            refused = _transaction(client, sender, recipients, raw, timeouts.data)
    except smtplib.SMTPException as exc:
        raise _delivery_error(exc, smtp) from exc
    except OSError as exc:
        raise _delivery_error(exc, smtp) from exc
    note = f" (refused: {', '.join(refused)})" if refused else ""
    return f"sent to {', '.join(r for r in recipients if r not in refused)} via {smtp.host}:{smtp.port}{note}"


class MessageRefused(DeliveryError):
    """The server refused one message (its reply to RCPT or DATA); the connection stays good."""


class SmtpSession:
    """One SMTP connection for many messages, each to one recipient: opened on the first
    `send`, opened again after it drops, closed by `close` (or the `with` block)."""

    def __init__(self, smtp: SmtpSettings, timeouts: Timeouts = Timeouts()) -> None:
        self.smtp, self.timeouts = smtp, timeouts
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, raw: bytes, mail_from: str, recipient: str) -> None:
        """Hand `raw` to the server for `recipient`. Raises MessageRefused when the server
        refused that message, DeliveryError when the connection or the login failed."""
        sender = getaddresses([mail_from])[0][1]
        try:
            if self._client is None:
                self._client = _connect(self.smtp, self.timeouts)
            if self._client.sock is not None:  # the last DATA's wait was longer
                self._client.sock.settimeout(self.timeouts.command)
            _transaction(self._client, sender, [recipient], raw, self.timeouts.data)
        except smtplib.SMTPResponseException as exc:
            whole = (smtplib.SMTPAuthenticationError, smtplib.SMTPSenderRefused)
            if exc.smtp_code == 421 or isinstance(exc, whole):  # the session, not this message
                self._drop()
                raise _delivery_error(exc, self.smtp) from exc
            raise MessageRefused(
                f"SMTP server answered {exc.smtp_code}: {_text(exc.smtp_error)}",
                temporary=400 <= exc.smtp_code < 500,
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise MessageRefused(
                f"SMTP server answered {code}: {_text(reply)}", temporary=400 <= code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise _delivery_error(exc, self.smtp) from exc

    def close(self) -> None:
        """QUIT, when a connection is open; a server already gone is no error."""
        if self._client is not None:
            # the messages were handed over (or not) before: nothing left to lose
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()
            self._drop()

    def _drop(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):  # a socket the server already closed
                self._client.close()
        self._client = None


def _connect(smtp: SmtpSettings, timeouts: Timeouts) -> smtplib.SMTP:
    """A connection greeted, with TLS started and the login done as `smtp` says."""
    if smtp.user and smtp.tls == "none" and smtp.host not in ("localhost", "127.0.0.1", "::1"):
        raise DeliveryError(
            "refusing to send the SMTP password over an unencrypted connection",
            hint="set BRIEF_SMTP_TLS=starttls (port 587) or ssl (port 465)",
        )
    try:
        context = ssl.create_default_context(cafile=smtp.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(
            f"cannot read the CA file {smtp.ca_file}: {exc}", hint="check BRIEF_SMTP_CA_FILE"
        ) from exc
    client: smtplib.SMTP
    if smtp.tls == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeouts.command, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeouts.command)
    try:
        client.ehlo()
        if smtp.tls == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _delivery_error(exc: Exception, smtp: SmtpSettings) -> DeliveryError:
    """The DeliveryError an smtplib or socket error is; `temporary` when trying again may help."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"SMTP login refused ({exc.smtp_code})", hint="check BRIEF_SMTP_USER and BRIEF_SMTP_PASSWORD"
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return DeliveryError(
            f"recipients refused: {', '.join(f'{r} ({c})' for r, (c, _) in exc.recipients.items())}",
            hint="check delivery.to in sources.yaml",
            temporary=all(400 <= c < 500 for c in codes),
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(
            f"SMTP server answered {exc.smtp_code}: {_text(exc.smtp_error)}",
            temporary=400 <= exc.smtp_code < 500,
        )
    return DeliveryError(
        f"cannot deliver via {smtp.host}:{smtp.port}: {exc or type(exc).__name__}",
        hint="check BRIEF_SMTP_HOST, BRIEF_SMTP_PORT and BRIEF_SMTP_TLS",
        temporary=not isinstance(exc, ssl.SSLCertVerificationError),
    )


def _transaction(
    client: smtplib.SMTP, sender: str, recipients: Sequence[str], raw: bytes, data: float
) -> list[str]:
    """MAIL, RCPT and DATA as `SMTP.sendmail` sends them, but for the wait after the end of
    DATA, which is `data` seconds; return the recipients refused (all refused: raised)."""
    options = [f"size={len(raw)}"] if client.has_extn("size") else []
    code, reply = client.mail(sender, options)
    if code != 250:
        client.rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for rcpt in recipients:
        code, reply = client.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, reply)
    if len(refused) == len(recipients):
        client.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    if client.sock is not None:
        client.sock.settimeout(data)
    code, reply = client.data(raw)
    if code != 250:
        client.rset()
        raise smtplib.SMTPDataError(code, reply)
    return list(refused)


def send_with_retries(
    raw: bytes,
    mail_from: str,
    mail_to: Sequence[str],
    smtp: SmtpSettings,
    delays: Sequence[float] = RETRY_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
    *,
    timeouts: Timeouts = Timeouts(),
    waiting: Callable[[DeliveryError, float], None] = lambda exc, delay: None,
) -> str:
    """send_message, tried again after each of `delays` (seconds) while failures are temporary;
    `waiting` is told of each pause before it starts (what failed, how long)."""
    for delay in (*delays, None):
        try:
            return send_message(raw, mail_from, mail_to, smtp, timeouts=timeouts)
        except DeliveryError as exc:
            if not exc.temporary or delay is None:
                raise
            log.warning("delivery failed (%s); trying again in %.0f s", exc, delay)
            waiting(exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")


def sender_domain(address: str) -> str:
    """The domain of an address (`"name <a@b.example>"` too), for a Message-ID; else localhost."""
    return _domain(address)


def _domain(address: str) -> str:
    addr = getaddresses([address])[0][1]
    try:
        return Address(addr_spec=addr).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
