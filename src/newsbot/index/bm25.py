"""Exact BM25Okapi (rank_bm25's idf, epsilon floor, k1 and b) over segments of numpy postings.

rank_bm25 scans every document for every query term; here each term keeps the documents that
contain it, so a query touches only those, and for the k best only (``top``) a common term is
looked up just for the documents that can still reach them. Documents are added as a new small
segment and removed by a tombstone; document frequencies, lengths and the average idf are kept
for the live documents, so the scores after any sequence of changes equal those of a fresh build
(to float rounding).
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import pairwise

import numpy as np

from newsbot.index import compiled
from newsbot.index.recent import Recent

TERM = np.int32
DOC = np.int32
# A segment holds at most SEGMENT_DOCS documents and SEGMENT_POSTINGS postings, so that a
# document's number within its segment fits LOCAL (half the bytes of a global number on disk
# and in memory) and where a term's postings begin fits OFFSET.
SEGMENT_DOCS = 1 << 16
SEGMENT_POSTINGS = (1 << 31) - 1
LOCAL = np.uint16
OFFSET = np.int32
COUNT = np.int32  # a term's document frequency (document numbers are DOC)
# Frequencies are stored in PACKED_BITS bits, two to a byte (most are 1); from PACKED_MAX up,
# as PACKED_MAX with the frequency itself beside the packed ones (``Segment.big_at``).
PACKED_BITS = 4
PACKED_MAX = (1 << PACKED_BITS) - 1  # also the mask of one packed frequency
# Queries with fewer postings than this are scored in full (pruning would not pay).
PRUNE_MIN_POSTINGS = 20_000
# ... and in full when looking their candidates up would cost more: a candidate costs about
# PRUNE_COST postings scored in full, and scoring in full passes over every document at about
# DENSE_COST of a posting each (how they were fitted: bench/RESULTS.md).
PRUNE_COST = 8.0
DENSE_COST = 0.12
# Queries touching fewer than 1/DENSE_SHARE of the documents are summed over their postings
# alone (sorted), the others over an array of every document.
DENSE_SHARE = 8
# Documents scored in full to find a first k-th best score to prune with.
PRUNE_SEED = 512
# Terms with at least this many postings keep their weights between queries (``_term_weights``),
# up to this many weights per snapshot (8 bytes each).
CACHE_MIN_POSTINGS = 1_000
CACHE_POSTINGS = 4_000_000
# The newest segments are merged while the last holds at least 1/MERGE_RATIO of the one before.
MERGE_RATIO = 2
# Postings are handled this many at a time while a segment is built (bounding temporary arrays).
SPLIT_CHUNK = 1 << 18
# Relative margin against rounding when comparing sums of weights added in another order.
PRUNE_SLACK = 1e-9


@dataclass(frozen=True)
class Segment:
    """Postings of documents ``start … start + n_docs - 1``: for each term, the documents holding
    it (ascending) and how often, and the term's peak weight for pruning."""

    start: int
    n_docs: int
    term_ids: np.ndarray  # sorted distinct term ids
    offsets: np.ndarray  # term_ids[i]'s postings are offsets[i] … offsets[i + 1] - 1
    docs: np.ndarray  # per posting, the document's number within the segment (global - start)
    tfs: np.ndarray  # per posting, its frequency (at most PACKED_MAX), two to a byte
    big_at: np.ndarray  # the postings whose frequency is PACKED_MAX or more (ascending) ...
    big_tfs: np.ndarray  # ... and those frequencies
    peaks: np.ndarray  # per term, the largest tf / (tf + norm) at ``avgdl``, rounded up
    avgdl: float  # the average document length the peaks were taken at

    def _find(self, term_id: int) -> int | None:
        i = int(self.term_ids.searchsorted(TERM(term_id)))  # same dtype: no copy of term_ids
        return i if i < len(self.term_ids) and self.term_ids[i] == term_id else None

    def _span(self, term_id: int) -> tuple[int, int]:
        """Where the postings of ``term_id`` begin and end (empty when it has none here)."""
        i = self._find(term_id)
        return (0, 0) if i is None else (int(self.offsets[i]), int(self.offsets[i + 1]))

    def documents(self, term_id: int) -> np.ndarray:
        """Documents (global numbers) of this segment holding ``term_id``."""
        return self._global(*self._span(term_id))

    def postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        """``documents`` of ``term_id``, and how often it is in each."""
        lo, hi = self._span(term_id)
        return self._global(lo, hi), self.frequencies(lo, hi)

    def _global(self, lo: int, hi: int) -> np.ndarray:
        """The global document numbers of postings ``lo … hi - 1``."""
        return np.add(self.docs[lo:hi], self.start, dtype=DOC)

    def frequencies(self, lo: int, hi: int) -> np.ndarray:
        """The frequencies of postings ``lo … hi - 1``, unpacked (in the narrowest type)."""
        pairs = self.tfs[lo >> 1 : (hi + 1) >> 1]
        both = np.empty(2 * len(pairs), np.uint8)
        np.bitwise_and(pairs, PACKED_MAX, out=both[0::2])
        np.right_shift(pairs, PACKED_BITS, out=both[1::2])
        out = both[lo & 1 : (lo & 1) + hi - lo]
        if not len(self.big_at):  # the usual segment: every frequency below PACKED_MAX
            return out
        first, last = np.searchsorted(self.big_at, (lo, hi))
        if first < last:
            values = self.big_tfs[first:last]
            out = out.astype(np.min_scalar_type(int(values.max())))
            out[self.big_at[first:last] - lo] = values
        return out

    def peak(self, term_id: int, avgdl: float) -> float:
        """An upper bound of tf / (tf + norm) over this segment's postings of ``term_id`` when
        the average length is ``avgdl``: a longer average shortens every document, and raises
        the ratio by at most the factor by which it grew."""
        i = self._find(term_id)
        if i is None:
            return 0.0
        return float(self.peaks[i]) * max(1.0, avgdl / self.avgdl)

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every posting as (term id, global document number, frequency)."""
        terms = np.repeat(self.term_ids, np.diff(self.offsets))
        return terms, self._global(0, len(self.docs)), self.frequencies(0, len(self.docs))

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays that make up the segment, by name (for saving)."""
        return {name: getattr(self, name) for name in SEGMENT_ARRAYS}


