"""The search index: an immutable snapshot of passages and BM25 over their tokens, changed per
article (a new snapshot that shares the old one's arrays)."""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, partial
from itertools import accumulate

import numpy as np

from newsbot.config import Config
from newsbot.corpus.article import Article, collection_digest, digest_changed
from newsbot.index.bm25 import TERM, BM25Okapi, Vocabulary
from newsbot.index.passages import Passage, PassageList, split_passages
from newsbot.index.recent import Recent
from newsbot.text.joined import Joined
from newsbot.text.normalize import normalize, normalize_each
from newsbot.text.sentences import split_clauses
from newsbot.text.tokenizer import Forms, Tokenizer

CLAUSE_CACHE = 2048
TITLE_CACHE = 4096
# Compact (as few segments as hold the passages, dead ones dropped) when either grows past this:
# the segments beyond the fewest that could hold the passages (the newest segments are merged as
# they come, so these stay near log2 of a full segment), the share of dead passages.
MAX_SEGMENTS = 32
MAX_DEAD_SHARE = 0.25


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with its BM25Okapi score. The passage's text is read when
    first asked for: most candidates are judged by their article and terms alone."""

    index: int
    score: float
    passages: PassageList = field(repr=False, compare=False)

    @cached_property
    def passage(self) -> Passage:
        return self.passages[self.index]

    @cached_property
    def article_id(self) -> str:
        return self.passages.article_id(self.index)


@dataclass(frozen=True)
class IndexParams:
    """What shapes an index besides the articles and the tokenizer."""

    passage_max_chars: int = Config.passage_max_chars
    k1: float = Config.bm25_k1
    b: float = Config.bm25_b
    epsilon: float = Config.bm25_epsilon


@dataclass(frozen=True)
class Clauses:
    """The clauses of a passage (or a title), as written and normalised: the units answers are
    cut from. A clause's tokens are cut when first asked for: most clauses around an answer hold
    none of a question's words."""

    texts: tuple[str, ...]
    norms: tuple[str, ...]
    tokenizer: Tokenizer = field(repr=False, compare=False)
    _cut: dict[int, frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.texts)

    def tokens(self, k: int) -> frozenset[str]:
        """The tokens of clause ``k``."""
        found = self._cut.get(k)
        if found is None:
            found = self._cut[k] = frozenset(self.tokenizer.normalized_tokens(self.norms[k]))
        return found


def held_terms(passages: Sequence[Clauses], joined: Joined, forms: Forms) -> list[frozenset[str]]:
    """Which terms of ``forms`` (``Tokenizer.forms``) are among the tokens of each clause of
    ``passages`` in turn, given all their normal forms ``joined``; a clause's tokens are cut only
    when one is written in it."""
    written: dict[int, set[str]] = {}
    for term, form in forms:
        for k in joined.holding(form):
            written.setdefault(k, set()).add(term)
    held: list[frozenset[str]] = [frozenset()] * len(joined)
    ends = list(accumulate(map(len, passages)))
    for k, terms in written.items():
        p = bisect_right(ends, k)
        held[k] = passages[p].tokens(k - (ends[p - 1] if p else 0)).intersection(terms)
    return held


@dataclass(frozen=True)
class Tokenised:
    """An article cut into passages, each passage's tokens (the title's lead) as term ids."""

    article: Article
    passages: tuple[Passage, ...]
    documents: tuple[np.ndarray, ...]


# Turns articles into passages and term ids (in order); the parallel bulk importer is one.
Tokenise = Callable[[Sequence[Article], Tokenizer, IndexParams, Vocabulary], list[Tokenised]]


def encode_passages(
    encode: Callable[[str], list[int]], title: str, passages: Sequence[Passage]
) -> tuple[np.ndarray, ...]:
    """The term ids indexed for each passage: the title's tokens, then the passage's."""
    lead = encode(title)
    return tuple(np.array(lead + encode(p.text), dtype=TERM) for p in passages)


