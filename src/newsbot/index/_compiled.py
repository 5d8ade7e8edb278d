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
    query order, term ``t``'s at ``bounds[t]:bounds[t + 1]`` with idf ``idfs[t]``; each weight
    is computed as ``BM25Okapi._weights`` computes it and added in that order (as rank_bm25
    adds its terms' scores) into ``total``, all zeros, as long as the collection, and left so."""
    for t in range(len(idfs)):
        idf = idfs[t]
        for i in range(bounds[t], bounds[t + 1]):
            tf = np.float64(tfs[i])
            total[docs[i]] += tf * (k1 + 1) / (norm[docs[i]] + tf) * idf
    best = np.empty(k, np.float64)  # a heap whose root is the worst of the best so far
    held = np.empty(k, np.int64)
    n = 0
    for i in range(len(docs)):
        doc = docs[i]
        score = total[doc]
        if score != score:  # NaN: taken already
            continue
        total[doc] = np.nan
        if any_dead and not alive[doc]:
            continue
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
    for i in range(len(docs)):
        total[docs[i]] = 0.0
    return held[:n].copy(), best[:n].copy()
