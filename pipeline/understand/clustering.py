"""The clustering the thread stages share: TF-IDF rows compared a block at a time, average
linkage without an n × n matrix, and the names that draw two articles of one story together."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

from pipeline.models import Article
from pipeline.understand.tfidf import cosine, tfidf_rows, words

BLOCK = 256  # rows of similarities computed at once: bounds memory at BLOCK × articles
PAIR_BLOCK = 128  # the same for the graph of close pairs, which holds more per pair


@dataclass(frozen=True)
class ThreadTuning:
    """How articles are filed under threads, configured and emergent (`threads.py`)."""

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
    story_distance: float = 0.85  # the same, to group a configured thread's candidates by event
    name_bonus: float = 0.2
    # documents assumed besides those of a run in the idf (`tfidf_rows`' `unseen`): a first run
    # of a few articles on one subject would otherwise weigh its words as nearly nothing
    idf_unseen: int = 200
    max_text_chars: int = 20_000  # long texts are cut before vectorizing
    # terms in more than this share of the documents are left out of the vectors (the subject's
    # own words), once there are more than `max_df_from` documents: set with the first threads
    max_df: float = 0.9
    max_df_from: int = 20
    seed_margin: float = 0.15  # over the join threshold, a first run's article seeds the members
    keyword_hits_full: float = 4.0  # keyword hits (a title hit counts two) that score fully
    no_keywords_score: float = 0.5  # the keyword score of a thread that lists none


def closest(matrix: csr_matrix, n: int, others: np.ndarray) -> np.ndarray:
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


def average_linkage(
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
    graph = close_pairs(matrix, rows, 1.0 - distance, names, name_bonus)
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
            dist -= name_bonus * jaccard(names[members], names[members]).toarray()
        dist = np.clip(dist, 0.0, 2.0)
        np.fill_diagonal(dist, 0.0)
        tree = linkage(squareform(dist, checks=False), method="average")
        # merged while under `distance` (fcluster keeps merges at or under its threshold)
        found = fcluster(tree, np.nextafter(distance, 0.0), criterion="distance") - 1
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return labels


def close_pairs(
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
            score = score + name_bonus * jaccard(names, names[start : start + len(block)])
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
NAME = re.compile(r"(?<=[a-z,;:] )[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*")


def doc_text(article: Article, max_chars: int) -> str:
    """The text vectorized for an article: the title twice (it says what the article is about
    more densely than the body), the text, and its names once more (ECB+ story F1 0.884 ->
    0.896 in one batch, 0.863 -> 0.883 streamed; `make bench`)."""
    text = article.text[:max_chars]
    names = " ".join(NAME.findall(text))
    return f"{article.title}. {article.title}. {text} {names}"


# Capitalised words after the first of a title: in a headline, its names and subject
_TITLE_WORD = re.compile(r"(?<=\w )[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)*")


def name_sets(articles: Sequence[Article], max_chars: int) -> csr_matrix:
    """A row of 0/1 for each article: the words of the names in its text and the capitalised
    words of its title (lowercased, stop words out)."""
    vocabulary: dict[str, int] = {}
    row: list[int] = []
    column: list[int] = []
    for index, a in enumerate(articles):
        found = NAME.findall(a.text[:max_chars]) + _TITLE_WORD.findall(a.title)
        for word in {w for name in found for w in words(name)}:
            row.append(index)
            column.append(vocabulary.setdefault(word, len(vocabulary)))
    ones = np.ones(len(row), dtype=np.float64)
    found_names: csr_matrix = csr_matrix(
        (ones, (row, column)), shape=(len(articles), max(1, len(vocabulary)))
    )
    return found_names


def jaccard(names: csr_matrix, others: csr_matrix) -> csr_matrix:
    """The Jaccard index of each row of `names` with each row of `others` (rows of 0/1), kept
    only for the pairs that share a name (the others are 0)."""
    shared = (names @ others.T).tocoo()
    sizes = np.asarray(names.sum(axis=1), dtype=float).ravel()
    other_sizes = np.asarray(others.sum(axis=1), dtype=float).ravel()
    union = sizes[shared.row] + other_sizes[shared.col] - shared.data  # ≥ 1 where they share
    jaccard: csr_matrix = csr_matrix((shared.data / union, (shared.row, shared.col)), shape=shared.shape)
    return jaccard


def events_of(articles: Sequence[Article], tuning: ThreadTuning) -> list[int]:
    """A label per article: which event of its thread it tells, by the clustering of emerging
    threads (a thread that holds two events of one subject, two earthquakes in one country,
    gives two labels). One article, or none, is one event."""
    if len(articles) < 2:
        return [0] * len(articles)
    matrix = tfidf_rows(
        (doc_text(a, tuning.max_text_chars) for a in articles),
        pairs=True,
        max_df=tuning.max_df if len(articles) > tuning.max_df_from else 1.0,
        unseen=tuning.idf_unseen,
    )
    labels = average_linkage(
        matrix,
        np.arange(len(articles)),
        tuning.emergent_distance,
        name_sets(articles, tuning.max_text_chars),
        tuning.name_bonus,
    )
    return [int(x) for x in labels]
