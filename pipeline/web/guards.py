"""The web app's guards that need no web framework: the secrets from the environment, the
admin's password (kept as a scrypt hash only), the admin's sessions, a sliding-window rate
limit, and the one rule for where a `next=` may send a browser."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from pipeline.errors import ConfigError
from pipeline.settings import WEB_ENV

SECRET_ENV, PASSWORD_ENV = WEB_ENV
MIN_SECRET = 32  # characters of BRIEF_SECRET: token_urlsafe(32) gives 43
MIN_PASSWORD = 12  # characters of a plain BRIEF_ADMIN_PASSWORD
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"  # noqa: S105 - a command

# scrypt's cost: 16 MiB and ~50 ms a try, so a stolen hash is slow to guess and a login is quick
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024  # what one login may take to check; a costlier hash is refused at start


@dataclass(frozen=True)
class WebSecrets:
    secret: bytes
    admin: AdminPassword | None  # None: no admin password, the app is read-only


def secrets_from_env(env: Mapping[str, str]) -> WebSecrets:
    """BRIEF_SECRET (required) and BRIEF_ADMIN_PASSWORD (optional: without it nothing can be
    changed); ConfigError, with how to make one, when a value is missing or too weak."""
    secret = env.get(SECRET_ENV, "").strip()
    if len(secret) < MIN_SECRET:
        said = "is not set" if not secret else f"is {len(secret)} characters, fewer than {MIN_SECRET}"
        raise ConfigError(
            f"{SECRET_ENV} {said}: brief serve signs its session cookie and the subscribe and "
            "unsubscribe links with it",
            hint=f"make one with `{MAKE_SECRET}` and put it in the service's environment "
            "(README: Web app); keep it: changing it ends every session and link sent",
        )
    password = env.get(PASSWORD_ENV, "")
    admin = AdminPassword.from_env(password) if password else None
    return WebSecrets(secret.encode(), admin)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The form BRIEF_ADMIN_PASSWORD may take instead of the password itself:
    "scrypt:16384:8:1:<salt>:<hash>" (salt and hash in unpadded URL-safe base64)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{_b64(salt)}:{_b64(digest)}"


class AdminPassword:
    """The admin's password as a scrypt hash; the plain text is never kept."""

    def __init__(self, n: int, r: int, p: int, salt: bytes, digest: bytes) -> None:
        self._cost = (n, r, p)
        self._salt = salt
        self._digest = digest

    @classmethod
    def from_env(cls, value: str) -> AdminPassword:
        """A pre-hashed value ("scrypt:..."), or a plain password, hashed here at once."""
        if value.startswith("scrypt:"):
            try:
                _, n, r, p, salt_text, digest_text = value.split(":")
                cost, salt, digest = (int(n), int(r), int(p)), _unb64(salt_text), _unb64(digest_text)
                if not (2**10 <= cost[0] <= 2**20 and cost[1] <= 32 and cost[2] <= 16 and len(digest) == 32):
                    raise ValueError("not the cost or length brief serve makes")
            except ValueError:
                raise ConfigError(
                    f"{PASSWORD_ENV} starts with scrypt: but is not a hash made by "
                    "`brief serve --hash-password`",
                    hint="make it again with `brief serve --hash-password`",
                ) from None
            _check_memory(*cost)
            try:  # once now, with its cost: a cost scrypt refuses (n not a power of 2, r or p
                _scrypt("", salt, *cost)  # under 1) is said at start, not at every login as a 500
            except (ValueError, OverflowError, TypeError) as exc:
                raise ConfigError(
                    f"{PASSWORD_ENV} is a scrypt hash of a cost scrypt refuses ({exc})",
                    hint="make it again with `brief serve --hash-password`",
                ) from None
            return cls(*cost, salt, digest)
        if len(value) < MIN_PASSWORD:
            raise ConfigError(
                f"{PASSWORD_ENV} is {len(value)} characters, fewer than {MIN_PASSWORD}",
                hint=f"choose a longer one, e.g. `{MAKE_SECRET}`, or leave it unset for a read-only app",
            )
        salt = secrets.token_bytes(16)
        return cls(SCRYPT_N, SCRYPT_R, SCRYPT_P, salt, _scrypt(value, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))

    def verify(self, attempt: str) -> bool:
        """Whether `attempt` is the password, compared in constant time."""
        n, r, p = self._cost
        return hmac.compare_digest(_scrypt(attempt, self._salt, n, r, p), self._digest)


