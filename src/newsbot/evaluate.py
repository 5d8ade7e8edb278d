"""Evaluation on a QA file shaped like CMRC 2018: retrieval hits and answers holding the gold."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from newsbot.corpus.article import normalize_id
from newsbot.errors import CorpusError, NewsbotError
from newsbot.responder import Responder
from newsbot.text.normalize import normalize

LIMITS = (150, 80)


@dataclass(frozen=True)
class QAItem:
    """One question with its gold answers and, when known, the article that holds them."""

    id: str
    question: str
    answers: tuple[str, ...]
    context_id: str | None


@dataclass(frozen=True)
class EvalResult:
    """Shares over all questions: retrieval hit@1/@5, found, and answers holding a gold answer."""

    n: int
    hit1: float
    hit5: float
    found: float
    contains: dict[int, float]

    def lines(self) -> list[str]:
        """A short human-readable report."""
        out = [
            f"问题数 {self.n}",
            f"hit@1 {self.hit1:.3f}   hit@5 {self.hit5:.3f}   作答率 {self.found:.3f}",
        ]
        out += [f"答案在 {k} 字内含标准答案 {v:.3f}" for k, v in self.contains.items()]
        return out


def load_qa(path: Path) -> list[QAItem]:
    """Read QA rows ``{"id","question","answers","context_id"}``; a bad row is a user error."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError:
        raise CorpusError(f"找不到或无法读取问答文件 {path}") from None
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = row["question"]
            answers = tuple(a for a in row.get("answers", []) if isinstance(a, str))
        except (json.JSONDecodeError, KeyError, TypeError):
            raise CorpusError(f"{path} 第 {number} 行：需要含 question 的 JSON 对象") from None
        context = row.get("context_id")
        items.append(
            QAItem(
                str(row.get("id", number)),
                str(question),
                answers,
                normalize_id(context) if context else None,
            )
        )
    if not items:
        raise NewsbotError(f"{path} 里没有问题")
    return items


def holds_gold(answer: str, golds: tuple[str, ...]) -> bool:
    """Whether the answer contains one of the gold answers (compared in normalised form)."""
    text = normalize(answer)
    return any(normalize(g).strip() and normalize(g).strip() in text for g in golds)


# CMRC 2018's official scoring: each CJK character and each run of Latin letters or digits is a
# token, punctuation and spaces are dropped.
_SPAN_TOKEN = re.compile(r"[A-Za-z0-9]+|\S")


def _span_tokens(text: str) -> list[str]:
    tokens = _SPAN_TOKEN.findall(normalize(text).lower())
    return [t for t in tokens if not unicodedata.category(t[0]).startswith(("P", "S"))]


def _common_subsequence(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]


def span_f1(span: str, golds: tuple[str, ...]) -> float:
    """The best longest-common-subsequence F1 of ``span`` against a gold answer, in the
    official CMRC 2018 way (character tokens, punctuation ignored)."""
    predicted = _span_tokens(span)
    best = 0.0
    for gold in golds:
        reference = _span_tokens(gold)
        common = _common_subsequence(predicted, reference)
        if common:
            precision, recall = common / len(predicted), common / len(reference)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def span_exact(span: str, golds: tuple[str, ...]) -> bool:
    """Whether ``span`` equals a gold answer once punctuation and case are set aside."""
    return any(_span_tokens(span) == _span_tokens(g) for g in golds)


def evaluate(
    responder: Responder, items: list[QAItem], limits: tuple[int, ...] = LIMITS
) -> EvalResult:
    """Ask every question once per answer limit and once for the article ranking."""
    hit1 = hit5 = found = 0
    contains = dict.fromkeys(limits, 0)
    for item in items:
        if item.context_id:
            ranking = responder.rank_articles(item.question, 5)
            hit1 += ranking[:1] == [item.context_id]
            hit5 += item.context_id in ranking
        for limit in limits:
            answer = responder.ask(item.question, max_chars=limit)
            if limit == limits[0]:
                found += answer.found
            contains[limit] += answer.found and holds_gold(answer.answer, item.answers)
    n = len(items)
    return EvalResult(
        n=n,
        hit1=hit1 / n,
        hit5=hit5 / n,
        found=found / n,
        contains={k: v / n for k, v in contains.items()},
    )
