"""The public pages of subscribing: the subscribe form, the confirm page of the mailed link,
and the unsubscribe page (pipeline/publish/subscriptions.py decides what each does).

A link's GET only shows a button: a mail scanner that opens every link changes nothing. The
button's form carries the session's CSRF token like every other; the one POST that does not is
RFC 8058's one-click unsubscribe (body `List-Unsubscribe=One-Click`), which a mail provider
sends from its own servers: the signed token in the link is its authority. Token pages send no
Referer onwards and are never cached.

The form asks for an address and nothing else: no name. Whoever fills it in is anyone until
the owner confirms, the owner confirms without seeing what was typed (the mail never carries
it), and a subscriber's name goes in the To: of every brief they get: a stranger could name
someone else's address, pending or departed, and have the owner's own confirmation put that
name in front of them. A name given here is ignored; names are the admin's to give
(`delivery.to`, `brief subscribers add --name`, the subscribers page).

With editions, each edition has these pages under its prefix (`/e/<id>/subscribe`, ...) and
its mails link to them (`tokens.page_url`): they act on its subscribers alone, so the
unsubscribe link of one edition's brief never touches another's list. At the top, a link made
before editions had their own pages names none: it acts in every edition that knows its address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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
from pipeline.publish.tokens import Purpose, read_token, signed_for
from pipeline.store import Store
from pipeline.web.security import check_csrf, checked_form, rate_limit, render, web_context


class TokenAction(Protocol):
    """What a link's POST does with its token, in the list of `edition`; returns the address."""

    def __call__(
        self, store: Store, secret: bytes, token: str, now: datetime, *, edition: str = ""
    ) -> str: ...


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
        address="",
    )


async def subscribe(request: Request) -> Response:
    web = web_context(request)
    rate_limit(request, web.subscribe_limit, "subscribe requests")
    form = await checked_form(request)
    address = str(form.get("address", ""))
    try:
        await run_in_threadpool(_request, web.config, web.smtp, web.secret, address, web.clock())
    except ValueError as exc:
        return await render(
            request,
            "web/subscribe.html",
            status_code=400,
            page_title="Subscribe",
            closed="",
            error=str(exc),
            address=address[:254],
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
            address=address[:254],
        )
    except SubscriptionsClosed as exc:
        return await render(
            request,
            "web/subscribe.html",
            status_code=503,
            page_title="Subscribe",
            closed=str(exc),
            error="",
            address="",
        )
    except DeliveryError:
        return await render(
            request,
            "web/subscribe.html",
            status_code=503,
            page_title="Subscribe",
            closed="",
            error="The confirmation mail could not be sent just now. Please try again in a few minutes.",
            address=address[:254],
        )
    return await render(request, "web/subscribed.html", page_title="Check your inbox")


@dataclass(frozen=True)
class _LinkPage:
    """A page a mailed link opens: it shows a button (opening the link alone changes nothing,
    so a mail scanner cannot act), and the button's POST acts on the link's token."""

    purpose: Purpose
    template: str
    asking: str  # the page's title before the button is pressed
    done: str  # and after
    act: TokenAction  # what the token's POST does; returns the address it acted on


_CONFIRM = _LinkPage(
    "confirm", "web/confirm.html", "Confirm your subscription", "You are subscribed", confirm_subscription
)
_UNSUBSCRIBE = _LinkPage(
    "unsubscribe", "web/unsubscribe.html", "Unsubscribe", "You are unsubscribed", unsubscribe
)


async def confirm_page(request: Request) -> Response:
    return await _link_shown(request, _CONFIRM)


async def confirm(request: Request) -> Response:
    form = await checked_form(request)
    return await _link_used(request, _CONFIRM, str(form.get("token", "")))


async def unsubscribe_page(request: Request) -> Response:
    return await _link_shown(request, _UNSUBSCRIBE)


async def unsubscribe_post(request: Request) -> Response:
    form = await request.form()
    if form.get("List-Unsubscribe") != ONE_CLICK:
        check_csrf(request, form)  # the page's button; the one-click POST is the token's alone
    return await _link_used(
        request, _UNSUBSCRIBE, str(form.get("token") or request.query_params.get("token", ""))
    )


