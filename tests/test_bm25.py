import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import rank_bm25

from newsbot.index import bm25, compiled
from newsbot.index.bm25 import BM25Okapi, SortedTerms, Vocabulary

VOCAB = [f"w{i}" for i in range(300)]


def _corpus(n_docs: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(VOCAB))]
    return [rng.choices(VOCAB, weights, k=rng.randint(1, 60)) for _ in range(n_docs)]


def _queries(seed: int, n: int = 20) -> list[list[str]]:
    rng = random.Random(seed)
    return [rng.choices([f"w{i}" for i in range(320)], k=rng.randint(1, 8)) for _ in range(n)]


def _live_scores(ours: BM25Okapi, query: list[str]) -> np.ndarray:
    return ours.scores(query)[ours.stats.alive]


@pytest.mark.parametrize(("n_docs", "seed"), [(1, 0), (2, 1), (5, 2), (40, 3), (400, 4)])
def test_scores_equal_rank_bm25(n_docs, seed):
    docs = _corpus(n_docs, seed)
    ours = BM25Okapi.from_tokens(docs)
    theirs = rank_bm25.BM25Okapi(docs)
    for query in _queries(seed):
        assert np.allclose(ours.scores(query), theirs.get_scores(query), rtol=0, atol=1e-9)


def test_few_postings_summed_alone_score_as_over_every_document(monkeypatch):
    """Summing a query's postings alone (sorted) gives the documents and the sums, bit for bit,
    of adding them into an array over every document."""
    index = BM25Okapi.from_tokens(_corpus(400, 5))
    queries = [q + q[:2] for q in _queries(5, 40)]  # repeated terms add twice
    monkeypatch.setattr(bm25, "DENSE_SHARE", 0)
    alone = [index.score(q) for q in queries]
    monkeypatch.setattr(bm25, "DENSE_SHARE", 10**9)
    dense = [index.score(q) for q in queries]
    for (docs, sums), (want_docs, want_sums) in zip(alone, dense, strict=True):
        assert docs.tolist() == want_docs.tolist()
        assert sums.tolist() == want_sums.tolist()


