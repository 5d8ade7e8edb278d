"""Exact BM25Okapi (rank_bm25's idf, epsilon floor, k1 and b) over numpy postings.

rank_bm25 scans every document for every query term; here each term keeps the documents that
contain it, so a query touches only those. The arithmetic follows rank_bm25's order exactly, so
the scores are bit-identical to ``rank_bm25.BM25Okapi.get_scores`` on the same tokens.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np


class BM25Okapi:
    """BM25Okapi over tokenised documents; ``scores`` matches rank_bm25 on the same input."""

    def __init__(
        self,
        documents: Sequence[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.n_docs = len(documents)
        self.doc_len = np.array([len(d) for d in documents], dtype=np.float64)
        total = float(self.doc_len.sum())
        self.avgdl = total / self.n_docs if self.n_docs else 0.0
        self.vocab: dict[str, int] = {}
        doc_ids: list[list[int]] = []
        freqs: list[list[int]] = []
        for doc_no, document in enumerate(documents):
            for term, tf in Counter(document).items():
                term_id = self.vocab.setdefault(term, len(doc_ids))
                if term_id == len(doc_ids):
                    doc_ids.append([])
                    freqs.append([])
                doc_ids[term_id].append(doc_no)
                freqs[term_id].append(tf)
        self._docs = [np.array(d, dtype=np.int32) for d in doc_ids]
        self._tf = [np.array(f, dtype=np.float64) for f in freqs]
        self.idf = self._idf([len(d) for d in doc_ids])
        # Length normalisation in rank_bm25's order of operations, shared by every term.
        if self.n_docs and self.avgdl:
            self._norm = self.k1 * (1 - self.b + self.b * self.doc_len / self.avgdl)
        else:
            self._norm = np.full(self.n_docs, self.k1 * (1 - self.b))

    def _idf(self, doc_freq: list[int]) -> np.ndarray:
        """rank_bm25's idf: log((N - n + 0.5) / (n + 0.5)); negatives floored at eps * mean idf."""
        idf = np.array(
            [math.log(self.n_docs - n + 0.5) - math.log(n + 0.5) for n in doc_freq],
            dtype=np.float64,
        )
        if len(idf):
            average = float(sum(idf.tolist())) / len(idf)
            idf[idf < 0] = self.epsilon * average
        return idf

    def doc_freq(self, term: str) -> int:
        """How many documents contain ``term``."""
        term_id = self.vocab.get(term)
        return 0 if term_id is None else len(self._docs[term_id])

    def postings(self, term: str) -> np.ndarray:
        """Documents containing ``term``."""
        term_id = self.vocab.get(term)
        return self._docs[term_id] if term_id is not None else np.empty(0, dtype=np.int32)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25Okapi score of every document; a repeated query term counts again (as rank_bm25)."""
        scores = np.zeros(self.n_docs)
        for term in query:
            term_id = self.vocab.get(term)
            if term_id is None:
                continue
            docs, tf = self._docs[term_id], self._tf[term_id]
            scores[docs] += self.idf[term_id] * (tf * (self.k1 + 1) / (tf + self._norm[docs]))
        return scores
