"""Sentence and clause splitting for Chinese (and mixed) text, keeping the punctuation."""

from __future__ import annotations

import re

_CLOSERS = "”’」』）)】》\"'"
_SENTENCE = re.compile(rf"[^。！？!?；;…\n]*(?:(?:[。！？!?；;]|…+)+[{_CLOSERS}]*|\n|$)")
_CLAUSE = re.compile(
    rf"[^，,、：:。！？!?；;…\n]*(?:(?:[，,、：:。！？!?；;]|…+)+[{_CLOSERS}]*|\n|$)"
)


def _split(pattern: re.Pattern[str], text: str) -> list[str]:
    return [piece for piece in pattern.findall(text) if piece.strip()]


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences; joining the pieces gives the text back without blank lines."""
    return _split(_SENTENCE, text)


def split_clauses(text: str) -> list[str]:
    """Split ``text`` into clauses at commas, colons and sentence ends, punctuation kept."""
    return _split(_CLAUSE, text)


# Where a clause ends inside a sentence: a comma between digits is part of a number (「2,173个」).
CLAUSE_BREAK = re.compile(r"[，；;。！？!?：:]|,(?!\d)")
SENTENCE_END = tuple("。！？!?…；;") + tuple(_CLOSERS)
