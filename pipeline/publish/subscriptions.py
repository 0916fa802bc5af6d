"""Subscribing and unsubscribing: double opt-in by a signed link, and one-click unsubscribe.

What the web app (`brief serve`) and the CLI call; the tokens themselves are `tokens.py`.
What is guaranteed:

- **No one is subscribed without confirming from their own mailbox.** A request stores the
  address as `pending` and mails it a link (valid 48 hours); only that link's token, POSTed to
  `CONFIRM_PATH`, makes it `active`. One who unsubscribed stays so until they confirm a request
  made after they left; an old confirmation link does not bring them back.
- **The requester learns nothing about who subscribes.** `request_subscription` returns the
  same (nothing) whether the address was new, pending, active, unsubscribed or rate-limited,
  and mails the address itself, never the requester: a new, pending or departed address gets
  the confirmation link, an active one a note that it is subscribed already (so both cost one
  mail and take as long). A name given with a request is never put in a mail; it is the
  admin's (`brief subscribers add --confirm --name`): the public form gives none, since it
  would go in the To: of every brief once the owner confirmed a request they did not make
  (`web/public.py`).
- **The form cannot be used to bomb a mailbox.** At most one mail per address per hour
  (`MAIL_EVERY`, counted in the database: it holds across processes and restarts), and at most
  `MAILS_PER_HOUR` in all (then `SubscriptionsBusy`: many addresses at once is an attack on the
  sender's reputation, whatever the web app's limit per client).
- **Unsubscribing always works and is idempotent.** Any valid unsubscribe token, however old,
  marks its address unsubscribed (adding it so when unknown, so `delivery.to` never brings it
  back); a second time changes nothing and answers the same.
- Every token is checked (HMAC-SHA256, constant time) before anything in it is believed; a bad
  one raises `TokenError` with its `reason` and changes nothing.

Pending addresses whose link expired are deleted on the next request (they never subscribed).
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from pipeline.config import Config, SmtpSettings
from pipeline.errors import BriefError, DeliveryError
from pipeline.publish import mail
from pipeline.publish.tokens import (
    CONFIRM_PATH,
    CONFIRM_TTL,
    SUBSCRIBE_PATH,
    UNSUBSCRIBE_PATH,
    Purpose,
    TokenError,
    confirm_url,
    make_token,
    page_url,
    read_token,
    secret_from_env,
    unsubscribe_url,
)
from pipeline.store.records import SubscriberStatus
from pipeline.store.subscribers import SubscriberStore

__all__ = [
    "CONFIRM_PATH",
    "CONFIRM_TTL",
    "MAILS_PER_HOUR",
    "MAIL_EVERY",
    "SUBSCRIBE_PATH",
    "UNSUBSCRIBE_PATH",
    "SubscriptionsBusy",
    "SubscriptionsClosed",
    "TokenError",
    "clean_name",
    "confirm_subscription",
    "confirm_url",
    "normalise_address",
    "page_url",
    "request_subscription",
    "secret_from_env",
    "token_address",
    "unsubscribe",
    "unsubscribe_token",
    "unsubscribe_url",
]

log = logging.getLogger(__name__)

MAIL_EVERY = timedelta(hours=1)  # at most one confirmation mail per address in this time
MAILS_PER_HOUR = 100  # confirmation mails to all addresses together in an hour
MAX_NAME = 100  # characters of a subscriber's name kept

# one address, as a form takes it: no display name, no comments, no quoted local part
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class SubscriptionsClosed(BriefError):
    """Subscribing needs web.public_url, BRIEF_SECRET and an SMTP server, and one is missing."""


class SubscriptionsBusy(SubscriptionsClosed):
    """Subscribing is paused: MAILS_PER_HOUR confirmation mails went out in the last hour."""


def normalise_address(text: str) -> str:
    """`text` as one email address (surrounding spaces dropped), or ValueError with a sentence
    fit to show beside the form's field."""
    address = text.strip()
    if not address:
        raise ValueError("Please enter your email address.")
    if not address.isascii():
        raise ValueError("Please enter the address in plain ASCII letters (as your mail provider spells it).")
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    if (
        not at
        or len(address) > 254
        or not _LOCAL.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not labels[-1].isalpha()
    ):
        raise ValueError(f"{address[:80]!r} is not an email address: it should look like name@example.com.")
    return address


