"""File articles under story threads: the configured ones, then emergent ones for the rest.

An article joins a configured thread on three kinds of evidence, not on a keyword alone: the
thread's keywords and names found in it (a hit in the title counts double), its TF-IDF
similarity to the thread's title and description, and its similarity to articles already in
the thread (from earlier runs, and the strongest members of this run). Articles in no
configured thread are grouped by average-linkage clustering on TF-IDF cosine; a group of two
or more becomes an emergent thread.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, vstack
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from .models import Article, Thread, ThreadSpec

BLOCK = 512  # rows of similarities computed at once: bounds memory at BLOCK × articles


@dataclass(frozen=True)
class ThreadTuning:
    keyword_weight: float = 0.5
    description_weight: float = 0.25
    member_weight: float = 0.25
    description_scale: float = 0.25  # a cosine this high to the description counts fully
    member_scale: float = 0.5  # a cosine this high to a member counts fully
    join_threshold: float = 0.42
    # average-linkage cosine distance to merge two groups; 0.92 is best on ECB+ stories
    # (BCubed F1 0.88 in one batch, against 0.47 at 0.8; `make bench`)
    emergent_distance: float = 0.92
    max_text_chars: int = 20_000  # long texts are cut before vectorizing


def assign_threads(
    articles: Sequence[Article],
    specs: Sequence[ThreadSpec],
    members: Mapping[str, Sequence[Article]] | None = None,
    unthreaded: Sequence[Article] = (),
    tuning: ThreadTuning = ThreadTuning(),
) -> tuple[Thread, ...]:
    """Threads holding the new `articles`; `members` are earlier articles of each configured
    thread, `unthreaded` recent earlier articles in none (both only as context)."""
    if not articles:
        return ()
    members = members or {}
    context = [a for ms in members.values() for a in ms]
    docs = [_doc(a, tuning) for a in articles]
    ctx_docs = [_doc(a, tuning) for a in context] + [_doc(a, tuning) for a in unthreaded]
    spec_docs = [" ".join((s.title, s.description, " ".join(s.keywords))) for s in specs]
    vectorizer = TfidfVectorizer(
        stop_words="english",
        sublinear_tf=True,
        ngram_range=(1, 2),
        min_df=1,
        max_df=0.9 if len(docs) + len(ctx_docs) > 20 else 1.0,
    )
    matrix = vectorizer.fit_transform(docs + ctx_docs + spec_docs)
    new_vecs = matrix[: len(docs)]
    unthreaded_vecs = matrix[len(docs) + len(context) : len(docs) + len(ctx_docs)]
    spec_vecs = matrix[len(docs) + len(ctx_docs) :]

    threads: list[Thread] = []
    placed: set[int] = set()
    offset = len(docs)
    for s_index, spec in enumerate(specs):
        kw = np.array([_keyword_score(a, spec) for a in articles])
        desc = cosine_similarity(new_vecs, spec_vecs[s_index]).ravel()
        desc_score = np.minimum(1.0, desc / tuning.description_scale)
        spec_members = list(members.get(spec.id, ()))
        start = offset + sum(len(members.get(s.id, ())) for s in specs[:s_index])
        member_vecs = matrix[start : start + len(spec_members)]
        base = tuning.keyword_weight * kw + tuning.description_weight * desc_score
        # seed with this run's clear members when the thread has no history yet
        seeds = [i for i in range(len(articles)) if base[i] >= tuning.join_threshold + 0.15]
        member_sim = np.maximum(_closest(new_vecs, member_vecs), _closest(new_vecs, new_vecs[seeds], seeds))
        score = base + tuning.member_weight * np.minimum(1.0, member_sim / tuning.member_scale)
        chosen = [i for i in range(len(articles)) if score[i] >= tuning.join_threshold and kw[i] > 0]
        if chosen:
            chosen.sort(key=lambda i: -score[i])
            threads.append(
                Thread(
                    id=spec.id,
                    title=spec.title,
                    kind="configured",
                    description=spec.description,
                    article_ids=tuple(articles[i].id for i in chosen),
                    scores=tuple(round(float(score[i]), 4) for i in chosen),
                )
            )
            placed.update(chosen)

    rest = [i for i in range(len(articles)) if i not in placed]
    threads.extend(_emergent(articles, rest, new_vecs, unthreaded, unthreaded_vecs, tuning))
    return tuple(threads)


def _closest(vecs: Any, others: Any, same: Sequence[int] = ()) -> np.ndarray:
    """Each row's highest cosine to a row of `others` (0 when there is none); `same[k]` is the
    row of `vecs` that `others[k]` is, which does not count as its own closest. Computed a block
    of rows at a time, so the memory is bounded however many articles there are."""
    best = np.zeros(vecs.shape[0])
    if not others.shape[0]:
        return best
    same_rows = np.asarray(same, dtype=np.int64)
    for start in range(0, vecs.shape[0], BLOCK):
        sims = cosine_similarity(vecs[start : start + BLOCK], others)
        inside = (same_rows >= start) & (same_rows < start + len(sims))
        sims[same_rows[inside] - start, np.flatnonzero(inside)] = 0.0  # cosines are never negative
        best[start : start + len(sims)] = sims.max(axis=1)
    return best


def _emergent(
    articles: Sequence[Article],
    rest: list[int],
    new_vecs: Any,
    unthreaded: Sequence[Article],
    unthreaded_vecs: Any,
    tuning: ThreadTuning,
) -> list[Thread]:
    pool = [articles[i] for i in rest] + list(unthreaded)
    if len(pool) < 2:
        return []
    vecs = vstack([new_vecs[rest], unthreaded_vecs]).tocsr()
    labels = _average_linkage(vecs, tuning.emergent_distance)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    out: list[Thread] = []
    n_new = len(rest)
    for group in groups.values():
        new_members = [i for i in group if i < n_new]
        if len(group) < 2 or not new_members:
            continue
        # the most central member names the thread; the earliest gives a stable id
        centrality = cosine_similarity(vecs[group]).mean(axis=1)
        central = pool[group[int(np.argmax(centrality))]]
        earliest = min(group, key=lambda i: (pool[i].published is None, pool[i].published, pool[i].id))
        ordered = sorted(new_members, key=lambda i: -centrality[group.index(i)])
        out.append(
            Thread(
                id=f"story-{pool[earliest].id}",
                title=central.title,
                kind="emergent",
                article_ids=tuple(pool[i].id for i in ordered),
                scores=tuple(round(float(centrality[group.index(i)]), 4) for i in ordered),
            )
        )
    out.sort(key=lambda t: -len(t.article_ids))
    return out


def _average_linkage(vecs: Any, distance: float) -> np.ndarray:
    """A cluster label per row of `vecs`: average-linkage clustering on cosine distance,
    merging while the distance is under `distance`, without an n × n matrix of all the rows.

    Two groups merge only if some pair across them is that close, so every cluster lies
    within one connected component of the graph of close pairs, and clustering each
    component on its own gives the clusters the whole matrix would (for unrelated articles,
    components stay small)."""
    n_parts, part = connected_components(_close_pairs(vecs, 1.0 - distance), directed=False)
    labels = np.empty(vecs.shape[0], dtype=np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(part, minlength=n_parts))]
    next_label = 0
    for c in range(n_parts):
        members = order[bounds[c] : bounds[c + 1]]
        if len(members) == 1:
            labels[members] = next_label
            next_label += 1
            continue
        dist = np.clip(1.0 - cosine_similarity(vecs[members]), 0.0, 2.0)
        found = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
        ).fit_predict(dist)
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return labels


def _close_pairs(vecs: Any, floor: float) -> csr_matrix:
    """The sparse graph of row pairs whose cosine is above `floor` (rows L2-normalised),
    computed a block of rows at a time. The floor is lowered by a hair so that rounding
    never drops a pair the clustering would merge: an extra edge only joins components."""
    blocks = []
    for start in range(0, vecs.shape[0], BLOCK):
        sims = csr_matrix(vecs[start : start + BLOCK] @ vecs.T)
        sims.data[sims.data <= floor - 1e-9] = 0.0
        sims.eliminate_zeros()
        blocks.append(sims)
    graph: csr_matrix = vstack(blocks).tocsr()
    return graph


def _doc(article: Article, tuning: ThreadTuning) -> str:
    # the title is repeated: it says what the article is about more densely than the body
    return f"{article.title}. {article.title}. {article.text[: tuning.max_text_chars]}"


def _keyword_score(article: Article, spec: ThreadSpec) -> float:
    """0..1: distinct keywords found, a title hit counting double; case matters for names."""
    if not spec.keywords:
        return 0.5
    hits = 0.0
    for kw in spec.keywords:
        pattern = _pattern(kw)
        if pattern.search(article.title):
            hits += 2
        elif pattern.search(article.text):
            hits += 1
    return min(1.0, hits / 4)


@functools.lru_cache(maxsize=1024)
def _pattern(keyword: str) -> re.Pattern[str]:
    flags = 0 if any(c.isupper() for c in keyword) else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(keyword)}(?!\w)", flags)
