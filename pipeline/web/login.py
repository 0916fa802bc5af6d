"""The admin's login and logout: the password from BRIEF_ADMIN_PASSWORD, rate-limited per
client address; `next=` only ever leads to a page of this site."""

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
    web_context,
)


async def login_page(request: Request) -> Response:
    target = safe_next(request.query_params.get("next"))
    if is_admin(request):
        return RedirectResponse(target, status_code=303)
    return await render(request, "web/login.html", page_title="Log in", next=target, failed=False)


async def login(request: Request) -> Response:
    web = web_context(request)
    rate_limit(request, web.login_limit, "login attempts")
    form = await checked_form(request)
    target = safe_next(str(form.get("next", "")))
    password = form.get("password")
    ok = (
        web.admin is not None
        and isinstance(password, str)
        and await run_in_threadpool(web.admin.verify, password)
    )
    if not ok:
        return await render(
            request, "web/login.html", status_code=401, page_title="Log in", next=target, failed=True
        )
    log_in(request)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    await checked_form(request)
    log_out(request)
    return RedirectResponse("/", status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/login", login_page, methods=["GET", "HEAD"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
