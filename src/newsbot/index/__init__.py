"""Passages and the BM25 index over them: search returns scored passages."""

from newsbot.index.bm25 import BM25Okapi
from newsbot.index.passages import Passage, split_passages
from newsbot.index.search import Hit, SearchIndex

__all__ = ["BM25Okapi", "Hit", "Passage", "SearchIndex", "split_passages"]