def test_parameters_are_honoured():
    docs = _corpus(50, 7)
    ours = BM25Okapi.from_tokens(docs, k1=1.2, b=0.5, epsilon=0.1)
    theirs = rank_bm25.BM25Okapi(docs, k1=1.2, b=0.5, epsilon=0.1)
    query = ["w1", "w5", "w1"]
    assert np.allclose(ours.scores(query), theirs.get_scores(query), rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_adds_and_removes_score_like_a_fresh_build(seed):
    """Random adds and removes, then every score equals rank_bm25 over the live documents."""
    rng = random.Random(seed)
    docs = _corpus(300, seed)
    index = BM25Okapi.from_tokens(docs[:100])
    stored = list(docs[:100])  # each document number's tokens
    live = list(range(100))
    for step in range(12):
        if rng.random() < 0.6:
            batch = docs[len(index.stats.alive) % 300 :][: rng.randint(1, 15)] or docs[:3]
            first = index.n_docs
            index = index.add([index.vocab.encode(d) for d in batch])
            stored += batch
            live += range(first, first + len(batch))
        else:
            gone = rng.sample(live, k=min(len(live) - 1, rng.randint(1, 20)))
            index = index.remove(gone, [index.vocab.encode(stored[d]) for d in gone])
            live = [d for d in live if d not in set(gone)]
        if step % 5 == 4:
            index, kept = index.compact()
            live = list(range(len(kept)))
            stored = [stored[d] for d in kept.tolist()]
        assert sorted(live) == np.flatnonzero(index.stats.alive).tolist()
        by_number = index.documents()
        assert all(sorted(by_number[d]) == sorted(stored[d]) for d in live)
    alive_docs = [stored[d] for d in np.flatnonzero(index.stats.alive).tolist()]
    theirs = rank_bm25.BM25Okapi(alive_docs)
    fresh = BM25Okapi.from_tokens(alive_docs)
    for query in _queries(seed):
        expected = theirs.get_scores(query)
        assert np.allclose(_live_scores(index, query), expected, rtol=0, atol=1e-9)
        assert np.allclose(fresh.scores(query), expected, rtol=0, atol=1e-9)


def _best(found: tuple[np.ndarray, np.ndarray], k: int) -> list[tuple[int, float]]:
    docs, scores = found
    order = sorted(range(len(docs)), key=lambda j: (-scores[j], docs[j]))[:k]
    return [(int(docs[j]), float(scores[j])) for j in order]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.usefixtures("numpy_scoring")
def test_pruned_top_k_equals_scoring_every_document(seed, monkeypatch):
    """MaxScore skips documents, never changes the k best or their scores (bit for bit), also
    over segments whose peaks were taken at a shorter average length and with dead documents."""
    monkeypatch.setattr(bm25, "PRUNE_COST", 0)  # prune whatever the candidates cost
    rng = random.Random(seed)
    short = [d[:4] for d in _corpus(300, seed)]
    longer = [d * 3 for d in _corpus(300, seed + 1)]  # raises the average length step by step
    docs = short + longer
    index = BM25Okapi.from_tokens(short)
    for start in range(300, 600, 100):
        index = index.add([index.vocab.encode(d) for d in docs[start : start + 100]])
        gone = rng.sample(range(index.n_docs), 30)
        index = index.remove(gone, [index.vocab.encode(docs[d]) for d in gone])
    pruned = 0
    for query in _queries(seed, 60):
        query = query + rng.choices(VOCAB[:5], k=3)  # common terms: what pruning skips
        full = index.score(query)
        assert index.stats.alive[full[0]].all(), "a dead document scored"
        for k in (1, 5, 20):
            top = index.top(query, k, min_postings=0)
            assert index.stats.alive[top[0]].all(), "a dead document among the best"
            assert _best(top, k) == _best(full, k)
            pruned += len(top[0]) < len(full[0])
    assert pruned > 90  # the test exercises pruning, not only its fallback


@pytest.mark.parametrize("capacity", [10**9, 700])
@pytest.mark.usefixtures("numpy_scoring")
def test_kept_weights_score_as_computed_ones(capacity, monkeypatch):
    """Weights kept from earlier queries (every term's here; with a small capacity, some are
    dropped on the way) give the same documents and scores, bit for bit, as computing them."""
    rng = random.Random(capacity)
    docs = _corpus(500, 9)
    index = BM25Okapi.from_tokens(docs)
    gone = rng.sample(range(index.n_docs), 40)
    index = index.remove(gone, [index.vocab.encode(docs[d]) for d in gone])
    queries = [q + rng.choices(VOCAB[:5], k=3) for q in _queries(9, 40)]
    monkeypatch.setattr(bm25, "PRUNE_COST", 0)

    def answers(ours: BM25Okapi) -> list[object]:
        return [
            (ours.score(q)[0].tolist(), ours.score(q)[1].tolist(), _best(ours.top(q, 5, 0), 5))
            for q in queries
        ]

    monkeypatch.setattr(bm25, "CACHE_MIN_POSTINGS", 10**9)
    computed = answers(index._with(index.segments, index.stats))
    monkeypatch.setattr(bm25, "CACHE_MIN_POSTINGS", 1)
    monkeypatch.setattr(bm25, "CACHE_POSTINGS", capacity)
    cached = index._with(index.segments, index.stats)
    assert answers(cached) == computed  # filling the cache
    assert answers(cached) == computed  # from it
    assert 0 < cached._cache.size <= capacity


@pytest.mark.parametrize("seed", range(4))
def test_compiled_top_k_equals_the_numpy_path(seed):
    """The compiled kernel's k best equal the numpy path's, scores bit for bit and ties by
    document number, over segments, dead documents, repeated query terms and a corpus so small
    that idf goes negative."""
    assert compiled.top_k() is not None, "numba is a dependency: the kernel must load"
    rng = random.Random(seed)
    docs = _corpus(400, seed)
    index = BM25Okapi.from_tokens(docs[:250])
    index = index.add([index.vocab.encode(d) for d in docs[250:]])
    gone = rng.sample(range(index.n_docs), 40)
    index = index.remove(gone, [index.vocab.encode(docs[d]) for d in gone])
    tiny = BM25Okapi.from_tokens([["w0", "w1"], ["w0"], ["w0", "w2", "w2"]])
    queries = [q + rng.choices(VOCAB[:6], k=2) for q in _queries(seed, 40)] + [["w0"], ["w5"]]
    twins = BM25Okapi.from_tokens([["w2"], *[["w0", "w1"]] * 30, *[["w3"]] * 100])  # ties
    # Frequencies of 14, 15 (the packed bits' largest), over 255 and over 65,535.
    wide = BM25Okapi.from_tokens(
        [["w0"] * 300 + ["w1"], ["w0", "w2"], ["w3"] * 9, ["w2"] * 15 + ["w3"] * 14]
    )
    wide = wide.add([wide.vocab.encode(["w1"] * 70_000 + ["w0", "w3"])])
    assert sorted(v for s in wide.segments for v in s.big_tfs.tolist()) == [15, 300, 70_000]
    cases = [(index, q) for q in queries] + [(tiny, ["w0", "w2", "w0"]), (twins, ["w1", "w0"])]
    cases += [(wide, ["w1", "w0"]), (wide, ["w0", "w3"]), (wide, ["w2", "w3"])]
    for ours, query in cases:
        for k in (1, 3, 20):
            kernel = compiled.disable()
            try:
                expected = ours.top(query, k, min_postings=10**9)  # numpy, scoring in full
            finally:
                compiled.restore(kernel)
            got = ours.top(query, k)
            assert _best(got, k) == _best(expected, k)
            assert len(got[0]) >= min(k, len(expected[0]))  # more where idf < 0: numpy's
            assert got[0].dtype == bm25.DOC and ours.stats.alive[got[0]].all()


def test_one_by_one_adds_keep_few_segments_and_fresh_scores():
    """Documents pushed one at a time are merged into about log2(n) segments; with some
    removed on the way, the scores still equal a fresh build over the live documents."""
    docs = _corpus(200, 11)
    index = BM25Okapi.empty()
    rng = random.Random(11)
    gone: list[int] = []
    for n, doc in enumerate(docs):
        index = index.add([index.vocab.encode(doc)])
        if rng.random() < 0.1:
            gone.append(n)
            index = index.remove([n], [index.vocab.encode(doc)])
    assert len(index.segments) <= 9
    starts = [s.start for s in index.segments]
    assert starts == sorted(starts) and starts[0] == 0
    live = [d for n, d in enumerate(docs) if n not in gone]
    fresh = rank_bm25.BM25Okapi(live)
    for query in _queries(11):
        assert np.allclose(_live_scores(index, query), fresh.get_scores(query), rtol=0, atol=1e-9)
        assert _best(index.top(query, 5, 0), 5) == _best(index.score(query), 5)


def test_incremental_equals_fresh_on_the_same_documents():
    docs = _corpus(200, 11)
    step = BM25Okapi.from_tokens(docs[:150])
    step = step.add([step.vocab.encode(d) for d in docs[150:]])
    gone = range(0, 150, 7)
    step = step.remove(gone, [step.vocab.encode(docs[d]) for d in gone])
    kept = [d for i, d in enumerate(docs) if i >= 150 or i % 7]
    theirs = rank_bm25.BM25Okapi(kept)
    for query in _queries(11):
        assert np.allclose(_live_scores(step, query), theirs.get_scores(query), atol=1e-9)


@pytest.mark.parametrize("chunk", [1, 3, 7, 1 << 18])
def test_segments_built_a_chunk_at_a_time_hold_every_posting(chunk, monkeypatch):
    """A segment read off its sorted keys in chunks of any size (even one key, or shorter than
    a posting's run of repeats) holds each term's documents and counts, as counted directly."""
    monkeypatch.setattr(bm25, "SPLIT_CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    documents = [rng.integers(0, 40, rng.integers(0, 30)).astype(bm25.TERM) for _ in range(60)]
    documents[5] = np.full(200, 3, bm25.TERM)  # a frequency over one byte's range of lengths
    documents[7] = np.repeat(np.array([4, 6, 8], bm25.TERM), [14, 15, 16])  # 4 bits' edge
    segment = bm25.build_segment(100, documents, np.ones(len(documents)), 1.0)
    expected: dict[int, dict[int, int]] = {}
    for doc, terms in enumerate(documents):
        for term in terms.tolist():
            counts = expected.setdefault(term, {})
            counts[100 + doc] = counts.get(100 + doc, 0) + 1
    assert segment.term_ids.tolist() == sorted(expected)
    for term, counts in expected.items():
        docs, tfs = segment.postings(term)
        assert dict(zip(docs.tolist(), tfs.tolist(), strict=True)) == counts
        assert docs.tolist() == sorted(counts)
    assert len(segment.tfs) == (len(segment.docs) + 1) // 2  # two frequencies a byte


@pytest.mark.parametrize(("max_docs", "max_postings"), [(16, 10**9), (10**9, 120), (7, 90)])
def test_segments_stay_within_their_limits_and_score_as_one(max_docs, max_postings, monkeypatch):
    """However many documents or postings a build, a merge or a compaction brings, no segment
    holds more than a segment's limits (a document alone excepted), and the scores, the
    compiled and numpy k best and the terms each document holds are those of one index."""
    monkeypatch.setattr(bm25, "SEGMENT_DOCS", max_docs)
    monkeypatch.setattr(bm25, "SEGMENT_POSTINGS", max_postings)
    rng = random.Random(max_docs)
    docs = _corpus(420, 21)
    index = BM25Okapi.from_tokens(docs[:200])
    for doc in docs[200:260]:  # pushed one at a time: merged up to the limits
        index = index.add([index.vocab.encode(doc)])
    index = index.add([index.vocab.encode(d) for d in docs[260:]])
    gone = rng.sample(range(len(docs)), 60)
    index = index.remove(gone, [index.vocab.encode(docs[d]) for d in gone])
    compacted, kept = index.compact()
    live = [docs[d] for d in kept.tolist()]
    theirs = rank_bm25.BM25Okapi(live)
    queries = [q + rng.choices(VOCAB[:5], k=2) for q in _queries(21, 30)]
    for ours in (index, compacted):
        assert len(ours.segments) > 3
        for s in ours.segments:
            assert s.n_docs <= max_docs and (len(s.docs) <= max_postings or s.n_docs == 1)
            assert s.docs.dtype == bm25.LOCAL and s.offsets.dtype == bm25.OFFSET
        assert [s.start for s in ours.segments] == [
            0,
            *np.cumsum([s.n_docs for s in ours.segments])[:-1],
        ]
        for query in queries:
            assert np.allclose(_live_scores(ours, query), theirs.get_scores(query), atol=1e-9)
            kernel = compiled.disable()
            try:
                expected = _best(ours.top(query, 10, min_postings=0), 10)
            finally:
                compiled.restore(kernel)
            assert _best(ours.top(query, 10), 10) == expected
    assert len(compacted.segments) < len(index.segments)
    if max_postings > 10**6:  # the fewest segments that hold the documents
        assert compacted.spare_segments == 0 < index.spare_segments
    asked = np.array(sorted(rng.sample(range(len(live)), 40)))
    for term, held in compacted.present(VOCAB[:30:4], asked).items():
        assert held.tolist() == [term in live[d] for d in asked.tolist()]


def test_postings_and_doc_freq():
    ours = BM25Okapi.from_tokens([["a", "b"], ["b"], ["c"]])
    assert ours.doc_freq("b") == 2
    assert ours.postings("b")[0].tolist() == [0, 1]
    assert ours.postings("zzz")[0].tolist() == []
    fewer = ours.remove([0], [ours.vocab.encode(["a", "b"])])
    assert fewer.doc_freq("b") == 1 and fewer.doc_freq("a") == 0
    assert fewer.postings("b")[0].tolist() == [1]
    assert ours.doc_freq("b") == 2, "the old snapshot is unchanged"
    present = fewer.present(["a", "b", "zzz"], np.array([1, 2]))
    assert {t: m.tolist() for t, m in present.items()} == {
        "a": [False, False],
        "b": [True, False],
        "zzz": [False, False],
    }


@pytest.mark.parametrize("path", ["compiled", "numpy"])
def test_present_looks_in_every_segment_and_never_at_dead_documents(path, request):
    if path == "numpy":
        request.getfixturevalue("numpy_scoring")
    assert (compiled.holding() is None) == (path == "numpy")
    docs = _corpus(120, 9)
    index = BM25Okapi.from_tokens(docs[:40])
    for start in (40, 80):
        index = index.add([index.vocab.encode(d) for d in docs[start : start + 40]])
    gone = list(range(0, 120, 5))
    index = index.remove(gone, [index.vocab.encode(docs[d]) for d in gone])
    asked = np.array([0, 3, 41, 45, 79, 80, 119])
    terms = [*VOCAB[:40:3], "w999"]
    present = index.present(terms, asked)
    for term in terms:
        expected = [d not in gone and term in docs[d] for d in asked.tolist()]
        assert present[term].tolist() == expected, term


def test_empty_index_scores_nothing():
    empty = BM25Okapi.from_tokens([])
    assert empty.scores(["a"]).tolist() == []
    assert [x.tolist() for x in empty.score(["a"])] == [[], []]


def test_a_merged_batch_numbers_its_new_terms_in_order_of_first_appearance():
    """A worker's terms merged at once get the ids that adding them one by one would give:
    known ones keep theirs, new ones (repeats too) are numbered as they first appear."""
    batch = ["乙", "新甲", "甲", "新乙", "新甲", "丙", "新丙"]
    merged, one_by_one = Vocabulary(["甲", "乙"]), Vocabulary(["甲", "乙"])
    assert (
        merged.merge(batch).tolist() == [one_by_one.add(t) for t in batch] == [1, 2, 0, 3, 2, 4, 5]
    )
    assert merged.terms == one_by_one.terms
    assert merged.encode(["丙", "丁"]).tolist() == [4, 6]


def test_a_loaded_vocabulary_finds_terms_by_their_saved_order_then_grows():
    built = Vocabulary(["乙", "甲", "丙", "a", "甲乙"])
    sorted_terms, order = built.sorted()
    assert sorted_terms.terms() == sorted(built.terms)
    loaded = Vocabulary(sorted_terms=SortedTerms(sorted_terms.blob), order=order)
    assert len(loaded) == 5
    for _ in range(2):  # found by bisection, then remembered
        for term in [*built.terms, "丁", "", "甲乙丙"]:
            assert loaded.get(term) == built.get(term)
    assert loaded.add("丁") == 5 and loaded.get("丁") == 5 and loaded.get("甲") == 1
    assert loaded.terms == ["乙", "甲", "丙", "a", "甲乙", "丁"] and len(loaded) == 6
    assert loaded.sorted()[0].terms() == sorted(loaded.terms)
    assert not isinstance(loaded.ids, dict)  # a push's few terms hashed no saved one


def test_a_large_batch_into_a_loaded_vocabulary_keeps_every_id():
    built = Vocabulary([f"词{n}" for n in range(40)])
    loaded = Vocabulary(sorted_terms=SortedTerms(built.sorted()[0].blob), order=built.sorted()[1])
    assert loaded.merge(["词3", "新"]).tolist() == [3, 40]  # a few: by bisection
    assert not isinstance(loaded.ids, dict)
    batch = [f"词{n}" for n in range(0, 40, 2)] + ["新", "又新"]
    assert loaded.merge(batch).tolist() == [*range(0, 40, 2), 40, 41]  # many: one dictionary
    assert isinstance(loaded.ids, dict) and loaded.get("词39") == 39 and len(loaded) == 42


@pytest.mark.parametrize("stride", [1, 2, 3, 64])
def test_sorted_terms_are_found_by_bisecting_their_bytes(stride):
    terms = sorted(["乙", "甲", "丙", "a", "甲乙", "z", "ab", "é"])
    loaded = SortedTerms(SortedTerms.of(terms).blob, stride)
    assert len(loaded) == len(terms) and loaded.terms() == terms
    assert [loaded.find(t) for t in terms] == list(range(len(terms)))
    missing = ["", "甲乙丙", "b", "0", "aa", "丙丙", "\uffff"]
    assert [loaded.find(t) for t in missing] == [None] * len(missing)
    empty = SortedTerms(SortedTerms.of([]).blob)
    assert len(empty) == 0 and empty.terms() == [] and empty.find("a") is None
    with pytest.raises(ValueError, match="NUL"):
        SortedTerms.of(["a\0b", "c"])


def test_queries_from_many_threads_score_as_one_at_a_time():
    ours = BM25Okapi.from_tokens(_corpus(400, 7))
    queries = _queries(7, 60)
    expected = [(ours.scores(q), _best(ours.top(q, 10, min_postings=0), 10)) for q in queries]

    def same(query: list[str], wanted: tuple[np.ndarray, list]) -> bool:
        top = _best(ours.top(query, 10, min_postings=0), 10)
        return np.array_equal(ours.scores(query), wanted[0]) and top == wanted[1]

    def run(offset: int) -> bool:
        order = queries[offset:] + queries[:offset]
        wanted = expected[offset:] + expected[:offset]
        return all(same(q, e) for q, e in zip(order, wanted, strict=True))

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(run, [0, 15, 30, 45] * 3))


@pytest.mark.usefixtures("numpy_scoring")
def test_a_snapshot_without_caches_scores_the_same_from_cold(monkeypatch):
    monkeypatch.setattr(bm25, "CACHE_MIN_POSTINGS", 1)
    index = BM25Okapi.from_tokens(_corpus(200, 13))
    query = ["w0", "w1", "w7"]
    warm = index.top(query, 5)
    assert index._cache.size > 0
    cold = index.without_caches()
    assert cold._cache.size == 0
    assert _best(cold.top(query, 5), 5) == _best(warm, 5)
