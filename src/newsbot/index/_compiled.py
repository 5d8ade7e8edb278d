"""The compiled half of ``compiled``: imported only once numba is (see there)."""

from __future__ import annotations

import numba
import numpy as np
from numba import types

from newsbot.index.bm25 import PACKED_BITS, PACKED_MAX


def _readonly(dtype: types.Type) -> types.Array:
    """A 1-d array type that a saved (memory-mapped, read-only) array and a built one both pass."""
    return types.Array(dtype, 1, "C", readonly=True)


# The signatures are compiled when numba loads (or read from its cache), never on a query.
TOP_K = types.Tuple((types.int64[::1], types.float64[::1]))(
    _readonly(types.int32),  # term_ids
    _readonly(types.int32),  # offsets
    _readonly(types.uint16),  # docs
    types.int64,  # start
    _readonly(types.uint8),  # tfs, packed
    _readonly(types.int32),  # big_at
    _readonly(types.uint32),  # big_tfs
    _readonly(types.int32),  # query
    _readonly(types.float64),  # idfs
    _readonly(types.float64),  # norm
    types.float64,  # k1
    _readonly(types.boolean),  # alive
    types.boolean,  # any_dead
    types.float64[::1],  # total
    types.int32[::1],  # touched
    types.int64,  # k
)
HOLDING = types.void(
    _readonly(types.int32),  # term_ids
    _readonly(types.int32),  # offsets
    _readonly(types.uint16),  # docs
    types.int64,  # start
    types.int64,  # n_docs
    _readonly(types.int32),  # query
    _readonly(types.int32),  # targets
    types.boolean[:, ::1],  # held
)


@numba.njit(cache=True, nogil=True, inline="always")
def _find(term_ids: np.ndarray, term: int) -> int:
    """Where ``term`` is in a segment's sorted ``term_ids``, or -1."""
    at = np.searchsorted(term_ids, term)
    return at if at < len(term_ids) and term_ids[at] == term else -1


@numba.njit(TOP_K, cache=True, nogil=True)
def top_k(
    term_ids: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    start: int,
    tfs: np.ndarray,
    big_at: np.ndarray,
    big_tfs: np.ndarray,
    query: np.ndarray,
    idfs: np.ndarray,
    norm: np.ndarray,
    k1: float,
    alive: np.ndarray,
    any_dead: bool,
    total: np.ndarray,
    touched: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best live documents of one segment (``term_ids``, ``offsets``, ``docs``,
    ``start``, ``tfs``, ``big_at``, ``big_tfs`` as in ``Segment``), by global number, for a
    query of term ids, and their scores, in no order. Each term's idf is ``idfs[t]`` (every
    one positive: a document's total is 0 until its first posting); each weight is computed as
    ``BM25Okapi._weights`` computes it and added in query order (as rank_bm25 adds its terms'
    scores) into ``total``, all zeros, as long as the collection, and left so. ``touched``, at
    least as long as the segment, notes each document as first touched, so that picking the
    best and clearing reads each once."""
    m = 0
    for t in range(len(query)):
        at = _find(term_ids, query[t])
        if at < 0:
            continue
        idf = idfs[t]
        for i in range(offsets[at], offsets[at + 1]):
            doc = start + np.int64(docs[i])
            if any_dead and not alive[doc]:
                continue
            packed = (np.int64(tfs[i >> 1]) >> ((i & 1) * PACKED_BITS)) & PACKED_MAX
            if packed == PACKED_MAX:
                tf = np.float64(big_tfs[np.searchsorted(big_at, i)])
            else:
                tf = np.float64(packed)
            before = total[doc]
            if before == 0.0:
                touched[m] = doc
                m += 1
            total[doc] = before + tf * (k1 + 1) / (norm[doc] + tf) * idf
    best = np.empty(k, np.float64)  # a heap whose root is the worst of the best so far
    held = np.empty(k, np.int64)
    n = 0
    for i in range(m):
        doc = touched[i]
        score = total[doc]
        total[doc] = 0.0
        if n < k:
            j = n
            n += 1
            while j > 0:
                parent = (j - 1) // 2
                if best[parent] < score or (best[parent] == score and held[parent] > doc):
                    break
                best[j], held[j] = best[parent], held[parent]
                j = parent
            best[j], held[j] = score, doc
        elif score > best[0] or (score == best[0] and doc < held[0]):
            j = 0
            while True:
                child = 2 * j + 1
                if child >= n:
                    break
                right = child + 1
                if right < n and (
                    best[right] < best[child]
                    or (best[right] == best[child] and held[right] > held[child])
                ):
                    child = right
                if best[child] > score or (best[child] == score and held[child] < doc):
                    break
                best[j], held[j] = best[child], held[child]
                j = child
            best[j], held[j] = score, doc
    return held[:n].copy(), best[:n].copy()


@numba.njit(HOLDING, cache=True, nogil=True)
def holding(
    term_ids: np.ndarray,
    offsets: np.ndarray,
    docs: np.ndarray,
    start: int,
    n_docs: int,
    query: np.ndarray,
    targets: np.ndarray,
    held: np.ndarray,
) -> None:
    """For each term id of ``query`` and each global document number of ``targets``, whether
    this segment (``start``, ``n_docs`` documents) holds the document among the term's
    postings: ``held[t, j]`` set when it does, never cleared (each segment adds its own)."""
    for t in range(len(query)):
        at = _find(term_ids, query[t])
        if at < 0:
            continue
        postings = docs[offsets[at] : offsets[at + 1]]
        for j in range(len(targets)):
            local = np.int64(targets[j]) - start
            if local < 0 or local >= n_docs:
                continue
            i = np.searchsorted(postings, np.uint16(local))
            if i < len(postings) and postings[i] == local:
                held[t, j] = True
