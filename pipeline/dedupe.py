"""Collapse duplicate articles: the same canonical URL, or near-identical text (syndication).

The copy kept is the earliest published; it keeps every link and every publisher, so the
brief can still credit each outlet.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from .models import Article, DedupeResult

SHINGLE = 5  # words per shingle
NEAR_DUPLICATE = 0.8  # share of the shorter text's shingles found in the other
COMMON_SHINGLE = 50  # a shingle in more texts than this is boilerplate, not evidence
MIN_SHINGLES = 20  # shorter texts (teasers, paywall notices) are too thin to call copies
_WORD = re.compile(r"\w+")


def dedupe(new: Sequence[Article], known: Sequence[Article] = ()) -> DedupeResult:
    """Merge duplicates among `new`, and of `new` into `known` (already stored) articles."""
    pool: list[Article] = list(known) + list(new)
    n_known = len(known)
    parent = list(range(len(pool)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            # the root is the one to keep: a stored article, else the earliest
            if _keep_first(pool, a, b, n_known):
                parent[b] = a
            else:
                parent[a] = b

    by_url: dict[str, int] = {}
    for i, a in enumerate(pool):
        if a.canonical_url in by_url:
            union(by_url[a.canonical_url], i)
        else:
            by_url[a.canonical_url] = i

    shingles = [_shingles(a.text) for a in pool]
    postings: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(shingles):
        for h in s:
            postings[h].append(i)
    for i in range(n_known, len(pool)):
        if len(shingles[i]) < MIN_SHINGLES:
            continue
        overlap: dict[int, int] = defaultdict(int)
        for h in shingles[i]:
            posting = postings[h]
            if len(posting) > COMMON_SHINGLE:
                continue
            for j in posting:
                if j != i:
                    overlap[j] += 1
        for j, count in overlap.items():
            smaller = min(len(shingles[i]), len(shingles[j]))
            if smaller >= MIN_SHINGLES and count / smaller >= NEAR_DUPLICATE:
                union(i, j)

    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(pool)):
        groups[find(i)].append(i)
    merged_into: dict[str, str] = {}
    unique: list[Article] = []
    known_updated: dict[str, Article] = {}
    for root, members in groups.items():
        keep = pool[root]
        found_at = list(keep.found_at)
        for i in members:
            if i == root:
                continue
            merged_into[pool[i].id] = keep.id
            found_at += [c for c in pool[i].found_at if c not in found_at]
        merged = replace(keep, found_at=tuple(found_at))
        if root < n_known:
            if len(members) > 1 and any(i >= n_known for i in members):
                known_updated[keep.id] = merged
        else:
            unique.append(merged)
    # a new article merged into itself (same id) is not a duplicate
    merged_into = {k: v for k, v in merged_into.items() if k != v}
    return DedupeResult(unique=tuple(unique), merged_into=merged_into, known=known_updated)


def _keep_first(pool: Sequence[Article], a: int, b: int, n_known: int) -> bool:
    if (a < n_known) != (b < n_known):
        return a < n_known
    far = datetime.max.replace(tzinfo=UTC)
    return (pool[a].published or far, not pool[a].extracted, a) <= (
        pool[b].published or far,
        not pool[b].extracted,
        b,
    )


def _shingles(text: str) -> set[int]:
    words = _WORD.findall(text.lower())
    return {
        int.from_bytes(hashlib.blake2b(" ".join(words[i : i + SHINGLE]).encode(), digest_size=8).digest())
        for i in range(max(0, len(words) - SHINGLE + 1))
    }
