"""Articles on disk (Markdown with YAML front matter, one file each) and their importers."""

from newsbot.corpus.article import Article
from newsbot.corpus.store import AddResult, Corpus

__all__ = ["AddResult", "Article", "Corpus"]
