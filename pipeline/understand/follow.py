"""An emerging story the brief found → a configured thread the reader follows from now on.

The thread is made of what the brief already knows of the story: its title, a description
from the brief's own overview of it, and its entities, the names most of the story's articles
share (of the people and organisations its digest named and the names in its title); it keeps
the story's id (`ThreadSpec.story`), so the story's articles are its first members.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence

from pipeline.models import Article, ThreadDigest, ThreadSpec

__all__ = ["followed_thread", "thread_id_for"]

MOST_ID_CHARS = 40
MOST_ENTITIES = 8
DESCRIPTION_CHARS = 240  # the overview's sentences are taken until the description is this long
_TITLE_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


def followed_thread(digest: ThreadDigest, articles: Sequence[Article], taken: Collection[str]) -> ThreadSpec:
    """The configured thread that follows the story of `digest` (its articles `articles`), with
    an id none of `taken` has."""
    sentences = [s.text for s in (*digest.overview, *digest.tldr)] or [digest.headline.text]
    description = ""
    for sentence in sentences:
        if description and len(description) + len(sentence) > DESCRIPTION_CHARS * 2:
            break
        description = f"{description} {sentence}".strip()
        if len(description) >= DESCRIPTION_CHARS:
            break
    return ThreadSpec(
        id=thread_id_for(digest.title, taken),
        title=digest.title,
        description=description,
        entities=shared_names(digest, articles),
        story=digest.thread_id,
    )


def shared_names(digest: ThreadDigest, articles: Sequence[Article]) -> tuple[str, ...]:
    """The names at the heart of the story: those of its digest's people and organisations
    and of its title that at least half its articles use (two of them at least), the most used
    first."""
    texts = [f"{a.title}\n{a.text}" for a in articles]
    if not texts:
        return ()
    need = max(min(2, len(texts)), (len(texts) + 1) // 2)

    def used(candidates: Sequence[str]) -> list[str]:
        counts = {n: sum(n in t for t in texts) for n in dict.fromkeys(candidates) if len(n) > 1}
        kept = [n for n, count in counts.items() if count >= need]
        return sorted(kept, key=lambda n: -counts[n])[:MOST_ENTITIES]

    return tuple(
        used([*(i.name for i in (*digest.people, *digest.orgs)), *_TITLE_NAME.findall(digest.title)])
    )


def thread_id_for(title: str, taken: Collection[str]) -> str:
    """A configured thread's id from a title: its words in lower-case ASCII joined by dashes, cut
    at a word to `MOST_ID_CHARS`, made unique against `taken` ("-2", "-3"...)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    slug = ""
    for word in words:
        if slug and len(slug) + 1 + len(word) > MOST_ID_CHARS:
            break
        slug = f"{slug}-{word}" if slug else word[:MOST_ID_CHARS]
    if not slug or slug.startswith("story-") or slug == "story":
        slug = f"thread-{slug}".rstrip("-")
    found, n = slug, 2
    while found in taken:
        found, n = f"{slug}-{n}", n + 1
    return found
