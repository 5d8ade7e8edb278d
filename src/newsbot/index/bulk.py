"""Tokenising many articles at once on every core, with a progress bar on a terminal; their
content fingerprints (the duplicate check's) too.

Workers cut and tokenise batches of articles and number the terms with a vocabulary of their own,
kept from batch to batch of one import; each batch sends the terms its worker had not met before,
which the parent maps to global ids, so a term crosses the process boundary as a string once per
worker and import.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from itertools import repeat
from typing import TypeVar

import numpy as np
from tqdm import tqdm

from newsbot.corpus.article import Article, content_fingerprint, remember_fingerprint
from newsbot.index.bm25 import TERM, Vocabulary
from newsbot.index.passages import Passage
from newsbot.index.search import IndexParams, Tokenised, tokenise_serially
from newsbot.text.tokenizer import Tokenizer

log = logging.getLogger(__name__)
T = TypeVar("T")
# Below this many characters starting worker processes costs more than it saves.
PARALLEL_MIN_CHARS = 2_000_000
# Bodies sent to a worker at a time for their fingerprints.
FINGERPRINT_CHUNK = 256
# Workers are started only when other processes leave at least this many cores idle, as seen
# while this process cuts the first batches for at least WATCH_SECONDS (the kernel counts CPU
# time in hundredths of a second).
PARALLEL_MIN_FREE_CORES = 1.5
WATCH_SECONDS = 0.25
BATCH_CHARS = 400_000

_worker: tuple[Tokenizer, IndexParams] | None = None
# This worker's vocabulary for the import (named by a token) it is tokenising batches of, and
# its encoder (which remembers the pieces of text met in earlier batches).
_terms: tuple[str, Vocabulary, Callable[[str], list[int]]] | None = None
_Batch = tuple[list[tuple[Passage, ...]], int, list[str], np.ndarray, np.ndarray, list[int]]


def _init(tokenizer: Tokenizer, params: IndexParams, parent: int) -> None:
    global _worker
    # ``parent`` is the pool owner's pid, passed in: a worker still starting when its parent
    # died would already see its adopter in getppid() and never notice.
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    tokenizer.tokens("预热")
    _worker = (tokenizer, params)


def _exit_with_parent(parent: int) -> None:
    """End this worker once the process that started it is gone (killed, say): an orphaned
    worker would hold its memory for nothing."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _tokenise_batch(articles: list[Article], token: str) -> _Batch:
    """Passages of each article and their term ids in this worker's vocabulary for the import
    ``token`` names, with this worker's id and the terms the batch added to it (the articles
    themselves are not sent back)."""
    global _terms
    assert _worker is not None
    tokenizer, params = _worker
    if _terms is None or _terms[0] != token:
        vocab = Vocabulary()
        _terms = (token, vocab, tokenizer.encoder(vocab.ids))
    _, local, encode = _terms
    known = len(local)
    done = tokenise_serially(articles, tokenizer, params, local, encode)
    documents = [d for item in done for d in item.documents]
    flat = np.concatenate(documents) if documents else np.empty(0, TERM)
    lengths = np.array([len(d) for d in documents], dtype=np.int64)
    counts = [len(item.passages) for item in done]
    new_terms = local.terms[known:]
    return [item.passages for item in done], os.getpid(), new_terms, flat, lengths, counts


def _batches(articles: Sequence[Article]) -> Iterator[list[Article]]:
    batch: list[Article] = []
    size = 0
    for article in articles:
        batch.append(article)
        size += len(article.body)
        if size >= BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


# How often a worker checks that the process that started it is still there.
PARENT_CHECK_SECONDS = 1.0


