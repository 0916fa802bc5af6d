"""Collapse duplicate articles: the same canonical URL, or near-identical text (syndication).

The copy kept is the earliest published; it keeps every link and every publisher, so the
brief can still credit each outlet, and the fullest text of any copy (a page's text over a feed
summary standing in for a page that failed, then the longest).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from scipy.sparse import csr_matrix

from pipeline.models import Article, DedupeResult
from pipeline.text.words import WORD_CHARS

SHARES = 8  # shared shingles are counted an eighth at a time (a power of two): bounds memory


@dataclass(frozen=True)
class DedupeTuning:
    """When two texts are one article. Set by hand when the stage was written (the first
    commits); the demo's syndicated copy and tests/test_extract_dedupe.py hold them to it."""

    shingle: int = 5  # words per shingle
    near_duplicate: float = 0.8  # share of the shorter text's shingles found in the other
    common_shingle: int = 50  # a shingle in more texts than this is boilerplate, not evidence
    min_shingles: int = 20  # shorter texts (teasers, paywall notices) are too thin to call copies


TUNING = DedupeTuning()


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
        # the fullest text of the kept copy's own page (the same address, read twice); another
        # outlet's only when the kept copy is just its feed's summary (another outlet's words
        # under the kept copy's name would credit it with them)
        copies = [pool[i] for i in members]
        own = [c for c in copies if c.canonical_url == keep.canonical_url]
        text = _fullest(own if keep.extracted else copies)
        merged = replace(keep, text=text.text, extracted=text.extracted, found_at=tuple(found_at))
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


def _fullest(copies: Sequence[Article]) -> Article:
    """The copy whose text the merged article carries: extracted from a page rather than the
    feed's summary, then the most words and characters; equal ones by their text, so the choice
    does not depend on the order the pages arrived in."""
    return max(copies, key=lambda a: (a.extracted, a.word_count, len(a.text), a.text))


def _near_duplicates(texts: Sequence[str], n_known: int) -> list[tuple[int, int]]:
    """Pairs of texts, one of them new (index `n_known` or more), that share most of their
    shingles: of the shorter text's, a TUNING.near_duplicate share or more, counting only shingles
    found in TUNING.common_shingle texts or fewer. Shingles are held in arrays, never as sets of
    Python integers, and shared ones are counted an eighth of them at a time, as a sparse
    product (a shingle in 40 texts would otherwise be 780 pairs to count)."""
    vocabulary: dict[str, int] = {}
    held, counts = array("I"), []  # grows in place, where joining numpy rows would copy them all
    for text in texts:
        found = _shingles(text, vocabulary)
        held.frombytes(found.tobytes())
        counts.append(len(found))
    del vocabulary
    sizes = np.array(counts, dtype=np.int64)
    ends = np.cumsum(sizes)
    hashes = np.frombuffer(held, dtype=np.uint32)
    shared = csr_matrix((len(texts) - n_known, len(texts)), dtype=np.int32)
    share = hashes.astype(np.uint8) & (SHARES - 1)  # the low bits
    for k in range(SHARES):
        mine = np.flatnonzero(share == k)
        owners = np.searchsorted(ends, mine, side="right").astype(np.int32)  # the text each is of
        incidence = _evidence(hashes[mine], owners, sizes >= TUNING.min_shingles, len(texts))
        shared = shared + incidence[n_known:] @ incidence.T
    found = shared.tocoo()
    left, right = found.row.astype(np.int64) + n_known, found.col.astype(np.int64)
    close = (left != right) & (found.data >= TUNING.near_duplicate * np.minimum(sizes[left], sizes[right]))
    return list(zip(left[close].tolist(), right[close].tolist(), strict=True))


def _evidence(hashes: np.ndarray, owners: np.ndarray, thick: np.ndarray, n_texts: int) -> csr_matrix:
    """Which texts hold which shingles, for the shingles that are evidence (in 2 to
    TUNING.common_shingle texts) and the texts thick enough to judge."""
    order = np.argsort(hashes, kind="stable")
    hashes, owners = hashes[order], owners[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    held_by = np.diff(np.r_[starts, len(hashes)])
    column = np.repeat(np.arange(len(starts)), held_by)
    keep = np.repeat((held_by >= 2) & (held_by <= TUNING.common_shingle), held_by) & thick[owners]
    ones = np.ones(int(keep.sum()), dtype=np.int32)
    return csr_matrix((ones, (owners[keep], column[keep])), shape=(n_texts, len(starts)))


def _shingles(text: str, vocabulary: dict[str, int]) -> np.ndarray:
    """The distinct shingles of a text as 32-bit hashes: each word gets a number in
    `vocabulary` (shared by the texts compared), scrambled, and TUNING.shingle of them are combined."""
    words = WORD_CHARS.findall(text.lower())
    if len(words) < TUNING.shingle:
        return np.empty(0, dtype=np.uint32)
    ids = np.array([vocabulary.setdefault(w, len(vocabulary)) for w in words], dtype=np.uint64)
    mixed = _scramble(ids)
    n = len(words) - TUNING.shingle + 1
    combined = mixed[:n].copy()
    with np.errstate(over="ignore"):
        for k in range(1, TUNING.shingle):
            combined = combined * _MULTIPLIER + mixed[k : k + n]
    # 32 bits of each: among millions of shingles a few thousand pairs share a value, scattered
    # over texts, never the 80 % of a text's shingles that make a copy
    return np.unique((_scramble(combined) >> np.uint64(32)).astype(np.uint32))


_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


def _scramble(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: nearby numbers become unrelated 64-bit values (wrapping)."""
    with np.errstate(over="ignore"):
        z = values + _MULTIPLIER
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))
