"""The status page: the live line, the recent slots and their delivery, each feed's health,
and the Run now button for the admin."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pipeline.web.context import NavItem
from pipeline.web.live import live
from pipeline.web.security import is_admin, render, web_context


async def status(request: Request) -> Response:
    web = web_context(request)
    now = web.clock()
    found = await run_in_threadpool(live, web.config, now, admin=is_admin(request))
    return await render(
        request,
        "web/status.html",
        page_title="Status",
        status=found,
        latest_run=web.runs.latest_shown(web.config.edition),
    )


ROUTES: list[BaseRoute] = [Route("/status", status, methods=["GET", "HEAD"])]
NAV = [NavItem("Archive", "/", of="both"), NavItem("Status", "/status")]
