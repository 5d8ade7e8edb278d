"""Answer quality: retrieval and answers on CMRC 2018 trial beside the naive rank_bm25 bot (same
run), the refusal/coverage curve of bench/calibrate.py, where the fact stands in the answer, and the
short answers' character F1.

Usage: python bench/quality.py [--qa bench/data/cmrc2018]   (what ``make eval`` runs)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import jieba
import rank_bm25

from calibrate import Labelled, choose, collect, cross_validated, curve, table
from common import QA_DIR, repo_config
from newsbot.corpus.importers import parse_import
from newsbot.engine import params_for, responder_for, tokenizer_for
from newsbot.evaluate import (
    EvalResult,
    QAItem,
    evaluate,
    holds_gold,
    load_qa,
    span_exact,
    span_f1,
)
from newsbot.index.search import SearchIndex
from newsbot.text.sentences import split_sentences


class NaiveBot:
    """What anyone would build from the same parts: BM25Okapi over whole paragraphs with
    ``jieba.lcut``; the answer is the best-overlapping sentence of the top paragraph, grown to
    the limit."""

    def __init__(self, contexts: list[dict[str, str]]) -> None:
        self.ids = [c["id"].lower() for c in contexts]
        self.texts = [c["text"] for c in contexts]
        self.bm25 = rank_bm25.BM25Okapi([jieba.lcut(t) for t in self.texts])

    def rank(self, question: str, k: int = 5) -> list[int]:
        scores = self.bm25.get_scores(jieba.lcut(question))
        return sorted(range(len(scores)), key=lambda i: -scores[i])[:k]

    def answer(self, question: str, limit: int) -> str:
        top = self.rank(question, 1)[0]
        sentences = split_sentences(self.texts[top])
        words = set(jieba.lcut(question))
        best = max(range(len(sentences)), key=lambda i: len(words & set(jieba.lcut(sentences[i]))))
        i = j = best
        text = sentences[best]
        while len(text) < limit and (i > 0 or j + 1 < len(sentences)):
            if j + 1 < len(sentences):
                j += 1
            else:
                i -= 1
            text = "".join(sentences[i : j + 1])
        return text[:limit]

    def evaluate(self, items: list[QAItem]) -> EvalResult:
        hit1 = hit5 = 0
        contains = {150: 0, 80: 0}
        for item in items:
            ranking = [self.ids[i] for i in self.rank(item.question)]
            hit1 += ranking[:1] == [item.context_id]
            hit5 += item.context_id in ranking
            for limit in contains:
                contains[limit] += holds_gold(self.answer(item.question, limit), item.answers)
        n = len(items)
        return EvalResult(n, hit1 / n, hit5 / n, 1.0, {k: v / n for k, v in contains.items()})


def fact_position(answered: list[Labelled]) -> list[str]:
    """Where the fact stands in the answers given: within the first 80 and 150 characters."""
    lines = [
        "| answered set | n | fact in first 80 chars | fact in 150 chars |",
        "|---|---|---|---|",
    ]
    for dataset in ("CMRC kept", "own answerable"):
        picked = [r for r in answered if r.dataset == dataset]
        n = len(picked) or 1
        first = sum(holds_gold(r.answer[:80], r.golds) for r in picked) / n
        whole = sum(holds_gold(r.answer, r.golds) for r in picked) / n
        lines.append(f"| {dataset} | {len(picked)} | {first:.3f} | {whole:.3f} |")
    return lines


def short_answers(answered: list[Labelled]) -> list[str]:
    """How often an answered question gets a short answer, and its CMRC character F1 / EM."""
    lines = [
        "| answered set | short answer given | char F1 | exact match |",
        "|---|---|---|---|",
    ]
    for dataset in ("CMRC kept", "own answerable"):
        picked = [r for r in answered if r.dataset == dataset]
        given = [r for r in picked if r.short_answer]
        n = len(given) or 1
        f1 = sum(span_f1(r.short_answer or "", r.golds) for r in given) / n
        exact = sum(span_exact(r.short_answer or "", r.golds) for r in given) / n
        lines.append(f"| {dataset} | {len(given)} of {len(picked)} | {f1:.3f} | {exact:.3f} |")
    return lines


def _row(name: str, r: EvalResult) -> str:
    return (
        f"| {name} | {r.hit1:.3f} | {r.hit5:.3f} | {r.contains[150]:.3f} | {r.contains[80]:.3f} "
        f"| {r.found:.3f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, default=QA_DIR)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    args = parser.parse_args()
    contexts_path = args.qa / "cmrc2018_trial_contexts.jsonl"
    questions_path = args.qa / "cmrc2018_trial_questions.jsonl"
    if not contexts_path.exists():
        print(f"no QA set at {args.qa}", file=sys.stderr)
        return 2
    config = repo_config()
    tokenizer = tokenizer_for(config)
    items = load_qa(questions_path)[: args.limit]
    contexts = [json.loads(line) for line in contexts_path.read_text("utf-8").splitlines()]

    started = time.perf_counter()
    articles = parse_import(contexts_path.name, contexts_path.read_bytes()).articles
    responder = responder_for(config, SearchIndex(articles, tokenizer, params_for(config)))
    ours = evaluate(responder, items)
    ours_seconds = time.perf_counter() - started
    naive = NaiveBot(contexts).evaluate(items)

    rows = collect(config, args.qa)
    scored = cross_validated(rows)
    points = curve(rows, scored)
    configured = next(p for p in points if abs(p.threshold - config.min_confidence) < 1e-9)
    answered = [r for r, c in zip(rows, scored, strict=True) if c >= config.min_confidence]

    print(f"CMRC 2018 trial: {len(items)} questions over {len(contexts)} paragraphs\n")
    print("| bot | hit@1 | hit@5 | gold in 150 chars | gold in 80 chars | answered |")
    print("|---|---|---|---|---|---|")
    print(_row("naive rank_bm25 (same run)", naive))
    print(_row("newsbot", ours))
    print(
        f"\nRefusal/coverage curve over {len(rows)} labelled questions "
        "(confidence cross-validated in 5 folds by paragraph):\n"
    )
    print("\n".join(table(points, config.min_confidence)))
    print(
        f"\nAt the configured {config.min_confidence:.2f}: precision of answered "
        f"{configured.precision:.3f}; lowest threshold meeting the refusal target "
        f"{choose(points).threshold:.2f}."
    )
    print("\n".join(["", *fact_position(answered), "", *short_answers(answered)]))
    per_ask = ours_seconds / len(items) * 1000 / 3
    print(f"\nnewsbot eval time {ours_seconds:.1f} s ({per_ask:.1f} ms per ask)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
