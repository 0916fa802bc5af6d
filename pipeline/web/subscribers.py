"""The subscribers (admin): the list with each one's status, add one, remove one. Kept in the
state database (pipeline/store/subscribers.py), as `delivery.to` seeds them; a subscriber
removed here is `unsubscribed`, so the file never makes them active again."""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.config import Config
from pipeline.store import Store
from pipeline.store.records import Subscriber, SubscriberStatus
from pipeline.web.context import NavItem
from pipeline.web.security import checked_form, render, require_admin, web_context

MAX_NAME = 100


@require_admin
async def subscribers_page(request: Request) -> Response:
    web = web_context(request)
    people = await run_in_threadpool(_subscribers, web.config)
    said = request.query_params.get("said", "")
    return await render(
        request,
        "web/subscribers.html",
        page_title="Subscribers",
        people=people,
        counts={s.value: sum(1 for p in people if p.status == s) for s in SubscriberStatus},
        said=_SAID.get(said, ""),
        error="",
        form={"address": "", "name": ""},
    )


@require_admin
async def add(request: Request) -> Response:
    form = await checked_form(request)
    web = web_context(request)
    address, name = str(form.get("address", "")).strip(), str(form.get("name", "")).strip()[:MAX_NAME]
    error = _bad_address(address)
    if error:
        people = await run_in_threadpool(_subscribers, web.config)
        return await render(
            request,
            "web/subscribers.html",
            status_code=400,
            page_title="Subscribers",
            people=people,
            counts={s.value: sum(1 for p in people if p.status == s) for s in SubscriberStatus},
            said="",
            error=error,
            form={"address": address, "name": name},
        )
    await run_in_threadpool(_add, web.config, address, name, web.clock())
    return RedirectResponse("/admin/subscribers?said=added", status_code=303)


@require_admin
async def remove(request: Request) -> Response:
    form = await checked_form(request)
    web = web_context(request)
    address = str(form.get("address", "")).strip()
    found = await run_in_threadpool(_remove, web.config, address, web.clock())
    return RedirectResponse(f"/admin/subscribers?said={'removed' if found else 'unknown'}", status_code=303)


_SAID = {
    "added": "Added: they get the next brief.",
    "removed": "Removed: they get no more briefs.",
    "unknown": "That address is not a subscriber.",
}


def _bad_address(address: str) -> str:
    """Why an address typed by the admin cannot be a subscriber ("" when it can)."""
    _, parsed = parseaddr(address)
    if not address or parsed != address or address.count("@") != 1 or len(address) > 254:
        return "Give one address, like ana@example.org."
    local, domain = address.split("@")
    if not local or "." not in domain or any(c.isspace() or c in "<>\"'," for c in address):
        return "Give one address, like ana@example.org."
    return ""


def _subscribers(config: Config) -> list[Subscriber]:
    store = Store(config.state_dir)
    try:
        return store.subscribers()
    finally:
        store.close()


def _add(config: Config, address: str, name: str, now: datetime) -> None:
    store = Store(config.state_dir)
    try:
        if not store.seed_subscribers([(name, address)], now):
            store.set_subscriber_status(address, SubscriberStatus.ACTIVE, now)
    finally:
        store.close()


def _remove(config: Config, address: str, now: datetime) -> bool:
    store = Store(config.state_dir)
    try:
        return store.set_subscriber_status(address, SubscriberStatus.UNSUBSCRIBED, now)
    finally:
        store.close()


ROUTES: list[BaseRoute] = [
    Route("/admin/subscribers", subscribers_page, methods=["GET", "HEAD"]),
    Route("/admin/subscribers/add", add, methods=["POST"]),
    Route("/admin/subscribers/remove", remove, methods=["POST"]),
]
NAV = [NavItem("Subscribers", "/admin/subscribers", admin=True)]
