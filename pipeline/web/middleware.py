"""Two ASGI middlewares around every request: a bound on the body a client may send, and the
security headers of every response (a route may set its own Content-Security-Policy or
Referrer-Policy; the others are always these)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.publish.tokens import EDITION_PREFIX

MAX_BODY = 1024 * 1024  # bytes: a form is a few hundred; an OPML file of many feeds fits

# no script at all, styles from this site only, no frame around it, forms back to it only
APP_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
DEFAULTS = {"content-security-policy": APP_CSP, "referrer-policy": "same-origin"}


class BodyLimit:
    """413 for a body over `limit` bytes: at once when Content-Length says so, else as soon as
    the bytes read pass it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413, f"The request is larger than {self.limit // 1024} KiB.")
            return message

        await self.app(scope, bounded, send)


async def _too_large(send: Send, limit: int) -> None:
    body = f"The request is larger than {limit // 1024} KiB.".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in {**HEADERS, **DEFAULTS}.items()]
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """nosniff, no framing, the app's CSP and referrer policy unless the route set its own;
    `Cache-Control: no-store` on what the admin sees, on every POST's answer, and on every page
    made for a request that carries a cookie (its CSRF token, the admin's view of the status:
    never kept by a shared cache for someone else); a route that says its own caching (the
    archive's files, the same for everyone) keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                for name, value in DEFAULTS.items():
                    if name not in headers:
                        headers[name] = value
                made_for_one = scope["method"] != "GET" or "set-cookie" in headers or _private(scope["path"])
                if "cache-control" not in headers and (made_for_one or _with_cookie(scope)):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def _private(path: str) -> bool:
    if path.startswith(EDITION_PREFIX):  # an edition's pages: the same ones, under its prefix
        path = "/" + path.removeprefix(EDITION_PREFIX).partition("/")[2]
    return path.startswith(("/admin", "/run", "/login", "/confirm", "/unsubscribe"))


def _with_cookie(scope: Scope) -> bool:
    return any(name == b"cookie" for name, _ in scope.get("headers") or ())