async def _link_shown(request: Request, page: _LinkPage) -> Response:
    web = web_context(request)
    token = request.query_params.get("token", "")
    try:
        signer = _signer(web.config, web.secret, token)
        address, _ = read_token(web.secret, token, page.purpose, web.clock(), edition=signer)
    except TokenError as exc:
        return await _token_refused(request, page.asking, exc)
    return await _link_page(request, page, address, token)


async def _link_used(request: Request, page: _LinkPage, token: str) -> Response:
    web = web_context(request)
    try:
        address = await run_in_threadpool(_with_store, web.config, page, web.secret, token, web.clock())
    except TokenError as exc:
        return await _token_refused(request, page.asking, exc)
    return await _link_page(request, page, address, "")


async def _link_page(request: Request, page: _LinkPage, address: str, token: str) -> Response:
    """The page with its button (`token` given) or saying it is done (no token)."""
    return await render(
        request,
        page.template,
        headers=TOKEN_PAGE,
        page_title=page.asking if token else page.done,
        address=address,
        token=token,
        done=not token,
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


def _signer(config: Config, secret: bytes, token: str) -> str:
    """The edition whose key a token is read with: on an edition's pages its own; at the top of
    a file with editions, the one it was signed for ("": none, a token of before their keys)."""
    return (
        signed_for(secret, token, [e.edition for e in config.editions]) if config.several else config.edition
    )


def _closed(config: Config, smtp: SmtpSettings | None) -> str:
    """Why this server cannot take subscriptions ("" when it can)."""
    if not config.web_url:
        return "web.public_url is not set in sources.yaml"
    if smtp is None:
        return "no SMTP server is configured (BRIEF_SMTP_HOST)"
    return ""


def _request(config: Config, smtp: SmtpSettings | None, secret: bytes, address: str, now: datetime) -> None:
    store = Store(config.state_dir, config.database)
    try:
        request_subscription(config, store, secret, address, "", now, smtp)  # no name: see above
    finally:
        store.close()


def _with_store(config: Config, page: _LinkPage, secret: bytes, token: str, now: datetime) -> str:
    if config.several:
        return _at_the_top(config, page, secret, token, now)
    store = Store(config.state_dir, config.database)
    try:
        return page.act(store, secret, token, now, edition=config.edition)
    finally:
        store.close()


def _at_the_top(config: Config, page: _LinkPage, secret: bytes, token: str, now: datetime) -> str:
    """A link that names no edition (mailed before editions had their own pages) acts in the
    edition its token was signed for; a token of no edition's (signed before editions had keys
    of their own) in each edition whose list has its address. TokenError as one edition says it."""
    signer = _signer(config, secret, token)
    address, _ = read_token(secret, token, page.purpose, now, edition=signer)
    refused: TokenError | None = None
    done = ""
    for edition in [config.for_edition(signer)] if signer else config.editions:
        store = Store(edition.state_dir, edition.database)
        try:
            if store.subscriber(address) is not None:
                done = page.act(store, secret, token, now, edition=signer)
        except TokenError as exc:  # a confirmation for another edition's request
            refused = exc
        finally:
            store.close()
    if done or page.purpose == "unsubscribe":  # on no list: nothing is sent to it, as asked
        return done or address
    raise refused or TokenError("expired", "This link is no longer valid: subscribe again to get a new one.")


TOKEN_ROUTES: list[BaseRoute] = [  # with editions at the top too, for the links that name none
    Route(CONFIRM_PATH, confirm_page, methods=["GET", "HEAD"]),
    Route(CONFIRM_PATH, confirm, methods=["POST"]),
    Route(UNSUBSCRIBE_PATH, unsubscribe_page, methods=["GET", "HEAD"]),
    Route(UNSUBSCRIBE_PATH, unsubscribe_post, methods=["POST"]),
]
ROUTES: list[BaseRoute] = [
    Route(SUBSCRIBE_PATH, subscribe_page, methods=["GET", "HEAD"]),
    Route(SUBSCRIBE_PATH, subscribe, methods=["POST"]),
    *TOKEN_ROUTES,
]
