"""A question's specific constraints (numbers, ordinals, years, dates, titles, names) that the
article an answer is quoted from must meet: topic words alone do not make an answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from newsbot.responder.extract import TITLED
from newsbot.text.tokenizer import CN_NUMERALS, MEASURE_WORDS, Tokenizer

_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_VALUES |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
# Measure words after which a run of Chinese numerals is a number: not the numerals themselves
# (「一百」 is one number), nor those making common words (十分, 一点, 一时).
_COUNTED = "|".join(
    m
    for m in MEASURE_WORDS.split("|")
    if not set(m) <= set(CN_NUMERALS) and m not in ("分", "点", "时")
)
_NUMERAL = re.compile(rf"(?<=第)[{CN_NUMERALS}]+|[{CN_NUMERALS}]+(?=(?:{_COUNTED}))")
_DAY_HAO = re.compile(r"(\d{1,2}月\d{1,2})号")
_DATE = re.compile(r"(?<!\d)(?:(\d{4})年)?(\d{1,2})月(?:(\d{1,2})日)?")
_YEAR = re.compile(r"(?<!\d)(\d{4})年")
_ORDINAL = re.compile(rf"第\d+(?:{_COUNTED})?")
_COUNT = re.compile(rf"(?<![\d.])\d+(?:\.\d+)?(?:{_COUNTED})")
# Codes and models (agg01, 5g) and bare numbers of three digits or more (「2027」).
_CODE = re.compile(
    rf"(?<![a-z\d.])(?:[a-z]+\d+[a-z\d]*|\d+[a-z]+[a-z\d]*|\d{{3,}}(?![\d.]|{_COUNTED}))(?![a-z\d])"
)
_ORDINAL_BEFORE = re.compile(r"第$")
_NAME_TAGS = ("nr", "ns", "nt")
# Han characters shown before a count when naming what is missing (神舟 in 「神舟二十五号」).
_SHOWN_BEFORE = 2
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Constraints an article's date may meet.
TIMED = ("year", "date")


@dataclass(frozen=True)
class Constraint:
    """One thing the question pins down: ``kind``, how the reader wrote it, and the canonical
    forms of which the article must hold one."""

    kind: str
    shown: str
    forms: tuple[str, ...]


def chinese_number(text: str) -> int | None:
    """The value of a Chinese numeral (二十五 → 25, 一百零八 → 108, 二〇二七 → 2027)."""
    if not text or any(c not in _CN_VALUES and c not in _CN_UNITS for c in text):
        return None
    if not any(c in _CN_UNITS for c in text):
        return int("".join(str(_CN_VALUES[c]) for c in text))
    total, section, digit = 0, 0, None
    for c in text:
        if c in _CN_VALUES:
            digit = _CN_VALUES[c]
        elif c == "万":
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
    return total + section + (digit or 0)


def canonical(norm: str) -> str:
    """Normalised text with counted and ordinal Chinese numerals in digits and 号 of a day as 日,
    so that 「二十五号」 meets 「25号」 and 「5月15号」 meets 「5月15日」 (the text of
    ``_canonical_mapped``, without mapping positions back: articles are canonicalised whole)."""
    return _DAY_HAO.sub(r"\1日", _NUMERAL.sub(_in_digits, norm))


def _in_digits(match: re.Match[str]) -> str:
    value = chinese_number(match.group())
    return match.group() if value is None else str(value)


def _canonical_mapped(norm: str) -> tuple[str, list[int]]:
    """``canonical(norm)`` and, for each of its positions (and its end), the position of
    ``norm`` it comes from: what the reader wrote is shown back as written."""
    out: list[str] = []
    origin: list[int] = []
    pos = 0
    for match in _NUMERAL.finditer(norm):
        value = chinese_number(match.group())
        if value is None:
            continue
        out.append(norm[pos : match.start()])
        origin += range(pos, match.start())
        out.append(str(value))
        origin += [match.start()] * len(str(value))
        pos = match.end()
    out.append(norm[pos:])
    origin += range(pos, len(norm) + 1)
    text = _DAY_HAO.sub(r"\1日", "".join(out))  # same length: positions unchanged
    return text, origin


def constraints(norm: str, tokenizer: Tokenizer) -> tuple[Constraint, ...]:
    """The constraints of a normalised question, each kind once per form."""
    text, origin = _canonical_mapped(norm)

    def shown(start: int, end: int) -> str:
        """What the reader wrote for canonical ``text[start:end]``."""
        last = origin[end - 1] + 1 if end < len(origin) and origin[end] == origin[end - 1] else 0
        return norm[origin[start] : max(origin[end], last)]

    found: list[Constraint] = []
    for match in TITLED.finditer(text):
        found.append(Constraint("title", match.group(), (match.group(1),)))
    for match in _DATE.finditer(text):
        year, month, day = match.groups()
        form = f"{int(month)}月{int(day)}日" if day else f"{int(month)}月"
        # The date first, shown with its year: an article of the year but not of the month
        # is missing 「2020年4月」, not 「2020年」.
        found.append(Constraint("date", f"{year}年{form}" if year else form, (form,)))
        if year:
            found.append(Constraint("year", f"{year}年", (f"{year}年",)))
    for match in _YEAR.finditer(text):
        found.append(Constraint("year", match.group(), (match.group(),)))
    for match in _ORDINAL.finditer(text):
        found.append(Constraint("ordinal", shown(*match.span()), (match.group(),)))
    for match in _COUNT.finditer(text):
        if re.search(r"\d(?:年|月|日)$", match.group()):
            continue  # dates and years are their own kind
        if text[match.start() - 1 : match.start()] in ("第", "哪", "这", "那"):
            continue  # an ordinal (above), or 「哪两个」 asking which
        one = match.group().startswith("1") and not match.group()[1:2].isdigit()
        if one and not norm[origin[match.start()]].isdigit():
            continue  # 「一名」, 「一家」: an article, not a count
        start = match.start()
        if match.group().endswith("号"):  # the name of what is numbered: 「神舟」二十五号
            while start > max(0, match.start() - _SHOWN_BEFORE) and _HAN.match(text[start - 1]):
                start -= 1
        found.append(Constraint("number", shown(start, match.end()), (match.group(),)))
    for match in _CODE.finditer(text):
        if not _ORDINAL_BEFORE.search(text, 0, match.start()):
            found.append(Constraint("number", match.group(), (match.group(),)))
    for word, flag in tokenizer.tagged(norm):
        if flag.startswith(_NAME_TAGS) and len(word) >= 2 and not re.search(r"\d", word):
            found.append(Constraint("name", word, _name_forms(word, tokenizer)))
    unique = {(c.kind, c.forms): c for c in found}
    return tuple(unique.values())


def _name_forms(word: str, tokenizer: Tokenizer) -> tuple[str, ...]:
    """How a name may be written in an article: itself, its synonyms, and, for a longer name the
    tagger may have glued a character to (「后康忠」), the name without its first or last one;
    a long one by its first or last two characters."""
    canonical_word = tokenizer.synonyms.get(word, word)
    forms = [word, *tokenizer.written(canonical_word)]
    if len(word) >= 3:
        forms += [word[1:], word[:-1]]
    if len(word) >= 4:  # 「台湾地区」 as 「台湾」
        forms += [word[:2], word[-2:]]
    return tuple(dict.fromkeys(forms))


def _holds(text: str, form: str) -> bool:
    """Whether ``text`` holds ``form``, a number not as part of a longer one."""
    if not form[:1].isdigit() and not form[-1:].isdigit():
        return form in text
    pattern = (r"(?<![\d.])" if form[:1].isdigit() else "") + re.escape(form)
    return re.search(pattern + (r"(?!\d)" if form[-1:].isdigit() else ""), text) is not None


def missing(
    wanted: tuple[Constraint, ...],
    text: Callable[[], str],
    date: str | None,
    undated: bool = False,
) -> Constraint | None:
    """The first constraint an article does not meet, by its ISO date or else its canonical
    text (``text()``, asked for only when a date does not settle it: it is read from a file);
    with ``undated``, an article without a date that names no year or month at all meets the
    years and dates asked."""
    body: str | None = None
    for constraint in wanted:
        if _dated(constraint, date):
            continue
        if body is None:
            body = text()
        if not _held(constraint, body) and not (undated and _undatable(constraint, date, body)):
            return constraint
    return None


def _held(constraint: Constraint, body: str) -> bool:
    return any(_holds(body, form) for form in constraint.forms)


def _undatable(constraint: Constraint, date: str | None, body: str) -> bool:
    """Whether a year or date cannot be checked: the article has no date and its text names no
    year (for a year) or no month (for a date); one that names others is known not to meet it."""
    if date or constraint.kind not in TIMED:
        return False
    return (_YEAR if constraint.kind == "year" else _DATE).search(body) is None


def _dated(constraint: Constraint, date: str | None) -> bool:
    """Whether an article's ISO date meets a year or date constraint."""
    if not date:
        return False
    form = constraint.forms[0]
    if constraint.kind == "year":
        return date.startswith(form[:4])
    if constraint.kind == "date":
        month, _, day = form.rstrip("日").partition("月")
        return date[5:7] == f"{int(month):02d}" and (not day or date[8:10] == f"{int(day):02d}")
    return False
