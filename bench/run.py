"""Speed benchmark: exact BM25 over numpy postings against rank_bm25's full scan, and the whole
``ask`` path, on a synthetic corpus recombined from the bundled articles' sentences.

Usage: python bench/run.py [--passages 10000]   (what ``make bench`` runs)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import rank_bm25

from newsbot.config import load_config
from newsbot.corpus import Corpus
from newsbot.corpus.article import Article
from newsbot.engine import params_for, responder_for, tokenizer_for
from newsbot.index.search import SearchIndex
from newsbot.text.sentences import split_sentences


def synthetic_articles(n_passages: int, seed: int = 1) -> list[Article]:
    """Articles of ~220-character paragraphs made of the bundled corpus' sentences, shuffled."""
    config = load_config(env={})
    sentences = [s for a in Corpus(config.corpus_dir).articles for s in split_sentences(a.body)]
    rng = random.Random(seed)
    articles = []
    for n in range(n_passages // 3):
        paragraphs = []
        for _ in range(3):
            text = ""
            while len(text) < 220:
                text += rng.choice(sentences)
            paragraphs.append(text[:300])
        articles.append(
            Article(id=f"s{n}", title=rng.choice(sentences)[:30], body="\n\n".join(paragraphs))
        )
    return articles


def percentile(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    config = load_config(env={})
    tokenizer = tokenizer_for(config)
    tokenizer.warm_up()
    articles = synthetic_articles(args.passages)
    chars = sum(len(a.body) for a in articles)

    started = time.perf_counter()
    index = SearchIndex(articles, tokenizer, params_for(config))
    build = time.perf_counter() - started
    responder = responder_for(config, index)
    started = time.perf_counter()
    baseline = rank_bm25.BM25Okapi([index.bm25.tokens_of(d) for d in range(len(index))])
    baseline_build = time.perf_counter() - started

    rng = random.Random(2)
    questions = [rng.choice(articles).title[:12] + "是什么？" for _ in range(args.questions)]
    queries = [tokenizer.tokens(q) for q in questions]
    ours, theirs, asks = [], [], []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=20)
        ours.append((time.perf_counter() - t) * 1000)
    for q in queries[:50]:
        t = time.perf_counter()
        baseline.get_scores(q)
        theirs.append((time.perf_counter() - t) * 1000)
    for question in questions:
        t = time.perf_counter()
        responder.ask(question)
        asks.append((time.perf_counter() - t) * 1000)

    rate = chars / build / 1e6
    print(f"{len(index)} passages, {chars / 1e6:.1f}M characters")
    print(f"index build with tokenising {build:.1f} s ({rate:.2f}M chars/s)")
    print(f"rank_bm25 build from tokens {baseline_build:.1f} s\n")
    rows = [
        ("rank_bm25 get_scores (full scan)", theirs),
        ("newsbot retrieval (numpy postings)", ours),
        ("newsbot ask, end to end", asks),
    ]
    print("| what | p50 ms | p99 ms |")
    print("|---|---|---|")
    for name, values in rows:
        print(f"| {name} | {statistics.median(values):.2f} | {percentile(values, 0.99):.2f} |")
    speed_up = statistics.median(theirs) / statistics.median(ours)
    print(f"\nretrieval speed-up over rank_bm25: {speed_up:.0f}x")


if __name__ == "__main__":
    main()
