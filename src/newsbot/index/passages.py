"""Passages: the units indexed and quoted, cut from articles at paragraph and sentence ends."""

from __future__ import annotations

from dataclasses import dataclass

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


def split_passages(article: Article, max_chars: int = 300) -> list[Passage]:
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
