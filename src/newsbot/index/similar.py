"""Near-duplicates: an article whose body is nearly another's (a repost with a sentence changed,
a corrected figure), found by searching the index for its rarest words and comparing character
shingles with the few articles that come back."""

from __future__ import annotations

import re

from newsbot.corpus.article import Article
from newsbot.errors import NewsbotError
from newsbot.index.search import SearchIndex
from newsbot.text.normalize import normalize

# Jaccard similarity of 5-character shingles at or above which two bodies are one article: a
# repost with one sentence in ten changed stays above it, two reports of one meeting (same names,
# same boilerplate, different text) fall well below.
NEAR_DUPLICATE = 0.8
SHINGLE = 5
# Bodies shorter than this are compared exactly only (a short notice is too easily "similar").
MIN_CHARS = 100
QUERY_TERMS = 12
CANDIDATES = 5


def shingles(text: str) -> frozenset[str]:
    """The text's overlapping 5-character pieces, spacing and punctuation ignored."""
    flat = re.sub(r"[\W_]+", "", normalize(text))
    return frozenset(flat[i : i + SHINGLE] for i in range(max(1, len(flat) - SHINGLE + 1)))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near_duplicate(index: SearchIndex, article: Article) -> str | None:
    """The id of a stored article ``article`` nearly repeats, or None."""
    if len(article.body) < MIN_CHARS:
        return None
    words = dict.fromkeys(index.tokenizer.tokens(normalize(article.body)))
    rarest = sorted((w for w in words if index.knows(w)), key=index.idf, reverse=True)
    hits = index.search(rarest[:QUERY_TERMS], k=CANDIDATES * 4)
    mine = shingles(article.body)
    seen: set[str] = set()
    for hit in hits:
        other_id = hit.article_id
        if other_id in seen or other_id == article.id:
            continue
        seen.add(other_id)
        try:
            theirs = shingles(index.articles[other_id].body)
        except NewsbotError:  # its file went away meanwhile
            continue
        if similarity(mine, theirs) >= NEAR_DUPLICATE:
            return other_id
        if len(seen) == CANDIDATES:
            break
    return None
