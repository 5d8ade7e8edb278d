"""How often the fast segmenter (jieba-rs where safe, jieba elsewhere) gives exactly jieba's tokens,
and how fast each is, on the bundled corpus, the CMRC trial contexts and a synthetic corpus.

Usage: python bench/agreement.py [--passages 30000]   (also printed by ``make bench``)
"""

from __future__ import annotations

import argparse
import json
import time

from common import QA_DIR, repo_config
from newsbot.corpus import Corpus
from newsbot.engine import tokenizer_for
from newsbot.index.passages import split_passages
from newsbot.text.tokenizer import Tokenizer

QA = QA_DIR / "cmrc2018_trial_contexts.jsonl"


def measure(name: str, texts: list[str], reference: Tokenizer, fast: Tokenizer) -> dict:
    """Agreement (share of texts with identical token lists) and characters per second."""
    chars = sum(map(len, texts))
    started = time.perf_counter()
    slow = [reference.tokens(t) for t in texts]
    slow_time = time.perf_counter() - started
    started = time.perf_counter()
    quick = [fast.tokens(t) for t in texts]
    fast_time = time.perf_counter() - started
    same = sum(a == b for a, b in zip(slow, quick, strict=True))
    return {
        "corpus": name,
        "texts": len(texts),
        "agreement": same / len(texts) if texts else 1.0,
        "jieba_mchars_s": chars / slow_time / 1e6,
        "fast_mchars_s": chars / fast_time / 1e6,
        **_per_cpu_second(texts, fast),
    }


def _per_cpu_second(texts: list[str], fast: Tokenizer) -> dict[str, float]:
    """Characters per CPU-second of rjieba's search-mode cut alone (on the normalised text) and
    of the indexing path (normalise, numbers kept whole, cut, term ids), each run twice and the
    faster kept."""
    import rjieba

    from newsbot.index.bm25 import Vocabulary
    from newsbot.text.normalize import normalize

    chars = sum(map(len, texts))
    cutter = rjieba.Jieba()
    norms = [normalize(t) for t in texts]
    encode = fast.encoder(Vocabulary().ids)
    rates = {}
    for key, work in (
        ("rjieba_mchars_cpu_s", lambda: [cutter.cut_for_search(t, True) for t in norms]),
        ("encode_mchars_cpu_s", lambda: [encode(t) for t in texts]),
    ):
        took = []
        for _ in range(2):
            started = time.process_time()
            work()
            took.append(time.process_time() - started)
        rates[key] = chars / max(min(took), 1e-9) / 1e6
    return rates


def corpora(n_passages: int) -> dict[str, list[str]]:
    from synthetic import synthetic_articles

    config = repo_config()
    bundled = [
        p.text
        for a in Corpus(config.corpus_dir).articles
        for p in split_passages(a, config.passage_max_chars)
    ]
    found = {"bundled": bundled}
    if QA.exists():
        found["cmrc2018 trial"] = [
            json.loads(line)["text"] for line in QA.read_text("utf-8").splitlines() if line
        ]
    found["synthetic"] = [
        p.text
        for a in synthetic_articles(n_passages)
        for p in split_passages(a, config.passage_max_chars)
    ]
    return found


def rows(n_passages: int) -> list[dict]:
    config = repo_config()
    fast = tokenizer_for(config)
    reference = Tokenizer(config.userdict, fast.stopwords, fast.synonyms, fast=False)
    fast.warm_up()
    reference.warm_up()
    return [measure(name, texts, reference, fast) for name, texts in corpora(n_passages).items()]


def table(results: list[dict]) -> str:
    lines = [
        "| corpus | texts | same tokens as jieba | jieba M chars/s | fast M chars/s "
        "| rjieba cut alone M chars/CPU-s | indexing path M chars/CPU-s | ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = r["encode_mchars_cpu_s"] / r["rjieba_mchars_cpu_s"]
        lines.append(
            f"| {r['corpus']} | {r['texts']} | {r['agreement']:.4f} | "
            f"{r['jieba_mchars_s']:.2f} | {r['fast_mchars_s']:.2f} | "
            f"{r['rjieba_mchars_cpu_s']:.2f} | {r['encode_mchars_cpu_s']:.2f} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=30_000)
    args = parser.parse_args()
    print(table(rows(args.passages)))


if __name__ == "__main__":
    main()
