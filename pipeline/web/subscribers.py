"""The subscribers (admin): the list with each one's status, add one, remove one. Kept in the
state database (pipeline/store/subscribers.py), as `delivery.to` seeds them. A subscriber
removed here is `unsubscribed`, so the file never makes them active again; one who left is not
made active by the admin either (only their own confirmed request does that). With editions,
each edition's page is its own list (`/e/<id>/admin/subscribers`)."""

from __future__ import annotations

from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.config import Config
from pipeline.publish.subscriptions import normalise_address
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
    address, name = (
        str(form.get("address", "")).strip(),
        " ".join(str(form.get("name", "")).split())[:MAX_NAME],
    )
    try:
        address = normalise_address(address)
        error = ""
    except ValueError as exc:
        error = str(exc)
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
    had = await run_in_threadpool(_add, web.config, address, name, web.clock())
    said = "added" if had in (None, SubscriberStatus.PENDING) else str(had)
    return RedirectResponse(f"{web.base}/admin/subscribers?said={said}", status_code=303)


@require_admin
async def remove(request: Request) -> Response:
    form = await checked_form(request)
    web = web_context(request)
    address = str(form.get("address", "")).strip()
    found = await run_in_threadpool(_remove, web.config, address, web.clock())
    said = "removed" if found else "unknown"
    return RedirectResponse(f"{web.base}/admin/subscribers?said={said}", status_code=303)


_SAID = {
    "added": "Added: they get the next brief.",
    "active": "That address is subscribed already.",
    "unsubscribed": "That address unsubscribed: only its owner can subscribe again, with the subscribe form.",
    "bounced": "That address bounced: it is not sent to.",
    "removed": "Removed: they get no more briefs.",
    "unknown": "That address is not a subscriber.",
}


def _subscribers(config: Config) -> list[Subscriber]:
    store = Store(config.state_dir, config.database)
    try:
        return store.subscribers()
    finally:
        store.close()


def _add(config: Config, address: str, name: str, now: datetime) -> SubscriberStatus | None:
    store = Store(config.state_dir, config.database)
    try:
        return store.add_subscriber(address, name, now)
    finally:
        store.close()


def _remove(config: Config, address: str, now: datetime) -> bool:
    store = Store(config.state_dir, config.database)
    try:
        if store.subscriber(address) is None:
            return False
        store.unsubscribe_subscriber(address, now)
        return True
    finally:
        store.close()


ROUTES: list[BaseRoute] = [
    Route("/admin/subscribers", subscribers_page, methods=["GET", "HEAD"]),
    Route("/admin/subscribers/add", add, methods=["POST"]),
    Route("/admin/subscribers/remove", remove, methods=["POST"]),
]
NAV = [NavItem("Subscribers", "/admin/subscribers", admin=True)]
