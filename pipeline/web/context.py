"""What every request of the web app can reach: the config, the clock, the mailer, the secrets,
the admin's sessions, the rate limits and the background run. One per app (`create_app`), never
at module level, so two apps in one test never share a session or a limit."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.errors import ConfigError
from pipeline.web.guards import AdminPassword, AdminSessions, KnownBrowser, SlidingWindow
from pipeline.web.runner import RunNow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    """A link of every page's header; `admin` ones are shown to the admin only."""

    label: str
    path: str
    admin: bool = False


@dataclass
class WebContext:
    config: Config
    smtp: SmtpSettings | None
    clock: Callable[[], datetime]
    secret: bytes  # BRIEF_SECRET: signs the session cookie (a key derived from it) and the mail tokens
    admin: AdminPassword | None  # None: no BRIEF_ADMIN_PASSWORD, the app is read-only
    sessions: AdminSessions
    login_limit: SlidingWindow
    failed_logins: SlidingWindow  # one key: every wrong password, from every address together
    known: KnownBrowser  # browsers the admin logged in from: they pass the failed-login pause
    subscribe_limit: SlidingWindow
    runs: RunNow
    nav: tuple[NavItem, ...]
    _stamp: int | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._stamp = _stamp(self.config)

    def refresh(self) -> None:
        """Read sources.yaml again when it changed on disk (by a page of the app, or by hand), so
        the pages and Run now use what it says now. A file that no longer validates leaves the
        config as it was, and is logged: a typo must not take the site down."""
        stamp = _stamp(self.config)
        if stamp is None or stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                config = load_config(self.config.path)
            except ConfigError as exc:
                log.warning(
                    "sources.yaml changed but does not validate, keeping the config before it: %s", exc
                )
                return
            self.config = config
            self.runs.config = config


def web_context(request: Request) -> WebContext:
    """The app's context, from any request (its config as sources.yaml says now)."""
    found: WebContext = request.app.state.web
    found.refresh()
    return found


def _stamp(config: Config) -> int | None:
    try:
        return config.path.stat().st_mtime_ns
    except OSError:
        return None
