"""The public pages of subscribing: the subscribe form, the confirm page of the mailed link,
and the unsubscribe page (pipeline/publish/subscriptions.py decides what each does).

A link's GET only shows a button: a mail scanner that opens every link changes nothing. The
button's form carries the session's CSRF token like every other; the one POST that does not is
RFC 8058's one-click unsubscribe (body `List-Unsubscribe=One-Click`), which a mail provider
sends from its own servers: the signed token in the link is its authority. Token pages send no
Referer onwards and are never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipeline.config import Config, SmtpSettings
from pipeline.errors import DeliveryError
from pipeline.publish.subscriptions import (
    CONFIRM_PATH,
    SUBSCRIBE_PATH,
    UNSUBSCRIBE_PATH,
    SubscriptionsBusy,
    SubscriptionsClosed,
    TokenError,
    confirm_subscription,
    request_subscription,
    unsubscribe,
)
from pipeline.publish.tokens import read_token
from pipeline.store import Store
from pipeline.web.security import check_csrf, checked_form, rate_limit, render, web_context

TokenAction = Callable[[Store, bytes, str, datetime], str]
TOKEN_PAGE = {"referrer-policy": "no-referrer", "cache-control": "no-store"}
ONE_CLICK = "One-Click"


async def subscribe_page(request: Request) -> Response:
    web = web_context(request)
    return await render(
        request,
        "web/subscribe.html",
        page_title="Subscribe",
        closed=_closed(web.config, web.smtp),
        error="",
        form={"address": "", "name": ""},
    )


async def subscribe(request: Request) -> Response:
    web = web_context(request)
    rate_limit(request, web.subscribe_limit, "subscribe requests")
    form = await checked_form(request)
    address, name = str(form.get("address", "")), str(form.get("name", ""))
    try:
        await run_in_threadpool(_request, web.config, web.smtp, web.secret, address, name, web.clock())
    except ValueError as exc:
        return await render(
            request,
            "web/subscribe.html",
            status_code=400,
            page_title="Subscribe",
            closed="",
            error=str(exc),
            form={"address": address[:254], "name": name[:100]},
        )
    except SubscriptionsBusy:
        return await render(
            request,
            "web/subscribe.html",
            status_code=503,
            headers={"retry-after": "3600"},
            page_title="Subscribe",
            closed="",
            error="So many people asked to subscribe in the last hour that subscribing is paused. "
            "Please try again in an hour.",
            form={"address": address[:254], "name": name[:100]},
        )
    except SubscriptionsClosed as exc:
        return await render(
            request,
            "web/subscribe.html",
            status_code=503,
            page_title="Subscribe",
            closed=str(exc),
            error="",
            form={"address": "", "name": ""},
        )
    except DeliveryError:
        return await render(
            request,
            "web/subscribe.html",
            status_code=503,
            page_title="Subscribe",
            closed="",
            error="The confirmation mail could not be sent just now. Please try again in a few minutes.",
            form={"address": address[:254], "name": name[:100]},
        )
    return await render(request, "web/subscribed.html", page_title="Check your inbox")


async def confirm_page(request: Request) -> Response:
    web = web_context(request)
    token = request.query_params.get("token", "")
    try:
        address, _ = read_token(web.secret, token, "confirm", web.clock())
    except TokenError as exc:
        return await _token_refused(request, "Confirm your subscription", exc)
    return await render(
        request,
        "web/confirm.html",
        headers=TOKEN_PAGE,
        page_title="Confirm your subscription",
        address=address,
        token=token,
        done=False,
    )


async def confirm(request: Request) -> Response:
    web = web_context(request)
    form = await checked_form(request)
    token = str(form.get("token", ""))
    try:
        address = await run_in_threadpool(
            _with_store, web.config, confirm_subscription, web.secret, token, web.clock()
        )
    except TokenError as exc:
        return await _token_refused(request, "Confirm your subscription", exc)
    return await render(
        request,
        "web/confirm.html",
        headers=TOKEN_PAGE,
        page_title="You are subscribed",
        address=address,
        token="",
        done=True,
    )


async def unsubscribe_page(request: Request) -> Response:
    web = web_context(request)
    token = request.query_params.get("token", "")
    try:
        address, _ = read_token(web.secret, token, "unsubscribe", web.clock())
    except TokenError as exc:
        return await _token_refused(request, "Unsubscribe", exc)
    return await render(
        request,
        "web/unsubscribe.html",
        headers=TOKEN_PAGE,
        page_title="Unsubscribe",
        address=address,
        token=token,
        done=False,
    )


async def unsubscribe_post(request: Request) -> Response:
    web = web_context(request)
    form = await request.form()
    if form.get("List-Unsubscribe") != ONE_CLICK:
        check_csrf(request, form)  # the page's button; the one-click POST is the token's alone
    token = str(form.get("token") or request.query_params.get("token", ""))
    try:
        address = await run_in_threadpool(
            _with_store, web.config, unsubscribe, web.secret, token, web.clock()
        )
    except TokenError as exc:
        return await _token_refused(request, "Unsubscribe", exc)
    return await render(
        request,
        "web/unsubscribe.html",
        headers=TOKEN_PAGE,
        page_title="You are unsubscribed",
        address=address,
        token="",
        done=True,
    )


async def _token_refused(request: Request, title: str, exc: TokenError) -> Response:
    return await render(
        request,
        "web/token_refused.html",
        status_code=400,
        headers=TOKEN_PAGE,
        page_title=title,
        message=str(exc),
        reason=exc.reason,
    )


def _closed(config: Config, smtp: SmtpSettings | None) -> str:
    """Why this server cannot take subscriptions ("" when it can)."""
    if not config.web_url:
        return "web.public_url is not set in sources.yaml"
    if smtp is None:
        return "no SMTP server is configured (BRIEF_SMTP_HOST)"
    return ""


def _request(
    config: Config, smtp: SmtpSettings | None, secret: bytes, address: str, name: str, now: datetime
) -> None:
    store = Store(config.state_dir, config.database)
    try:
        request_subscription(config, store, secret, address, name, now, smtp)
    finally:
        store.close()


def _with_store(config: Config, action: TokenAction, secret: bytes, token: str, now: datetime) -> str:
    store = Store(config.state_dir, config.database)
    try:
        return action(store, secret, token, now)
    finally:
        store.close()


ROUTES: list[BaseRoute] = [
    Route(SUBSCRIBE_PATH, subscribe_page, methods=["GET", "HEAD"]),
    Route(SUBSCRIBE_PATH, subscribe, methods=["POST"]),
    Route(CONFIRM_PATH, confirm_page, methods=["GET", "HEAD"]),
    Route(CONFIRM_PATH, confirm, methods=["POST"]),
    Route(UNSUBSCRIBE_PATH, unsubscribe_page, methods=["GET", "HEAD"]),
    Route(UNSUBSCRIBE_PATH, unsubscribe_post, methods=["POST"]),
]
