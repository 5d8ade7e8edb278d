"""Memory over a long run of pushes: a corpus of synthetic news (24,000 articles by default), then
1,000 articles pushed one at a time as an admin's /add would, a question after each; RSS printed
every 100 pushes. The growth after the run should stay flat (≤ 50 MB).

Usage: python bench/pushes.py [--articles 24000] [--pushes 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import sys
import tempfile
import time
from pathlib import Path

from common import repo_config, rss_mb
from newsbot.corpus import Corpus
from newsbot.engine import Engine, tokenizer_for
from synthetic import PASSAGES_PER_ARTICLE, questions, synthetic_articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=24_000)
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--no-questions", action="store_true", help="pushes only")
    args = parser.parse_args()
    total = args.articles + args.pushes
    articles = synthetic_articles(total * PASSAGES_PER_ARTICLE)
    base, pushed = articles[: args.articles], articles[args.articles : total]
    asked = questions(base, args.pushes)
    with tempfile.TemporaryDirectory() as tmp:
        config = dataclasses.replace(
            repo_config(), corpus_dir=Path(tmp) / "corpus", data_dir=Path(tmp) / "data"
        )
        Corpus(config.corpus_dir).add(base)
        engine = Engine(config, tokenizer_for(config))
        for q in asked[:20]:
            engine.ask(q)
        gc.collect()
        start = rss_mb()
        print(f"{len(engine.corpus)} articles, {len(engine.index)} passages; RSS {start:.0f} MB\n")
        print("| pushes | RSS MB | growth MB | push ms (last 100) |")
        print("|---|---|---|---|")
        began = time.perf_counter()
        for n, article in enumerate(pushed, start=1):
            engine.add([article])
            if not args.no_questions:
                engine.ask(asked[n - 1])
            if n % 100 == 0 or n == len(pushed):
                ms = (time.perf_counter() - began) * 1000 / 100
                now = rss_mb()
                print(f"| {n} | {now:.0f} | {now - start:+.0f} | {ms:.1f} |", flush=True)
                began = time.perf_counter()
        gc.collect()
        print(f"\ngrowth after {len(pushed)} pushes and a collection: {rss_mb() - start:+.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
