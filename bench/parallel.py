"""The tokeniser's parallel path beside the serial one, with the cores free and with every core
taken by another process (a busy loop per core). Prints one table.

Usage: python bench/parallel.py [--articles 8000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext

from common import repo_config
from newsbot.corpus.article import Article
from newsbot.engine import params_for, tokenizer_for
from newsbot.index import bulk
from newsbot.index.bm25 import Vocabulary
from newsbot.index.search import IndexParams, tokenise_serially
from newsbot.text.tokenizer import Tokenizer
from synthetic import synthetic_articles

Tokenise = Callable[..., object]
# The load a hog gives its core before timing starts (the watch sees it from then on).
SETTLE_SECONDS = 0.5


@contextmanager
def busy_cores(n: int) -> Iterator[None]:
    """``n`` processes spinning, one per core, for the length of the block."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(SETTLE_SECONDS)
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def rate(
    tokenise: Tokenise, articles: Sequence[Article], tokenizer: Tokenizer, params: IndexParams
) -> float:
    """Characters per wall-clock second of one tokenising of ``articles`` (a fresh vocabulary)."""
    chars = sum(len(a.body) + len(a.title) for a in articles)
    started = time.perf_counter()
    tokenise(articles, tokenizer, params, Vocabulary())
    return chars / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=8000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    config = repo_config()
    tokenizer, params = tokenizer_for(config), params_for(config)
    articles = synthetic_articles(args.articles * 4)[: args.articles]  # ~4 passages an article
    chars = sum(len(a.body) + len(a.title) for a in articles)
    tokenizer.tokens("预热 2020年")  # both dictionaries loaded before any timing
    rate(bulk.tokenise, articles[:2000], tokenizer, params)  # the worker pool started, warm
    cores = bulk.workers()
    print(f"{len(articles):,} articles, {chars / 1e6:.1f}M characters, {cores} cores usable\n")
    print("| cores | serial M chars/s | parallel path M chars/s | parallel / serial |")
    print("|---|---|---|---|")
    for label, busy in (("free", 0), ("all busy", os.cpu_count() or cores)):
        serial, parallel = [], []
        for _ in range(args.rounds):  # alternating, so that both see the same machine
            with busy_cores(busy) if busy else nullcontext():
                serial.append(rate(tokenise_serially, articles, tokenizer, params))
                parallel.append(rate(bulk.tokenise, articles, tokenizer, params))
        s, p = max(serial), max(parallel)
        print(f"| {label} | {s / 1e6:.2f} | {p / 1e6:.2f} | {p / s:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
