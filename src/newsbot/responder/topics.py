"""Whether a new article is about a reader's topic: named in its title, or the topic as a BM25
query scored against the article's passages (the index's own tokenizer and statistics) relative
to the most a passage could score, so that an article merely mentioning a word does not count."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from newsbot.corpus.article import Article
from newsbot.index.search import SearchIndex
from newsbot.text.normalize import normalize
from newsbot.text.sentences import split_sentences
from newsbot.text.tokenizer import Tokenizer

# Share of a topic's terms the article must hold: a compound indexed inside a longer name
# (「空气质量」 in 「空气质量监测站点」) leaves its own token out but keeps its parts.
TOPIC_COVERAGE = 0.75
# Sentences that must name a topic the title does not: one is a mention, not a subject.
MIN_MENTIONS = 2
TOPICS_CACHED = 200_000


@dataclass(frozen=True)
class TopicMatch:
    """A topic an article is about: how strongly (0–1) and the sentence that shows it."""

    topic: str
    score: float
    sentence: str


def topic_terms(index: SearchIndex, topic: str) -> tuple[str, ...]:
    """The topic's distinct search terms, as questions and passages are tokenised (worked out
    once per topic: every new article is checked against every subscribed topic)."""
    return _terms(index.tokenizer, topic)


@lru_cache(maxsize=TOPICS_CACHED)
def _terms(tokenizer: Tokenizer, topic: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(tokenizer.tokens(normalize(topic))))


def matches(
    index: SearchIndex, article: Article, topics: Iterable[str], min_score: float
) -> list[TopicMatch]:
    """The topics (of many) ``article``, already in ``index``, is about. The article is tokenised
    once; a topic with a word the article lacks costs a set lookup, so thousands of
    subscriptions are checked in milliseconds."""
    if article.id not in index.spans:
        return []
    start, end = index.spans[article.id]
    title = index.title_tokens(article)
    held = set(title)
    for i in range(start, end):
        clauses = index.clauses(i)
        held.update(t for k in range(len(clauses)) for t in clauses.tokens(k))
    out = []
    sentences: list[tuple[str, set[str]]] | None = None
    for topic in dict.fromkeys(topics):
        terms = topic_terms(index, topic)
        if not terms or sum(t in held for t in terms) < TOPIC_COVERAGE * len(terms):
            continue
        if sentences is None:  # tokenised once, for the first topic the article may be about
            sentences = _sentences(article, index)
        sentence, mentions = _mentions(article.title, sentences, terms)
        if sum(t in title for t in terms) >= TOPIC_COVERAGE * len(terms):
            score = 1.0  # the title names it: the article is about it
        elif mentions < MIN_MENTIONS:
            continue  # named once in passing
        else:
            score = _strength(index, terms, article.id, end - start)
        if score >= min_score:
            out.append(TopicMatch(topic, score, sentence))
    return out


def _strength(index: SearchIndex, terms: tuple[str, ...], article_id: str, passages: int) -> float:
    """The best passage's BM25 score for the topic over the score of a passage holding every
    topic word very often: 1 term once in an average passage scores 1/(k1+1), twice more."""
    hits = index.search(terms, k=passages, within={article_id})
    if not hits:
        return 0.0
    bm25 = index.bm25
    ceiling = math.fsum(bm25.idf(t) * (bm25.k1 + 1) for t in terms)
    return hits[0].score / ceiling if ceiling > 0 else 0.0


def _sentences(article: Article, index: SearchIndex) -> list[tuple[str, set[str]]]:
    """Each sentence of the article with its tokens."""
    return [
        (sentence, set(index.tokenizer.tokens(normalize(sentence))))
        for paragraph in article.paragraphs
        for sentence in split_sentences(paragraph)
    ]


def _mentions(
    title: str, sentences: list[tuple[str, set[str]]], terms: tuple[str, ...]
) -> tuple[str, int]:
    """The sentence holding most of the topic's words (the title when none does), and how many
    sentences hold the topic."""
    best, best_held, mentions = title, 0, 0
    for sentence, tokens in sentences:
        held = sum(t in tokens for t in terms)
        mentions += held >= TOPIC_COVERAGE * len(terms)
        if held > best_held:
            best, best_held = sentence, held
    return best, mentions
