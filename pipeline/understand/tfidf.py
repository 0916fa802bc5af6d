"""TF-IDF rows as scikit-learn's TfidfVectorizer makes them, and the cosine between rows.

Words are runs of two or more word characters, lowercased, English stop words out; word pairs
are formed after the stop words are dropped. Weights are sublinear (1 + log tf) times the
smoothed idf (log((1 + n) / (1 + df)) + 1), and rows are L2-normalised.

A run does not import scikit-learn for this: its import alone holds about 55 MB of the 400 MB
a run may peak at on 5,000 articles (`make bench`), and it has no way to make the matrix
without a vocabulary of strings, which for a few thousand articles is over a million strings,
hundreds of MB. Here a term is known by a 32-bit hash instead (CRC-32 of its UTF-8), only
while the matrix is made. Among the 1.5 million terms of 5,000 articles, a few hundred pairs of
rare terms share a hash and count as one, as in scikit-learn's HashingVectorizer. Not Python's
own `hash`: it changes with each process's hash seed, and with it which terms share a hash
and the order a row's terms are summed in, so similarities (and a tie they decide) would
differ between two runs on the same articles. Weights are float32.
`tests/test_tfidf.py` checks the result against scikit-learn's.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from itertools import pairwise
from zlib import crc32

import numpy as np
from scipy.sparse import csr_matrix, issparse, spmatrix

from pipeline.text.words import STOP_WORDS, TERM

TERM_SHARES = 16  # terms are numbered a sixteenth at a time (a power of two)
CHUNK = 1 << 20  # weights scaled at once
ROWS_AT_ONCE = 1024  # rows normalised at once


def words(text: str) -> list[str]:
    """The words of `text` that TF-IDF counts: lowercased, stop words out."""
    return [w for w in TERM.findall(text.lower()) if w not in STOP_WORDS]


def terms(text: str, pairs: bool = False) -> list[str]:
    """The words of `text`, and with `pairs` each two neighbouring words as well."""
    found = words(text)
    if pairs:
        found += [f"{a} {b}" for a, b in pairwise(found)]
    return found


def tfidf_rows(texts: Iterable[str], pairs: bool = False, max_df: float = 1.0, unseen: int = 0) -> csr_matrix:
    """A row of TF-IDF weights (float32) for each text, read one at a time and not kept; terms
    in more than `max_df` of the texts are dropped. `unseen` documents that hold none of the
    terms are counted in the idf as well (log((1 + n + unseen) / (1 + df)) + 1): a prior that
    keeps a few texts on one subject from weighing that subject's words as nearly nothing
    (0 gives scikit-learn's idf). Columns are the terms in order of first use. The memory is
    about 16 bytes per distinct term of a text while the matrix is made, and 8 in the matrix."""
    keys, counts, sizes = array("I"), array("i"), [0]
    for text in texts:
        # a term is word characters only (`TERM`), never a lone surrogate: it always encodes
        hashes = np.fromiter(map(crc32, map(str.encode, terms(text, pairs))), dtype=np.uint32)
        row_keys, row_counts = np.unique(hashes, return_counts=True)
        # an array grows in place (a large one is remapped, not copied), where concatenating
        # numpy rows would need the memory twice
        keys.frombytes(row_keys.tobytes())
        counts.frombytes(row_counts.astype(np.int32).tobytes())
        sizes.append(len(row_keys))
    n_texts = len(sizes) - 1
    indptr = np.cumsum(sizes)
    column, df = _number_terms(np.frombuffer(keys, dtype=np.uint32))
    del keys
    idf = (np.log((1 + n_texts + unseen) / (1 + df)) + 1.0).astype(np.float32)
    idf[df > max_df * n_texts] = 0.0
    weights = np.frombuffer(counts, dtype=np.int32).astype(np.float32)
    del counts
    np.log(weights, out=weights)
    weights += 1.0
    for start in range(0, len(weights), CHUNK):  # idf[column] for all would be a copy as large
        weights[start : start + CHUNK] *= idf[column[start : start + CHUNK]]
    matrix = csr_matrix((weights, column, indptr), shape=(n_texts, len(df)))
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return unit_rows(matrix)


def unit_rows(matrix: csr_matrix) -> csr_matrix:
    """`matrix` with each row scaled to length 1, in place (a row of zeros stays so), a block
    of rows at a time."""
    data, indptr = matrix.data, matrix.indptr
    for start in range(0, matrix.shape[0], ROWS_AT_ONCE):
        bounds = indptr[start : start + ROWS_AT_ONCE + 1]
        block = data[bounds[0] : bounds[-1]]
        sizes = np.diff(bounds)
        filled = sizes > 0
        lengths = np.ones(len(sizes), dtype=data.dtype)
        if block.size:
            lengths[filled] = np.sqrt(np.add.reduceat(np.square(block), bounds[:-1][filled] - bounds[0]))
            lengths[lengths == 0] = 1.0  # a row of stored zeros
        block /= np.repeat(lengths, sizes)
    return matrix


def cosine(a: spmatrix | np.ndarray, b: spmatrix | np.ndarray | None = None) -> np.ndarray:
    """The cosine of each row of `a` to each row of `b` (or of `a`), as a dense array."""
    a = _unit(a)
    b = a if b is None else _unit(b)
    product = a @ b.T
    return np.asarray(product.toarray() if issparse(product) else product, dtype=float)


def _unit(rows: spmatrix | np.ndarray) -> csr_matrix | np.ndarray:
    if issparse(rows):
        return unit_rows(csr_matrix(rows, dtype=float, copy=True))
    dense = np.array(rows, dtype=float, ndmin=2)
    lengths = np.linalg.norm(dense, axis=1, keepdims=True)
    return np.divide(dense, lengths, out=np.zeros_like(dense), where=lengths > 0)


def _number_terms(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each key's term number (the keys of each text in turn), terms numbered
    0..k-1 in order of first use (so the matrix does not depend on the hash seed), and each
    term's count of keys (its document frequency, as a text's keys are distinct). Keys are
    sorted a share at a time, which bounds the memory."""
    column = np.empty(len(keys), dtype=np.int32)
    share = keys.astype(np.uint8) & (TERM_SHARES - 1)  # the low bits
    firsts, dfs, start = [], [], 0
    for k in range(TERM_SHARES):
        where = np.flatnonzero(share == k)
        _, first, inverse, df = np.unique(
            keys[where], return_index=True, return_inverse=True, return_counts=True
        )
        column[where] = inverse + start
        firsts.append(where[first].astype(np.int32))
        dfs.append(df.astype(np.int32))
        start += len(df)
    del share
    order = np.argsort(np.concatenate(firsts), kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    for start in range(0, len(column), CHUNK):  # in place, a chunk at a time (indexing copies)
        column[start : start + CHUNK] = rank[column[start : start + CHUNK]]
    return column, np.concatenate(dfs)[order]
