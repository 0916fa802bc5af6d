"""Shared helpers for the unit tests: small article factories and real loopback servers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.models import Article
from pipeline.urls import article_id, canonical_url

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "unit"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def make_article(
    url: str,
    text: str,
    *,
    title: str = "",
    source: str = "Example News",
    published: datetime | None = None,
    extracted: bool = True,
) -> Article:
    """An article as extract_article would make it: id and canonical URL from `url`."""
    canonical = canonical_url(url)
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=source,
        title=title or text.split(".")[0],
        text=text,
        published=published,
        extracted=extracted,
        found_at=((source, url),),
    )


def free_port() -> int:
    """A loopback port nobody listens on (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A loopback port where connections are refused."""
    return free_port()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections (the kernel completes the handshake from the
    listen backlog) but never reads or answers: a server that hangs."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    host, port = listener.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        listener.close()
