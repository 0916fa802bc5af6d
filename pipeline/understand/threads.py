"""File articles under story threads: the configured ones, then emergent ones for the rest.

An article joins a configured thread on three kinds of evidence, not on a keyword alone: the
thread's keywords and names found in it (a hit in the title counts double), its TF-IDF
similarity to the thread's title and description, and its similarity to articles already in
the thread (from earlier runs, and the strongest members of this run). Articles in no
configured thread are grouped by average-linkage clustering on TF-IDF cosine (names inside
sentences weigh double), two articles drawn closer by the share of names they have in common;
a group of two or more becomes an emergent thread, and a group that holds a story's earlier
articles goes on under that story's id.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from pipeline.models import Article, Thread, ThreadSpec
from pipeline.understand.tfidf import cosine, tfidf_rows, words

BLOCK = 256  # rows of similarities computed at once: bounds memory at BLOCK × articles
PAIR_BLOCK = 128  # the same for the graph of close pairs, which holds more per pair


@dataclass(frozen=True)
class ThreadTuning:
    keyword_weight: float = 0.5
    description_weight: float = 0.25
    member_weight: float = 0.25
    description_scale: float = 0.25  # a cosine this high to the description counts fully
    member_scale: float = 0.5  # a cosine this high to a member counts fully
    join_threshold: float = 0.42
    # average-linkage distance to merge two groups: cosine distance less `name_bonus` times
    # the share of names two articles have in common (Jaccard). The three were chosen together
    # in a sweep on the ECB+ dev half, so its figures are in-sample: story BCubed F1 0.902 in
    # one batch and 0.904 streamed as run.py does, against 0.896 and 0.883 for plain cosine at
    # 0.92. WikiRef220, not used to choose, rose too (topic F1 0.472/0.375 → 0.514/0.553).
    emergent_distance: float = 0.90
    name_bonus: float = 0.2
    # documents assumed besides those of a run in the idf (`tfidf_rows`' `unseen`): a first run
    # of a few articles on one subject would otherwise weigh its words as nearly nothing
    idf_unseen: int = 200
    max_text_chars: int = 20_000  # long texts are cut before vectorizing


def assign_threads(
    articles: Sequence[Article],
    specs: Sequence[ThreadSpec],
    members: Mapping[str, Sequence[Article]] | None = None,
    unthreaded: Sequence[Article] = (),
    stories: Mapping[str, Sequence[Article]] | None = None,
    tuning: ThreadTuning = ThreadTuning(),
) -> tuple[Thread, ...]:
    """Threads holding the new `articles`; `members` are earlier articles of each configured
    thread, `unthreaded` recent earlier articles in none, `stories` recent earlier articles
    of each emergent thread (all only as context: a new article that joins a story's earlier
    articles is filed under that story's id)."""
    if not articles:
        return ()
    members = members or {}
    context = [a for spec in specs for a in members.get(spec.id, ())]
    story_of = [(story_id, a) for story_id, found in (stories or {}).items() for a in found]
    loose_context = [*unthreaded, *(a for _, a in story_of)]
    threads: list[Thread] = []
    placed: set[int] = set()
    if specs:
        # rows of the matrix: the new articles, the members of each spec in turn, the loose
        # context (its words weigh in the idf, as they always have), then the specs themselves
        scored = [*articles, *context, *loose_context]
        texts = chain(
            (_doc(a, tuning) for a in scored),
            (" ".join((s.title, s.description, " ".join(s.keywords))) for s in specs),
        )
        matrix = tfidf_rows(texts, pairs=True, max_df=0.9 if len(scored) > 20 else 1.0)
        member_row = len(articles)
        for s_index, spec in enumerate(specs):
            spec_members = range(member_row, member_row + len(members.get(spec.id, ())))
            member_row = spec_members.stop
            found = _configured(articles, spec, matrix, spec_members, len(scored) + s_index, tuning)
            if found is not None:
                threads.append(found.thread)
                placed.update(found.rows)
        del matrix
    # the rest are clustered on a matrix of their own, with the idf of the articles in play
    # (the new ones in no configured thread, the unthreaded ones and the stories' articles)
    rest = [articles[i] for i in range(len(articles)) if i not in placed]
    pool = [*rest, *loose_context]
    matrix = tfidf_rows(
        (_doc(a, tuning) for a in pool),
        pairs=True,
        max_df=0.9 if len(pool) > 20 else 1.0,
        unseen=tuning.idf_unseen,
    )
    earlier_story = {len(rest) + len(unthreaded) + k: story_id for k, (story_id, _) in enumerate(story_of)}
    threads.extend(_emergent(list(range(len(pool))), rest, loose_context, earlier_story, matrix, tuning))
    return tuple(threads)


@dataclass(frozen=True)
class _Found:
    thread: Thread
    rows: tuple[int, ...]  # the new articles it holds, by index


def _configured(
    articles: Sequence[Article],
    spec: ThreadSpec,
    matrix: csr_matrix,
    member_rows: range,
    spec_row: int,
    tuning: ThreadTuning,
) -> _Found | None:
    """The new articles that join a configured thread: keywords found, similarity to its
    description, and similarity to its members (earlier ones, or this run's clearest)."""
    n = len(articles)
    kw = np.array([_keyword_score(a, spec) for a in articles])
    desc = _closest(matrix, n, np.array([spec_row]))
    desc_score = np.minimum(1.0, desc / tuning.description_scale)
    base = tuning.keyword_weight * kw + tuning.description_weight * desc_score
    # seed with this run's clear members when the thread has no history yet
    seeds = np.flatnonzero(base >= tuning.join_threshold + 0.15)
    member_sim = np.maximum(_closest(matrix, n, np.array(member_rows)), _closest(matrix, n, seeds))
    score = base + tuning.member_weight * np.minimum(1.0, member_sim / tuning.member_scale)
    chosen = [i for i in range(n) if score[i] >= tuning.join_threshold and kw[i] > 0]
    if not chosen:
        return None
    chosen.sort(key=lambda i: -score[i])
    thread = Thread(
        id=spec.id,
        title=spec.title,
        kind="configured",
        description=spec.description,
        article_ids=tuple(articles[i].id for i in chosen),
        scores=tuple(round(float(score[i]), 4) for i in chosen),
    )
    return _Found(thread, tuple(chosen))


def _closest(matrix: csr_matrix, n: int, others: np.ndarray) -> np.ndarray:
    """For each of the first `n` rows of `matrix`, its highest cosine to one of the rows
    `others` other than itself (0 when there is none). Computed a block of rows at a time, so
    the memory is bounded however many articles there are."""
    best = np.zeros(n)
    if not len(others):
        return best
    against = matrix[others]
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        sims = cosine(matrix[start:stop], against)
        itself = (others >= start) & (others < stop)
        sims[others[itself] - start, np.flatnonzero(itself)] = 0.0  # cosines are never negative
        best[start:stop] = sims.max(axis=1)
    return best


def _emergent(
    rows: list[int],
    new: Sequence[Article],
    earlier: Sequence[Article],
    earlier_story: Mapping[int, str],
    matrix: csr_matrix,
    tuning: ThreadTuning,
) -> list[Thread]:
    """Groups of the `new` articles (in no configured thread) and the `earlier` ones: `rows` are
    theirs in `matrix`, in that order. A group holding earlier articles of a story
    (`earlier_story`: index in the pool → story id) goes on under that story's id; any
    other group of two or more is named after its earliest article."""
    pool = [*new, *earlier]
    if len(pool) < 2:
        return []
    labels = _average_linkage(
        matrix, np.array(rows), tuning.emergent_distance, _name_sets(pool, tuning), tuning.name_bonus
    )
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    kept = [g for g in groups.values() if len(g) >= 2 and any(i < len(new) for i in g)]
    ids = _story_ids(kept, pool, earlier_story)
    out: list[Thread] = []
    for group, story_id in zip(kept, ids, strict=True):
        new_members = [i for i in group if i < len(new)]
        # the most central member names the thread (rounded: a tie, as between the two members
        # of a pair, goes to the first, not to rounding noise); the earliest gives a stable id
        centrality = np.round(cosine(matrix[[rows[i] for i in group]]).mean(axis=1), 9)
        central = pool[group[int(np.argmax(centrality))]]
        ordered = sorted(new_members, key=lambda i: -centrality[group.index(i)])
        out.append(
            Thread(
                id=story_id,
                title=central.title,
                kind="emergent",
                article_ids=tuple(pool[i].id for i in ordered),
                scores=tuple(round(float(centrality[group.index(i)]), 4) for i in ordered),
                joined=tuple(pool[i].id for i in group if i >= len(new) and i not in earlier_story),
            )
        )
    out.sort(key=lambda t: -len(t.article_ids))
    return out


def _story_ids(
    groups: Sequence[list[int]], pool: Sequence[Article], earlier_story: Mapping[int, str]
) -> list[str]:
    """An id for each group: the story most of its earlier articles belong to, given to the
    group that holds most of that story (a story can split in two: the other part is a new
    story); otherwise "story-<id>" of its earliest article that names no story yet, so an id
    stays the same from run to run."""
    claims = [Counter(earlier_story[i] for i in g if i in earlier_story) for g in groups]
    owner: dict[str, int] = {}
    for index, known in enumerate(claims):
        if known:
            story = min(known, key=lambda s: (-known[s], s))  # between equals, the first named
            if story not in owner or known[story] > claims[owner[story]][story]:
                owner[story] = index
    ids = {index: story for story, index in owner.items()}
    out = []
    for index, group in enumerate(groups):
        fresh = [i for i in group if i not in earlier_story] or group
        earliest = min(fresh, key=lambda i: (pool[i].published is None, pool[i].published, pool[i].id))
        out.append(ids.get(index, f"story-{pool[earliest].id}"))
    return out


def _average_linkage(
    matrix: csr_matrix,
    rows: np.ndarray,
    distance: float,
    names: csr_matrix | None = None,
    name_bonus: float = 0.0,
) -> np.ndarray:
    """A cluster label for each of `rows` of `matrix`: average-linkage clustering on cosine
    distance, merging while the distance is under `distance`, without an n × n matrix. With
    `names` (a row of 0/1 per name for each of `rows`), the distance of two rows is less
    `name_bonus` times the Jaccard index of their names.

    Two groups merge only if some pair across them is that close, so every cluster lies
    within one connected component of the graph of close pairs, and clustering each
    component on its own gives the clusters the whole matrix would (for unrelated articles,
    components stay small)."""
    graph = _close_pairs(matrix, rows, 1.0 - distance, names, name_bonus)
    n_parts, part = connected_components(graph, directed=False)
    labels = np.empty(len(rows), dtype=np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(part, minlength=n_parts))]
    next_label = 0
    for c in range(n_parts):
        members = order[bounds[c] : bounds[c + 1]]
        if len(members) == 1:
            labels[members] = next_label
            next_label += 1
            continue
        dist = 1.0 - cosine(matrix[rows[members]])
        if names is not None and name_bonus:
            dist -= name_bonus * _jaccard(names[members], names[members]).toarray()
        dist = np.clip(dist, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        tree = linkage(squareform(dist, checks=False), method="average")
        # merged while under `distance` (fcluster keeps merges at or under its threshold)
        found = fcluster(tree, np.nextafter(distance, 0.0), criterion="distance") - 1
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return labels


def _close_pairs(
    matrix: csr_matrix,
    rows: np.ndarray,
    floor: float,
    names: csr_matrix | None = None,
    name_bonus: float = 0.0,
) -> csr_matrix:
    """The graph over `rows` (positions 0..len(rows)-1) of the pairs whose cosine (plus
    `name_bonus` times the Jaccard index of their `names`, rows by position) is above `floor`
    (rows are L2-normalised), computed against a block of rows at a time and never as a copy
    of the matrix. The floor is lowered by a hair so that rounding never drops a pair the
    clustering would merge: an extra edge only joins two components."""
    position = np.full(matrix.shape[0], -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    left: list[np.ndarray] = []
    right: list[np.ndarray] = []
    for start in range(0, len(rows), PAIR_BLOCK):
        block = rows[start : start + PAIR_BLOCK]
        sims = (matrix @ matrix[block].T).tocoo()
        mine = position[sims.row] >= 0
        score = csr_matrix(
            (sims.data[mine].astype(float), (position[sims.row[mine]], sims.col[mine])),
            shape=(len(rows), len(block)),
        )
        if names is not None and name_bonus:
            score = score + name_bonus * _jaccard(names, names[start : start + len(block)])
        found = score.tocoo()
        close = found.data > floor - 1e-4  # float32 sums: an extra edge only joins components
        left.append(found.row[close].astype(np.int64))
        right.append(found.col[close].astype(np.int64) + start)
    pairs = np.concatenate(left)
    edges = np.ones(len(pairs), dtype=np.int8)
    graph: csr_matrix = csr_matrix((edges, (pairs, np.concatenate(right))), shape=(len(rows), len(rows)))
    return graph


# Names inside a sentence (capitalised words after a lowercase word or a comma): who and where
# tell two stories of one kind apart (two rehab stays, two earthquakes), so they count twice.
_NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*")


def _doc(article: Article, tuning: ThreadTuning) -> str:
    """The text vectorized for an article: the title twice (it says what the article is about
    more densely than the body), the text, and its names once more (ECB+ story F1 0.884 ->
    0.896 in one batch, 0.863 -> 0.883 streamed; `make bench`)."""
    text = article.text[: tuning.max_text_chars]
    names = " ".join(_NAME.findall(text))
    return f"{article.title}. {article.title}. {text} {names}"


# Capitalised words after the first of a title: in a headline, its names and subject
_TITLE_WORD = re.compile(r"(?<=\w )[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*")


def _name_sets(articles: Sequence[Article], tuning: ThreadTuning) -> csr_matrix:
    """A row of 0/1 for each article: the words of the names in its text and the capitalised
    words of its title (lowercased, stop words out)."""
    vocabulary: dict[str, int] = {}
    row: list[int] = []
    column: list[int] = []
    for index, a in enumerate(articles):
        found = _NAME.findall(a.text[: tuning.max_text_chars]) + _TITLE_WORD.findall(a.title)
        for word in {w for name in found for w in words(name)}:
            row.append(index)
            column.append(vocabulary.setdefault(word, len(vocabulary)))
    ones = np.ones(len(row), dtype=np.float64)
    found_names: csr_matrix = csr_matrix(
        (ones, (row, column)), shape=(len(articles), max(1, len(vocabulary)))
    )
    return found_names


def _jaccard(names: csr_matrix, others: csr_matrix) -> csr_matrix:
    """The Jaccard index of each row of `names` with each row of `others` (rows of 0/1), kept
    only for the pairs that share a name (the others are 0)."""
    shared = (names @ others.T).tocoo()
    sizes = np.asarray(names.sum(axis=1), dtype=float).ravel()
    other_sizes = np.asarray(others.sum(axis=1), dtype=float).ravel()
    union = sizes[shared.row] + other_sizes[shared.col] - shared.data  # ≥ 1 where they share
    jaccard: csr_matrix = csr_matrix((shared.data / union, (shared.row, shared.col)), shape=shared.shape)
    return jaccard


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
