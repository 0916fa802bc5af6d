"""Page bytes → a clean `Article`, with trafilatura (given bytes, never a URL to fetch).

When the page yields no article text (an app shell, a paywall, a parser failure) the feed's
own summary stands in, and the article says so (`extracted=False`).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from datetime import UTC, datetime
from typing import Any

from pipeline.ingest.urls import article_id, canonical_url
from pipeline.models import Article, Page

log = logging.getLogger(__name__)

MIN_WORDS = 40  # below this an "article" is a teaser or a cookie notice
MAX_TREE_SIZE = "30000"  # elements; bounds the work on a hostile page (unset by default)
MAX_TEXT_CHARS = 200_000
EXTRACT_BUDGET = 20.0  # seconds one page may take to extract


@functools.cache
def _trafilatura() -> tuple[Any, Any]:
    """trafilatura and our settings, imported on first use (not on importing this module,
    which `brief` does for every command; extraction workers load it themselves)."""
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MAX_TREE_SIZE", MAX_TREE_SIZE)
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # signal-based; useless off the main thread
    return trafilatura, config


def extract_article(page: Page, source: str, budget: float = EXTRACT_BUDGET) -> Article:
    """Extract the article of a fetched page; fall back to the feed entry's summary when the
    page yields no article or takes longer than `budget` seconds."""
    entry = page.entry
    url = page.final_url or entry.link
    # an entry with no usable link is an article of its own, known by its feed and GUID
    canonical = canonical_url(url) if url else f"entry:{entry.feed_url}#{entry.entry_id}"
    text, title, author, published = "", "", "", None
    if page.body and page.error is None:
        doc = _bare_extraction(page.body, url, budget)
        if doc is not None:
            text = _clean(str(getattr(doc, "text", "") or ""))
            title = str(getattr(doc, "title", "") or "")
            author = str(getattr(doc, "author", "") or "")
            published = _page_date(str(getattr(doc, "date", "") or ""))
    title = " ".join((entry.title or title).split())
    text = _drop_leading_title(text, title)
    extracted = len(text.split()) >= MIN_WORDS
    # the page's own date stands in when the feed gave none (or a false one)
    # (trafilatura only accepts dates up to today)
    page_dated = published if entry.date_note and published else None
    if not extracted:
        text = entry.summary
    return Article(
        id=article_id(canonical),
        url=url,
        canonical_url=canonical,
        source=source,
        title=title or (text[:80] + "…" if len(text) > 80 else text),
        text=text[:MAX_TEXT_CHARS],
        published=page_dated if page_dated else entry.published,
        author=entry.author or " ".join(author.split()),
        extracted=extracted,
        found_at=((source, url),),
        date_note="" if page_dated else entry.date_note,
    )


def _bare_extraction(body: bytes, url: str, budget: float) -> Any:
    """trafilatura in a worker thread, given up on after `budget` seconds (the thread is a
    daemon: a pathological page costs CPU, never the run)."""
    box: list[Any] = []
    trafilatura, config = _trafilatura()

    def work() -> None:
        try:
            # favor_precision: F1 0.974 against 0.964 by default on the extraction benchmark
            doc = trafilatura.bare_extraction(
                body, url=url, with_metadata=True, favor_precision=True, config=config
            )
            box.append(doc)
        except Exception as exc:  # trafilatura/lxml can raise on hostile markup; the run goes on
            log.warning("extraction failed for %s: %s", url, exc)

    worker = threading.Thread(target=work, name="extract", daemon=True)
    worker.start()
    worker.join(budget)
    if worker.is_alive():
        log.warning("extraction of %s took over %.0f s; using the feed summary", url, budget)
        return None
    return box[0] if box else None


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _drop_leading_title(text: str, title: str) -> str:
    first, _, rest = text.partition("\n")
    if title and re.sub(r"\W+", "", first.lower()) == re.sub(r"\W+", "", title.lower()):
        return rest
    return text


def _page_date(value: str) -> datetime | None:
    try:
        if not value:
            return None
        when = datetime.fromisoformat(value)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        return None
