"""Answer extraction: the clauses of a passage holding the question's words and answer type."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

from newsbot.index.search import Clause
from newsbot.text.normalize import normalize
from newsbot.text.sentences import SENTENCE_END
from newsbot.text.tokenizer import Tokenizer

ELLIPSIS = "…"
TYPE_BONUS = 0.35

_DATE = re.compile(
    r"\d{1,4}年|\d{1,2}月|\d{1,2}[日号]|[一二三四五六七八九十〇零]{2,4}年|[今去前明]年|近日|日前|"
    r"上午|下午|晚上|凌晨|周[一二三四五六日]|星期|世纪|年代|[春夏秋冬]季"
)
_CN_DIGITS = "一二三四五六七八九十两百千万亿"
_NUMBER = re.compile(
    rf"\d+(?:[.,]\d+)*|[{_CN_DIGITS}]+(?=个|名|家|位|次|项|人|年|天|岁|倍|条|件|场|所)"
)
_ASKED_MEASURE = re.compile(r"(?:多少|几)([^\W\d多少几]{1})")
_PLACE = re.compile(
    r"\w{1,8}(?:省|市|县|区|镇|乡|村|路|街|道|站|厂|园|广场|小区|社区|中心|大厦|公园)"
)
_ORG = re.compile(r"\w{1,10}(?:局|委|会|公司|集团|中心|街道|办|部|厅|院|所|校|大学|银行|协会|分局)")
_DAY = re.compile(
    r"\d{1,2}[日号]|近日|日前|当天|上午|下午|晚上|凌晨|周[一二三四五六日]|星期|[今昨前明]天"
)
_YEAR_ONLY = re.compile(r"\d{2,4}年|[一二三四五六七八九十〇零]{2,4}年|[今去前明]年|年代|世纪")
_ASKS_DAY = re.compile(r"哪天|哪一天|几号|几日")
_ASKS_YEAR = re.compile(r"哪年|哪一年|几年")
_WORK = re.compile(r"《[^》]{1,60}》")
_REASON = re.compile(r"由于|因为|原因|为了|鉴于|缘于|因(?!此|而)")  # causes, not consequences
_TAGS = {"person": ("nr",), "place": ("ns",), "org": ("nt",)}


@dataclass(frozen=True)
class Extract:
    """A window of a passage chosen as the answer, with how well it fits the question."""

    text: str
    score: float
    coverage: float
    matched: frozenset[str]


def has_answer_type(clause: str, qtype: str, question: str, tokenizer: Tokenizer) -> bool:
    """Whether ``clause`` holds something of the expected type that the question does not name."""
    if qtype == "date":
        pattern = (
            _DAY
            if _ASKS_DAY.search(question)
            else _YEAR_ONLY
            if _ASKS_YEAR.search(question)
            else _DATE
        )
        found = pattern.findall(normalize(clause))
    elif qtype == "reason":
        found = _REASON.findall(normalize(clause))
    elif qtype == "work":
        found = _WORK.findall(normalize(clause))
    elif qtype == "number":
        found = _numbers(normalize(clause), question)
    elif qtype in _TAGS:
        tags = _TAGS[qtype]
        found = [w for w, flag in tokenizer.tagged(clause) if flag.startswith(tags) and len(w) > 1]
        if qtype == "place":
            found += _PLACE.findall(normalize(clause))
        elif qtype == "org":
            found += _ORG.findall(normalize(clause))
    else:
        return False
    return any(item not in question for item in found)


def _numbers(clause: str, question: str) -> list[str]:
    """Numbers in ``clause`` that are not dates; with the measure word the question asks for
    (多少名 → 名) only numbers followed by it."""
    clause = _DATE_ONLY.sub(" ", clause)
    asked = _ASKED_MEASURE.search(question)
    if asked:
        unit = re.escape(asked.group(1))
        return re.findall(rf"(?:\d+(?:[.,]\d+)*|[{_CN_DIGITS}]+){unit}", clause)
    return _NUMBER.findall(clause)


_DATE_ONLY = re.compile(r"\d{1,4}年\d{1,2}月(?:\d{1,2}[日号])?|\d{1,2}月\d{1,2}[日号]")


def _trim(words: list[str], matched: list[bool], budget: int) -> str:
    """Cut an over-long clause to ``budget`` characters at word boundaries, around its matches."""
    first = next((i for i, m in enumerate(matched) if m), 0)
    start, end, size = first, first, 0
    while end < len(words) and size + len(words[end]) <= budget:
        size += len(words[end])
        end += 1
    while start > 0 and size + len(words[start - 1]) <= budget:
        start -= 1
        size += len(words[start])
    return "".join(words[start:end])


def extract(
    clauses: Sequence[Clause],
    terms: Mapping[str, float],
    qtype: str,
    question: str,
    tokenizer: Tokenizer,
    max_chars: int,
) -> Extract:
    """The best window of whole clauses within ``max_chars``: it covers the most question weight
    (plus a bonus for holding the expected answer type), grown to its sentence and then to the
    neighbouring clauses; an ellipsis marks text left out."""
    texts = [c.text for c in clauses]
    total = sum(terms.values()) or 1.0
    norm_question = normalize(question)
    hits = [frozenset(terms.keys() & c.tokens) for c in clauses]
    typed = [has_answer_type(c.text, qtype, norm_question, tokenizer) for c in clauses]
    budget = max_chars - 2 * len(ELLIPSIS)
    ends = list(accumulate((len(t) for t in texts), initial=0))
    best = (-1.0, 0, 0, frozenset[str]())
    best_size = 0
    for i in range(len(texts)):
        if not hits[i] and not typed[i] and i + 1 < len(texts):
            continue  # a window starting here is beaten by the one starting at the next clause
        covered: set[str] = set()
        weight, any_type = 0.0, False
        for j in range(i, len(texts)):
            size = ends[j + 1] - ends[i]
            if size > budget and j > i:
                break
            new = hits[j] - covered
            if new:
                covered |= new
                weight += sum(terms[t] for t in new)
            any_type = any_type or typed[j]
            score = weight / total + (TYPE_BONUS if any_type else 0.0)
            if score > best[0] + 1e-9 or (abs(score - best[0]) <= 1e-9 and size < best_size):
                best, best_size = (score, i, j, frozenset(covered)), size
    score, i, j, covered = best
    if len(texts[i]) > budget:
        words = tokenizer.words(texts[i])
        matched = [bool(set(tokenizer.tokens(w)) & covered) for w in words]
        core = _trim(words, matched, budget)
        starts = texts[i].startswith(core) and _starts_sentence(texts, i)
    else:
        i, j = _complete_sentence(texts, i, j, budget)
        i, j = _add_sentences(texts, i, j, budget)
        core, starts = "".join(texts[i : j + 1]), _starts_sentence(texts, i)
    core = core.strip()
    text = ("" if starts else ELLIPSIS) + core + ("" if core.endswith(SENTENCE_END) else ELLIPSIS)
    return Extract(text, score, sum(terms[t] for t in covered) / total, covered)


def _starts_sentence(texts: list[str], i: int) -> bool:
    return i == 0 or texts[i - 1].rstrip().endswith(SENTENCE_END)


def _sentence_after(texts: list[str], j: int) -> int:
    """The last clause of the sentence that starts after clause ``j``."""
    k = j + 1
    while k < len(texts) - 1 and not texts[k].rstrip().endswith(SENTENCE_END):
        k += 1
    return k


def _sentence_before(texts: list[str], i: int) -> int:
    """The first clause of the sentence that ends just before clause ``i``."""
    m = i - 1
    while m > 0 and not _starts_sentence(texts, m):
        m -= 1
    return m


def _add_sentences(texts: list[str], i: int, j: int, budget: int) -> tuple[int, int]:
    """Add whole sentences after, else before, clauses ``i..j`` while they fit in ``budget``:
    context reads better as whole sentences than as a dangling clause."""
    size = sum(len(c) for c in texts[i : j + 1])
    while True:
        if j + 1 < len(texts):
            k = _sentence_after(texts, j)
            extra = sum(len(c) for c in texts[j + 1 : k + 1])
            if size + extra <= budget:
                j, size = k, size + extra
                continue
        if i > 0:
            m = _sentence_before(texts, i)
            extra = sum(len(c) for c in texts[m:i])
            if size + extra <= budget:
                i, size = m, size + extra
                continue
        return i, j


def _complete_sentence(texts: list[str], i: int, j: int, budget: int) -> tuple[int, int]:
    """Add clauses after, else before, clauses ``i..j`` while they fit in ``budget``, until the
    span is whole sentences."""
    size = sum(len(c) for c in texts[i : j + 1])
    while True:
        after = j + 1 < len(texts) and size + len(texts[j + 1]) <= budget
        before = i > 0 and size + len(texts[i - 1]) <= budget
        after = after and not texts[j].rstrip().endswith(SENTENCE_END)
        before = before and not _starts_sentence(texts, i)
        if after:
            j += 1
            size += len(texts[j])
        elif before:
            i -= 1
            size += len(texts[i])
        else:
            return i, j
