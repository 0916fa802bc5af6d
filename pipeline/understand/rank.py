"""Which threads a brief shows, in which order, and the articles it only links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from pipeline.models import Article, SourceRef, Thread

OLDEST = datetime.min.replace(tzinfo=UTC)  # sorts undated articles last
MAX_OTHERS = 15  # articles in no thread listed at the end of a brief


def rank_threads(threads: Sequence[Thread], articles: Mapping[str, Article]) -> list[Thread]:
    """The threads not muted: configured threads with news first, then by importance: distinct
    sources, growth since the last brief (new articles), and recency (the newest article)."""

    def key(t: Thread) -> tuple[int, int, int, float]:
        sources = {s for i in t.article_ids for s, _ in articles[i].found_at}
        newest = max((articles[i].published or OLDEST for i in t.article_ids), default=OLDEST)
        return (0 if t.kind == "configured" else 1, -len(sources), -len(t.article_ids), -newest.timestamp())

    return sorted((t for t in threads if not t.muted), key=key)


def others(articles: Sequence[Article], threads: Sequence[Thread] = ()) -> tuple[SourceRef, ...]:
    """New articles in no thread shown, newest first: a list of links under the threads. An
    article filed under muted `threads` only is not listed either: muting hides a story."""
    filed: dict[str, bool] = {}
    for t in threads:
        for i in t.article_ids:
            filed[i] = filed.get(i, True) and t.muted
    listed = [a for a in articles if not filed.get(a.id, False)]
    newest = sorted(listed, key=lambda a: a.published or OLDEST, reverse=True)[:MAX_OTHERS]
    return tuple(SourceRef.of(n, a) for n, a in enumerate(newest, start=1))