class _Pools:
    """One pool of worker processes, kept between imports (starting one costs seconds) and
    closed after a minute unused, so that an idle bot does not hold their memory."""

    IDLE_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._key: tuple[str, IndexParams, int] | None = None
        self._timer: threading.Timer | None = None
        atexit.register(self.close)

    @contextmanager
    def lease(
        self, tokenizer: Tokenizer, params: IndexParams, n_workers: int
    ) -> Iterator[ProcessPoolExecutor]:
        """The pool for these settings, started if needed."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            key = (tokenizer.signature, params, n_workers)
            if self._pool is None or self._key != key:
                self._shutdown()
                context = multiprocessing.get_context("spawn")  # threads may run here: no fork
                self._pool = ProcessPoolExecutor(
                    n_workers,
                    mp_context=context,
                    initializer=_init,
                    initargs=(tokenizer, params, os.getpid()),
                )
                self._key = key
            pool = self._pool
        try:
            yield pool
        finally:
            with self._lock:
                self._timer = threading.Timer(self.IDLE_SECONDS, self.close)
                self._timer.daemon = True
                self._timer.start()

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            self._shutdown()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool, self._key = None, None


_POOLS = _Pools()


def workers() -> int:
    """Processes to tokenise with: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _machine_busy() -> tuple[int, int] | None:
    """CPU time of the whole machine so far, busy and in all, in clock ticks (Linux)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    if len(ticks) < 5:
        return None
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # less idle and waiting for the disk


class CoreWatch:
    """Watches how busy the machine's cores are while this process works, to tell how many
    of them other processes leave free."""

    def __init__(self) -> None:
        self._machine = _machine_busy()
        self._own = _own_cpu()
        self._started = time.monotonic()

    def seconds(self) -> float:
        """How long the watch has run."""
        return time.monotonic() - self._started

    def free(self, cores: int) -> float:
        """Of ``cores``, how many other processes left idle since the watch began (all of them
        where the machine's counters cannot be read)."""
        now = _machine_busy()
        elapsed = self.seconds()
        if self._machine is None or now is None or now[1] <= self._machine[1] or elapsed <= 0:
            return float(cores)
        busy = (now[0] - self._machine[0]) / (now[1] - self._machine[1])
        others = busy * (os.cpu_count() or cores) - (_own_cpu() - self._own) / elapsed
        return max(0.0, min(float(cores), (os.cpu_count() or cores) - others))


def _own_cpu() -> float:
    """CPU seconds this process has used (all its threads)."""
    times = os.times()
    return times.user + times.system


def _watched(work: Iterable[T]) -> tuple[list[T], CoreWatch]:
    """The first items of ``work``, each made here, while the cores are watched (for
    WATCH_SECONDS, or until the work runs out), and the watch."""
    watch = CoreWatch()
    done: list[T] = []
    for item in work:
        done.append(item)
        if watch.seconds() >= WATCH_SECONDS:
            break
    return done, watch


def _workers_for(articles: Sequence[Article]) -> int | None:
    """How many worker processes ``articles`` could use (every usable core), or None when they
    are too few characters to pay for workers, or there is one core."""
    n_workers = workers()
    if n_workers < 2 or _chars(articles) < PARALLEL_MIN_CHARS:
        return None
    return n_workers


def _chars(articles: Sequence[Article]) -> int:
    """The characters of ``articles`` (titles and bodies), what tokenising costs by."""
    return sum(len(a.body) + len(a.title) for a in articles)


def fingerprint(
    articles: Sequence[Article], tokenizer: Tokenizer, params: IndexParams
) -> float | None:
    """Work out the content fingerprints of many articles (the duplicate check reads them): the
    first ones here while the cores are watched, the rest in the worker processes ``tokenise``
    uses when enough cores are free. Returns how many were, for ``tokenise`` to go by (None
    when the articles were too few to watch them)."""
    n_workers = _workers_for(articles)
    if n_workers is None:
        return None
    done, watch = _watched(a.fingerprint for a in articles)
    rest = articles[len(done) :]
    if not rest:
        return None
    free = watch.free(n_workers)
    if free < PARALLEL_MIN_FREE_CORES:
        return free
    with _POOLS.lease(tokenizer, params, n_workers) as pool:
        bodies = [a.body for a in rest]
        prints = pool.map(content_fingerprint, bodies, chunksize=FINGERPRINT_CHUNK)
        for article, value in zip(rest, prints, strict=True):
            remember_fingerprint(article, value)
    return free


def tokenise(
    articles: Sequence[Article],
    tokenizer: Tokenizer,
    params: IndexParams,
    vocab: Vocabulary,
    free: float | None = None,
) -> list[Tokenised]:
    """Tokenise ``articles``: in worker processes when there are enough of them and the cores
    are free. Unless told how many are (``free``, as ``fingerprint`` just saw), the first
    batches are cut here while the cores are watched: with another process busy on them,
    workers would only take turns with it, and serial is as fast."""
    n_workers = _workers_for(articles)
    if n_workers is None:
        return tokenise_serially(articles, tokenizer, params, vocab)
    out: list[Tokenised] = []
    if free is None:
        cut, watch = _watched(
            tokenise_serially(b, tokenizer, params, vocab) for b in _batches(articles)
        )
        out = [item for batch in cut for item in batch]
        free = watch.free(n_workers)
    rest = articles[len(out) :]
    if not rest:
        return out
    if free < PARALLEL_MIN_FREE_CORES:
        log.info("tokenising on one core: %.1f of %d cores free", free, n_workers)
        return out + tokenise_serially(rest, tokenizer, params, vocab)
    return out + _in_workers(rest, tokenizer, params, vocab, n_workers)


def _in_workers(
    articles: Sequence[Article],
    tokenizer: Tokenizer,
    params: IndexParams,
    vocab: Vocabulary,
    n_workers: int,
) -> list[Tokenised]:
    """Tokenise ``articles`` in the pool of ``n_workers`` processes."""
    chars = _chars(articles)
    log.info("tokenising %d articles (%d characters) on %d cores", len(articles), chars, n_workers)
    started = time.perf_counter()
    out: list[Tokenised] = []
    bar = tqdm(
        total=chars,
        unit="字",
        unit_scale=True,
        desc="分词",
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )
    token = uuid.uuid4().hex
    to_global: dict[int, np.ndarray] = {}  # per worker: its term ids → global ids
    with bar, _POOLS.lease(tokenizer, params, n_workers) as pool:
        batches = list(_batches(articles))
        done = pool.map(_tokenise_batch, batches, repeat(token))
        for batch, result in zip(batches, done, strict=True):
            passages, worker, new_terms, flat, lengths, counts = result
            ids = to_global.get(worker, np.empty(0, TERM))
            if new_terms:  # a worker's batches come back in the order it made them
                ids = to_global[worker] = np.concatenate((ids, vocab.merge(new_terms)))
            global_ids = ids[flat]
            documents = np.split(global_ids, np.cumsum(lengths)[:-1]) if len(lengths) else []
            at = 0
            for article, cut, count in zip(batch, passages, counts, strict=True):
                out.append(Tokenised(article, cut, tuple(documents[at : at + count])))
                at += count
            bar.update(_chars(batch))
    took = time.perf_counter() - started
    log.info("tokenised in %.1f s (%.2fM characters/s)", took, chars / took / 1e6)
    return out