SEGMENT_ARRAYS = ("term_ids", "offsets", "docs", "tfs", "big_at", "big_tfs", "peaks")


def _packed(tfs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequencies as a segment stores them: 4 bits each, two to a byte (the even posting in
    the low bits), and where they reach PACKED_MAX, with their values."""
    big_at = np.flatnonzero(tfs >= PACKED_MAX).astype(OFFSET)
    big_tfs = tfs[big_at].astype(np.uint32)
    small = np.minimum(tfs, PACKED_MAX).astype(np.uint8)
    if len(small) % 2:
        small = np.append(small, np.uint8(0))
    packed = small[1::2] << PACKED_BITS
    packed |= small[0::2]
    return packed, big_at, big_tfs


def segment_from_parts(
    start: int,
    terms: list[np.ndarray],
    docs: list[np.ndarray],
    tfs: list[np.ndarray],
    norm: np.ndarray,
    avgdl: float,
) -> Segment:
    """A segment from parts of postings — (term, global document number, frequency) arrays,
    each part sorted by term and holding later documents than the part before — merged by
    term, given each document's length normalisation at ``avgdl``. The lists are emptied as
    they are used, so that their arrays can go before the merged ones are complete."""
    if not terms:
        terms, docs, tfs = [np.empty(0, TERM)], [np.empty(0, DOC)], [np.empty(0, np.uint8)]
    merged = np.concatenate(terms)
    terms.clear()
    order = np.argsort(merged, kind="stable")
    merged = merged[order]
    by_doc = np.concatenate(docs)[order]
    by_doc -= start
    docs.clear()
    by_tf = np.concatenate(tfs)[order]
    tfs.clear()
    del order
    return _segment(start, merged, by_doc, by_tf, norm, avgdl)


def _segment(
    start: int,
    terms: np.ndarray,
    docs: np.ndarray,
    tfs: np.ndarray,
    norm: np.ndarray,
    avgdl: float,
) -> Segment:
    """A segment from postings sorted by term, then document (numbers within the segment)."""
    first = np.flatnonzero(np.not_equal(terms[1:], terms[:-1])) + 1
    first = np.concatenate(([0], first)) if len(terms) else first
    return _segment_of(start, terms[first], first, docs, tfs, norm, avgdl)


def _segment_of(
    start: int,
    term_ids: np.ndarray,
    first: np.ndarray,
    docs: np.ndarray,
    tfs: np.ndarray,
    norm: np.ndarray,
    avgdl: float,
) -> Segment:
    """A segment from postings sorted by term, then document (numbers within the segment), given
    each term and where its postings begin."""
    packed, big_at, big_tfs = _packed(tfs)
    return Segment(
        start=start,
        n_docs=len(norm),
        term_ids=term_ids.astype(TERM),
        offsets=np.append(first, len(docs)).astype(OFFSET),
        docs=docs.astype(LOCAL, copy=False),
        tfs=packed,
        big_at=big_at,
        big_tfs=big_tfs,
        peaks=_peaks(first, docs, tfs, norm),
        avgdl=avgdl,
    )


def _peaks(first: np.ndarray, docs: np.ndarray, tfs: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Each term's largest tf / (tf + norm), rounded up to float32; worked out a run of terms
    at a time (SPLIT_CHUNK postings or so), so the float arrays stay small."""
    peaks = np.empty(len(first), np.float32)
    marks = np.arange(0, len(docs), SPLIT_CHUNK)
    bounds = [*np.unique(first[np.searchsorted(first, marks, side="right") - 1]), len(docs)]
    at = 0
    for lo, hi in pairwise(bounds):
        ratio = tfs[lo:hi].astype(np.float64)
        below = np.take(norm, docs[lo:hi])
        below += ratio
        np.divide(ratio, below, out=ratio)
        starts = first[at : at + np.searchsorted(first[at:], hi)] - lo
        peaks[at : at + len(starts)] = np.maximum.reduceat(ratio, starts)
        at += len(starts)
    return np.nextafter(peaks, np.float32(np.inf))


def build_segments(
    start: int, documents: Sequence[np.ndarray], norm: np.ndarray, avgdl: float
) -> list[Segment]:
    """Segments from each document's term ids, numbered from ``start``: as few as a segment's
    limits allow, built one after the other (one segment's sort keys in memory at a time)."""
    lengths = np.fromiter((len(d) for d in documents), dtype=np.int64, count=len(documents))
    return [
        build_segment(start + lo, documents[lo:hi], norm[lo:hi], avgdl) for lo, hi in _runs(lengths)
    ]


def _runs(sizes: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs of documents, each within a segment's limits, given each document's
    size (its postings, or its length: a bound of them); a document alone is always a run."""
    ends = np.cumsum(sizes)
    runs, lo = [], 0
    while lo < len(sizes):
        before = int(ends[lo - 1]) if lo else 0
        fits = int(np.searchsorted(ends, before + SEGMENT_POSTINGS, side="right"))
        hi = max(lo + 1, min(lo + SEGMENT_DOCS, fits))
        runs.append((lo, hi))
        lo = hi
    return runs


def build_segment(
    start: int, documents: Sequence[np.ndarray], norm: np.ndarray, avgdl: float
) -> Segment:
    """A segment from each document's term ids (repeats counted), numbered from ``start`` (as
    many documents and terms as a segment holds: ``build_segments`` splits them). One sort of
    (term, document) keys gives the postings in order and, by counting repeats, their
    frequencies; the keys are then read a chunk at a time, twice (to count the postings,
    then to fill arrays of that size), so that no other array as long as the keys is made."""
    n = len(documents)
    lengths = np.fromiter((len(d) for d in documents), dtype=np.int64, count=n)
    if not n or not lengths.sum():
        empty = np.empty(0, np.int64)
        return _segment(start, empty, empty, empty, norm, avgdl)
    keys = np.concatenate(documents, dtype=np.int64)
    keys *= n
    keys += np.repeat(np.arange(n, dtype=DOC), lengths)
    keys.sort()
    chunks = range(0, len(keys), SPLIT_CHUNK)
    m = sum(len(_posting_starts(keys, lo)) for lo in chunks)
    docs = np.empty(m, LOCAL)
    tfs = np.empty(m, np.min_scalar_type(int(lengths.max())))  # a frequency is at most a length
    term_ids: list[np.ndarray] = []
    firsts: list[np.ndarray] = []
    out, last_start, last_term = 0, 0, -1
    for lo in chunks:
        starts = _posting_starts(keys, lo)
        if not len(starts):
            continue
        term, doc = np.divmod(keys[starts], n)
        end = out + len(starts)
        docs[out:end] = doc
        if out:
            tfs[out - 1] = starts[0] - last_start
        tfs[out : end - 1] = np.diff(starts)
        new = np.empty(len(term), bool)
        new[0] = term[0] != last_term
        np.not_equal(term[1:], term[:-1], out=new[1:])
        at = np.flatnonzero(new)
        term_ids.append(term[at])
        at += out
        firsts.append(at)
        out, last_start, last_term = end, int(starts[-1]), int(term[-1])
    tfs[m - 1] = len(keys) - last_start
    del keys
    return _segment_of(
        start, np.concatenate(term_ids), np.concatenate(firsts), docs, tfs, norm, avgdl
    )


def _posting_starts(keys: np.ndarray, lo: int) -> np.ndarray:
    """Where in sorted ``keys[lo : lo + SPLIT_CHUNK]`` a (term, document) pair begins, as
    positions in ``keys``."""
    hi = min(lo + SPLIT_CHUNK, len(keys))
    if lo == 0:
        change = np.empty(hi, bool)
        change[0] = True
        np.not_equal(keys[1:hi], keys[: hi - 1], out=change[1:])
    else:
        change = np.not_equal(keys[lo:hi], keys[lo - 1 : hi - 1])
    found = np.flatnonzero(change)
    found += lo
    return found


# Postings as (term, document, frequency) arrays, with their lowest and highest document.
_Part = tuple[np.ndarray, np.ndarray, np.ndarray, int, int]


def _within(part: _Part, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The postings of ``part`` whose documents are ``lo … hi - 1``."""
    terms, docs, tfs, low, high = part
    if lo <= low and high < hi:
        return terms, docs, tfs
    keep = np.flatnonzero((docs >= lo) & (docs < hi))
    return terms[keep], docs[keep], tfs[keep]


def _lookup(held: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``docs`` is (or would be) in the sorted, non-empty ``held``, and whether it
    is there."""
    at = np.minimum(np.searchsorted(held, docs), len(held) - 1)
    return at, held[at] == docs


def _summed(docs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``docs`` (sorted) and each one's ``values`` added in the order given, as a
    dense ``np.bincount`` adds them; sorting a few postings costs less than a pass over every
    document. A stable sort merges the terms' sorted runs."""
    order = np.argsort(docs, kind="stable")
    ranked = docs[order]
    first = np.empty(len(ranked), bool)
    first[:1] = True
    np.not_equal(ranked[1:], ranked[:-1], out=first[1:])
    slot = np.empty(len(ranked), np.intp)
    slot[order] = np.cumsum(first) - 1
    return ranked[first], np.bincount(slot, weights=values)


def _union(parts: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct documents of ``parts`` (each sorted; ``np.union1d`` hashes, slower
    on these int32 arrays)."""
    if len(parts) == 1:
        return parts[0]
    docs = np.sort(np.concatenate(parts))
    return docs[np.append(True, docs[1:] != docs[:-1])]


# Each query term's postings: documents and term frequencies.
Found = dict[str, tuple[np.ndarray, np.ndarray]]


def _kth(scores: np.ndarray, k: int) -> float:
    """The ``k``-th largest of ``scores`` (at least ``k`` of them)."""
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _enough(terms: list[str], found: Found, k: int) -> int:
    """How many of ``terms`` (rarest first) it takes to hold ``k`` postings."""
    held = 0
    for n, term in enumerate(terms, 1):
        held += len(found[term][0])
        if held >= k:
            return n
    return len(terms)


class _Ids(dict[str, int]):
    """term → id; a missing term gets the next id (looked up in C, so encoding stays fast)."""

    def __init__(self, terms: list[str]) -> None:
        super().__init__(zip(terms, range(len(terms)), strict=True))
        self.terms = terms

    def __missing__(self, term: str) -> int:
        term_id = self[term] = len(self.terms)
        self.terms.append(term)
        return term_id

    def add_new(self, terms: Sequence[str]) -> None:
        """Give each of ``terms`` not yet known the next id, in order of first appearance: a
        batch's new terms added at once rather than by a call each."""
        new = list(dict.fromkeys([t for t in terms if t not in self]))
        self.update(zip(new, range(len(self.terms), len(self.terms) + len(new)), strict=True))
        self.terms.extend(new)


TERM_STRIDE = 64
# Saved terms a loaded vocabulary remembers having found (a question looks its terms up ~20 times
# at ~10 us a bisection).
BISECTED_TERMS = 65_536
# A saved term found by bisection costs about as much as hashing four into a dictionary.
BISECTS_PER_HASH = 4


class SortedTerms:
    """Terms in sort order as one UTF-8 blob, NUL between them (normalised text holds none),
    found by bisection without a string per term: parsing 1.6 million strings was a quarter
    of a 1M-passage restart. UTF-8 bytes sort as their code points, so the order is ``sorted``'s."""

    def __init__(self, blob: bytes, stride: int = TERM_STRIDE) -> None:
        self.blob = blob
        self._stride = stride
        if not blob:
            self._starts = self._ends = memoryview(np.empty(0, np.int64))
        else:
            nul = np.flatnonzero(np.frombuffer(blob, np.uint8) == 0)
            self._starts = memoryview(np.concatenate(([0], nul + 1)).astype(np.int64))
            self._ends = memoryview(np.concatenate((nul, [len(blob)])).astype(np.int64))
        # Every stride-th term as a string: bisecting these first leaves a few probes of the
        # blob (a lookup 15 -> ~4 us at 1.6 million terms).
        self._samples = [self[at].decode() for at in range(0, len(self), stride)]

    @classmethod
    def of(cls, terms: list[str]) -> SortedTerms:
        """The blob of ``terms``, already in sort order."""
        blob = "\0".join(terms).encode()
        if blob.count(0) != max(len(terms) - 1, 0) or (terms == [""]):
            raise ValueError("a term is empty or holds NUL")
        return cls(blob)

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, at: int) -> bytes:
        return self.blob[self._starts[at] : self._ends[at]]

    def find(self, term: str) -> int | None:
        """The position of ``term``, or None."""
        block = bisect_right(self._samples, term) - 1
        if block < 0:
            return None
        low = block * self._stride
        end = high = min(low + self._stride, len(self))
        key, blob, starts, ends = term.encode(), self.blob, self._starts, self._ends
        while low < high:
            mid = (low + high) // 2
            if blob[starts[mid] : ends[mid]] < key:
                low = mid + 1
            else:
                high = mid
        return low if low < end and blob[starts[low] : ends[low]] == key else None

    def terms(self) -> list[str]:
        """All terms as strings, in sort order."""
        return self.blob.decode().split("\0") if self.blob else []


class _LoadedIds:
    """term → id for a vocabulary loaded from disk: saved terms are found in their sorted blob,
    terms added since get the next ids in a small dictionary (hashing 1.6 million saved terms
    made the first push after a 1M restart take 4 s). A missing term gets the next id."""

    def __init__(self, sorted_terms: SortedTerms, order: np.ndarray) -> None:
        self.sorted_terms, self.order = sorted_terms, order
        self.added: dict[str, int] = {}
        self._bisected: dict[str, int] = {}  # saved terms already found by bisection

    def __len__(self) -> int:
        return len(self.order) + len(self.added)

    def get(self, term: str, default: int | None = None) -> int | None:
        term_id = self._bisected.get(term)
        if term_id is not None:
            return term_id
        at = self.sorted_terms.find(term)
        if at is None:
            return self.added.get(term, default)
        term_id = int(self.order[at])
        if len(self._bisected) < BISECTED_TERMS:
            self._bisected[term] = term_id
        return term_id

    def __getitem__(self, term: str) -> int:
        term_id = self.get(term)
        if term_id is None:
            term_id = self.added[term] = len(self)
        return term_id

    @property
    def terms(self) -> list[str]:
        """All terms in id order (made anew: only saving and checks need them)."""
        terms = [""] * len(self.order)
        for term, term_id in zip(self.sorted_terms.terms(), self.order.tolist(), strict=True):
            terms[term_id] = term
        return terms + list(self.added)


class Vocabulary:
    """Terms and their ids; only ever grows, so snapshots can share it (an id a snapshot has not
    counted has a document frequency of 0 there). A vocabulary loaded from disk comes in term
    order and looks terms up by bisection; a dictionary of all its terms is built only when a
    batch brings more terms than bisecting them would be worth."""

    def __init__(
        self,
        terms: Iterable[str] = (),
        sorted_terms: SortedTerms | None = None,
        order: np.ndarray | None = None,
    ) -> None:
        self._ids: _Ids | _LoadedIds
        if sorted_terms is None or order is None:
            self._ids = _Ids(list(terms))
        else:
            self._ids = _LoadedIds(sorted_terms, order)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def terms(self) -> list[str]:
        """The terms in id order."""
        return self._ids.terms

    @property
    def ids(self) -> _Ids | _LoadedIds:
        """term → id, adding a missing term."""
        return self._ids

    def sorted(self) -> tuple[SortedTerms, np.ndarray]:
        """The terms in sort order and their ids (how a vocabulary is saved)."""
        ids = self._ids
        if isinstance(ids, _LoadedIds) and not ids.added:
            return ids.sorted_terms, ids.order
        terms = ids.terms
        order = sorted(range(len(terms)), key=terms.__getitem__)
        return SortedTerms.of([terms[i] for i in order]), np.array(order, np.int32)

    def get(self, term: str) -> int | None:
        """The id of ``term``, or None when no document ever held it."""
        return self._ids.get(term)

    def add(self, term: str) -> int:
        """The id of ``term``, new if needed."""
        return self._ids[term]

    def encode(self, tokens: Iterable[str]) -> np.ndarray:
        """Term ids of ``tokens``, adding new terms."""
        return np.fromiter(map(self._ids.__getitem__, tokens), dtype=TERM)

    def merge(self, local_terms: Sequence[str]) -> np.ndarray:
        """The global id of each term of a batch-local vocabulary (for ids made in workers)."""
        ids = self._ids
        if isinstance(ids, _LoadedIds) and len(local_terms) * BISECTS_PER_HASH > len(ids):
            ids = self._ids = _Ids(ids.terms)  # a large batch: hashing every term pays now
        if isinstance(ids, _Ids):
            ids.add_new(local_terms)
        return np.fromiter(map(ids.__getitem__, local_terms), TERM, count=len(local_terms))


@dataclass(frozen=True)
class Stats:
    """Collection statistics over the live documents."""

    doc_freq: np.ndarray  # per term id
    doc_len: np.ndarray  # per document number (dead documents included)
    alive: np.ndarray  # per document number
    n_alive: int
    total_len: float


class BM25Okapi:
    """An immutable BM25Okapi snapshot; ``add`` and ``remove`` return a new one sharing most of
    this one's arrays, at a cost proportional to the change."""

    def __init__(
        self,
        vocab: Vocabulary,
        segments: tuple[Segment, ...],
        stats: Stats,
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> None:
        self.vocab, self.segments, self.stats = vocab, segments, stats
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self._scratch = threading.local()
        # The weights of the terms recent queries used (common terms recur in most of them).
        self._cache: Recent[np.ndarray] = Recent(CACHE_POSTINGS)

    @classmethod
    def empty(cls, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> BM25Okapi:
        stats = Stats(np.zeros(0, COUNT), np.zeros(0), np.zeros(0, bool), 0, 0.0)
        return cls(Vocabulary(), (), stats, k1, b, epsilon)

    @classmethod
    def from_tokens(
        cls,
        documents: Sequence[Sequence[str]],
        k1: float = 1.5,
        b: float = 0.75,
        epsilon: float = 0.25,
    ) -> BM25Okapi:
        """A fresh index over tokenised documents."""
        index = cls.empty(k1, b, epsilon)
        return index.add([index.vocab.encode(d) for d in documents])

    # --- size ----------------------------------------------------------------------------------

    @property
    def n_docs(self) -> int:
        """Document numbers in use, dead ones included."""
        return len(self.stats.doc_len)

    @property
    def n_alive(self) -> int:
        return self.stats.n_alive

    @property
    def dead(self) -> int:
        return self.n_docs - self.n_alive

    @property
    def spare_segments(self) -> int:
        """Segments beyond the fewest that could hold the documents (what compacting saves)."""
        return len(self.segments) - -(-self.n_docs // SEGMENT_DOCS)

    @property
    def avgdl(self) -> float:
        return self.stats.total_len / self.n_alive if self.n_alive else 0.0

    # --- changes -------------------------------------------------------------------------------

    def add(self, documents: Sequence[np.ndarray]) -> BM25Okapi:
        """A new snapshot with ``documents`` (term ids) appended as one segment (more if they
        are more than one holds)."""
        if not documents:
            return self
        s = self.stats
        lengths = np.fromiter((len(d) for d in documents), dtype=np.float64, count=len(documents))
        n_alive, total_len = s.n_alive + len(documents), s.total_len + float(lengths.sum())
        avgdl = total_len / n_alive
        norm = self._normalise(lengths, avgdl)
        new = build_segments(self.n_docs, documents, norm, avgdl)
        df = s.doc_freq
        if len(self.vocab) > len(df):
            df = np.concatenate([df, np.zeros(len(self.vocab) - len(df), COUNT)])
        else:
            df = df.copy()
        for segment in new:
            df[segment.term_ids] += np.diff(segment.offsets)
        stats = Stats(
            df,
            np.concatenate([s.doc_len, lengths]),
            np.concatenate([s.alive, np.ones(len(documents), bool)]),
            n_alive,
            total_len,
        )
        return self._with(self._merged((*self.segments, *new), stats), stats)

    def _merged(self, segments: tuple[Segment, ...], stats: Stats) -> tuple[Segment, ...]:
        """``segments`` with the newest ones merged while the last is at least 1/MERGE_RATIO
        the size of the one before it and the merged one within a segment's limits: a query
        looks a term up once per segment, and this keeps the segments few (about log2 of the
        documents beside the full ones) at a cost of log2 merges per document."""
        merge = 1
        size, postings = segments[-1].n_docs, len(segments[-1].docs)
        while merge < len(segments):
            before = segments[-merge - 1]
            if (
                size * MERGE_RATIO < before.n_docs
                or size + before.n_docs > SEGMENT_DOCS
                or postings + len(before.docs) > SEGMENT_POSTINGS
            ):
                break
            size, postings = size + before.n_docs, postings + len(before.docs)
            merge += 1
        if merge == 1:
            return segments
        parts = segments[-merge:]
        start = parts[0].start
        avgdl = stats.total_len / stats.n_alive
        triples = [s.triples() for s in parts]
        terms, docs, tfs = ([t[i] for t in triples] for i in range(3))
        del triples
        merged = segment_from_parts(
            start, terms, docs, tfs, self._normalise(stats.doc_len[start:], avgdl), avgdl
        )
        return (*segments[:-merge], merged)

    def remove(self, docs: Sequence[int], documents: Sequence[np.ndarray]) -> BM25Okapi:
        """A new snapshot without documents ``docs`` (their numbers stay reserved), given each
        one's term ids as indexed (documents keep no term list of their own)."""
        s = self.stats
        gone = [(d, t) for d, t in zip(docs, documents, strict=True) if s.alive[d]]
        if not gone:
            return self
        numbers = np.array([d for d, _ in gone], dtype=np.int64)
        df = s.doc_freq.copy()
        distinct = np.concatenate([np.unique(t) for _, t in gone]).astype(np.int64)
        np.subtract.at(df, distinct, 1)
        alive = s.alive.copy()
        alive[numbers] = False
        stats = replace(
            s,
            doc_freq=df,
            alive=alive,
            n_alive=s.n_alive - len(numbers),
            total_len=s.total_len - float(s.doc_len[numbers].sum()),
        )
        return self._with(self.segments, stats)

    def compact(self) -> tuple[BM25Okapi, np.ndarray]:
        """As few segments as hold the live documents, renumbered in order; also returns the
        old numbers of the kept documents (new number i was old number kept[i])."""
        alive = self.stats.alive
        kept = np.flatnonzero(alive)
        renumber = np.cumsum(alive) - 1
        parts: list[_Part] = []
        sizes = np.zeros(len(kept), np.int64)
        for segment in self.segments:
            held, numbers, counts = segment.triples()
            live = np.flatnonzero(alive[numbers])
            docs = renumber[numbers[live]].astype(DOC)
            if len(docs):
                sizes += np.bincount(docs, minlength=len(kept))
                parts.append((held[live], docs, counts[live], int(docs.min()), int(docs.max())))
        lengths = self.stats.doc_len[kept]
        norm = self._normalise(lengths, self.avgdl)
        segments = []
        for lo, hi in _runs(sizes):
            within = [_within(p, lo, hi) for p in parts if p[3] < hi and p[4] >= lo]
            terms, docs, tfs = ([w[i] for w in within] for i in range(3))
            segments.append(segment_from_parts(lo, terms, docs, tfs, norm[lo:hi], self.avgdl))
        stats = Stats(
            self.stats.doc_freq,
            lengths,
            np.ones(len(kept), bool),
            len(kept),
            self.stats.total_len,
        )
        return self._with(tuple(segments), stats), kept

    def without_caches(self) -> BM25Okapi:
        """This snapshot with none of its queries' kept weights or buffers (benchmarks that
        time a path from cold)."""
        return self._with(self.segments, self.stats)

    def _with(self, segments: tuple[Segment, ...], stats: Stats) -> BM25Okapi:
        return BM25Okapi(self.vocab, segments, stats, self.k1, self.b, self.epsilon)

    # --- scoring -------------------------------------------------------------------------------

    @cached_property
    def average_idf(self) -> float:
        """rank_bm25's mean idf over the terms present in the live documents."""
        df = self.stats.doc_freq
        present = df[df > 0].astype(np.float64)
        if not len(present):
            return 0.0
        idf = np.log(self.n_alive - present + 0.5) - np.log(present + 0.5)
        return float(idf.sum()) / len(present)

    def doc_freq(self, term: str) -> int:
        """How many live documents contain ``term``."""
        term_id = self.vocab.get(term)
        df = self.stats.doc_freq
        return int(df[term_id]) if term_id is not None and term_id < len(df) else 0

    def idf(self, term: str) -> float:
        """rank_bm25's idf: log((N - n + 0.5) / (n + 0.5)); negatives floored at eps * mean idf."""
        return self._idf(self.doc_freq(term))

    def _idf(self, n: int) -> float:
        """``idf`` of a term in ``n`` live documents."""
        value = math.log(self.n_alive - n + 0.5) - math.log(n + 0.5)
        return self.epsilon * self.average_idf if value < 0 else value

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Live documents containing ``term``, and the term's frequency in each."""
        return self._live(*self._stored_postings(term))

    def _stored_postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """``postings`` as stored, dead documents among them."""
        term_id = self.vocab.get(term)
        if term_id is None or term_id >= len(self.stats.doc_freq) or not self.segments:
            return np.empty(0, DOC), np.empty(0, np.int32)
        parts = self._parts(term_id)
        if len(parts) == 1:
            docs, tfs = parts[0]
        else:
            docs = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, DOC)
            tfs = np.concatenate([p[1] for p in parts]) if parts else np.empty(0, np.uint8)
        return docs, tfs

    def _parts(self, term_id: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """The postings of ``term_id`` in each segment holding it, oldest segment first."""
        return [p for segment in self.segments if len((p := segment.postings(term_id))[0])]

    def present(self, terms: Iterable[str], docs: np.ndarray) -> dict[str, np.ndarray]:
        """For each term, which of ``docs`` hold it (looked up segment by segment: a common
        term's postings are not copied together for a few documents)."""
        docs = np.ascontiguousarray(docs, dtype=DOC)  # the postings' type: searching copies neither
        live = self.stats.alive[docs]
        kernel = compiled.holding()
        if kernel is not None:
            return self._present_compiled(kernel, list(terms), docs, live)
        out = {}
        for term in terms:
            held = np.zeros(len(docs), bool)
            term_id = self.vocab.get(term)
            for segment in self.segments if term_id is not None else ():
                postings = segment.documents(term_id)
                if len(postings):
                    held |= _lookup(postings, docs)[1]
            out[term] = held & live
        return out

    def _present_compiled(
        self, kernel: compiled.Holding, terms: list[str], docs: np.ndarray, live: np.ndarray
    ) -> dict[str, np.ndarray]:
        """``present`` by the compiled kernel: each document searched for in each term's
        postings, segment by segment, without a numpy call per term."""
        ids = np.array([-1 if (i := self.vocab.get(t)) is None else i for t in terms], TERM)
        held = np.zeros((len(terms), len(docs)), bool)
        for s in self.segments:
            kernel(s.term_ids, s.offsets, s.docs, s.start, s.n_docs, ids, docs, held)
        held &= live
        return dict(zip(terms, held, strict=True))

    def documents(self) -> list[list[str]]:
        """Every document's tokens (grouped by term; order not kept), for checks and baselines."""
        out: list[list[str]] = [[] for _ in range(self.n_docs)]
        words = self.vocab.terms
        for segment in self.segments:
            for term, doc, tf in zip(*(a.tolist() for a in segment.triples()), strict=True):
                out[doc] += [words[term]] * tf
        return out

    def score(self, query: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The live documents sharing a term with ``query`` and their BM25Okapi scores; a
        repeated query term counts again (as in rank_bm25)."""
        return self._live(*self._score(query))

    def top(
        self, query: Sequence[str], k: int, min_postings: int = PRUNE_MIN_POSTINGS
    ) -> tuple[np.ndarray, np.ndarray]:
        """Live documents among which are the ``k`` best for ``query`` (by score, then number),
        with their exact scores."""
        return self._live(*self._top(query, k, min_postings))

    def _live(self, docs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``docs`` and their ``values`` but the dead documents: queries score the postings as
        stored, where a dead document weighs 0 (filtering every term's postings cost more than
        filtering the results once)."""
        if self.dead:
            kept = np.flatnonzero(self.stats.alive[docs])
            return docs[kept], values[kept]
        return docs, values

    def _score(
        self, query: Sequence[str], found: Found | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``score`` with dead documents among the results. ``found``: the postings of the
        query's terms, when already looked up."""
        if not self.n_alive:
            return np.empty(0, DOC), np.empty(0)
        if found is None:
            found = self._found(query)
        terms = [t for t in query if t in found]
        if len(terms) == 1:
            return found[terms[0]][0], self._term_weights(terms[0], *found[terms[0]])
        if not terms:
            return np.empty(0, DOC), np.empty(0)
        weights = {t: self._term_weights(t, *found[t]) for t in found}
        postings = np.concatenate([found[t][0] for t in terms])
        values = np.concatenate([weights[t] for t in terms])
        if len(postings) * DENSE_SHARE < self.n_docs:
            return _summed(postings, values)
        # One pass adding each document's weights in query order, as rank_bm25 adds them.
        total = np.bincount(postings, weights=values, minlength=self.n_docs)
        if min(map(self.idf, found)) > 0:  # every live posting weighs more than 0
            docs = np.flatnonzero(total != 0)  # faster on a mask than on the floats
            return docs.astype(DOC), total[docs]
        touched = self._touched()
        try:
            touched[postings] = True
            docs = np.flatnonzero(touched).astype(DOC)
            touched[docs] = False  # clean for this thread's next query
        except BaseException:
            del self._scratch.touched  # never reuse a half-cleaned buffer
            raise
        return docs, total[docs]

    def _top(
        self, query: Sequence[str], k: int, min_postings: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``top`` with dead documents among the results: by the compiled kernel once it is
        loaded (exactly k documents), else by numpy, where documents that cannot reach the
        k-th score are skipped (MaxScore): looking a few candidates up in a common term's
        postings costs less than scoring them all."""
        kernel = compiled.top_k()
        if kernel is not None:
            return self._top_compiled(kernel, query, k)
        found = self._found(query)
        postings = sum(len(d) for d, _ in found.values())
        if postings <= min_postings or len(found) < 2:
            return self._score(query, found)
        idf = {t: self.idf(t) for t in found}
        if min(idf.values()) <= 0:  # a negative weight breaks the bounds
            return self._score(query, found)
        count = {t: query.count(t) for t in found}
        theta = self._threshold(found, count, k)
        if theta is None:
            return self._score(query, found)
        # Terms whose bounds add up to less than theta cannot lift a document holding none of the
        # other (essential) terms into the top k; nor can they a document whose essential weights
        # plus those bounds stay below theta.
        bound = {t: idf[t] * self._peak(t) * count[t] for t in found}
        essential, rest = [], 0.0
        for term in sorted(found, key=lambda t: len(found[t][0]) / bound[t], reverse=True):
            if rest + bound[term] < theta:
                rest += bound[term]
            else:
                essential.append(term)
        candidates = sum(len(found[t][0]) for t in essential)
        if candidates * PRUNE_COST > postings + self.n_docs * DENSE_COST:
            return self._score(query, found)
        docs = _union([found[t][0] for t in essential])
        weights = self._placed(essential, found, docs)
        partial = sum(weights[t] * count[t] for t in essential)
        # The other terms, the weightiest first: each one's exact weights lower the bound left.
        for term in sorted(found.keys() - weights.keys(), key=bound.__getitem__, reverse=True):
            theta = max(theta, _kth(partial, k) * (1 - PRUNE_SLACK))
            keep = np.flatnonzero(partial + rest >= theta)  # gathers beat masks here
            if len(keep) < len(docs):
                docs, partial = docs[keep], partial[keep]
                weights = {t: w[keep] for t, w in weights.items()}
            weights[term] = self._looked_up(term, *found[term], docs)
            partial += weights[term] * count[term]
            rest -= bound[term]
        total = np.zeros(len(docs))
        for term in query:  # in query order, as ``score`` adds: the same sums, bit for bit
            if term in weights:
                total += weights[term]
        return docs, total

    def _top_compiled(
        self, kernel: compiled.TopK, query: Sequence[str], k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """``top`` by the compiled kernel, a segment at a time (a document's postings are all in
        its segment): every posting of the query weighed and added up in query order (the sums
        ``score`` makes, bit for bit), the best k of each segment kept as they come."""
        if not self.n_alive:
            return np.empty(0, DOC), np.empty(0)
        ids, idfs = [], []
        df = self.stats.doc_freq
        for term in query:
            term_id = self.vocab.get(term)
            if term_id is not None and term_id < len(df):
                ids.append(term_id)
                idfs.append(self._idf(int(df[term_id])))
        if not ids:
            return np.empty(0, DOC), np.empty(0)
        if min(idfs) <= 0:  # the kernel tells touched documents by their nonzero totals
            return self._score(query)
        terms, weights = np.array(ids, TERM), np.array(idfs)
        total, touched = self._accumulators()
        held, scores = [], []
        for s in self.segments:
            docs, values = kernel(
                s.term_ids, s.offsets, s.docs, s.start, s.tfs, s.big_at, s.big_tfs,
                terms, weights, self._norm, float(self.k1), self._alive, self.dead > 0,
                total, touched, k,
            )  # fmt: skip
            held.append(docs)
            scores.append(values)
        best, values = np.concatenate(held), np.concatenate(scores)
        order = np.lexsort((best, -values))[:k]
        return best[order].astype(DOC), values[order]

    def _accumulators(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's buffers for the kernel: every document's total (all zeros between
        queries) and a list of the documents a query touched."""
        scratch = self._scratch
        if not hasattr(scratch, "total"):
            scratch.total = np.zeros(self.n_docs)
            scratch.first_touched = np.empty(self.n_docs, np.int32)
        return scratch.total, scratch.first_touched

    def _found(self, query: Sequence[str]) -> Found:
        """The postings, dead documents' too, of each distinct query term that any document
        holds."""
        return {t: p for t in dict.fromkeys(query) if len((p := self._stored_postings(t))[0])}

    def _threshold(self, found: Found, count: dict[str, int], k: int) -> float | None:
        """A lower bound of the k-th best score: the k-th best exact score among the documents
        where the rarest terms weigh the most (None when they are fewer than k)."""
        rarest = sorted(found, key=lambda t: len(found[t][0]))
        seed_terms = rarest[: _enough(rarest, found, k)]
        seed = _union([found[t][0] for t in seed_terms])
        if len(seed) < k:
            return None
        weights = self._placed(seed_terms, found, seed)
        partial = sum(weights[t] * count[t] for t in seed_terms)
        if len(seed) > PRUNE_SEED:
            best = np.sort(np.argpartition(-partial, PRUNE_SEED - 1)[:PRUNE_SEED])
            seed, partial = seed[best], partial[best]
        for term in rarest[len(seed_terms) :]:
            partial += self._looked_up(term, *found[term], seed) * count[term]
        return _kth(partial, k) * (1 - PRUNE_SLACK)

    def _placed(self, terms: list[str], found: Found, docs: np.ndarray) -> dict[str, np.ndarray]:
        """Each term's weight in each of ``docs`` (sorted), which hold all of its postings."""
        if len(terms) == 1:
            return {terms[0]: self._term_weights(terms[0], *found[terms[0]])}
        where = self._positions()  # meaningful at ``docs`` only: never cleared
        where[docs] = np.arange(len(docs), dtype=np.int32)
        out = {}
        for term in terms:
            held, tfs = found[term]
            out[term] = np.zeros(len(docs))
            out[term][where[held]] = self._term_weights(term, held, tfs)
        return out

    def _looked_up(
        self, term: str, held: np.ndarray, tfs: np.ndarray, docs: np.ndarray
    ) -> np.ndarray:
        """The weight of ``term`` in each of ``docs`` (sorted), 0 where it is absent; the
        shorter of the two sorted lists is searched for in the longer."""
        out = np.zeros(len(docs))
        if not len(docs):
            return out
        known = self._cache.get(term)
        if len(held) < len(docs):
            at, hit = _lookup(docs, held)
            weights = known[hit] if known is not None else self._weights(term, held[hit], tfs[hit])
            out[at[hit]] = weights
        else:
            at, hit = _lookup(held, docs)
            at = at[hit]
            out[hit] = known[at] if known is not None else self._weights(term, docs[hit], tfs[at])
        return out

    def _positions(self) -> np.ndarray:
        """This thread's document → position map (only entries just written are meaningful)."""
        scratch = self._scratch
        if not hasattr(scratch, "where"):
            scratch.where = np.empty(self.n_docs, np.int32)
        return scratch.where

    def _touched(self) -> np.ndarray:
        """This thread's marks of the documents a query touched, all clear: allocating and
        clearing a million-entry array for every query costs more than clearing those used."""
        scratch = self._scratch
        if not hasattr(scratch, "touched"):
            scratch.touched = np.zeros(self.n_docs, bool)
        return scratch.touched

    def _term_weights(self, term: str, docs: np.ndarray, tfs: np.ndarray) -> np.ndarray:
        """``_weights`` of a term's whole postings (read-only); a common term's are kept for
        the snapshot's next queries."""
        if len(docs) < CACHE_MIN_POSTINGS:
            return self._weights(term, docs, tfs)
        weights = self._cache.get(term)
        if weights is None:
            weights = self._weights(term, docs, tfs)
            weights.flags.writeable = False
            self._cache.put(term, weights, len(weights))
        return weights

    def _weights(self, term: str, docs: np.ndarray, tfs: np.ndarray) -> np.ndarray:
        """idf * tf * (k1 + 1) / (tf + norm) for each posting, in place (the same values as
        written out: each step is commutative)."""
        tf = tfs.astype(np.float64)
        below = self._norm[docs]
        below += tf
        tf *= self.k1 + 1
        tf /= below
        tf *= self.idf(term)
        return tf

    @cached_property
    def _norm(self) -> np.ndarray:
        """Each document's length normalisation; infinite for a dead document, so that it
        weighs 0 in every score."""
        norm = self._normalise(self.stats.doc_len, self.avgdl)
        if self.dead:
            norm[~self.stats.alive] = np.inf
        return norm

    @cached_property
    def _alive(self) -> np.ndarray:
        """The live documents' marks as a plain writable array (a memory-mapped, read-only one
        would be another type for the compiled kernel, compiled anew)."""
        return np.array(self.stats.alive, dtype=np.bool_)

    def _normalise(self, lengths: np.ndarray, avgdl: float) -> np.ndarray:
        """Length normalisation at ``avgdl``, in rank_bm25's order of operations."""
        return self.k1 * (1 - self.b + self.b * lengths / avgdl)

    def _peak(self, term: str) -> float:
        """An upper bound of ``term``'s weight in any live document, divided by its idf."""
        term_id = self.vocab.get(term)
        if term_id is None:
            return 0.0
        peak = max((s.peak(term_id, self.avgdl) for s in self.segments), default=0.0)
        return (self.k1 + 1) * peak

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """The score of every document number (0 for those not matching, and dead ones)."""
        out = np.zeros(self.n_docs)
        docs, values = self.score(query)
        out[docs] = values
        return out
