"""The script a user would write instead of dailybrief: the speed benchmarks' second baseline.

feedparser on each feed, every linked page fetched with httpx (the run's concurrency limits:
`concurrency` at once, `per_host` per host), `trafilatura.extract` in a `ProcessPoolExecutor`
with one process per usable core, and nothing else: no dedupe, no store, no threads, no brief.

python -m benchmarks.naive_script FEED_URL...   # prints one JSON line: seconds, pages, texts
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
import trafilatura

from pipeline.settings import FETCH_KEYS


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _extract(body: bytes, url: str) -> str | None:
    text: str | None = trafilatura.extract(body, url=url)
    return text


async def _read(
    feed_urls: Sequence[str], concurrency: int, per_host: int, pool: ProcessPoolExecutor
) -> tuple[int, int]:
    limit = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    loop = asyncio.get_running_loop()

    async def get(client: httpx.AsyncClient, url: str) -> bytes:
        host = hosts.setdefault(urlsplit(url).netloc, asyncio.Semaphore(per_host))
        async with limit, host:
            response = await client.get(url)
            return response.content if response.status_code == 200 else b""

    async with httpx.AsyncClient(timeout=30, follow_redirects=True) as client:
        feeds = await asyncio.gather(*(get(client, url) for url in feed_urls))
        links = [
            e.link for body in feeds for e in feedparser.parse(io.BytesIO(body)).entries if e.get("link")
        ]

        async def one(link: str) -> str | None:
            body = await get(client, link)
            return await loop.run_in_executor(pool, _extract, body, link) if body else None

        texts = await asyncio.gather(*(one(link) for link in links))
    return len(links), sum(1 for t in texts if t)


def run(
    feed_urls: Sequence[str],
    concurrency: int = FETCH_KEYS["concurrency"].default,
    per_host: int = FETCH_KEYS["per_host"].default,
) -> dict[str, Any]:
    """Read every feed's pages as the naive script does; its wall time (starting its pool
    included, as the script would), the pages it read and the texts it extracted."""
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=usable_cores()) as pool:
        pages, texts = asyncio.run(_read(feed_urls, concurrency, per_host, pool))
    return {"seconds": time.perf_counter() - started, "pages": pages, "texts": texts}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:])))
