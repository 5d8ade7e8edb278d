"""Matching new articles against many topic subscriptions: how long one article takes against
1,000, 10,000 and 100,000 distinct topics (words of the corpus, as readers would subscribe to),
over a synthetic corpus of 5,000 articles.

Usage: python bench/subscriptions.py   (part of ``make bench``)
"""

from __future__ import annotations

import dataclasses
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import repo_config
from newsbot.corpus import Corpus
from newsbot.engine import Engine, tokenizer_for
from newsbot.responder.topics import matches
from synthetic import PASSAGES_PER_ARTICLE, synthetic_articles

ARTICLES = 5000
NEW = 20
SIZES = (1_000, 10_000, 100_000)


def main() -> int:
    articles = synthetic_articles((ARTICLES + NEW) * PASSAGES_PER_ARTICLE)
    base, new = articles[:ARTICLES], articles[ARTICLES : ARTICLES + NEW]
    with tempfile.TemporaryDirectory() as tmp:
        config = dataclasses.replace(
            repo_config(), corpus_dir=Path(tmp) / "corpus", data_dir=Path(tmp) / "data"
        )
        Corpus(config.corpus_dir).add(base)
        engine = Engine(config, tokenizer_for(config))
        engine.add(new)
        words = sorted(
            {w for a in base[:2000] for w in engine.tokenizer.words(a.body) if len(w) >= 2}
        )
        rng = random.Random(3)
        print(f"{len(engine.corpus)} articles; topics drawn from {len(words)} corpus words\n")
        print("| subscriptions (distinct topics) | ms per new article (median) | matched |")
        print("|---|---|---|")
        for size in SIZES:
            topics = [rng.choice(words) for _ in range(size)]
            if size > len(words):
                topics = [f"{rng.choice(words)}{rng.choice(words)}" for _ in range(size)]
            matches(engine.index, new[0], topics, config.topic_min_score)  # topics tokenised once
            times, found = [], []
            for article in new:
                started = time.perf_counter()
                got = matches(engine.index, article, topics, config.topic_min_score)
                times.append((time.perf_counter() - started) * 1000)
                found.append(len(got))
            print(f"| {size:,} | {statistics.median(times):.1f} | {statistics.mean(found):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