def tokenise_serially(
    articles: Sequence[Article],
    tokenizer: Tokenizer,
    params: IndexParams,
    vocab: Vocabulary,
    encode: Callable[[str], list[int]] | None = None,
) -> list[Tokenised]:
    """Tokenise in this thread; ``encode``: ``vocab``'s encoder, when one is kept from batch
    to batch (it remembers each piece of text it has met)."""
    encode = encode or tokenizer.encoder(vocab.ids)
    out = []
    for article in articles:
        passages = tuple(split_passages(article, params.passage_max_chars))
        out.append(Tokenised(article, passages, encode_passages(encode, article.title, passages)))
    return out


def indexed_terms(
    tokenizer: Tokenizer, vocab: Vocabulary, title: str, passages: Sequence[Passage]
) -> tuple[np.ndarray, ...]:
    """The term ids each passage was indexed with (the tokenizer is deterministic and the
    vocabulary only grows), to remove them without keeping every document's terms."""
    return encode_passages(tokenizer.encoder(vocab.ids), title, passages)


class _TitleClauses:
    """Clauses of article titles by title, the most recently used ``size`` kept."""

    def __init__(self, tokenizer: Tokenizer, size: int) -> None:
        self._tokenizer = tokenizer
        self._recent: Recent[Clauses] = Recent(size)

    def __call__(self, title: str) -> Clauses:
        found = self._recent.get(title)
        if found is None:
            found = Clauses((title,), (normalize(title),), self._tokenizer)
            self._recent.put(title, found)
        return found


def _split_clauses(tokenizer: Tokenizer, text: str) -> Clauses:
    clauses = split_clauses(text)
    return Clauses(tuple(clauses), tuple(normalize_each(clauses)), tokenizer)


