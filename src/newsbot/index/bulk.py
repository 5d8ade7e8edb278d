"""Tokenising many articles at once on every core, with a progress bar on a terminal.

Workers cut and tokenise batches of articles and number the terms with a vocabulary of their own;
the parent maps each batch's few distinct terms to global ids, so no token crosses the process
boundary as a string more than once per batch.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from tqdm import tqdm

from newsbot.corpus.article import Article
from newsbot.index.bm25 import TERM, Vocabulary
from newsbot.index.passages import Passage, split_passages
from newsbot.index.search import IndexParams, Tokenised, tokenise_serially
from newsbot.text.tokenizer import Tokenizer

log = logging.getLogger(__name__)
# Below this many characters starting worker processes costs more than it saves.
PARALLEL_MIN_CHARS = 2_000_000
BATCH_CHARS = 400_000

_worker: tuple[Tokenizer, IndexParams] | None = None
_Batch = tuple[list[tuple[Passage, ...]], list[str], np.ndarray, np.ndarray, list[int]]


def _init(tokenizer: Tokenizer, params: IndexParams) -> None:
    global _worker
    tokenizer.tokens("预热")
    _worker = (tokenizer, params)


def _tokenise_batch(articles: list[Article]) -> _Batch:
    """Passages of each article and their term ids in a batch-local vocabulary."""
    assert _worker is not None
    tokenizer, params = _worker
    local = Vocabulary()
    passages, ids, lengths, counts = [], [], [], []
    for article in articles:
        cut = tuple(split_passages(article, params.passage_max_chars))
        title = tokenizer.tokens(article.title)
        for passage in cut:
            encoded = local.encode(title + tokenizer.tokens(passage.text))
            ids.append(encoded)
            lengths.append(len(encoded))
        passages.append(cut)
        counts.append(len(cut))
    flat = np.concatenate(ids) if ids else np.empty(0, TERM)
    return passages, local.terms, flat, np.array(lengths, dtype=np.int64), counts


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


def workers() -> int:
    """Processes to tokenise with: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def tokenise(
    articles: Sequence[Article], tokenizer: Tokenizer, params: IndexParams, vocab: Vocabulary
) -> list[Tokenised]:
    """Tokenise ``articles``: in worker processes when there are enough of them."""
    chars = sum(len(a.body) + len(a.title) for a in articles)
    n_workers = workers()
    if chars < PARALLEL_MIN_CHARS or n_workers < 2:
        return tokenise_serially(articles, tokenizer, params, vocab)
    log.info("tokenising %d articles (%d characters) on %d cores", len(articles), chars, n_workers)
    out: list[Tokenised] = []
    context = multiprocessing.get_context("spawn")  # the parent may hold threads: never fork
    bar = tqdm(
        total=chars,
        unit="字",
        unit_scale=True,
        desc="分词",
        disable=not sys.stderr.isatty(),
        file=sys.stderr,
    )
    with (
        bar,
        ProcessPoolExecutor(
            n_workers, mp_context=context, initializer=_init, initargs=(tokenizer, params)
        ) as pool,
    ):
        batches = list(_batches(articles))
        for batch, result in zip(batches, pool.map(_tokenise_batch, batches), strict=True):
            passages, local_terms, flat, lengths, counts = result
            global_ids = vocab.merge(local_terms)[flat]
            documents = np.split(global_ids, np.cumsum(lengths)[:-1]) if len(lengths) else []
            at = 0
            for article, cut, count in zip(batch, passages, counts, strict=True):
                out.append(Tokenised(article, cut, tuple(documents[at : at + count])))
                at += count
            bar.update(sum(len(a.body) + len(a.title) for a in batch))
    return out
