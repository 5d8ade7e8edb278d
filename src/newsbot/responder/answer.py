"""The records a responder returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# How the short answer is introduced on the reply's first line (「答：64名」).
SHORT_LABEL = "答："


@dataclass(frozen=True)
class Source:
    """An article an answer draws on, with the passage used and its BM25 score."""

    id: str
    title: str
    date: str | None
    url: str
    score: float
    passage: str
    closest: bool = False  # named as the nearest article when the bot does not answer


@dataclass(frozen=True)
class Answer:
    """The reply to one question. ``found`` is False when the corpus does not know."""

    question: str
    found: bool
    answer: str
    sources: tuple[Source, ...] = ()
    confidence: float = 0.0
    qtype: str = "other"
    terms: tuple[str, ...] = ()
    matched: tuple[str, ...] = ()
    short_answer: str | None = None
    intent: str = "question"
    resolved: str | None = None  # the question as answered, when rewritten from the one before
    period: str | None = None  # the article dates the question asked about (「2020-05-11 至 …」)

    def to_json(self) -> dict[str, object]:
        """The JSON shape of the CLI contract (extra fields may follow the fixed ones)."""
        data = asdict(self)
        return {
            "question": self.question,
            "found": self.found,
            "answer": self.answer,
            "sources": data["sources"],
            "confidence": round(self.confidence, 4),
            "qtype": self.qtype,
            "short_answer": self.short_answer,
            "intent": self.intent,
            "resolved_question": self.resolved,
            "period": self.period,
        }