class SearchIndex:
    """Passages of a corpus and BM25Okapi over their tokens (the title's tokens lead each one).

    An index is never changed once built: ``updated`` returns a new snapshot, so a question is
    always answered from one consistent state while an admin's push is indexed.
    """

    def __init__(
        self,
        articles: Iterable[Article] = (),
        tokenizer: Tokenizer | None = None,
        params: IndexParams = IndexParams(),
        tokenise: Tokenise = tokenise_serially,
    ) -> None:
        assert tokenizer is not None
        self.tokenizer = tokenizer
        self.params = params
        self.articles: dict[str, Article] = {}
        self.spans: dict[str, tuple[int, int]] = {}
        self.passages = PassageList()
        self.bm25 = BM25Okapi.empty(params.k1, params.b, params.epsilon)
        # Caches of the tokenizer's work, shared by every snapshot derived from this one; bound
        # to the tokenizer, not to this snapshot, so that they never keep an old one alive.
        self._clauses = lru_cache(maxsize=CLAUSE_CACHE)(partial(_split_clauses, tokenizer))
        self._titles = _TitleClauses(tokenizer, TITLE_CACHE)
        self._latest: list[Article] | None = None
        self._dates: dict[str | None, list[str]] | None = None
        self._digest: int | None = None
        self._add(tokenise(list(articles), tokenizer, params, self.bm25.vocab))

    @classmethod
    def restore(
        cls,
        tokenizer: Tokenizer,
        params: IndexParams,
        bm25: BM25Okapi,
        passages: Sequence[Passage],
        articles: dict[str, Article],
        spans: dict[str, tuple[int, int]],
        digest: int | None = None,
    ) -> SearchIndex:
        """An index from saved parts (see ``persist``); ``digest``: its articles' collection
        digest, when known."""
        index = cls([], tokenizer, params)
        index.bm25, index.articles, index.spans = bm25, articles, spans
        index.passages = PassageList([passages])
        index._digest = digest
        return index

    # --- changes -------------------------------------------------------------------------------

    def _add(self, done: list[Tokenised]) -> None:
        """Append tokenised articles to this (still private) snapshot."""
        start = self.bm25.n_docs
        documents: list[np.ndarray] = []
        passages: list[Passage] = []
        for item in done:
            end = start + len(item.passages)
            self.articles[item.article.id] = item.article
            self.spans[item.article.id] = (start, end)
            passages += item.passages
            documents += item.documents
            start = end
        self.passages = self.passages.extended(passages)
        self.bm25 = self.bm25.add(documents)

    def _derive(self) -> SearchIndex:
        """A private copy to change: small containers copied, arrays and caches shared."""
        new = object.__new__(SearchIndex)
        new.tokenizer, new.params = self.tokenizer, self.params
        new.articles, new.spans = dict(self.articles), dict(self.spans)
        new.passages = self.passages
        new.bm25 = self.bm25
        new._clauses, new._titles = self._clauses, self._titles
        new._latest = new._dates = None
        new._digest = self._digest
        return new

    def updated(
        self,
        added: Sequence[Article] = (),
        removed: Iterable[str] = (),
        tokenise: Tokenise = tokenise_serially,
    ) -> SearchIndex:
        """A new snapshot without the ``removed`` article ids and with ``added`` (an added id
        already present replaces it); work is proportional to the change."""
        new = self._derive()
        gone = {*removed, *(a.id for a in added)} & new.articles.keys()
        docs: list[int] = []
        documents: list[np.ndarray] = []
        dropped: list[Article] = []
        for article_id in gone:
            start, end = new.spans.pop(article_id)
            article = new.articles.pop(article_id)
            dropped.append(article)
            docs += range(start, end)
            documents += indexed_terms(
                self.tokenizer, new.bm25.vocab, article.title, new.passages[start:end]
            )
        new.bm25 = new.bm25.remove(docs, documents)
        new._add(tokenise(list(added), self.tokenizer, self.params, new.bm25.vocab))
        if new._digest is not None:
            new._digest = digest_changed(new._digest, added=added, removed=dropped)
        if new.bm25.spare_segments > MAX_SEGMENTS or new.bm25.dead > MAX_DEAD_SHARE * max(
            new.bm25.n_docs, 1
        ):
            new._compact()
        return new

    def relink(self, articles: Iterable[Article]) -> None:
        """Hold these objects for the articles of the same id: equal content, kept without its
        body once stored. Readers cannot tell, so it is done in place (copying the snapshot cost
        30 ms a push at 250,000 articles)."""
        for article in articles:
            if article.id in self.articles:
                self.articles[article.id] = article

    def synced(
        self, articles: Iterable[Article], tokenise: Tokenise = tokenise_serially
    ) -> SearchIndex:
        """A snapshot holding exactly ``articles``: only new, changed and removed ones cost work."""
        wanted = {a.id: a for a in articles}
        removed = [i for i in self.articles if i not in wanted]
        changed = [  # new or edited; ``updated`` drops an edited article's old version
            a
            for i, a in wanted.items()
            if i not in self.articles or self.articles[i].digest != a.digest
        ]
        if not changed and not removed:
            return self
        return self.updated(changed, removed, tokenise)

    def _compact(self) -> None:
        self.bm25, kept = self.bm25.compact()
        self.passages = PassageList([[self.passages[i] for i in kept.tolist()]])
        self.spans = {}
        for doc, passage in enumerate(self.passages):
            start, _ = self.spans.get(passage.article_id, (doc, doc))
            self.spans[passage.article_id] = (start, doc + 1)

    # --- reading -------------------------------------------------------------------------------

    @property
    def digest(self) -> int:
        """The collection digest of the articles indexed (see ``collection_digest``): worked out
        once, then carried from snapshot to snapshot by each change."""
        if self._digest is None:
            self._digest = collection_digest(self.articles.values())
        return self._digest

    def compatible(self, tokenizer: Tokenizer, params: IndexParams) -> bool:
        """Whether this index was made with the same tokenizer settings and parameters."""
        return tokenizer.signature == self.tokenizer.signature and params == self.params

    def latest(self, n: int) -> list[Article]:
        """The ``n`` newest articles (undated ones last); worked out once per snapshot."""
        if self._latest is None or len(self._latest) < n:
            dated = heapq.nlargest(n, self.articles.values(), key=lambda a: (a.date or "", a.id))
            self._latest = dated
        return self._latest[:n]

    def ids_by_date(self) -> dict[str | None, list[str]]:
        """Article ids by date (None: undated), so that a period tests each date once, not each
        article; worked out once per snapshot."""
        if self._dates is None:
            dates: dict[str | None, list[str]] = {}
            for article in self.articles.values():
                dates.setdefault(article.date, []).append(article.id)
            self._dates = dates
        return self._dates

    def __len__(self) -> int:
        """Live passages."""
        return self.bm25.n_alive

    def present(self, terms: Iterable[str], hits: Sequence[Hit]) -> list[frozenset[str]]:
        """Which of ``terms`` each hit's passage was indexed with."""
        docs = np.array([h.index for h in hits], dtype=np.int64)
        found = [(t, mask.tolist()) for t, mask in self.bm25.present(terms, docs).items()]
        return [frozenset(t for t, mask in found if mask[k]) for k in range(len(hits))]

    def title_tokens(self, article: Article) -> frozenset[str]:
        """The tokens of an article's title, as indexed."""
        return self._titles(article.title).tokens(0)

    def article_text(self, article_id: str) -> str:
        """An article's title and its passages, a line each: its text as indexed (paragraphs
        and the passages cut from one end a line)."""
        start, end = self.spans[article_id]
        passages = self.passages
        lines = [self.articles[article_id].title, *(passages[i].text for i in range(start, end))]
        return "\n".join(lines)

    def clauses(self, i: int) -> Clauses:
        """The clauses of passage ``i`` with their tokens; recently used passages stay cached,
        so a question tokenises only passages no earlier question has touched."""
        return self._clauses(self.passages[i].text)

    def search(
        self, query: Sequence[str], k: int = 10, within: Collection[str] | None = None
    ) -> list[Hit]:
        """The ``k`` best passages sharing a term with ``query``, best first; ``within``: only
        passages of those articles (a filter, as a search backend would apply it)."""
        if not query:
            return []
        if within is None:
            docs, scores = self.bm25.top(query, k)
        else:
            allowed = np.zeros(self.bm25.n_docs, dtype=bool)
            for article_id in within:
                if article_id in self.spans:
                    start, end = self.spans[article_id]
                    allowed[start:end] = True
            docs, scores = self.bm25.score(query)
            kept = allowed[docs]
            docs, scores = docs[kept], scores[kept]
        if not len(docs):
            return []
        if len(docs) > k:
            # Every document scoring at least the k-th score is kept, so that ties at the cut
            # are broken by document order below, not by where argpartition left them.
            kth = -np.partition(-scores, k - 1)[k - 1]
            kept = np.flatnonzero(scores >= kth)
            docs, scores = docs[kept], scores[kept]
        order = np.lexsort((docs, -scores))[:k]
        passages = self.passages
        return [
            Hit(doc, score, passages)
            for doc, score in zip(docs[order].tolist(), scores[order].tolist(), strict=True)
        ]

    def neighbourhood(self, i: int, radius: int = 1) -> list[int]:
        """Passage ``i`` with up to ``radius`` passages of the same article on each side."""
        start, end = self.spans[self.passages[i].article_id]
        return list(range(max(start, i - radius), min(end, i + radius + 1)))

    def knows(self, term: str) -> bool:
        """Whether a live passage holds ``term``."""
        return self.bm25.doc_freq(term) > 0

    def idf(self, term: str) -> float:
        """A smoothed idf that stays positive on any corpus size (unlike BM25Okapi's), used to
        weigh how much of a question a passage covers; an unseen term weighs the most."""
        n_docs = len(self)
        df = self.bm25.doc_freq(term)
        return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
