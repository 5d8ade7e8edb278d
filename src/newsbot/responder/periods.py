"""Dates in questions: absolute (2020年5月15日, 5月15日, 5月, 2020年) and relative (今天, 上周,
这个月, 去年年底, 最近三天…) expressions read as the period of article dates they ask about,
counted from a reference day."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from newsbot.responder.constraints import canonical, chinese_number

# How far back 「最近」 and 「近日」 look, in days (only a preference: older articles still answer).
RECENT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """The article dates a question asks about: ``start``..``end`` (inclusive), or a month and
    day in any year when the question names no year. Undated articles are never excluded (the
    question's date constraint then asks their text to name the day); ``prefer``: only a
    preference, the whole corpus answers when nothing in the period does."""

    shown: str
    start: date | None = None
    end: date | None = None
    month: int | None = None
    day: int | None = None
    prefer: bool = False
    literal: bool = False  # an absolute date, which the article text may also give

    def holds(self, iso: str | None) -> bool:
        """Whether an article dated ``iso`` may answer: dated in the period, or undated."""
        when = _parse(iso)
        if when is None:
            return True
        if self.start is not None and not self.start <= when <= (self.end or self.start):
            return False
        if self.month is not None and when.month != self.month:
            return False
        return self.day is None or when.day == self.day

    def dated(self, iso: str | None) -> bool:
        """Whether ``iso`` is a date inside the period."""
        return _parse(iso) is not None and self.holds(iso)

    @property
    def label(self) -> str:
        """The period in figures, for debugging: 「2020-05-11 至 2020-05-17」, 「每年5月15日」."""
        if self.start is not None:
            end = self.end or self.start
            return str(self.start) if end == self.start else f"{self.start} 至 {end}"
        month = f"{self.month}月" if self.month else ""
        return f"每年{month}" + (f"{self.day}日" if self.day else "")


def _parse(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


def _count(digits: str) -> int:
    return int(digits) if digits.isdigit() else chinese_number(digits.replace("两", "二")) or 1


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _days_back(today: date, days: int) -> tuple[date, date]:
    return today - timedelta(days=days - 1), today


def _last_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1) - timedelta(days=1)
    return _month(first.year, first.month)


def _monday(today: date) -> date:
    return today - timedelta(days=today.weekday())


# (pattern, bounds from the reference day, prefer): the first one found decides.
_Bounds = Callable[[date, re.Match[str]], tuple[date, date]]
_RELATIVE: tuple[tuple[re.Pattern[str], _Bounds, bool], ...] = (
    (re.compile(r"今天|今日"), lambda t, m: (t, t), False),
    (re.compile(r"昨天|昨日"), lambda t, m: (t - timedelta(1), t - timedelta(1)), False),
    (re.compile(r"前天"), lambda t, m: (t - timedelta(2), t - timedelta(2)), False),
    (
        re.compile(r"(?:最近|近|过去)([\d一二三四五六七八九十两]{1,3})天"),
        lambda t, m: _days_back(t, max(1, _count(m.group(1)))),
        False,
    ),
    (re.compile(r"本周|这周|这星期|本星期|这个星期"), lambda t, m: (_monday(t), t), False),
    (
        re.compile(r"上周|上星期|上个星期|上一周"),
        lambda t, m: (_monday(t) - timedelta(7), _monday(t) - timedelta(1)),
        False,
    ),
    (re.compile(r"本月|这个月|这月|当月"), lambda t, m: (t.replace(day=1), t), False),
    (re.compile(r"上个月|上月"), lambda t, m: _last_month(t), False),
    (
        re.compile(r"去年(?:年底|年末|底)"),
        lambda t, m: (date(t.year - 1, 12, 1), date(t.year - 1, 12, 31)),
        False,
    ),
    (re.compile(r"今年|本年"), lambda t, m: (date(t.year, 1, 1), t), False),
    (
        re.compile(r"去年"),
        lambda t, m: (date(t.year - 1, 1, 1), date(t.year - 1, 12, 31)),
        False,
    ),
    (re.compile(r"最近|近日|近期|近来"), lambda t, m: _days_back(t, RECENT_DAYS), True),
)
_FULL_DAY = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]")
_DAY = re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})[日号]")
_YEAR_MONTH = re.compile(r"(\d{4})年(\d{1,2})月(?!\d)")
_MONTH = re.compile(r"(?<![\d年个])(\d{1,2})月(?![\d日号])")
_YEAR = re.compile(r"(?<!\d)(\d{4})年(?!\d{1,2}月|代|前|后|间)")


def find_period(question: str, today: date) -> Period | None:
    """The period normalised ``question`` asks about, or None when it names no date."""
    for pattern, bounds, prefer in _RELATIVE:
        if m := pattern.search(question):
            start, end = bounds(today, m)
            return Period(m.group(), start, end, prefer=prefer)
    try:
        return _absolute(canonical(spelled_days(question)))
    except ValueError:  # 「2月30日」: no such day, read as no date
        return None


def _absolute(text: str) -> Period | None:
    if m := _FULL_DAY.search(text):
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return Period(m.group(), day, day, literal=True)
    if m := _DAY.search(text):
        month, day = int(m.group(1)), int(m.group(2))
        date(2000, month, day)  # a real day of some year (2000 was a leap year)
        return Period(m.group(), month=month, day=day, literal=True)
    if m := _YEAR_MONTH.search(text):
        start, end = _month(int(m.group(1)), int(m.group(2)))
        return Period(m.group(), start, end, prefer=True, literal=True)
    if (m := _MONTH.search(text)) and 1 <= int(m.group(1)) <= 12:
        return Period(m.group(), month=int(m.group(1)), prefer=True, literal=True)
    if m := _YEAR.search(text):
        year = int(m.group(1))
        return Period(m.group(), date(year, 1, 1), date(year, 12, 31), prefer=True, literal=True)
    return None


_SPELLED_DAY = re.compile(r"([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})([日号])")


def spelled_days(text: str) -> str:
    """「五月十五日」 → 「5月15日」 (the day is not a counted thing, so canonical leaves it)."""
    return _SPELLED_DAY.sub(
        lambda m: f"{chinese_number(m.group(1))}月{chinese_number(m.group(2))}{m.group(3)}", text
    )
