"""What a counting question counts (「多少名先进个人」: 先进个人) and the numbers a text writes
with it (「64名先进个人」, 「先进个人64名」): the evidence a count answers the question asked."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from newsbot.text.tokenizer import CN_NUMERALS, MEASURE_WORDS, Tokenizer

# How a count is asked (「几乎」 asks nothing).
_HOW_MANY = "(?:多少|几(?!乎))"
# The measure word a count is asked in (「多少名」「几家」: 名, 家).
ASKED_MEASURE = re.compile(f"{_HOW_MANY}({MEASURE_WORDS})")
# What a 「多少名 / 几家 / 多少先进个人」 question counts: two characters after its measure word,
# if it names one.
_ASKED_COUNT = re.compile(rf"{_HOW_MANY}({MEASURE_WORDS})?([\u4e00-\u9fff]{{2}})")
# The noun it counts, up to four characters after the measure word.
_ASKED_NOUN = re.compile(rf"{_HOW_MANY}({MEASURE_WORDS})?([\u4e00-\u9fff]{{2,4}})")
# Characters allowed between a number and what it counts (「120件非遗作品」).
COUNTED_GAP = 4
# People are counted in any of these (「多少人参加」: 「300余名」).
PEOPLE = "人名位"
# A count may be rounded (「300余名」, 「3500多个」).
ABOUT = "余|多"
_COUNT = rf"(?:\d+(?:[.,]\d+)*|[{CN_NUMERALS}]+)(?:{ABOUT})?(?:{MEASURE_WORDS})"
_GAP = "[\u4e00-\u9fff]{0,2}?"


@dataclass(frozen=True)
class _NounPatterns:
    """A number written with a counted noun: anywhere before it, or right before or after it."""

    written: re.Pattern[str]
    before: re.Pattern[str]
    after: re.Pattern[str]

    @classmethod
    def of(cls, noun: str) -> _NounPatterns:
        """The patterns for ``noun``, a regular expression."""
        number = rf"[\d{CN_NUMERALS}][^\W\d]?[\u4e00-\u9fff]{{0,{COUNTED_GAP}}}"
        return cls(
            re.compile(rf"{number}{noun}|{noun}{_GAP}{_COUNT}"),
            re.compile(rf"{_COUNT}(?={_GAP}{noun})"),
            re.compile(rf"{noun}{_GAP}({_COUNT})"),
        )


# The counted noun stands in the text as one mark, so the patterns compile once, not per
# question; a noun that holds numerals or a text that holds the mark gets its own patterns.
MARK = "\x00"
_MARKED = _NounPatterns.of(MARK)
_NUMERALS = frozenset(CN_NUMERALS + "0123456789")


def _noun_patterns(noun: str, text: str) -> tuple[_NounPatterns, str]:
    """The patterns that find ``noun`` counted in ``text``, and the text they search."""
    if MARK in text or _NUMERALS.intersection(noun):
        return _NounPatterns.of(re.escape(noun)), text
    return _MARKED, text.replace(noun, MARK)


def _asked(pattern: re.Pattern[str], question: str, tokenizer: Tokenizer) -> str | None:
    """What ``pattern`` reads as counted in ``question`` (its measure word, then the noun),
    unless people are counted and a verb follows (「多少人参加」 counts people, not 参加)."""
    asked = pattern.search(question)
    if asked is None:
        return None
    if asked.group(1) and asked.group(1) in PEOPLE:
        words = [flag for w, flag in tokenizer.tagged(question[asked.start(2) :]) if w.strip()]
        if words and words[0].startswith("v"):
            return None
    return asked.group(2)


def counts_named(question: str, tokenizer: Tokenizer) -> bool:
    """Whether normalised ``question`` counts something it names."""
    return _asked(_ASKED_COUNT, question, tokenizer) is not None


def counted_finder(question: str, tokenizer: Tokenizer) -> Callable[[str], list[str]] | None:
    """What finds, in normalised text, the numbers written with what ``question`` counts (the
    noun marked where the text holds it); None when it counts nothing named."""
    noun = _asked(_ASKED_COUNT, question, tokenizer)
    if noun is None:
        return None

    def find(text: str) -> list[str]:
        patterns, marked = _noun_patterns(noun, text)
        return patterns.written.findall(marked)

    return find


def counted(question: str, text: str, tokenizer: Tokenizer) -> bool | None:
    """Whether normalised ``text`` holds a number written with what the question counts
    (「多少名先进个人」: 「64名先进个人」, 「先进个人64名」); None when the question counts nothing
    named."""
    find = counted_finder(question, tokenizer)
    return None if find is None else bool(find(text))


def counting(question: str, text: str, numbers: list[str], tokenizer: Tokenizer) -> list[str]:
    """Of several numbers, those written with what the question counts, matched on as much of
    its noun as the text allows (「多少名先进单位」: 「29家先进单位」, not 「64名先进个人」), the
    noun before the number when none follows it (「口袋公园18个」); the numbers as found when it
    counts nothing named."""
    noun = _asked(_ASKED_NOUN, question, tokenizer)
    if noun is None:
        return numbers
    for size in range(len(noun), 1, -1):
        patterns, marked = _noun_patterns(noun[:size], text)
        found = patterns.before.findall(marked) or patterns.after.findall(marked)
        if found:
            return list(dict.fromkeys(f for f in found if f not in question))
    return []
