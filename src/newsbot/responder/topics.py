"""Whether a new article is about a reader's topic: named in its title, or the topic as a BM25
query scored against the article's passages (the index's own tokenizer and statistics) relative
to the most a passage could score, so that an article merely mentioning a word does not count."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from newsbot.corpus.article import Article
from newsbot.index.search import SearchIndex
from newsbot.text.normalize import normalize
from newsbot.text.sentences import split_sentences

# Share of a topic's terms the article must hold: a compound indexed inside a longer name
# (「空气质量」 in 「空气质量监测站点」) leaves its own token out but keeps its parts.
TOPIC_COVERAGE = 0.75
# Sentences that must name a topic the title does not: one is a mention, not a subject.
MIN_MENTIONS = 2


@dataclass(frozen=True)
class TopicMatch:
    """A topic an article is about: how strongly (0–1) and the sentence that shows it."""

    topic: str
    score: float
    sentence: str


def topic_terms(index: SearchIndex, topic: str) -> tuple[str, ...]:
    """The topic's distinct search terms, as questions and passages are tokenised."""
    return tuple(dict.fromkeys(index.tokenizer.tokens(normalize(topic))))


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
        held.update(t for clause in index.clauses(i) for t in clause.tokens)
    out = []
    for topic in dict.fromkeys(topics):
        terms = topic_terms(index, topic)
        if not terms or sum(t in held for t in terms) < TOPIC_COVERAGE * len(terms):
            continue
        sentence, mentions = _mentions(article, terms, index)
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


def _mentions(article: Article, terms: tuple[str, ...], index: SearchIndex) -> tuple[str, int]:
    """The article's sentence holding most of the topic's words (the title when none does), and
    how many sentences hold the topic."""
    best, best_held, mentions = article.title, 0, 0
    for paragraph in article.paragraphs:
        for sentence in split_sentences(paragraph):
            tokens = set(index.tokenizer.tokens(normalize(sentence)))
            held = sum(t in tokens for t in terms)
            mentions += held >= TOPIC_COVERAGE * len(terms)
            if held > best_held:
                best, best_held = sentence, held
    return best, mentions
