"""The search index: an immutable snapshot of passages, their tokens and BM25 over them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from newsbot.config import Config
from newsbot.corpus.article import Article
from newsbot.index.bm25 import BM25Okapi
from newsbot.index.passages import Passage, split_passages
from newsbot.text.sentences import split_clauses
from newsbot.text.tokenizer import Tokenizer

CLAUSE_CACHE = 8192


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with its BM25Okapi score."""

    passage: Passage
    score: float
    index: int


@dataclass(frozen=True)
class IndexParams:
    """What shapes an index besides the articles and the tokenizer."""

    passage_max_chars: int = Config.passage_max_chars
    k1: float = Config.bm25_k1
    b: float = Config.bm25_b
    epsilon: float = Config.bm25_epsilon


@dataclass(frozen=True)
class Clause:
    """A clause of a passage and its tokens, the unit answers are cut from."""

    text: str
    tokens: frozenset[str]


@dataclass(frozen=True)
class _Tokenised:
    title: frozenset[str]
    passages: tuple[Passage, ...]
    tokens: tuple[tuple[str, ...], ...]


class SearchIndex:
    """Passages of a corpus and BM25Okapi over their tokens (the title's tokens lead each one).

    An index is never changed once built; a new corpus gives a new index, so a question is always
    answered from one consistent snapshot. Tokens of unchanged articles are reused.
    """

    def __init__(
        self,
        articles: Iterable[Article],
        tokenizer: Tokenizer,
        params: IndexParams = IndexParams(),
        previous: SearchIndex | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.params = params
        reuse = previous._cache if previous and previous._compatible(tokenizer, params) else {}
        self.articles: dict[str, Article] = {}
        self._cache: dict[tuple[str, str], _Tokenised] = {}
        passages: list[Passage] = []
        tokens: list[tuple[str, ...]] = []
        for article in articles:
            key = (article.id, article.fingerprint)
            done = reuse.get(key) or self._tokenise(article)
            self._cache[key] = done
            self.articles[article.id] = article
            passages += done.passages
            tokens += done.tokens
        self.passages: Sequence[Passage] = passages
        self.passage_tokens: Sequence[tuple[str, ...]] = tokens
        self.bm25 = BM25Okapi(tokens, params.k1, params.b, params.epsilon)
        self._clauses = lru_cache(maxsize=CLAUSE_CACHE)(self._split_clauses)

    def _compatible(self, tokenizer: Tokenizer, params: IndexParams) -> bool:
        return tokenizer.signature == self.tokenizer.signature and params == self.params

    def _tokenise(self, article: Article) -> _Tokenised:
        title = tuple(self.tokenizer.tokens(article.title))
        passages = tuple(split_passages(article, self.params.passage_max_chars))
        tokens = tuple(title + tuple(self.tokenizer.tokens(p.text)) for p in passages)
        return _Tokenised(frozenset(title), passages, tokens)

    def title_tokens(self, article: Article) -> frozenset[str]:
        """The tokens of an article's title, as indexed."""
        return self._cache[(article.id, article.fingerprint)].title

    def clauses(self, i: int) -> tuple[Clause, ...]:
        """The clauses of passage ``i`` with their tokens; recently used passages stay cached,
        so a question tokenises only passages no earlier question has touched."""
        return self._clauses(i)

    def _split_clauses(self, i: int) -> tuple[Clause, ...]:
        return tuple(
            Clause(c, frozenset(self.tokenizer.tokens(c)))
            for c in split_clauses(self.passages[i].text)
        )

    def __len__(self) -> int:
        return len(self.passages)

    def search(self, query: Sequence[str], k: int = 10) -> list[Hit]:
        """The ``k`` best passages sharing a term with ``query``, best first."""
        if not self.passages or not query:
            return []
        scores = self.bm25.scores(query)
        candidates = np.unique(np.concatenate([self.bm25.postings(t) for t in set(query)]))
        if not len(candidates):
            return []
        if len(candidates) > k:
            part = np.argpartition(-scores[candidates], k - 1)[:k]
            candidates = candidates[part]
        order = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
        return [Hit(self.passages[i], float(scores[i]), i) for i in order]

    def neighbourhood(self, i: int, radius: int = 1) -> list[int]:
        """Passage ``i`` with up to ``radius`` passages of the same article on each side."""
        article_id = self.passages[i].article_id
        lo, hi = max(0, i - radius), min(len(self.passages), i + radius + 1)
        return [j for j in range(lo, hi) if self.passages[j].article_id == article_id]

    def idf(self, term: str) -> float:
        """A smoothed idf that stays positive on any corpus size (unlike BM25Okapi's), used to
        weigh how much of a question a passage covers; an unseen term weighs the most."""
        n_docs = len(self.passages)
        df = self.bm25.doc_freq(term)
        return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
