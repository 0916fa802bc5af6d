"""What every page of the web app goes through: the admin's login, the CSRF token of every
form, the rate limits, and rendering a page with the base context. A route module needs
nothing else:

    from pipeline.web.security import checked_form, render, require_admin, web_context

    @require_admin
    async def mute(request: Request) -> Response:
        form = await checked_form(request)  # 403 unless the form carries this session's token
        ...                                 # blocking work: `await run_in_threadpool(f, ...)`
        return RedirectResponse("/threads", status_code=303)

    ROUTES = [Route("/threads/mute", mute, methods=["POST"])]
    NAV = [NavItem("Threads", "/threads", admin=True)]

`web_context(request).config` is sources.yaml as it is now: a page that writes the file (or a
hand edit) is seen by the next request, and by Run now.

Templates get `csrf_field` (the hidden input to put in every form), `is_admin`, `live` (the
pipeline's live line), `nav`, `title`, `schedule` and `base`, what the page's own links start
with ("", or on an edition's pages its prefix "/e/<id>"); every value is autoescaped.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from pipeline.config import Config
from pipeline.publish.render import make_environments
from pipeline.publish.tokens import edition_path
from pipeline.web.context import NavItem, WebContext, web_context
from pipeline.web.guards import SlidingWindow, client_key, safe_next
from pipeline.web.live import live_line

__all__ = [
    "CSRF_FIELD",
    "NavItem",
    "WebContext",
    "check_csrf",
    "checked_form",
    "client_address",
    "csrf_field",
    "csrf_token",
    "is_admin",
    "log_in",
    "log_out",
    "page_context",
    "rate_limit",
    "render",
    "require_admin",
    "safe_next",
    "too_many",
    "web_context",
]

CSRF_FIELD = "csrf"
CSRF_FAILED = (
    "This form has expired or did not come from this site. Go back, reload the page and send it again."
)

Endpoint = Callable[[Request], Awaitable[Response]]


def is_admin(request: Request) -> bool:
    """Whether the request comes from the admin's live login."""
    return web_context(request).sessions.valid(request.session.get("sid"))


def require_admin(endpoint: Endpoint) -> Endpoint:
    """Only for the admin: a page asked for without a login goes to the login page (and back
    after it); anything else (a POST) is refused with 403 and changes nothing."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if not is_admin(request):
            if request.method in ("GET", "HEAD"):
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
            raise HTTPException(403, "Log in as the admin first: this needs the admin's login.")
        return await endpoint(request)

    return guarded


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use: every form of the session carries it)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def csrf_field(request: Request) -> Markup:
    """The hidden input every form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


def check_csrf(request: Request, form: FormData) -> None:
    """403 unless the form carries this session's token and, when the browser says where the
    request comes from (Origin), it comes from this site. The token decides: the Origin is a
    second lock for the browsers that send it."""
    origin = request.headers.get("origin")
    # "null": what a browser sends from a page with Referrer-Policy: no-referrer (a token page)
    if origin is not None and origin != "null" and origin not in _own_origins(request):
        raise HTTPException(403, CSRF_FAILED)
    sent = form.get(CSRF_FIELD)
    kept = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(kept, str) or not hmac.compare_digest(sent, kept):
        raise HTTPException(403, CSRF_FAILED)


async def checked_form(request: Request) -> FormData:
    """The form of a POST, its CSRF token checked (403 otherwise)."""
    form = await request.form()
    check_csrf(request, form)
    return form


def client_address(request: Request) -> str:
    """The client's address (behind a proxy, the one uvicorn's proxy headers give)."""
    return request.client.host if request.client else "unknown"


def rate_limit(request: Request, window: SlidingWindow, what: str) -> None:
    """429, with Retry-After, when this client (an IPv6 one: its /64) has done `what` too often."""
    wait = window.hit(client_key(client_address(request)))
    if wait:
        raise too_many(f"Too many {what} from your address.", wait)


def too_many(said: str, wait: float) -> HTTPException:
    """The 429 that says `said` and when to try again (Retry-After too)."""
    minutes = max(1, round(wait / 60))
    return HTTPException(
        429,
        f"{said} Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
        headers={"Retry-After": str(int(wait))},
    )


def log_in(request: Request) -> None:
    """Make this session the admin's: a new login id and a new CSRF token (a session id or
    token seen before the login is worth nothing after it)."""
    sessions = web_context(request).sessions
    sessions.close(request.session.get("sid"))
    request.session.clear()
    request.session["sid"] = sessions.open()
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    web_context(request).sessions.close(request.session.get("sid"))
    request.session.clear()


def page_context(request: Request) -> dict[str, Any]:
    """What every template gets (call it from a worker thread: it reads the state database)."""
    web = web_context(request)
    admin = is_admin(request)
    several = bool(web.base) or web.config.several
    shown = (n.shown(several, web.base) for n in web.nav if admin or not n.admin)
    return {
        "root": web.base + "/",
        "feeds": _atom_feeds(web.config, web.base),
        "base": web.base,  # what the pages' own links start with: "" or an edition's "/e/<id>"
        "several": several,  # the file has editions: the pages link the list of them
        "title": web.config.title,
        "schedule": " and ".join(f"{t:%H:%M}" for t in web.config.schedule),
        "live": live_line(web.config, web.clock()),
        "is_admin": admin,
        "admin_enabled": web.admin is not None,
        "nav": [n for n in shown if n is not None],
        "path": request.url.path,
        "csrf_field": csrf_field(request),
    }


def _atom_feeds(config: Config, base: str) -> list[tuple[str, str]]:
    """The Atom feeds a page points feed readers to: its brief's, or, on the top pages of a
    file with editions (which have no brief of their own), every edition's."""
    if base or not config.several:
        return [("All briefs (Atom)", f"{base}/feed.xml")]
    return [(f"{e.title} (Atom)", f"{edition_path(e)}/feed.xml") for e in config.editions]


async def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page of `templates/` (autoescaped) with the base context and `context`."""
    web = web_context(request)

    def build() -> str:
        html, _ = make_environments(web.config.templates_dir)
        return html.get_template(template).render({**page_context(request), **context})

    body = await run_in_threadpool(build)
    return HTMLResponse(body, status_code=status_code, headers=dict(headers or {}))


def plain_error(status_code: int, message: str) -> HTMLResponse:
    """An error page that needs no template (a template that fails must not hide the error)."""
    text = escape(message)
    return HTMLResponse(
        f"<!DOCTYPE html><html lang=en><meta charset=utf-8><title>{status_code}</title><p>{text}</p></html>",
        status_code=status_code,
    )


def _own_origins(request: Request) -> set[str]:
    own = {f"{request.url.scheme}://{request.url.netloc}"}
    public = web_context(request).config.web_url
    if public:
        parts = urlsplit(public)
        own.add(f"{parts.scheme}://{parts.netloc}")
    return own
