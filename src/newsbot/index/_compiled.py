"""The compiled half of ``compiled``: imported only once numba is (see there)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def top_k(
    docs: np.ndarray,
    tfs: np.ndarray,
    bounds: np.ndarray,
    idfs: np.ndarray,
    norm: np.ndarray,
    k1: float,
    alive: np.ndarray,
    any_dead: bool,
    total: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best live documents of a query (by score, then lower number) and their
    scores, in no order. ``docs``/``tfs`` hold its terms' postings one term after another in
    query order, term ``t``'s at ``bounds[t]:bounds[t + 1]`` with idf ``idfs[t]`` (every one
    positive: a document's total is 0 until its first posting); each weight is computed as
    ``BM25Okapi._weights`` computes it and added in that order (as rank_bm25 adds its terms'
    scores) into ``total``, all zeros, as long as the collection, and left so. The documents
    are noted as first touched, so that picking the best and clearing reads each once."""
    touched = np.empty(len(docs), np.int32)
    m = 0
    for t in range(len(idfs)):
        idf = idfs[t]
        for i in range(bounds[t], bounds[t + 1]):
            doc = docs[i]
            if any_dead and not alive[doc]:
                continue
            tf = np.float64(tfs[i])
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
