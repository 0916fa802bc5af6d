"""Signed links for subscribing and unsubscribing: what a token says, and who may believe it.

A token is `<payload>.<mac>`, both base64url without padding (URL-safe as they are). The
payload is `purpose|issued|expires|address` (seconds since the epoch; `0`: never expires), the
address last so a `|` in it changes nothing; the MAC is HMAC-SHA256 over the payload with a key
derived from `BRIEF_SECRET` for these tokens alone (the web app signs its cookies with the same
secret: a cookie is never a token, nor a token a cookie). It is checked in constant time, before
anything in the payload is believed.

- A **confirm** token expires (`CONFIRM_TTL`, 48 hours): a confirmation mail is read soon, and
  a link found in an old mailbox must not subscribe anyone.
- An **unsubscribe** token never expires and is the same for an address every time (the same
  message gives the same bytes when it is resent): the link in a mail from last year still
  works, as a reader expects and RFC 8058 and the mail providers ask. Changing `BRIEF_SECRET`
  is what withdraws every link at once (the mailto beside it still works).

With editions, each edition's tokens are signed with a key of its own (derived from the same
secret and its id): a token from one edition's mail is `forged` to another edition's pages, so
its link, however edited, acts on its own edition's subscribers only. A file without editions
signs as it always has.

A token is refused with a reason (`TokenError.reason`): `malformed` (not a token at all),
`forged` (the MAC does not match: made without the secret, or altered), `purpose` (a confirm
token used to unsubscribe, or the other way), `expired`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pipeline.config import Config
from pipeline.errors import ConfigError

Purpose = Literal["confirm", "unsubscribe"]
Reason = Literal["forged", "expired", "malformed", "purpose", "archive"]

SECRET_ENV = "BRIEF_SECRET"  # noqa: S105 (its name, not its value; one of settings.WEB_ENV)
MIN_SECRET_BYTES = 32
CONFIRM_TTL = timedelta(hours=48)

# the web paths the links point to, under web.public_url; `brief serve` routes them
SUBSCRIBE_PATH = "/subscribe"  # GET: the form; POST: request a subscription (a confirmation mail)
CONFIRM_PATH = "/confirm"  # ?token=: GET shows a button, POST confirms (a link scanner only GETs)
UNSUBSCRIBE_PATH = "/unsubscribe"  # ?token=: GET shows a button, POST unsubscribes (RFC 8058's one click)
# with editions, each edition's pages (these three too) are under its own prefix, /e/<id>: the
# links of an edition's mails act on its subscribers alone
EDITION_PREFIX = "/e/"

# what the brief's one rendering carries in place of each subscriber's unsubscribe token: the
# link in both parts and the List-Unsubscribe header (`mail.personalise` puts theirs in)
TOKEN_PLACEHOLDER = "~dailybrief-subscriber-token~"  # noqa: S105 (a placeholder, no secret)

_CODES: dict[str, Purpose] = {"c": "confirm", "u": "unsubscribe"}
_KEY_LABEL = b"dailybrief subscription tokens v1"


class TokenError(Exception):
    """A token that is not to be believed; `reason` says why, for the page that shows it."""

    MESSAGES: Mapping[Reason, str] = {
        "malformed": "This link is incomplete: copy the whole link from the email.",
        "forged": "This link is not one we sent: copy the whole link from the email.",
        "expired": "This link has expired: subscribe again to get a new one.",
        "purpose": "This link is not meant for this page.",
        "archive": "This link is from the brief's archive copy, which is no one's: each "
        "subscriber's email carries their own unsubscribe link. Use the link in the email you received.",
    }

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(detail or self.MESSAGES[reason])
        self.reason: Reason = reason


def secret_from_env(env: Mapping[str, str] = os.environ) -> bytes | None:
    """BRIEF_SECRET as bytes; None when it is not set. Raises ConfigError when it is shorter
    than 32 bytes: a short secret can be guessed, and every link signed with it forged."""
    text = env.get(SECRET_ENV, "").strip()
    if not text:
        return None
    secret = text.encode("utf-8")
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"{SECRET_ENV} is {len(secret)} bytes long; it must be at least {MIN_SECRET_BYTES}",
            hint="make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))' "
            "and set it in the service's environment (never in sources.yaml)",
        )
    return secret


def make_token(
    secret: bytes, purpose: Purpose, address: str, issued: datetime | None = None, *, edition: str = ""
) -> str:
    """A token for `address` (of `edition`'s list: "" without editions): a confirm token needs
    `issued` (it expires CONFIRM_TTL after); an unsubscribe token has none, so it is the same
    every time."""
    if purpose == "confirm":
        if issued is None:
            raise ValueError("a confirm token needs the time it is issued")
        start, end = int(issued.timestamp()), int((issued + CONFIRM_TTL).timestamp())
    else:
        start = end = 0
    code = next(c for c, p in _CODES.items() if p == purpose)
    payload = f"{code}|{start}|{end}|{address.lower()}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload, edition))}"


def read_token(
    secret: bytes, token: str, purpose: Purpose, now: datetime, *, edition: str = ""
) -> tuple[str, datetime | None]:
    """The address a valid token of `purpose` (of `edition`'s list) was made for, and when it
    was issued (None for an unsubscribe token). Raises TokenError."""
    if token.strip() == TOKEN_PLACEHOLDER:  # followed from the archive's copy of the email
        raise TokenError("archive")
    payload_text, dot, mac_text = token.strip().partition(".")
    if not dot or not payload_text or not mac_text:
        raise TokenError("malformed")
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (binascii.Error, ValueError):
        raise TokenError("malformed") from None
    if not hmac.compare_digest(mac, _mac(secret, payload, edition)):
        raise TokenError("forged")
    # signed by us: what follows only guards against our own older formats
    try:
        code, start, end, address = payload.decode("utf-8").split("|", 3)
        issued_at, expires_at = int(start), int(end)
    except ValueError:
        raise TokenError("malformed") from None
    if _CODES.get(code) != purpose:
        raise TokenError("purpose")
    if expires_at and now.timestamp() >= expires_at:
        raise TokenError("expired")
    issued = datetime.fromtimestamp(issued_at, tz=UTC) if issued_at else None
    return address, issued


def signed_for(secret: bytes, token: str, editions: Sequence[str]) -> str:
    """Which of `editions` a token was signed for; "" when none (a token of a file without
    editions, or one `read_token` refuses: it says why)."""
    payload_text, _, mac_text = token.strip().partition(".")
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (binascii.Error, ValueError):
        return ""
    return next((e for e in editions if e and hmac.compare_digest(mac, _mac(secret, payload, e))), "")


def confirm_url(config: Config, secret: bytes, address: str, now: datetime) -> str | None:
    """The link of a confirmation mail (valid for CONFIRM_TTL); None without web.public_url."""
    return _url(config, CONFIRM_PATH, make_token(secret, "confirm", address, now, edition=config.edition))


def unsubscribe_url(config: Config, secret: bytes, address: str) -> str | None:
    """The one-click unsubscribe link for `address` (never expires); None without web.public_url."""
    return _url(config, UNSUBSCRIBE_PATH, make_token(secret, "unsubscribe", address, edition=config.edition))


def unsubscribe_link(config: Config, secret: bytes | None) -> str:
    """The unsubscribe link of the brief's one rendering, with TOKEN_PLACEHOLDER for each
    subscriber's token; "" without web.public_url or a secret (no one-click link can work)."""
    return placeholder_link(config) if secret else ""


def placeholder_link(config: Config) -> str:
    """The unsubscribe link with TOKEN_PLACEHOLDER for the token; "" without web.public_url."""
    base = page_url(config, UNSUBSCRIBE_PATH)
    return f"{base}?token={TOKEN_PLACEHOLDER}" if base else ""


def edition_path(config: Config) -> str:
    """Where an edition's pages are in the web app ("/e/coast"); "" for the brief of a file
    without editions, whose pages are at the top as ever."""
    return f"{EDITION_PREFIX}{config.edition}" if config.edition else ""


def page_url(config: Config, path: str) -> str | None:
    """The public address of one of the web paths above (an edition's: under its prefix), in
    ASCII as a mail header needs it (an international domain in its IDNA form, the rest
    percent-encoded); None without web.public_url."""
    if not config.web_url:
        return None
    parts = urlsplit(config.web_url + (edition_path(config) + path).lstrip("/"))
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host, safe="")
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe="/%~"), "", ""))


def _url(config: Config, path: str, token: str) -> str | None:
    base = page_url(config, path)
    return f"{base}?token={quote(token, safe='')}" if base else None


def _mac(secret: bytes, payload: bytes, edition: str) -> bytes:
    label = _KEY_LABEL + (f" edition {edition}".encode() if edition else b"")
    key = hmac.new(secret, label, hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    # strict: a character outside the alphabet is an error, not skipped
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
