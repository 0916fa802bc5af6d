"""The Feeds and Threads pages (admin): what sources.yaml says the brief reads and follows.

Feeds: the list, add one by its site's address (feed discovery), remove one, import an OPML
file, export them as OPML. Threads: the configured threads (edit the title, description and
names; mute, unmute) and the emerging stories of the last brief (follow one as a thread; mute).
With editions, the Feeds page is the file's (`feeds:`, at the top) and each edition has its
Threads page (`/e/<id>/admin/threads`): its threads and the stories of its own briefs, changed
under its entry of `editions:` (an edition that read a copy of `threads:` gets its own copy at
its first change, so no other edition changes; a muted story goes to its own `muted:`, given a
copy of `brief.muted` the same way).

Every change goes through `pipeline.curate` / `pipeline.config_edit`, so it is written to
sources.yaml by the README's one rule (and the app reads the file again, Run now included:
`web_context`). Each form carries the version of the file its page showed: a change to a file
edited by hand since is refused (409), never written over it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline import config_edit, curate
from pipeline.config import Config
from pipeline.config_edit import ConfigChangedError, Edited
from pipeline.errors import BriefError
from pipeline.ingest.discover import FoundFeed
from pipeline.ingest.opml import MAX_OPML_BYTES
from pipeline.store import Store
from pipeline.web.context import NavItem, WebContext
from pipeline.web.security import checked_form, render, require_admin, web_context

MAX_FIELD = 2000  # characters of a description; more is not a description
SAID = "sources_said"  # the session's key for what the last change did, shown once


@dataclass(frozen=True)
class _Shown:
    """What a page shows: sources.yaml as it is now, its version, and the stories."""

    config: Config
    version: str
    stories: tuple[curate.Story, ...] = ()


# -- threads --------------------------------------------------------------------------------------


@require_admin
async def threads_page(request: Request) -> Response:
    return await _threads(request)


@require_admin
async def follow(request: Request) -> Response:
    form = await checked_form(request)

    def change(config: Config) -> Edited:
        store = Store(config.state_dir, config.database)
        try:
            return curate.follow_story(config, store, _field(form, "story"), expect=_field(form, "version"))
        finally:
            store.close()

    return await _changed(request, change, "/admin/threads", _threads)


@require_admin
async def mute(request: Request) -> Response:
    return await _muting(request, True)


@require_admin
async def unmute(request: Request) -> Response:
    return await _muting(request, False)


async def _muting(request: Request, muted: bool) -> Response:
    form = await checked_form(request)

    def change(config: Config) -> Edited:
        return config_edit.set_muted(
            config.path,
            _field(form, "id"),
            muted,
            edition=config.edition or None,
            expect=_field(form, "version"),
        )

    return await _changed(request, change, "/admin/threads", _threads)


@require_admin
async def edit(request: Request) -> Response:
    form = await checked_form(request)
    names = [n.strip() for n in _field(form, "entities").split(",")]

    def change(config: Config) -> Edited:
        return config_edit.edit_thread(
            config.path,
            _field(form, "id"),
            title=_field(form, "title") or None,
            description=_field(form, "description"),
            entities=names,
            edition=config.edition or None,
            expect=_field(form, "version"),
        )

    return await _changed(request, change, "/admin/threads", _threads)


async def _threads(request: Request, *, error: str = "", status_code: int = 200) -> Response:
    shown = await run_in_threadpool(_read, web_context(request), True)
    return await render(
        request,
        "web/threads.html",
        status_code=status_code,
        page_title="Threads",
        config=shown.config,
        version=shown.version,
        stories=shown.stories,
        said=request.session.pop(SAID, ""),
        error=error,
    )


# -- feeds ----------------------------------------------------------------------------------------


@require_admin
async def feeds_page(request: Request) -> Response:
    return await _feeds(request)


@require_admin
async def add_feed(request: Request) -> Response:
    form = await checked_form(request)
    web = web_context(request)

    def change(config: Config) -> Edited:
        return curate.add_feed(
            config, _field(form, "url"), _field(form, "name"), now=web.clock(), expect=_field(form, "version")
        )

    return await _changed(request, change, "/admin/feeds", _feeds, asked=_field(form, "url"))


@require_admin
async def remove_feed(request: Request) -> Response:
    form = await checked_form(request)

    def change(config: Config) -> Edited:
        return config_edit.remove_feed(config.path, _field(form, "url"), expect=_field(form, "version"))

    return await _changed(request, change, "/admin/feeds", _feeds)


@require_admin
async def import_opml(request: Request) -> Response:
    form = await checked_form(request)
    upload = form.get("file")
    data = await upload.read(MAX_OPML_BYTES + 1) if isinstance(upload, UploadFile) else b""
    if not data:
        return await _feeds(request, error="Choose an OPML file to import.", status_code=400)

    def change(config: Config) -> Edited:
        edited, known = curate.import_opml(config, data, expect=_field(form, "version"))
        if known:
            return Edited(edited.config, f"{edited.said} ({known} listed already)", edited.version)
        return edited

    return await _changed(request, change, "/admin/feeds", _feeds)


@require_admin
async def export_opml(request: Request) -> Response:
    web = web_context(request)
    body = curate.export_opml(web.config, web.clock())
    return Response(
        body,
        media_type="text/x-opml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dailybrief-feeds.opml"'},
    )


async def _feeds(
    request: Request,
    *,
    error: str = "",
    status_code: int = 200,
    choices: tuple[FoundFeed, ...] = (),
    asked: str = "",
) -> Response:
    shown = await run_in_threadpool(_read, web_context(request), False)
    return await render(
        request,
        "web/feeds.html",
        status_code=status_code,
        page_title="Feeds",
        config=shown.config,
        version=shown.version,
        said=request.session.pop(SAID, ""),
        error=error,
        choices=choices,
        asked=asked,
    )


# -- shared ---------------------------------------------------------------------------------------


Page = Callable[..., Awaitable[Response]]


async def _changed(
    request: Request, change: Callable[[Config], Edited], back: str, page: Page, **shown: str
) -> Response:
    """Make `change` on sources.yaml as it is now (to the brief of the page: an edition's on
    its pages); back to `back` with what it did, or the page again with why not (409 when the
    file was edited since the page showed it), or with the feeds a site offers to choose from."""
    web = web_context(request)

    def made() -> str:
        return change(web.config).said

    try:
        said = await run_in_threadpool(made)
    except curate.SeveralFeedsError as exc:
        return await page(request, choices=exc.found, **shown)
    except ConfigChangedError as exc:
        return await page(request, error=_message(exc), status_code=409)
    except BriefError as exc:
        return await page(request, error=_message(exc), status_code=400, **shown)
    request.session[SAID] = said
    return RedirectResponse(web.base + back, status_code=303)


def _read(web: WebContext, stories: bool) -> _Shown:
    config = web.config
    version = config_edit.version(config.path)
    if not stories:
        return _Shown(config, version)
    store = Store(config.state_dir, config.database)
    try:
        return _Shown(config, version, tuple(curate.emerging_stories(config, store)))
    finally:
        store.close()


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:MAX_FIELD] if isinstance(value, str) else ""


def _message(exc: BriefError) -> str:
    return f"{exc} ({exc.hint})" if exc.hint else str(exc)


ROUTES: list[BaseRoute] = [
    Route("/admin/threads", threads_page, methods=["GET", "HEAD"]),
    Route("/admin/threads/follow", follow, methods=["POST"]),
    Route("/admin/threads/mute", mute, methods=["POST"]),
    Route("/admin/threads/unmute", unmute, methods=["POST"]),
    Route("/admin/threads/edit", edit, methods=["POST"]),
]
FILE_ROUTES: list[BaseRoute] = [  # `feeds:` is the whole file's: at the top with editions too
    Route("/admin/feeds", feeds_page, methods=["GET", "HEAD"]),
    Route("/admin/feeds/add", add_feed, methods=["POST"]),
    Route("/admin/feeds/remove", remove_feed, methods=["POST"]),
    Route("/admin/feeds/import", import_opml, methods=["POST"]),
    Route("/admin/feeds.opml", export_opml, methods=["GET", "HEAD"]),
]
NAV = [
    NavItem("Threads", "/admin/threads", admin=True),
    NavItem("Feeds", "/admin/feeds", admin=True, of="file"),
]
