import random

import numpy as np
import pytest
import rank_bm25

from newsbot.index.bm25 import BM25Okapi


def _corpus(n_docs: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(300)]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    return [rng.choices(vocab, weights, k=rng.randint(1, 60)) for _ in range(n_docs)]


@pytest.mark.parametrize(("n_docs", "seed"), [(1, 0), (2, 1), (5, 2), (40, 3), (400, 4)])
def test_scores_equal_rank_bm25(n_docs, seed):
    docs = _corpus(n_docs, seed)
    ours = BM25Okapi(docs)
    theirs = rank_bm25.BM25Okapi(docs)
    rng = random.Random(seed)
    for _ in range(20):
        query = rng.choices([f"w{i}" for i in range(320)], k=rng.randint(1, 8))
        assert np.array_equal(ours.scores(query), theirs.get_scores(query))


def test_parameters_are_honoured():
    docs = _corpus(50, 7)
    ours = BM25Okapi(docs, k1=1.2, b=0.5, epsilon=0.1)
    theirs = rank_bm25.BM25Okapi(docs, k1=1.2, b=0.5, epsilon=0.1)
    assert np.allclose(
        ours.scores(["w1", "w5", "w1"]), theirs.get_scores(["w1", "w5", "w1"]), atol=1e-12
    )


def test_postings_and_doc_freq():
    ours = BM25Okapi([["a", "b"], ["b"], ["c"]])
    assert ours.doc_freq("b") == 2
    assert ours.postings("b").tolist() == [0, 1]
    assert ours.postings("zzz").tolist() == []


def test_empty_index_scores_nothing():
    assert BM25Okapi([]).scores(["a"]).tolist() == []
