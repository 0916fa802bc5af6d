"""Build the brief's email once, and hand it to an SMTP server when one is configured.

The message is multipart/alternative with the plain text first and the HTML last (clients
show the last part they can render). SMTP settings come from the environment only; AUTH is
never sent over an unencrypted connection to a remote host.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses

from .config import SmtpSettings
from .errors import DeliveryError

SMTP_TIMEOUT = 30.0


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    mail_from: str,
    mail_to: Sequence[str],
    brief_id: str,
    when: datetime,
) -> tuple[bytes, str]:
    """The message as bytes, and its Message-ID (stable for a brief and its recipients)."""
    domain = _domain(mail_from)
    digest = hashlib.sha1(("|".join(sorted(mail_to)) + brief_id).encode()).hexdigest()[:12]
    message_id = f"<brief.{brief_id}.{digest}@{domain}>"
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = mail_from
    msg["To"] = ", ".join(mail_to)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id
    msg["List-Id"] = f"dailybrief <brief.{domain}>"
    sender = getaddresses([mail_from])[0][1]
    msg["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes(), message_id


def send_message(raw: bytes, mail_from: str, mail_to: Sequence[str], smtp: SmtpSettings) -> str:
    """Send `raw` over SMTP; return the server's answer. Raises DeliveryError."""
    sender = getaddresses([mail_from])[0][1]
    recipients = [addr for _, addr in getaddresses(list(mail_to)) if addr]
    if smtp.user and smtp.tls == "none" and smtp.host not in ("localhost", "127.0.0.1", "::1"):
        raise DeliveryError(
            "refusing to send the SMTP password over an unencrypted connection",
            hint="set BRIEF_SMTP_TLS=starttls (port 587) or ssl (port 465)",
        )
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if smtp.tls == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=SMTP_TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT)
        with client:
            client.ehlo()
            if smtp.tls == "starttls":
                client.starttls(context=context)
                client.ehlo()
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            refused = client.sendmail(sender, recipients, raw)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"SMTP login refused ({exc.smtp_code})", hint="check BRIEF_SMTP_USER and BRIEF_SMTP_PASSWORD"
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"SMTP server answered {exc.smtp_code}: {_text(exc.smtp_error)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"cannot deliver via {smtp.host}:{smtp.port}: {exc}",
            hint="check BRIEF_SMTP_HOST, BRIEF_SMTP_PORT and BRIEF_SMTP_TLS",
        ) from exc
    if refused:
        raise DeliveryError(f"recipients refused: {', '.join(refused)}")
    return f"sent to {', '.join(recipients)} via {smtp.host}:{smtp.port}"


def _domain(address: str) -> str:
    addr = getaddresses([address])[0][1]
    try:
        return Address(addr_spec=addr).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
