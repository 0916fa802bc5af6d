"""What every request of the web app can reach: the config, the clock, the mailer, the secrets,
the admin's sessions, the rate limits and the background run. One per app (`create_app`), never
at module level, so two apps in one test never share a session or a limit.

With editions, a request for an edition's pages (`/e/<id>/...`) gets that edition's context:
its Config and the prefix of its pages, the rest the app's. It is resolved once, where the
request enters the edition's pages (`app.EditionPages`), so every page reads it alike."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from starlette.requests import Request

from pipeline.config import Config, SmtpSettings, load_config
from pipeline.errors import ConfigError
from pipeline.publish.tokens import edition_path
from pipeline.web.guards import AdminPassword, AdminSessions, KnownBrowser, SlidingWindow
from pipeline.web.runner import RunNow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    """A link of every page's header; `admin` ones are shown to the admin only."""

    label: str
    path: str
    admin: bool = False
    # with editions, where the page is: "brief", each edition's (under its prefix); "file", the
    # whole sources.yaml's (its feeds), at the top; "both", each edition's and the top's for all
    of: Literal["brief", "file", "both"] = "brief"

    def shown(self, several: bool, base: str) -> NavItem | None:
        """The link as a page shows it: without editions as it is; with them under the edition's
        prefix on its pages (None where the page is not)."""
        if not several:
            return self
        if not base:
            return self if self.of != "brief" else None
        return self if self.of == "file" else replace(self, path=base + self.path)


@dataclass
class WebContext:
    config: Config  # the brief the request is about: the file's, or on an edition's pages the edition's
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
    base: str = ""  # the prefix of the pages of `config`: "" or an edition's "/e/<id>"
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

    def for_edition(self, edition_id: str) -> WebContext | None:
        """The context of one edition's pages, sharing the app's sessions, limits and runs;
        None when sources.yaml has no such edition."""
        found = next((e for e in self.config.editions if e.edition == edition_id), None)
        return replace(self, config=found, base=edition_path(found)) if found else None


def web_context(request: Request) -> WebContext:
    """The request's context (its config as sources.yaml says now): an edition's on its pages."""
    scoped: WebContext | None = getattr(request.state, "web", None)
    if scoped is not None:
        return scoped
    found: WebContext = request.app.state.web
    found.refresh()
    return found


def _stamp(config: Config) -> int | None:
    try:
        return config.path.stat().st_mtime_ns
    except OSError:
        return None
