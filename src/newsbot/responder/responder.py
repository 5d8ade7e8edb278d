"""The responder: search, rerank, extract the answer, decide whether the corpus knows."""

from __future__ import annotations

from dataclasses import dataclass, replace

from newsbot.config import Config
from newsbot.index.search import Hit, SearchIndex
from newsbot.responder.answer import Answer, Source
from newsbot.responder.extract import Extract, extract, share
from newsbot.responder.question import Question, analyse, known_pieces
from newsbot.text.normalize import normalize

CANDIDATES = 20
# Passages either side of the best one that the answer may be cut from (measured in QUALITY.md).
CONTEXT_PASSAGES = 2
HINT_TITLES = 3
# Words of the article's title weigh less when choosing the answer window: the whole article is
# about them, so the sentence that answers often does not repeat them (「牠们」 for 「尤金袋鼠」).
TITLE_WEIGHT = 0.1
# Only the start of a longer message is read as the question (a question is a sentence or two).
MAX_QUESTION_CHARS = 500


@dataclass(frozen=True)
class _Ranked:
    hit: Hit
    coverage: float
    score: float


class Responder:
    """Answers questions from one index snapshot; never answers from an unrelated article."""

    def __init__(self, index: SearchIndex, config: Config) -> None:
        self.index = index
        self.config = config
        self.max_chars = config.answer_max_chars
        self.max_sources = config.max_sources
        self.min_confidence = config.min_confidence

    def ask(self, question: str, max_chars: int | None = None) -> Answer:
        """Answer ``question`` in at most ``max_chars`` characters, with its sources."""
        question = question.strip()
        q, weights = self._prepare(question[:MAX_QUESTION_CHARS])
        if not q.terms:
            return self._not_found(q, question, "请告诉我想了解什么，例如：")
        ranked = self._rank(q, weights)
        if not ranked or ranked[0].coverage < self.min_confidence:
            return self._not_found(
                q, question, "抱歉，新闻库里没有找到相关内容。可以换个说法，或看看最近的新闻："
            )
        chosen = ranked[0]
        best = self._extract(q, weights, chosen, max_chars or self.max_chars)
        sources = self._sources(ranked)
        return Answer(
            question=question,
            found=True,
            answer=best.text,
            sources=sources,
            confidence=chosen.coverage,
            qtype=q.qtype,
            terms=q.terms,
            matched=tuple(t for t in weights if t in best.matched),
        )

    def rank_articles(self, question: str, k: int = 5) -> list[str]:
        """The ids of the ``k`` articles ranked best for ``question`` (for evaluation)."""
        ranked = self._rank(*self._prepare(question.strip()[:MAX_QUESTION_CHARS]))
        ids = dict.fromkeys(r.hit.article_id for r in ranked)
        return list(ids)[:k]

    def _prepare(self, question: str) -> tuple[Question, dict[str, float]]:
        """The analysed question and the smoothed idf weight of each distinct term."""
        q = analyse(question, self.index.tokenizer)
        q = replace(q, terms=tuple(p for t in q.terms for p in known_pieces(t, self.index.knows)))
        return q, {t: self.index.idf(t) for t in dict.fromkeys(q.terms)}

    def _rank(self, q: Question, weights: dict[str, float]) -> list[_Ranked]:
        """BM25 candidates reordered by BM25 (relative to the best) and question coverage."""
        hits = self.index.search(q.terms, k=CANDIDATES)
        if not hits:
            return []
        top = hits[0].score if hits[0].score > 0 else 1.0
        ranked = []
        for hit, present in zip(hits, self.index.present(weights, hits), strict=True):
            cov = share(weights, present)  # of the question's weight
            ranked.append(_Ranked(hit, cov, 0.5 * max(hit.score, 0.0) / top + 0.5 * cov))
        return sorted(ranked, key=lambda r: -r.score)

    def _extract(
        self, q: Question, weights: dict[str, float], best: _Ranked, max_chars: int
    ) -> Extract:
        """The answer cut from the best passage and the passages around it in its article (the
        sentence that answers is often a passage away from the one that matches most)."""
        article = self.index.articles[best.hit.article_id]
        title = self.index.title_tokens(article)
        local = {t: w * (TITLE_WEIGHT if t in title else 1.0) for t, w in weights.items()}
        title_chars = set(normalize(article.title))
        chars = {c: TITLE_WEIGHT if c in title_chars else 1.0 for c in q.chars}
        around = self.index.neighbourhood(best.hit.index, CONTEXT_PASSAGES)
        clauses = [c for i in around for c in self.index.clauses(i)]
        return extract(clauses, local, chars, q.qtype, q.text, self.index.tokenizer, max_chars)

    def _sources(self, ranked: list[_Ranked]) -> tuple[Source, ...]:
        """Distinct articles, the answer's first, then others that are relevant enough."""
        sources: list[Source] = []
        seen: set[str] = set()
        for r in ranked:
            article_id = r.hit.article_id
            if article_id in seen or r.coverage < self.min_confidence:
                continue
            seen.add(article_id)
            article = self.index.articles[article_id]
            sources.append(
                Source(
                    id=article.id,
                    title=article.title,
                    date=article.date,
                    url=article.url,
                    score=round(r.hit.score, 6),
                    passage=r.hit.passage.text,
                )
            )
            if len(sources) == self.max_sources:
                break
        return tuple(sources)

    def _not_found(self, q: Question, question: str, lead: str) -> Answer:
        hint = "\n".join(f"· {a.title}" for a in self.index.latest(HINT_TITLES))
        text = lead + ("\n" + hint if hint else "\n（新闻库还是空的）")
        return Answer(question=question, found=False, answer=text, qtype=q.qtype, terms=q.terms)
