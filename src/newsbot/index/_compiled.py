"""The compiled half of ``compiled``: imported only once numba is (see there)."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def top_k(
    docs: np.ndarray,
    weights: np.ndarray,
    alive: np.ndarray,
    total: np.ndarray,
    seen: np.ndarray,
    k: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best live documents of a query (by score, then lower number) and their
    scores, in no order: ``docs``/``weights`` are its terms' postings one term after another
    in query order, added up in that order (as rank_bm25 adds its terms' scores) into
    ``total``; ``total`` and ``seen`` (zeros and False, as long as the collection) are left
    as they were found."""
    for i in range(len(docs)):
        total[docs[i]] += weights[i]
    best = np.empty(k, np.float64)  # a heap whose root is the worst of the best so far
    held = np.empty(k, np.int64)
    n = 0
    for i in range(len(docs)):
        doc = docs[i]
        if seen[doc] or not alive[doc]:
            continue
        seen[doc] = True
        score = total[doc]
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
        seen[docs[i]] = False
    return held[:n].copy(), best[:n].copy()
