"""The search index: an immutable snapshot of passages, their tokens and BM25 over them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from newsbot.corpus.article import Article
from newsbot.index.bm25 import BM25Okapi
from newsbot.index.passages import Passage, split_passages
from newsbot.text.tokenizer import Tokenizer


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with its BM25Okapi score."""

    passage: Passage
    score: float
    index: int


@dataclass(frozen=True)
class IndexParams:
    """What shapes an index besides the articles and the tokenizer."""

    passage_max_chars: int = 300
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


@dataclass(frozen=True)
class _Tokenised:
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

    def _compatible(self, tokenizer: Tokenizer, params: IndexParams) -> bool:
        return tokenizer.signature == self.tokenizer.signature and params == self.params

    def _tokenise(self, article: Article) -> _Tokenised:
        title = tuple(self.tokenizer.tokens(article.title))
        passages = tuple(split_passages(article, self.params.passage_max_chars))
        tokens = tuple(title + tuple(self.tokenizer.tokens(p.text)) for p in passages)
        return _Tokenised(passages, tokens)

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

    def neighbourhood(self, i: int, radius: int = 1) -> list[Passage]:
        """Passage ``i`` with up to ``radius`` passages of the same article on each side."""
        article_id = self.passages[i].article_id
        lo, hi = max(0, i - radius), min(len(self.passages), i + radius + 1)
        return [p for p in self.passages[lo:hi] if p.article_id == article_id]

    def idf(self, term: str) -> float:
        """A smoothed idf that stays positive on any corpus size (unlike BM25Okapi's), used to
        weigh how much of a question a passage covers; an unseen term weighs the most."""
        n_docs = len(self.passages)
        df = self.bm25.doc_freq(term)
        return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
