"""Passages: the units indexed and quoted, cut from articles at paragraph and sentence ends."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import overload

import numpy as np

from newsbot.corpus.article import Article
from newsbot.text.sentences import split_clauses, split_sentences


@dataclass(frozen=True)
class Passage:
    """A run of sentences from one article, knowing where it stands in it."""

    article_id: str
    position: int
    text: str

    @property
    def id(self) -> str:
        """Unique id: the article's id and the passage's position in it."""
        return f"{self.article_id}:{self.position}"


def _pieces(paragraph: str, max_chars: int) -> list[str]:
    """Sentences of a paragraph, a sentence longer than ``max_chars`` cut at its clauses."""
    pieces = []
    for sentence in split_sentences(paragraph):
        if len(sentence) <= max_chars:
            pieces.append(sentence)
        else:
            pieces += split_clauses(sentence)
    return pieces


def split_passages(article: Article, max_chars: int) -> list[Passage]:
    """Cut an article into passages of at most ``max_chars`` (a single longer clause stays whole).

    Paragraphs start a new passage unless the current one is still short (under a third of the
    limit), so that a one-line paragraph is read with the text that follows it.
    """
    chunks: list[str] = []
    current = ""
    for paragraph in article.paragraphs:
        if current and len(current) >= max_chars // 3:
            chunks.append(current)
            current = ""
        separator = "\n" if current else ""
        for piece in _pieces(paragraph, max_chars):
            if current and len(current) + len(piece) > max_chars:
                chunks.append(current)
                current, separator = "", ""
            current += separator + piece
            separator = ""
    if current:
        chunks.append(current)
    return [Passage(article.id, n, chunk.strip()) for n, chunk in enumerate(chunks)]


class _Passages(Sequence[Passage]):
    """A read-only sequence of passages; subclasses say how to find passage ``i``."""

    @overload
    def __getitem__(self, i: int) -> Passage: ...
    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...
    def __getitem__(self, i: int | slice) -> Passage | list[Passage]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._at(i)

    def _at(self, i: int) -> Passage:
        raise NotImplementedError

    def article_id(self, i: int) -> str:
        """The id of passage ``i``'s article (without reading its text)."""
        return self._at(i).article_id


class StoredPassages(_Passages):
    """Passages read from a saved index: texts stay encoded in one buffer (memory-mapped) until
    a question needs them, so a restart does not build a hundred thousand objects."""

    def __init__(
        self,
        blob: bytes | np.ndarray,
        offsets: np.ndarray,
        articles: np.ndarray,
        positions: np.ndarray,
        names: Sequence[str],
    ) -> None:
        self._blob, self._offsets = memoryview(blob), offsets
        self._articles, self._positions, self._names = articles, positions, names
        n = len(positions)
        if len(offsets) != n + 1 or len(articles) != n or int(offsets[-1]) != len(self._blob):
            raise ValueError("passage arrays do not match the text")
        if n and (int(articles.max()) >= len(names) or int(articles.min()) < 0):
            raise ValueError("passage arrays name unknown articles")

    def __len__(self) -> int:
        return len(self._positions)

    def _at(self, i: int) -> Passage:
        lo, hi = int(self._offsets[i]), int(self._offsets[i + 1])
        text = bytes(self._blob[lo:hi]).decode("utf-8")
        return Passage(self._names[self._articles[i]], int(self._positions[i]), text)

    def article_id(self, i: int) -> str:
        return self._names[self._articles[i]]


class PassageList(_Passages):
    """The passages of an index snapshot in chunks that later snapshots share, so adding an
    article copies no passage."""

    def __init__(self, chunks: Iterable[Sequence[Passage]] = ()) -> None:
        self._chunks = tuple(c for c in chunks if len(c))
        self._starts = list(accumulate((len(c) for c in self._chunks), initial=0))

    def __len__(self) -> int:
        return self._starts[-1]

    def _at(self, i: int) -> Passage:
        chunk, at = self._find(i)
        return chunk[at]

    def article_id(self, i: int) -> str:
        chunk, at = self._find(i)
        return chunk.article_id(at) if isinstance(chunk, _Passages) else chunk[at].article_id

    def _find(self, i: int) -> tuple[Sequence[Passage], int]:
        """The chunk holding passage ``i`` and its position there."""
        chunk = bisect_right(self._starts, i) - 1
        return self._chunks[chunk], i - self._starts[chunk]

    def extended(self, passages: Sequence[Passage]) -> PassageList:
        """These passages followed by ``passages`` (a new list; this one is unchanged)."""
        return PassageList((*self._chunks, passages))
