"""Our TF-IDF and average-linkage clustering give what scikit-learn gives (a run does not
import it: see pipeline/understand/tfidf.py), on texts with repeated words, stop words, accents and
digits, and texts made only of stop words."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from pipeline.text.words import STOP_WORDS
from pipeline.understand.clustering import average_linkage
from pipeline.understand.tfidf import cosine, tfidf_rows

VOCABULARY = (
    "meta llama open weights closed model lecun leaves startup paris valuation billion funding "
    "régulateur café 2026 q3 gpu cluster outage earthquake rescue teams flood river court ruling "
    "the and of it is was not a to in"
).split()


def _texts(seed: int, n: int) -> list[str]:
    """`n` texts, each mostly of one of four stories' words, and two texts with no term."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        story = VOCABULARY[rng.randrange(4) * 8 :][:10]
        words = [rng.choice(story if rng.random() < 0.7 else VOCABULARY) for _ in range(rng.randint(3, 40))]
        texts.append(" ".join(w.upper() if rng.random() < 0.1 else w for w in words) + ".")
    return [*texts, "The and of it is.", ""]


def test_stop_words_are_scikit_learns() -> None:
    assert STOP_WORDS == ENGLISH_STOP_WORDS


@pytest.mark.parametrize(("pairs", "max_df"), [(False, 1.0), (True, 1.0), (True, 0.5)])
def test_rows_have_the_cosines_of_scikit_learns(pairs: bool, max_df: float) -> None:
    texts = _texts(7, 60)
    ours = tfidf_rows(texts, pairs=pairs, max_df=max_df)
    theirs = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, ngram_range=(1, 2 if pairs else 1), max_df=max_df
    ).fit_transform(texts)
    assert ours.shape[0] == theirs.shape[0] and ours.nnz == theirs.nnz
    assert np.allclose(cosine(ours), cosine_similarity(theirs))
    # the same weights, only the columns in another order (and dropped terms left empty)
    kept = ours[:, ours.getnnz(axis=0) > 0]
    assert np.allclose(np.sort(kept.toarray(), axis=1), np.sort(theirs.toarray(), axis=1))


def test_cosine_to_an_unnormalised_dense_row() -> None:
    rows = tfidf_rows(_texts(3, 20))
    centroid = np.asarray(rows.mean(axis=0))
    assert np.allclose(cosine(rows, centroid), cosine_similarity(rows, centroid))
    assert np.allclose(cosine(rows, rows[:4]), cosine_similarity(rows, rows[:4]))


@pytest.mark.parametrize("distance", [0.5, 0.8, 0.92])
def test_average_linkage_finds_scikit_learns_clusters(distance: float) -> None:
    matrix = tfidf_rows(_texts(11, 80), pairs=True)
    rows = np.arange(matrix.shape[0])
    ours = average_linkage(matrix, rows, distance)
    dist = np.clip(1.0 - cosine_similarity(matrix), 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    theirs = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    ).fit_predict(dist)
    assert len(set(ours)) < len(rows)  # something was merged
    same_ours = ours[:, None] == ours[None, :]
    same_theirs = theirs[:, None] == theirs[None, :]
    assert (same_ours == same_theirs).all()


def test_the_name_bonus_clusters_as_scikit_learn_does_on_the_same_distances(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Average linkage on cosine distance less 0.2 × the Jaccard index of the names, computed a
    few rows at a time, finds the clusters of the whole matrix; a pair close only by its
    names is merged."""
    import pipeline.understand.clustering as clustering

    monkeypatch.setattr(clustering, "PAIR_BLOCK", 7)  # many blocks
    matrix = tfidf_rows(_texts(5, 60), pairs=True)
    rng = random.Random(5)
    names_dense = np.array([[float(rng.random() < 0.15) for _ in range(15)] for _ in range(matrix.shape[0])])
    names_dense[:, 12:] = 0.0
    names_dense[-2:] = 0.0
    names_dense[-2:, 12:] = 1.0  # the last two texts (no terms at all) share names no other has
    names = csr_matrix(names_dense)
    rows = np.arange(matrix.shape[0])

    ours = clustering.average_linkage(matrix, rows, 0.9, names, 0.2)

    shared = names_dense @ names_dense.T
    sizes = names_dense.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - shared
    jaccard = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
    dist = np.clip(1.0 - cosine_similarity(matrix) - 0.2 * jaccard, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    theirs = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=0.9
    ).fit_predict(dist)
    assert ours[-1] == ours[-2] and (ours == ours[-1]).sum() == 2
    assert ((ours[:, None] == ours[None, :]) == (theirs[:, None] == theirs[None, :])).all()


_MATRIX_DIGEST = """
import hashlib, random, sys
sys.path.insert(0, {tests!r})
from test_tfidf import _texts
from pipeline.understand.tfidf import tfidf_rows
m = tfidf_rows(_texts(7, 60), pairs=True)
print(hashlib.sha256(m.data.tobytes() + m.indices.tobytes() + m.indptr.tobytes()).hexdigest())
"""


def test_the_matrix_is_the_same_bytes_whatever_the_hash_seed() -> None:
    """Terms are known by a hash that is not Python's seeded one: two processes with different
    PYTHONHASHSEED give the same columns, in the same order, with the same weights."""
    script = _MATRIX_DIGEST.format(tests=str(Path(__file__).resolve().parent))
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(digests) == 1, digests
