"""Run now (admin): start a run of the current slot in the background, and its page, which
shows the run's stages as they come and its result. Refused, and said, while another run
holds the lock (this app's, `brief run` in a shell, or the scheduler's). With editions, an
edition's Run now makes its brief; the one at the top, every edition's (as `brief run` does)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.errors import BriefError
from pipeline.web.context import NavItem
from pipeline.web.security import checked_form, render, require_admin, web_context


@require_admin
async def run_now(request: Request) -> Response:
    await checked_form(request)
    web = web_context(request)
    try:
        job = web.runs.start(web.config.edition)
    except BriefError as exc:
        return await render(
            request,
            "web/busy.html",
            status_code=409,
            page_title="A run is in progress",
            error=str(exc),
            hint=exc.hint or "",
            latest_run=web.runs.latest(web.config.edition),
        )
    return RedirectResponse(f"{web.base}/run/{job.id}", status_code=303)


@require_admin
async def run_page(request: Request) -> Response:
    web = web_context(request)
    job = web.runs.get(request.path_params["job"])
    if job is None:
        raise HTTPException(
            404, "There is no such run (a restart forgets them; the status page lists the slots)."
        )
    return await render(request, "web/run.html", page_title="Run now", job=web.runs.snapshot(job))


@require_admin
async def run_form(request: Request) -> Response:
    web = web_context(request)
    return await render(
        request,
        "web/run_start.html",
        page_title="Run now",
        latest_run=web.runs.latest_shown(web.config.edition),
    )


ROUTES: list[BaseRoute] = [
    Route("/run", run_form, methods=["GET", "HEAD"]),
    Route("/run", run_now, methods=["POST"]),
    Route("/run/{job}", run_page, methods=["GET", "HEAD"]),
]
NAV = [NavItem("Run now", "/run", admin=True, of="both")]
