"""Question analysis: the words that carry the question, and the type of answer it expects."""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsbot.text.normalize import normalize
from newsbot.text.tokenizer import Tokenizer

# Words that ask rather than describe: they never match an answer, so they are not searched for.
_QUESTION_WORDS = """
谁 什么 什么样 啥 哪 哪些 哪个 哪位 哪里 哪儿 哪家 哪天 哪年 哪一年 哪一天 哪名 何 何时 何地
何处 何人 多少 几 几个 几名 几家 几位 几次 几年 几月 几号 几日 多久 多长 多大 多高 多远 吗 呢
吧 啊 么 怎么 怎么样 怎样 如何 为什么 为何 是否 有没有 是不是 请问 一下 告诉 知道 时候 想 问 请
"""
# Words placing a question in time relative to now (「近期」, 「今年」): the news says 「5月15日」,
# so searching for them would only lower the question's coverage; the sources show the dates.
_RELATIVE_TIME = """
最近 近期 近来 近日 日前 目前 当前 眼下 现在 如今 最新 今年 本年 今天 这几天 前几天 这段时间
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split()) | frozenset(_RELATIVE_TIME.split())

# (type, pattern) in order: the first pattern found in the question decides its type.
QTYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "work",
        re.compile(
            r"(?:什么|哪份|哪部|哪本|哪篇|哪首|哪个)(?:文件|书|作品|小说|电影|著作|报告|通知|方案|规划|要点|歌曲|专辑|节目|电视剧)"
        ),
    ),
    ("reason", re.compile(r"为什么|为何|为啥|什么原因|何故|原因是什么|原因何在|怎么会|缘何")),
    (
        "date",
        re.compile(
            r"什么时候|什么时间|何时|哪天|哪一天|哪年|哪一年|几月|几号|几日|哪个月|哪月|日期|时间是"
        ),
    ),
    ("person", re.compile(r"谁|哪位|哪些人|什么人|何人|哪个人|哪名|哪些领导|哪位领导|姓名|名字")),
    (
        "number",
        re.compile(
            r"多少|几[个名家位次项人年天岁倍条件场所]?|多大|多高|多长|多重|多远|多久|多深|多宽"
        ),
    ),
    ("place", re.compile(r"哪里|哪儿|何处|何地|什么地方|哪个地方|在哪|去哪|到哪|哪个站|哪座")),
    (
        "org",
        re.compile(
            r"哪个单位|哪些单位|哪个部门|哪些部门|哪家|什么单位|什么部门|什么机构|哪个机构|什么公司|哪个公司|哪些企业"
        ),
    ),
)


@dataclass(frozen=True)
class Question:
    """A question made ready for search: its terms (question words dropped) and answer type."""

    text: str
    terms: tuple[str, ...]
    qtype: str


def question_type(text: str) -> str:
    """``work``, ``reason``, ``date``, ``person``, ``number``, ``place``, ``org`` or ``other``."""
    norm = normalize(text)
    for qtype, pattern in QTYPE_PATTERNS:
        if pattern.search(norm):
            return qtype
    return "other"


def analyse(text: str, tokenizer: Tokenizer) -> Question:
    """Tokenise the question as passages are, drop the asking words, detect the answer type."""
    terms = tuple(t for t in tokenizer.tokens(text) if t not in QUESTION_WORDS)
    return Question(text=text, terms=terms, qtype=question_type(text))
