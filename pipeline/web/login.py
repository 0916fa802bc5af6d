"""The admin's login and logout: the password from BRIEF_ADMIN_PASSWORD, rate-limited per
client address (an IPv6 one by its /64) and by a budget of wrong passwords for all addresses
together, which a browser the admin logged in from before passes (`guards.KnownBrowser`);
`next=` only ever leads to a page of this site."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.web.security import (
    checked_form,
    is_admin,
    log_in,
    log_out,
    rate_limit,
    render,
    safe_next,
    too_many,
    web_context,
)

ALL = "every address"  # the failed-login budget's one key


async def login_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if is_admin(request):
        return RedirectResponse(target, status_code=303)
    return await render(request, "web/login.html", page_title="Log in", next=target, failed=False)


def known_cookie(secure: bool) -> str:
    """The cookie of a browser the admin logged in from (`guards.KnownBrowser`)."""
    return "__Host-brief-known" if secure else "brief-known"


async def login(request: Request) -> Response:
    web = web_context(request)
    rate_limit(request, web.login_limit, "login attempts")
    secure = web.config.web_url.startswith("https://")
    known = web.known.valid(request.cookies.get(known_cookie(secure)), web.clock())
    paused = 0.0 if known else web.failed_logins.wait(ALL)
    if paused:
        raise too_many(
            f"Logging in is paused: {web.failed_logins.limit} wrong passwords were tried in the last "
            f"{web.failed_logins.seconds / 60:.0f} minutes, from all addresses together.",
            paused,
        )
    form = await checked_form(request)
    target = safe_next(str(form.get("next", "")))
    password = form.get("password")
    ok = (
        web.admin is not None
        and isinstance(password, str)
        and await run_in_threadpool(web.admin.verify, password)
    )
    if not ok:
        web.failed_logins.hit(ALL)
        return await render(
            request, "web/login.html", status_code=401, page_title="Log in", next=target, failed=True
        )
    log_in(request)
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(
        known_cookie(secure),
        web.known.make(web.clock()),
        max_age=int(web.known.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    return answer


async def logout(request: Request) -> Response:
    await checked_form(request)
    log_out(request)
    return RedirectResponse("/", status_code=303)


ROUTES: list[BaseRoute] = []
FILE_ROUTES: list[BaseRoute] = [  # one admin for the whole file: at the top with editions too
    Route("/login", login_page, methods=["GET", "HEAD"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
