"""What the web app's tests share: the secrets, a config of their own, a clock they move, a
logged-in client, and the CSRF token of a page."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import httpx
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pipeline.config import Config, load_config
from pipeline.web.runner import RunNow

SECRET = "test-secret-" + "x" * 40
PASSWORD = "correct horse battery staple"
ENV: Mapping[str, str] = {"BRIEF_SECRET": SECRET, "BRIEF_ADMIN_PASSWORD": PASSWORD}
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Clock:
    """The app's clock: where a test says it is."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 24, 15, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def write_config(folder: Path, *, web: str = "", feeds: str = "", brief: str = "") -> Config:
    """A sources.yaml in `folder` with its own output and state; one feed nobody serves.
    `web`, `feeds` and `brief` are YAML lines to add (`feeds` replaces the feed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.yaml"
    path.write_text(
        "brief:\n  title: Harbour Brief\n  output: output\n  state: state\n"
        + brief
        + 'delivery:\n  from: "Harbour Brief <brief@harbour.example>"\n'
        + (f"web:\n{web}" if web else "")
        + (feeds or "feeds:\n  - url: http://127.0.0.1:9/feed.xml\n    name: Harbour News\n"),
        encoding="utf-8",
    )
    return load_config(path)


def mailed_link(raw: bytes, path: str) -> str:
    """The link to `path` (at http://testserver) in a mail's text part, decoded."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"http://testserver{path}\?token=\S+", body.get_content())
    assert found, body.get_content()
    return found.group(0)


def first_answer(url: str, child: subprocess.Popen[str], seconds: float = 60) -> httpx.Response:
    """The first answer of a `brief serve` child: it listens once Python and uvicorn have started."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if child.poll() is not None:
                raise AssertionError(f"brief serve exited: {child.communicate()}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, password: str = PASSWORD) -> None:
    """Log the client in as the admin, through the login form."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "password": password}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def runs_of(client: TestClient) -> RunNow:
    """The app's Run now, to wait for its runs."""
    runs: RunNow = cast(Starlette, client.app).state.web.runs
    return runs


def runs_of_app(app: object) -> RunNow:
    runs: RunNow = cast(Starlette, app).state.web.runs
    return runs