def request_subscription(
    config: Config,
    store: SubscriberStore,
    secret: bytes | None,
    address: str,
    name: str,
    now: datetime,
    smtp: SmtpSettings | None,
) -> None:
    """Ask `address` to confirm a subscription: mails it the confirmation link (or, when it is
    active already, a note saying so), at most once per MAIL_EVERY; silent about which. Raises
    ValueError (an address that is not one: the message is for the form), SubscriptionsClosed
    (no public address, secret or SMTP server: `brief check` says which), SubscriptionsBusy (a
    SubscriptionsClosed: MAILS_PER_HOUR mails in the last hour) or DeliveryError (the mail
    could not be sent)."""
    if not config.web_url or smtp is None or secret is None:
        missing = (
            "web.public_url in sources.yaml"
            if not config.web_url
            else ("BRIEF_SMTP_HOST" if smtp is None else "BRIEF_SECRET")
        )
        raise SubscriptionsClosed(f"subscribing is not open: {missing} is not set", hint="see `brief check`")
    address = normalise_address(address)
    name = clean_name(name)
    store.prune_pending(now - CONFIRM_TTL)
    if store.confirmation_mails_since(now - timedelta(hours=1)) >= MAILS_PER_HOUR:
        log.warning("%d confirmation mails in the last hour: subscribing paused", MAILS_PER_HOUR)
        raise SubscriptionsBusy(
            f"subscribing is paused: {MAILS_PER_HOUR} confirmation mails went out in the last hour",
            hint="try again in an hour",
        )
    claimed = store.claim_confirmation_mail(address, name, now, MAIL_EVERY)
    if claimed is None:
        log.info("a confirmation mail went to %s less than %s ago: not sending another", address, MAIL_EVERY)
        return
    if claimed.status == SubscriberStatus.ACTIVE:
        raw = _already_subscribed(config, secret, address, now)
    else:
        raw = _confirmation(config, secret, address, now)
    timeouts = mail.Timeouts(min(config.smtp_timeout, 30), min(config.smtp_data_timeout, 60))
    try:
        mail.send_message(raw, config.mail_from, [address], smtp, timeouts=timeouts)
    except DeliveryError:
        store.release_confirmation_mail(address)  # nothing went: a try later may mail it
        raise


def confirm_subscription(
    store: SubscriberStore, secret: bytes, token: str, now: datetime, *, edition: str = ""
) -> str:
    """Make the address of a confirm token (of `edition`, whose list `store` is) active; return
    it. Confirming twice is no error. Raises TokenError (forged, malformed, purpose, expired;
    expired too for a link older than the subscriber's leaving, or whose request was deleted)."""
    address, asked_at = read_token(secret, token, "confirm", now, edition=edition)
    if asked_at is None or not store.confirm_subscriber(address, asked_at, now):
        raise TokenError("expired", "This link is no longer valid: subscribe again to get a new one.")
    return address


def unsubscribe(
    store: SubscriberStore, secret: bytes, token: str, now: datetime, *, edition: str = ""
) -> str:
    """Mark the address of an unsubscribe token (of `edition`, whose list `store` is)
    unsubscribed; return it. Idempotent. Raises TokenError (forged, malformed, purpose)."""
    address, _ = read_token(secret, token, "unsubscribe", now, edition=edition)
    store.unsubscribe_subscriber(address, now)
    return address


def token_address(secret: bytes, token: str, purpose: Purpose, now: datetime, *, edition: str = "") -> str:
    """The address a token is for, changing nothing: what the page a link opens shows above its
    button (a GET). Raises TokenError as the POST would (an expired confirmation too)."""
    return read_token(secret, token, purpose, now, edition=edition)[0]


def unsubscribe_token(secret: bytes, address: str, *, edition: str = "") -> str:
    """The token of `address`'s unsubscribe link (of `edition`'s mails): the same every time."""
    return make_token(secret, "unsubscribe", address, edition=edition)


def clean_name(name: str) -> str:
    """A name as kept: printable, on one line, at most MAX_NAME characters."""
    return " ".join("".join(c if c.isprintable() else " " for c in name).split())[:MAX_NAME]


def _confirmation(config: Config, secret: bytes, address: str, now: datetime) -> bytes:
    link = confirm_url(config, secret, address, now)
    hours = int(CONFIRM_TTL.total_seconds() // 3600)
    text = (
        f"Someone, probably you, asked for {config.title} to be sent to {address}.\n\n"
        f"To confirm, open this link and press the button (it works for {hours} hours):\n\n"
        f"{link}\n\n"
        "If you did not ask for it, ignore this mail: nothing will be sent to you unless you confirm.\n"
    )
    return _notice(config, address, f"Confirm your subscription to {config.title}", text, now)


def _already_subscribed(config: Config, secret: bytes, address: str, now: datetime) -> bytes:
    link = unsubscribe_url(config, secret, address)
    text = (
        f"Someone, probably you, asked for {config.title} to be sent to {address}.\n\n"
        "This address receives it already: there is nothing to do.\n\n"
        f"To stop receiving it, open this link and press the button:\n\n{link}\n"
    )
    return _notice(config, address, f"You are subscribed to {config.title}", text, now)


def _notice(config: Config, address: str, subject: str, text: str, now: datetime) -> bytes:
    """A short plain-text mail from the brief's sender to `address` alone."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["From"] = config.mail_from
    msg["To"] = address
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<subscribe.{secrets.token_hex(8)}@{mail.sender_domain(config.mail_from)}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    msg.set_content(text)
    return msg.as_bytes()
