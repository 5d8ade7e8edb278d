"""The responder: search, rerank, check the question's constraints, extract the answer, and
say how sure it is; it refuses rather than answer what the corpus does not support."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date

from newsbot.config import Config
from newsbot.corpus.article import Article
from newsbot.index.recent import Recent
from newsbot.index.search import Hit, SearchIndex
from newsbot.responder.answer import Answer, Source
from newsbot.responder.calibration import load_calibration
from newsbot.responder.constraints import TIMED, Constraint, canonical, constraints, missing
from newsbot.responder.counts import counted
from newsbot.responder.extract import Extract, answer_evidence, extract, share
from newsbot.responder.followup import Context, resolve
from newsbot.responder.intents import GREETING, HELP, LATEST, THANKS, intent_of
from newsbot.responder.periods import Period, find_period
from newsbot.responder.question import Question, analyse, known_pieces
from newsbot.responder.replies import examples, latest, small_talk
from newsbot.responder.short import short_answer
from newsbot.text.normalize import normalize
from newsbot.text.sentences import split_sentences

CANDIDATES = 20
# Passages either side of the best one that the answer may be cut from (measured in QUALITY.md).
CONTEXT_PASSAGES = 2
HINT_TITLES = 3
# Words of the article's title weigh less when choosing the answer window: the whole article is
# about them, so the sentence that answers often does not repeat them (「牠们」 for 「尤金袋鼠」).
TITLE_WEIGHT = 0.1
# Only the start of a longer message is read as the question (a question is a sentence or two).
MAX_QUESTION_CHARS = 500
# Articles whose canonical text is kept for checking constraints.
ARTICLE_TEXT_CACHE = 4096
# The most constraints counted as evidence of a specific match.
CONSTRAINTS_COUNTED = 3
# A year among the question's terms (「2020年」, 「2020」): news gives it in the date, not the text.
_YEAR_TERM = re.compile(r"\d{4}年?")
# Periods whose articles are kept worked out per index snapshot.
PERIODS_CACHED = 64
# Another article is named under the answer when it holds this share of what the answer's does.
SOURCE_SHARE = 0.8
NOT_FOUND = "抱歉，新闻库里没有找到能回答这个问题的内容。"
EMPTY_QUESTION = "请告诉我想了解什么，例如：「{example}」"
UNDATED = "（这篇报道没有注明日期，无法确认是否为{shown}的事。）"


@dataclass(frozen=True)
class _Ranked:
    hit: Hit
    coverage: float
    score: float
    present: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Draft:
    """An answer before the confidence threshold, with the measurements its confidence is
    computed from (what ``bench/calibrate.py`` fits the model on); ``features`` is empty when
    there is nothing to answer from."""

    answer: Answer
    features: dict[str, float]


# The canonical text of recently checked articles, by id, digest and passage limit (a value,
# never a snapshot: the cache outlives the index that made it).
_ARTICLE_TEXTS: Recent[str] = Recent(ARTICLE_TEXT_CACHE)


class Responder:
    """Answers questions from one index snapshot; never answers from an unrelated article."""

    def __init__(self, index: SearchIndex, config: Config) -> None:
        self.index = index
        self.config = config
        self.max_chars = config.answer_max_chars
        self.max_sources = config.max_sources
        self.min_confidence = config.min_confidence
        self.calibration = load_calibration(config.calibration)
        self._periods: dict[Period, tuple[frozenset[str], bool]] = {}

    def ask(
        self,
        question: str,
        max_chars: int | None = None,
        context: Context | None = None,
        today: date | None = None,
    ) -> Answer:
        """Reply to a message: small talk and "what's new" lists by intent, else the answer to
        the question (leaning on ``context``, the answer before, only when it cannot stand
        alone), restricted to the period its date words name counted from ``today``."""
        question = question.strip()
        head = question[:MAX_QUESTION_CHARS]
        norm = normalize(head)
        period = find_period(norm, today or self.config.today or date.today())
        intent = intent_of(head, norm.replace(period.shown, " ") if period else None)
        if intent.name in (GREETING, THANKS, HELP):
            return small_talk(intent.name, question, self.index)
        if intent.name == LATEST:
            count = self.config.latest_listed
            return latest(question, self.index, count, intent.topic, period)
        resolved = resolve(head, context, self.index.tokenizer)
        if resolved is not None:
            leaning = self._dated(resolved.question, max_chars, period, resolved.within)
            if leaning.found and not _repeats(leaning, context):
                return replace(leaning, question=question, resolved=resolved.question)
        return self._dated(question, max_chars, period)

    def examples(self) -> tuple[str, ...]:
        """Questions this corpus can answer, for greetings and help."""
        return examples(self.index)

    def _dated(
        self,
        question: str,
        max_chars: int | None,
        period: Period | None,
        within: tuple[str, ...] = (),
    ) -> Answer:
        """The answer from the articles of ``period`` (and ``within``, when given); a period
        without dated articles is refused, unless it only states a preference (「2019年」 in a
        question on 2020's news)."""
        base = frozenset(within) if within else None
        if period is None:
            return self._threshold(self.draft(question, max_chars, base).answer)
        asked = question
        if not period.literal:  # 「去年年底」 is in the article's date, never in its text
            question = normalize(question).replace(period.shown, "，")
        in_period, dated = self._in_period(period)
        allowed = base
        if dated or not period.prefer:
            allowed = in_period if base is None else base & in_period
        # Where the corpus has news of the period, an article without a date may be of it too.
        answer = self._threshold(self.draft(question, max_chars, allowed, dated).answer)
        if not answer.found and period.prefer and allowed != base:
            answer = self._threshold(self.draft(question, max_chars, base).answer)
        if not answer.found and not dated and not period.prefer:
            answer = self._no_period(question, answer, period)
        if answer.found and self._unchecked(question, answer, period):
            note = UNDATED.format(shown=period.shown)
            answer = replace(answer, answer=f"{answer.answer}\n{note}")
        return replace(answer, question=asked, period=period.label)

    def _unchecked(self, question: str, answer: Answer, period: Period) -> bool:
        """Whether the answer's article has no date to place it in ``period`` and its text does
        not name the period's year or month either (「最近」 is only a preference: never said)."""
        article = self.index.articles.get(answer.sources[0].id)
        if article is None or article.date or (period.prefer and not period.literal):
            return False
        if not period.literal:
            return True
        wanted = constraints(normalize(question), self.index.tokenizer)
        return self._meets(tuple(c for c in wanted if c.kind in TIMED), article) is not None

    def _meets(
        self, wanted: tuple[Constraint, ...], article: Article, undated: bool = False
    ) -> Constraint | None:
        """The first of ``wanted`` the article misses (its text is worked out only when there
        are any); ``undated`` as in ``missing``."""
        if not wanted:
            return None
        return missing(wanted, lambda: self._article_text(article), article.date, undated)

    def _article_text(self, article: Article) -> str:
        """An article's title and text as indexed, in the canonical form constraints are checked
        against: the same text the answer is quoted from, with no read of its file."""
        key = f"{article.id}\0{article.digest}\0{self.index.params.passage_max_chars}"
        text = _ARTICLE_TEXTS.get(key)
        if text is None:
            text = canonical(normalize(self.index.article_text(article.id)))
            _ARTICLE_TEXTS.put(key, text)
        return text

    def _in_period(self, period: Period) -> tuple[frozenset[str], bool]:
        """The articles of ``period`` (undated ones too, unless it names a day), and whether a
        dated one is among them."""
        if period not in self._periods:
            if len(self._periods) > PERIODS_CACHED:
                self._periods.clear()
            by_date = self.index.ids_by_date()
            held = [d for d in by_date if period.holds(d)]
            ids = frozenset(i for d in held for i in by_date[d])
            self._periods[period] = (ids, any(period.dated(d) for d in held))
        return self._periods[period]

    def _no_period(self, question: str, answer: Answer, period: Period) -> Answer:
        """The refusal of a period no dated article falls in, naming the closest article."""
        sources = self.draft(question).answer.sources or answer.sources
        closest = sources[0] if sources else None
        text = f"新闻库里没有{period.shown}的报道。" + (_closest_line(closest) if closest else "")
        kept = (replace(closest, closest=True),) if closest else ()
        return replace(answer, answer=text, sources=kept, short_answer=None)

    def _threshold(self, answer: Answer) -> Answer:
        """``answer`` refused, naming the closest article, when its confidence is too low."""
        if not answer.found or answer.confidence >= self.min_confidence:
            return answer
        closest = answer.sources[0]
        return replace(
            answer,
            found=False,
            answer=NOT_FOUND + _closest_line(closest),
            sources=(replace(closest, closest=True),),
            short_answer=None,
        )

    def draft(
        self,
        question: str,
        max_chars: int | None = None,
        within: frozenset[str] | None = None,
        undated: bool = False,
    ) -> Draft:
        """The best answer the corpus (or the articles ``within``) allows, whatever its
        confidence; refused only when nothing matches or the best matches miss one of the
        question's constraints (``undated``: an article without a date naming no year or month
        meets the years and dates asked)."""
        question = question.strip()
        q, weights = self._prepare(question[:MAX_QUESTION_CHARS])
        if not q.terms:
            lead = EMPTY_QUESTION.format(example=examples(self.index)[-1])
            return Draft(self._nothing(q, question, lead), {})
        norm_q = normalize(q.text)
        wanted = constraints(norm_q, self.index.tokenizer)
        if any(c.kind == "year" for c in wanted):  # checked as a constraint, often only the date's
            weights = {t: w for t, w in weights.items() if not _YEAR_TERM.fullmatch(t)} or weights
        ranked = self._rank(q, weights, within)
        if not ranked:
            return Draft(
                self._nothing(q, question, NOT_FOUND + "可以换个说法，或看看最近的新闻："), {}
            )
        chosen, missed = self._meeting(ranked, wanted, undated)
        if chosen is None:
            return Draft(self._missed(q, question, ranked[0], missed), {})
        best = self._extract(q, weights, chosen, max_chars or self.max_chars)
        features = self._features(q, weights, ranked, chosen, best, len(wanted))
        sources = self._sources(ranked, chosen, wanted, undated)
        answer = Answer(
            question=question,
            found=True,
            answer=best.text,
            sources=sources,
            confidence=self.calibration.probability(features),
            qtype=q.qtype,
            terms=q.terms,
            matched=tuple(t for t in weights if t in best.matched),
            short_answer=short_answer(
                q.qtype, norm_q, best.sentence, self.index.tokenizer, q.terms
            ),
        )
        return Draft(answer, features)

    def _meeting(
        self, ranked: list[_Ranked], wanted: tuple[Constraint, ...], undated: bool
    ) -> tuple[_Ranked | None, Constraint | None]:
        """The best-ranked candidate whose article meets every constraint, else the constraint
        the best-ranked article misses."""
        first_missed = None
        for r in ranked:
            article = self.index.articles[r.hit.article_id]
            missed = self._meets(wanted, article, undated)
            if missed is None:
                return r, first_missed
            first_missed = first_missed or missed
        return None, first_missed

    def _features(
        self,
        q: Question,
        weights: dict[str, float],
        ranked: list[_Ranked],
        chosen: _Ranked,
        best: Extract,
        constraint_count: int,
    ) -> dict[str, float]:
        """What the confidence is computed from (``calibration.FEATURES``)."""
        idf_total = math.fsum(weights.values()) or 1.0
        others = [r.hit.score for r in ranked if r.hit.article_id != chosen.hit.article_id]
        top = max(chosen.hit.score, 1e-9)
        expects = q.qtype not in ("other", "work")
        norm_q, norm_text = normalize(q.text), normalize(best.text)  # once per answer
        counts = counted(norm_q, norm_text, self.index.tokenizer)
        typed = best.typed or (
            expects and answer_evidence(q.qtype, norm_q, self.index.tokenizer)(norm_text)
        )
        rarest = max(weights.values(), default=0.0) or 1.0
        missed = max((w for t, w in weights.items() if t not in chosen.present), default=0.0)
        return {
            "coverage": chosen.coverage,
            "missing_rare": missed / rarest,
            "quote_coverage": best.coverage,
            "fit": best.score,
            "strength": min(chosen.hit.score / idf_total, 3.0),
            "margin": max(0.0, 1.0 - max(others, default=0.0) / top),
            "typed": float(expects and typed),
            "untyped": float(expects and not typed),
            "constraints": min(constraint_count, CONSTRAINTS_COUNTED) / CONSTRAINTS_COUNTED,
            "terms": math.log1p(len(weights)),
            "demoted": float(chosen is not ranked[0]),
            "counted": float(bool(counts)),
            "uncounted": float(counts is False),
        }

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

    def _rank(
        self, q: Question, weights: dict[str, float], within: frozenset[str] | None = None
    ) -> list[_Ranked]:
        """BM25 candidates reordered by BM25 (relative to the best) and question coverage."""
        hits = self.index.search(q.terms, k=CANDIDATES, within=within)
        if not hits:
            return []
        top = hits[0].score if hits[0].score > 0 else 1.0
        ranked = []
        # A passage is indexed with its article's title leading it: 「非遗文化节」 named in the
        # title only is present.
        for hit, present in zip(hits, self.index.present(weights, hits), strict=True):
            cov = share(weights, present)  # of the question's weight
            score = 0.5 * max(hit.score, 0.0) / top + 0.5 * cov
            ranked.append(_Ranked(hit, cov, score, frozenset(present)))
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
        passages = [self.index.clauses(i) for i in around]
        return extract(passages, local, chars, q.qtype, q.text, self.index.tokenizer, max_chars)

    def _sources(
        self,
        ranked: list[_Ranked],
        chosen: _Ranked,
        wanted: tuple[Constraint, ...],
        undated: bool,
    ) -> tuple[Source, ...]:
        """Distinct articles, the answer's first, then others that hold nearly as much of the
        question and meet its constraints too."""
        sources = [self._source(chosen)]
        seen = {chosen.hit.article_id}
        for r in ranked:
            if len(sources) == self.max_sources:
                break
            if r.hit.article_id in seen or r.coverage < SOURCE_SHARE * chosen.coverage:
                continue
            article = self.index.articles[r.hit.article_id]
            if self._meets(wanted, article, undated) is not None:
                continue
            seen.add(r.hit.article_id)
            sources.append(self._source(r))
        return tuple(sources)

    def _source(self, r: _Ranked, closest: bool = False) -> Source:
        article = self.index.articles[r.hit.article_id]
        return Source(
            id=article.id,
            title=article.title,
            date=article.date,
            url=article.url,
            score=round(r.hit.score, 6),
            passage=r.hit.passage.text,
            closest=closest,
        )

    def _missed(
        self, q: Question, question: str, top: _Ranked, missed: Constraint | None
    ) -> Answer:
        """The refusal when no candidate meets the question's constraints: what is missing and
        the closest article."""
        source = self._source(top, closest=True)
        shown = missed.shown if missed else q.text
        text = f"新闻库里没有关于“{shown}”的报道。" + _closest_line(source)
        return Answer(
            question=question,
            found=False,
            answer=text,
            sources=(source,),
            qtype=q.qtype,
            terms=q.terms,
        )

    def _nothing(self, q: Question, question: str, lead: str) -> Answer:
        """The refusal when nothing in the corpus matches: the newest titles as a hint."""
        hint = "\n".join(f"· {a.title}" for a in self.index.latest(HINT_TITLES))
        text = lead + ("\n" + hint if hint else "\n（新闻库还是空的）")
        return Answer(question=question, found=False, answer=text, qtype=q.qtype, terms=q.terms)


def _repeats(answer: Answer, context: Context | None) -> bool:
    """Whether ``answer`` says again what the answer before it said (a follow-up must not)."""
    if context is None:
        return False
    first = split_sentences(answer.answer.lstrip("…"))[:1]
    return first == split_sentences(context.answer.lstrip("…"))[:1] and (
        answer.short_answer == context.short_answer
    )


def _closest_line(source: Source) -> str:
    """「最接近的是：《标题》（日期）」"""
    date = f"（{source.date}）" if source.date else ""
    return f"最接近的是：《{source.title}》{date}"
