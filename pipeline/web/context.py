"""What every request of the web app can reach: the config, the clock, the mailer, the secrets,
the admin's sessions, the rate limits and the background run. One per app (`create_app`), never
at module level, so two apps in one test never share a session or a limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from starlette.requests import Request

from pipeline.config import Config, SmtpSettings
from pipeline.web.guards import AdminPassword, AdminSessions, SlidingWindow
from pipeline.web.runner import RunNow


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
    subscribe_limit: SlidingWindow
    runs: RunNow
    nav: tuple[NavItem, ...]


def web_context(request: Request) -> WebContext:
    """The app's context, from any request."""
    found: WebContext = request.app.state.web
    return found