class AdminSessions:
    """The admin's logins, in memory: an id per login, valid for `lifetime` from the login or
    until logout. A restart logs everyone out; a copied cookie dies with its login."""

    def __init__(self, clock: Callable[[], datetime], lifetime: timedelta = timedelta(hours=12)) -> None:
        self._clock = clock
        self._lifetime = lifetime
        self._until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._until = {k: v for k, v in self._until.items() if v > now}
            self._until[sid] = now + self._lifetime
        return sid

    def valid(self, sid: object) -> bool:
        if not isinstance(sid, str):
            return False
        with self._lock:
            until = self._until.get(sid)
        return until is not None and until > self._clock()

    def close(self, sid: object) -> None:
        if isinstance(sid, str):
            with self._lock:
                self._until.pop(sid, None)


class KnownBrowser:
    """A browser the admin logged in from before: a signed cookie given at each login, good for
    `lifetime`. While wrong passwords from everywhere pause logging in, such a browser may
    still log in (with the password, as ever), so a stranger's guesses cannot lock the admin out."""

    def __init__(self, secret: bytes, lifetime: timedelta = timedelta(days=90)) -> None:
        self._key = derived_key(secret, "known browser").encode()
        self.lifetime = lifetime

    def make(self, now: datetime) -> str:
        issued = str(int(now.timestamp()))
        return f"{issued}.{self._mac(issued)}"

    def valid(self, value: object, now: datetime) -> bool:
        if not isinstance(value, str) or value.count(".") != 1:
            return False
        issued, mac = value.split(".")
        if not issued.isdigit() or not hmac.compare_digest(mac, self._mac(issued)):
            return False
        return 0 <= now.timestamp() - int(issued) < self.lifetime.total_seconds()

    def _mac(self, issued: str) -> str:
        return _b64(hmac.new(self._key, issued.encode(), hashlib.sha256).digest())


class SlidingWindow:
    """At most `limit` events per key in any `seconds`; at most `keys` keys remembered (the
    oldest forgotten first), so a flood of addresses cannot fill the memory."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], datetime], keys: int = 10_000) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._keys = keys
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float:
        """Count one event for `key`: 0 when it is allowed, else the seconds until one is."""
        return self._event(key, count=True)

    def wait(self, key: str) -> float:
        """The seconds until an event for `key` is allowed (0: now), counting nothing."""
        return self._event(key, count=False)

    def _event(self, key: str, *, count: bool) -> float:
        now = self._clock().timestamp()
        with self._lock:
            times = self._seen.pop(key, None) or deque()
            while times and times[0] <= now - self.seconds:
                times.popleft()
            self._seen[key] = times  # the key is now the newest
            if len(times) >= self.limit:
                return max(times[0] + self.seconds - now, 1.0)
            if count:
                times.append(now)
            while len(self._seen) > self._keys:
                del self._seen[next(iter(self._seen))]
            return 0.0


def client_key(host: str) -> str:
    """What the rate limits count a client by: an IPv4 address as it is, an IPv6 one by its
    /64 (one home or one server is given a /64 and may take any address in it: counted per
    address, it would have 2**64 tries); anything else (no address) as it is."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def safe_next(target: str | None, default: str = "/status") -> str:
    """Where a `next=` may send the browser: a path of this site, nothing else (no scheme, no
    host, no `//host`, no backslash some browsers read as a slash, no control character)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def derived_key(secret: bytes, purpose: str) -> str:
    """A key for one purpose (the session cookie), so no two uses share the secret itself."""
    return hmac.new(secret, f"dailybrief {purpose}".encode(), hashlib.sha256).hexdigest()


def scrypt_memory(n: int, r: int, p: int) -> int:
    """The bytes OpenSSL's scrypt needs for this cost (its own bound, `128·r·(n + p + 2)`): more
    than `maxmem` and it raises ValueError instead of hashing."""
    return 128 * r * (n + p + 2)


def _check_memory(n: int, r: int, p: int) -> None:
    """ConfigError when a hash of this cost could never be checked: refused at start, not with
    a 500 at every login."""
    need = scrypt_memory(n, r, p)
    if need > SCRYPT_MAXMEM:
        raise ConfigError(
            f"{PASSWORD_ENV} is a scrypt hash of cost n={n}, r={r}, p={p}: checking a login against "
            f"it needs {need / 2**20:.0f} MiB, more than the {SCRYPT_MAXMEM // 2**20} MiB brief serve "
            "gives one",
            hint=f"make it again with `brief serve --hash-password` (n={SCRYPT_N}, r={SCRYPT_R}, "
            f"p={SCRYPT_P}: {scrypt_memory(SCRYPT_N, SCRYPT_R, SCRYPT_P) / 2**20:.0f} MiB a login)",
        )


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
