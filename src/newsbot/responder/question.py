"""Question analysis: the words that carry the question, and the type of answer it expects."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from newsbot.responder.periods import spelled_days
from newsbot.responder.posts import NAME_ASKED, POST_ENDS
from newsbot.text.normalize import normalize
from newsbot.text.tokenizer import Tokenizer

# Words that ask rather than describe: they never match an answer, so they are not searched for.
_QUESTION_WORDS = """
谁 什么 什么样 啥 哪 哪些 哪个 哪位 哪里 哪儿 哪家 哪天 哪年 哪一年 哪一天 哪名 何 何时 何地
何处 何人 多少 几 几个 几名 几家 几位 几次 几年 几月 几号 几日 多久 多长 多大 多高 多远 吗 呢
吧 啊 么 怎么 怎么样 怎样 如何 为什么 为何 是否 有没有 是不是 请问 一下 告诉 知道 时候 想 问 请
多重 多深 多宽 的话 多长时间 多少时间 多少钱 多大年纪
"""
# Words placing a question in time relative to now (「近期」, 「今年」): the news says 「5月15日」,
# so searching for them would only lower the question's coverage; the sources show the dates.
_RELATIVE_TIME = """
最近 近期 近来 近日 日前 目前 当前 眼下 现在 如今 最新 今年 本年 今天 这几天 前几天 这段时间
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split()) | frozenset(_RELATIVE_TIME.split())
# Verbs that only carry the question when an asking word follows (「有什么特点」, 「有多少」,
# 「叫什么」).
_ASKING_VERBS = frozenset("有叫")
# Nouns naming the kind of answer after an asking word (什么地方, 哪个职务): the answer names the
# place or the post, seldom the word itself.
_ANSWER_KINDS = frozenset({"地方", "时间", "名字", "名称", "样子", "职务"})
# Characters too common to say anything about a match on their own.
_FUNCTION_CHARS = frozenset("的了是在有和与及或等也都就被把对从为以之其这那个一不")
_HAN = re.compile(r"[\u3400-\u9fff]")

# (type, pattern) in order: the first pattern found in the question decides its type.
QTYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "work",
        re.compile(
            r"(?:什么|哪份|哪部|哪本|哪篇|哪首|哪个)(?:文件|书|作品|小说|电影|著作|报告|通知|方案|规划|要点|歌曲|专辑|节目|电视剧)"
        ),
    ),
    (
        "reason",
        re.compile(
            r"(?<![称名誉聘编选列视作译算现之])为什么|为何|为啥|什么原因|何故|原因是什么|原因何在|怎么会|缘何"
            r"|(?:什么|何)目的|目的是什么|为了什么"
        ),
    ),
    (
        "date",
        re.compile(
            r"什么时候|什么时间|何时|哪天|哪一天|哪年|哪一年|几月|几号|几日|哪个月|哪月|日期|时间是"
        ),
    ),
    ("person", re.compile(rf"(?:{POST_ENDS}){NAME_ASKED}")),
    (
        "name",
        re.compile(
            r"别名|别称|又名|又称|简称|全称|原名|俗称|昵称|学名|英文名|英文是|外号|绰号|"
            r"称为什么|称作什么|叫什么"
        ),
    ),
    ("person", re.compile(r"谁|哪位|哪些人|什么人|何人|哪个人|哪名|哪些领导|哪位领导|姓名")),
    (
        "number",
        re.compile(
            r"多少|几[个名家位次项人年天岁倍条件场所]?|多大|多高|多长|多重|多远|多久|多深|多宽"
        ),
    ),
    (
        "place",
        re.compile(
            r"哪里|哪儿|何处|何地|在哪(?![些个位种样部本年天次])|去哪|到哪(?![些个位种样部本年天次])|哪座|"
            r"(?:什么|哪[个些一]?)"
            r"(?:地方|地区|国家|城市|省份?|县|镇|乡|村|社区|街道|站)"
        ),
    ),
    (
        "org",
        re.compile(
            r"哪家|(?:什么|哪[个些一所]?)"
            r"(?:单位|部门|机构|公司|企业|学校|大学|医院|组织|银行|团体|协会|俱乐部|球队)"
        ),
    ),
)


@dataclass(frozen=True)
class Question:
    """A question made ready for search: its terms (question words dropped) and answer type."""

    text: str
    terms: tuple[str, ...]
    qtype: str
    chars: frozenset[str]


def question_type(text: str) -> str:
    """``work``, ``reason``, ``date``, ``person``, ``number``, ``place``, ``org`` or ``other``."""
    norm = normalize(text)
    for qtype, pattern in QTYPE_PATTERNS:
        if pattern.search(norm):
            return qtype
    return "other"


def analyse(text: str, tokenizer: Tokenizer) -> Question:
    """Tokenise the question as passages are, without its asking words (dropped as whole words,
    so that 「多大」 leaves no 「多」 and 「大」 behind), its days in digits as the news writes them
    (「五月十五日」: 5月15日), and detect the answer type."""
    words = _without_question_words(tokenizer.words(spelled_days(normalize(text))))
    terms = tuple(t for t in tokenizer.tokens("".join(words)) if t not in QUESTION_WORDS)
    chars = frozenset(c for w in words for c in w if _HAN.match(c)) - _FUNCTION_CHARS
    return Question(text, terms, question_type(text), chars)


def _without_question_words(words: list[str]) -> list[str]:
    """``words`` with each asking word, also one cut in pieces (多/大 for 多大), replaced by a
    comma so that its neighbours are not read as one word; so are 有 before an asking word and
    the kind of answer named after one (什么地方, 什么职务)."""
    out: list[str] = []
    i = 0
    asked = False
    while i < len(words):
        size = _asking_size(words, i)
        if not size and words[i] in _ASKING_VERBS and _asking_size(words, i + 1):
            size = 1
        if not size and asked and words[i] in _ANSWER_KINDS:
            size = 1
        out.append("，" if size else words[i])
        asked = bool(size)
        i += size or 1
    return out


def _asking_size(words: list[str], i: int) -> int:
    """How many of ``words`` from ``i`` on make one asking word (0: none)."""
    return next((n for n in (3, 2, 1) if "".join(words[i : i + n]) in QUESTION_WORDS), 0)


def known_pieces(term: str, known: Callable[[str], bool]) -> tuple[str, ...]:
    """``term`` if ``known``, else the known words it splits into at one point (「杨昊现」 →
    「杨昊」, a name the tokenizer glued to the next character); nothing if no split has a known
    word of two characters or more."""
    if known(term) or len(term) < 2:
        return (term,)
    best: tuple[str, ...] = ()
    for cut in range(1, len(term)):
        pieces = tuple(p for p in (term[:cut], term[cut:]) if known(p))
        if max(map(len, pieces), default=0) >= 2 and sum(map(len, pieces)) > sum(map(len, best)):
            best = pieces
    return best or (term,)
