"""Answer quality on a CMRC-shaped QA set, beside the naive rank_bm25 bot, computed in the same run.

Usage: python bench/quality.py [--qa bench/data/cmrc2018]   (what ``make eval`` runs)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import jieba
import rank_bm25

from common import OWN_QA, QA_DIR, repo_config
from newsbot.config import Config
from newsbot.corpus.importers import parse_import
from newsbot.engine import Engine, params_for, responder_for, tokenizer_for
from newsbot.evaluate import EvalResult, QAItem, evaluate, holds_gold, load_qa
from newsbot.index.search import SearchIndex
from newsbot.responder import Responder
from newsbot.text.sentences import split_sentences

THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5)


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


def confidences(responder: Responder, questions: list[str]) -> list[float]:
    """Each question's confidence with refusals off (0 where nothing matched at all)."""
    unrefusing = Responder(
        responder.index, dataclasses.replace(responder.config, min_confidence=0.0)
    )
    answers = (unrefusing.ask(q) for q in questions)
    return [a.confidence if a.found else 0.0 for a in answers]


def held_out(index: SearchIndex, config: Config, items: list[QAItem]) -> list[float]:
    """Confidences with each question's own paragraph removed from the index: questions the
    corpus cannot answer that are on the topic of what remains (sibling paragraphs)."""
    by_context: dict[str, list[QAItem]] = {}
    for item in items:
        by_context.setdefault(item.context_id or "", []).append(item)
    out = []
    for context, asked in by_context.items():
        responder = responder_for(config, index.updated(removed=[context]))
        out += confidences(responder, [item.question for item in asked])
    return out


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

    bundled = Engine(config, tokenizer)
    refused = sum(not bundled.ask(item.question).found for item in items) / len(items)
    sweep = {
        "CMRC answered": confidences(responder, [item.question for item in items]),
        "off-topic refused": confidences(bundled.responder, [item.question for item in items]),
        "own paragraph removed, refused": held_out(responder.index, config, items),
    }
    own = [json.loads(line) for line in OWN_QA.read_text("utf-8").splitlines()]
    answered = sum(bundled.ask(row["question"]).found for row in own) / len(own)

    print(f"CMRC 2018 trial: {len(items)} questions over {len(contexts)} paragraphs\n")
    print("| bot | hit@1 | hit@5 | gold in 150 chars | gold in 80 chars | answered |")
    print("|---|---|---|---|---|---|")
    print(_row("naive rank_bm25 (same run)", naive))
    print(_row("newsbot", ours))
    print(
        f"\nRefusal on the bundled corpus: off-topic trial questions refused {refused:.3f} "
        f"(target ≥ 0.95); own in-corpus questions answered {answered:.3f} of {len(own)} "
        "(target ≥ 0.95)"
    )
    print(
        "\nThreshold sweep (confidence = share of the question's weight the best passage covers):\n"
    )
    print("| threshold | " + " | ".join(sweep) + " |")
    print("|---|" + "---|" * len(sweep))
    for t in THRESHOLDS:
        shares = [
            sum((c >= t) == (name == "CMRC answered") for c in cs) / len(cs)
            for name, cs in sweep.items()
        ]
        mark = " (configured)" if t == config.min_confidence else ""
        print(f"| {t:.2f}{mark} | " + " | ".join(f"{v:.3f}" for v in shares) + " |")
    per_ask = ours_seconds / len(items) * 1000 / 3
    print(f"newsbot eval time {ours_seconds:.1f} s ({per_ask:.1f} ms per ask)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
