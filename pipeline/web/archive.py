"""The archive, served live from `output/` as it is on disk, read-only.

Only files under the output folder are served: a path with a `..`, `.` or hidden part (however
it was encoded: the server has decoded it by now) is not found, and so is one that leads out
of the folder through a symlink. A folder is its `index.html`. A page's header gets links to
the status and the subscribe form (the file is not changed). The stylesheet is the one the
archive is written with (the user's `templates/style.css` first), so the app's pages have it
before the first brief is made.

With editions, each edition's archive (`output/<id>/`) is served under its pages' prefix
(`/e/<id>/`), its header linking that edition's status and subscribe form.

A message of the archive (`message.eml`) is served with no one in its `To`: the brief's one
rendering names no one, but one made by an earlier version named the one address of
`delivery.to`, and the archive is public.
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import re
from base64 import b64encode
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from pipeline.publish.personal import logical_headers
from pipeline.publish.site import stylesheet
from pipeline.web.security import web_context

# the archive's pages carry their own small scripts (the search box) and the emails inline
# styles: each script is allowed by its hash, nothing else runs
ARCHIVE_CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src {scripts}; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", re.S | re.I)
# the archive's pages, served here, link the app's pages a reader needs (the files are unchanged)
APP_LINKS_OF = (
    '<p class="app-links"><a href="{base}/status">Status</a> · '
    '<a href="{base}/subscribe">Subscribe by email</a></p>\n'
)
APP_LINKS = APP_LINKS_OF.format(base="").encode()
NOBODY = b"To: undisclosed-recipients:;\r\n"
_TYPES = {".eml": "message/rfc822", ".json": "application/json", ".xml": "application/atom+xml"}


def archive_file(root: Path, path: str) -> Path | None:
    """The file of the archive at `path` (a URL path, decoded), or None when there is none or
    the path may not be served."""
    parts = [p for p in path.split("/")]
    inner = parts[1:] if parts and parts[0] == "" else parts
    if any(p in (".", "..") or p.startswith(".") or "\\" in p or "\x00" in p for p in inner if p):
        return None
    if any(p == "" for p in inner[:-1]):  # "//" inside the path
        return None
    base = root.resolve()
    candidate = base.joinpath(*[p for p in inner if p])
    if not inner or inner[-1] == "":
        candidate = candidate / "index.html"
    try:
        found = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not found.is_relative_to(base):
        return None  # a symlink out of the archive
    return found


def csp_for(content: bytes) -> str:
    """The archive page's CSP: its inline scripts allowed by their SHA-256, nothing else."""
    hashes = [
        f"'sha256-{b64encode(hashlib.sha256(m.group(1)).digest()).decode()}'"
        for m in _SCRIPT.finditer(content)
    ]
    return ARCHIVE_CSP.format(scripts=" ".join(hashes) or "'none'")


def with_app_links(page: bytes, base: str = "") -> bytes:
    """The page with the app's links (under the prefix `base`: an edition's) at the end of its
    header (a page without one, such as an email, as it is)."""
    head, sep, rest = page.partition(b"</header>")
    links = APP_LINKS_OF.format(base=html.escape(base)).encode()
    return head + links + sep + rest if sep else page


def without_recipient(message: bytes) -> bytes:
    """The message with its `To` naming no one, the rest as it is."""
    head, sep, body = message.partition(b"\r\n\r\n")
    lines = [NOBODY if name.lower() == "to" else line for name, line in logical_headers(head)]
    return b"".join(lines).removesuffix(b"\r\n") + sep + body


async def archive_page(request: Request) -> Response:
    web = web_context(request)
    path = "/" + request.path_params["path"]  # in the archive (an edition's: after its prefix)
    found = await run_in_threadpool(archive_file, web.config.output_dir, path)
    if found is not None and found.is_dir():
        if not path.endswith("/"):
            return RedirectResponse(web.base + path + "/", status_code=301)
        found = None
    if found is None or not found.is_file():
        if path == "/":
            return RedirectResponse(f"{web.base}/status", status_code=303)  # no brief yet
        raise HTTPException(404, "There is no such page in the archive.")
    media = _TYPES.get(found.suffix) or mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    headers = {"cache-control": "no-cache"}
    if found.suffix == ".html":
        content = with_app_links(await run_in_threadpool(found.read_bytes), web.base)
        headers["content-security-policy"] = csp_for(content)
        return Response(content, media_type="text/html; charset=utf-8", headers=headers)
    if found.suffix == ".eml":
        message = without_recipient(await run_in_threadpool(found.read_bytes))
        return Response(message, media_type=media, headers=headers)
    return FileResponse(found, media_type=media, headers=headers)


async def style(request: Request) -> Response:
    css = await run_in_threadpool(stylesheet, web_context(request).config.templates_dir)
    return Response(css, media_type="text/css; charset=utf-8", headers={"cache-control": "no-cache"})


ROUTES: list[BaseRoute] = [Route("/assets/style.css", style, methods=["GET", "HEAD"])]
# the archive answers every path no other page took: app.py adds it last
CATCH_ALL: list[BaseRoute] = [Route("/{path:path}", archive_page, methods=["GET", "HEAD"])]
