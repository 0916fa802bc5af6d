"""With editions: the app's top pages, and the way into each edition's own.

The home lists every edition (its title, audience, schedule, last brief, next slot and how its
last slot was delivered) and, for the admin, Run now for every edition at once, as `brief run`
makes them. `/subscribe` asks which brief. Each edition's pages are the single brief's pages
(status, Run now, subscribers, threads, subscribing, the archive of `output/<id>/`) under its
prefix `/e/<id>`: `EditionPages` resolves the edition once for all of them, and an id that is
not one is a 404. A path of the archive as `output/` lays it out (`/<id>/2026/...`, where
`brief.archive_url` leads) is sent to the same page under the prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send

from pipeline.config import Config
from pipeline.publish.tokens import EDITION_PREFIX, SUBSCRIBE_PATH, edition_path
from pipeline.web import archive, public, runs
from pipeline.web.live import Live, live
from pipeline.web.security import is_admin, render, web_context


@dataclass(frozen=True)
class EditionRow:
    """One edition as the home lists it."""

    id: str
    title: str
    audience: str
    schedule: str  # "06:00 and 18:00"
    base: str  # its pages' prefix, "/e/<id>"
    status: Live


def edition_rows(config: Config, now: datetime, *, admin: bool) -> list[EditionRow]:
    """Every edition of `config`, its status as its own status page says it (`live`)."""
    return [
        EditionRow(
            id=e.edition,
            title=e.title,
            audience=e.audience,
            schedule=" and ".join(f"{t:%H:%M}" for t in e.schedule),
            base=edition_path(e),
            status=live(e, now, admin=admin),
        )
        for e in config.editions
    ]


async def home(request: Request) -> Response:
    web = web_context(request)
    rows = await run_in_threadpool(edition_rows, web.config, web.clock(), admin=is_admin(request))
    return await render(
        request,
        "web/editions.html",
        page_title="Editions",
        editions=rows,
        latest_run=web.runs.latest_shown(),
    )


async def to_home(request: Request) -> Response:
    return RedirectResponse("/", status_code=303)


async def choose(request: Request) -> Response:
    web = web_context(request)
    rows = [(e.title, e.audience, edition_path(e)) for e in web.config.editions]
    return await render(request, "web/choose_edition.html", page_title="Subscribe", editions=rows)


async def to_edition(request: Request) -> Response:
    """A path of `output/` as it is laid out: an edition's folder leads to its pages."""
    web = web_context(request)
    first, _, rest = request.path_params["path"].partition("/")
    if not any(e.edition == first for e in web.config.editions):
        raise HTTPException(404, "There is no such page.")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{EDITION_PREFIX}{first}/{rest}{query}", status_code=301)


class EditionPages:
    """The pages of one edition, under `/e/{edition}`: the request gets the edition's context
    (`WebContext.for_edition`) before any of them sees it; an unknown id is a 404."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self._router = Router(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        edition_id = str(scope["path_params"]["edition"])
        found = web_context(request).for_edition(edition_id)
        if found is None:
            raise HTTPException(404, f"There is no edition {edition_id!r} here.")
        request.state.web = found  # scope["state"]: what every page of the edition reads
        await self._router(scope, receive, send)


ROUTES: list[BaseRoute] = [
    *archive.ROUTES,
    Route("/", home, methods=["GET", "HEAD"]),
    Route("/status", to_home, methods=["GET", "HEAD"]),  # where a login leads back to
    Route(SUBSCRIBE_PATH, choose, methods=["GET", "HEAD"]),
    *runs.ROUTES,  # Run now at the top: every edition
    *public.TOKEN_ROUTES,  # the links that name no edition
]
CATCH_ALL: list[BaseRoute] = [Route("/{path:path}", to_edition, methods=["GET", "HEAD"])]
