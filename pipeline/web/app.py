"""`create_app`: the web app of `brief serve`, a Starlette app over one config.

Each page is a route module listed in ROUTE_MODULES: it exports `ROUTES` (Starlette routes: the
pages of a brief), may export `FILE_ROUTES` (the pages of the whole sources.yaml: the login, the
feeds) and `NAV` (links of every page's header). Adding a page is a module and one line here.
The archive answers every path none of them took, so it comes last.

With editions (read at start: adding the first or removing the last takes a restart), the
pages of a brief are each edition's, under `/e/<id>` (`editions.EditionPages`), and the top
has the file's pages and the list of editions (`editions.ROUTES`).

Around every request, outermost first: the security headers, the bound on the body, the
signed session cookie (HttpOnly, SameSite=Lax, Secure when `web.public_url` is https).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from pipeline.config import Config, SmtpSettings
from pipeline.publish.tokens import EDITION_PREFIX
from pipeline.web import archive, editions
from pipeline.web.context import NavItem, WebContext
from pipeline.web.guards import AdminSessions, KnownBrowser, SlidingWindow, derived_key, secrets_from_env
from pipeline.web.middleware import MAX_BODY, BodyLimit, SecurityHeaders
from pipeline.web.runner import RunNow
from pipeline.web.security import plain_error, render

log = logging.getLogger(__name__)

ROUTE_MODULES = (
    "pipeline.web.status",
    "pipeline.web.login",
    "pipeline.web.runs",
    "pipeline.web.subscribers",
    "pipeline.web.public",
    "pipeline.web.sources",
)

SESSION_HOURS = 12  # the session cookie's life; an admin login also ends then (AdminSessions)
LOGIN_LIMIT = (10, 15 * 60)  # tries per client address (an IPv6 one: its /64) per 15 minutes
# wrong passwords from all addresses together per 15 minutes, then no login until the window
# has room again: many addresses each under LOGIN_LIMIT are one guessing attack
FAILED_LOGIN_BUDGET = (100, 15 * 60)
SUBSCRIBE_LIMIT = (5, 60 * 60)  # subscribe forms sent per client address per hour


def create_app(
    config: Config,
    *,
    smtp: SmtpSettings | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    env: Mapping[str, str] = os.environ,
    max_body: int = MAX_BODY,
) -> Starlette:
    """The app over `config`. Raises ConfigError without BRIEF_SECRET (or with a weak one);
    without BRIEF_ADMIN_PASSWORD it is read-only: the archive, the status and subscribing."""
    found = secrets_from_env(env)
    if found.admin is None:
        log.warning("BRIEF_ADMIN_PASSWORD is not set: the web app is read-only (no login, no Run now)")
    modules = [importlib.import_module(name) for name in ROUTE_MODULES]
    brief: list[BaseRoute] = [*archive.ROUTES]
    whole: list[BaseRoute] = []
    nav: list[NavItem] = []
    for module in modules:
        brief += module.ROUTES
        whole += getattr(module, "FILE_ROUTES", [])
        nav += getattr(module, "NAV", [])
    if config.several:
        pages = editions.EditionPages([*brief, *archive.CATCH_ALL])
        routes = [
            *whole,
            *editions.ROUTES,
            Mount(EDITION_PREFIX + "{edition}", app=pages),
            *editions.CATCH_ALL,
        ]
    else:
        routes = [*whole, *brief, *archive.CATCH_ALL]
    secure = config.web_url.startswith("https://")
    middleware = [
        Middleware(SecurityHeaders),
        *_known_hosts(config),
        Middleware(BodyLimit, limit=max_body),
        Middleware(
            SessionMiddleware,
            secret_key=derived_key(found.secret, "session cookie"),
            session_cookie="__Host-brief" if secure else "brief",
            max_age=SESSION_HOURS * 3600,
            same_site="lax",
            https_only=secure,
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _error_page},
    )
    app.state.web = WebContext(
        config=config,
        smtp=smtp,
        clock=clock,
        secret=found.secret,
        admin=found.admin,
        sessions=AdminSessions(clock),
        login_limit=SlidingWindow(*LOGIN_LIMIT, clock=clock),
        failed_logins=SlidingWindow(*FAILED_LOGIN_BUDGET, clock=clock, keys=1),
        known=KnownBrowser(found.secret),
        subscribe_limit=SlidingWindow(*SUBSCRIBE_LIMIT, clock=clock),
        runs=RunNow(config, smtp, clock),
        nav=tuple(nav),
    )
    return app


def _known_hosts(config: Config) -> list[Middleware]:
    """With a public address, a request naming another host is refused (400): a rebound DNS
    name cannot reach the app through a reader's browser."""
    if not config.web_url:
        return []
    public = urlsplit(config.web_url).hostname or ""
    return [
        Middleware(
            TrustedHostMiddleware, allowed_hosts=[public, config.web_host, "127.0.0.1", "localhost", "::1"]
        )
    ]


_TITLES = {
    400: "That did not work",
    401: "Log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Busy",
    413: "Too large",
    429: "Too many requests",
}


async def _error_page(request: Request, exc: Any) -> Response:
    status, detail = int(exc.status_code), str(exc.detail)
    headers = dict(exc.headers or {})
    if status == 405 or detail in ("Method Not Allowed", "Not Found"):
        detail = {405: "This page does not take that kind of request.", 404: "There is no such page."}.get(
            status, detail
        )
    try:
        return await render(
            request,
            "web/error.html",
            status_code=status,
            headers=headers,
            page_title=_TITLES.get(status, "Error"),
            message=detail,
        )
    except Exception:  # an error page must not fail: a broken template or state says it plainly
        log.exception("the error page failed")
        return plain_error(status, detail)
