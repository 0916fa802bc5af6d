"""Which threads a brief shows, in which order, and the articles it only links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pipeline.models import Article, SourceRef, Thread

OLDEST = datetime.min.replace(tzinfo=UTC)  # sorts undated articles last
MAX_OTHERS = 15  # articles in no thread listed at the end of a brief


def rank_threads(threads: Sequence[Thread], articles: Mapping[str, Article]) -> list[Thread]:
    """Configured threads with news first, then by importance: distinct sources, growth since
    the last brief (new articles), and recency (the newest article)."""

    def key(t: Thread) -> tuple[int, int, int, float]:
        sources = {s for i in t.article_ids for s, _ in articles[i].found_at}
        newest = max((articles[i].published or OLDEST for i in t.article_ids), default=OLDEST)
        return (0 if t.kind == "configured" else 1, -len(sources), -len(t.article_ids), -newest.timestamp())

    return sorted(threads, key=key)


def others(articles: Sequence[Article]) -> tuple[SourceRef, ...]:
    """New articles in no thread shown, newest first: a list of links under the threads."""
    newest = sorted(articles, key=lambda a: a.published or OLDEST, reverse=True)[:MAX_OTHERS]
    return tuple(SourceRef.of(n, a) for n, a in enumerate(newest, start=1))
