"""Collapse duplicate articles: the same canonical URL, or near-identical text (syndication).

The copy kept is the earliest published; it keeps every link and every publisher, so the
brief can still credit each outlet.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

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

    for i, j in _near_duplicates([a.text for a in pool], n_known):
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


def _near_duplicates(texts: Sequence[str], n_known: int) -> list[tuple[int, int]]:
    """Pairs of texts, one of them new (index `n_known` or more), that share most of their
    shingles: of the shorter text's, a NEAR_DUPLICATE share or more, counting only shingles
    found in COMMON_SHINGLE texts or fewer. Shingles are counted in arrays, never as sets of
    Python integers, so thousands of articles stay within a few megabytes."""
    vocabulary: dict[str, int] = {}
    shingles = [_shingles(text, vocabulary) for text in texts]
    sizes = np.array([len(s) for s in shingles], dtype=np.int64)
    if not len(texts) or not sizes.any():
        return []
    hashes = np.concatenate(shingles)
    owners = np.repeat(np.arange(len(texts), dtype=np.int64), sizes)
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    counts = np.diff(np.r_[starts, len(hashes)])
    # a pair is counted once per shingle both texts hold; texts too thin to judge take no part
    thick = sizes >= MIN_SHINGLES
    codes: list[np.ndarray] = []
    for shared_by in range(2, COMMON_SHINGLE + 1):
        first = starts[counts == shared_by]
        if not len(first):
            continue
        groups = owners[first[:, None] + np.arange(shared_by)]  # one row per shingle, ascending
        a, b = np.triu_indices(shared_by, k=1)
        left, right = groups[:, a].ravel(), groups[:, b].ravel()
        keep = thick[left] & thick[right] & (right >= n_known)
        codes.append(left[keep] * len(texts) + right[keep])
    if not codes:
        return []
    pairs, shared = np.unique(np.concatenate(codes), return_counts=True)
    left, right = np.divmod(pairs, len(texts))
    close = shared >= NEAR_DUPLICATE * np.minimum(sizes[left], sizes[right])
    return list(zip(left[close].tolist(), right[close].tolist(), strict=True))


def _shingles(text: str, vocabulary: dict[str, int]) -> np.ndarray:
    """The distinct shingles of a text as 64-bit hashes: each word gets a number in
    `vocabulary` (shared by the texts compared), scrambled, and SHINGLE of them are combined."""
    words = _WORD.findall(text.lower())
    if len(words) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words], dtype=np.uint64)
    mixed = _scramble(ids)
    n = len(words) - SHINGLE + 1
    combined = mixed[:n].copy()
    with np.errstate(over="ignore"):
        for k in range(1, SHINGLE):
            combined = combined * _MULTIPLIER + mixed[k : k + n]
    return np.unique(_scramble(combined))


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _scramble(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: nearby numbers become unrelated 64-bit values (wrapping)."""
    with np.errstate(over="ignore"):
        z = values + _MULTIPLIER
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
