"""Answer extraction: the clauses of a passage holding the question's words and answer type."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

from newsbot.index.search import Clauses, held_terms
from newsbot.responder.counts import ABOUT, ASKED_MEASURE, PEOPLE, counted_finder
from newsbot.responder.posts import asked_holder, asked_post, names_after, posts_before
from newsbot.text.joined import Joined
from newsbot.text.normalize import normalize
from newsbot.text.sentences import SENTENCE_END
from newsbot.text.tokenizer import CN_NUMERALS, CN_YEAR, Forms, Tokenizer

ELLIPSIS = "…"
# The weights of a clause's fit: the share of the question's weighted words it holds counts
# fully; the share of the question's characters (catching 身体/体, 别名/别称), of its adjacent
# character pairs (its phrases kept in order: 「研究机构」 over 研究…机构) and the expected
# answer type add to it; a window pays for each clause holding none of the question's words.
# Measured in bench/QUALITY.md.
CHAR_WEIGHT = 0.5
PAIR_WEIGHT = 0.2
TYPE_BONUS = 0.2
SPAN_PENALTY = 0.05
# A second sentence fitting the question at least this well (relative to the best), and holding
# something of the question the best does not, is quoted with it when both fit whole.
RUNNER_SHARE = 0.6
# The start of the answer's sentence is quoted before the clause that answers only when this
# short (a time or place setting the scene); a longer one is left out.
LEAD_IN_CHARS = 60

_DATE = re.compile(
    rf"\d{{1,4}}年|\d{{1,2}}月|\d{{1,2}}[日号]|{CN_YEAR}|[今去前明]年|"
    r"上午|下午|晚上|凌晨|周[一二三四五六日]|星期|世纪|年代|[春夏秋冬]季"
)
_NUMBER = re.compile(
    rf"\d+(?:[.,]\d+)*|[{CN_NUMERALS}]+(?=个|名|家|位|次|项|人|年|天|岁|倍|条|件|场|所)"
)
# 「多少先进个人」 asks in no measure word, and 「多少个」 in any (「多少个先进个人」: 「64名」).
GENERIC_MEASURE = "个"
# 多长 / 多高 / 多重 / 多久 ask for a measure in units of length, weight or time.
_ASKED_DIMENSION = re.compile(r"多([长高深宽远厚重久])(?!时间)|多(?=长时间)")
_LENGTH = "千米|公里|厘米|毫米|米|英尺|英寸|英里|海里|光年|尺|丈|里"
_UNITS = dict.fromkeys("长高深宽远厚", _LENGTH) | {
    "重": "千克|公斤|吨|克|斤|磅",
    "久": "年|个月|月|周|天|日|小时|分钟|秒|世纪",
}
_PLACE = re.compile(
    r"\w{1,8}(?:省|市|县|区|镇|乡|村|路|街|道|站|厂|园|广场|小区|社区|中心|大厦|公园)"
)
_ORG = re.compile(r"\w{1,10}(?:局|委|会|公司|集团|中心|街道|办|部|厅|院|所|校|大学|银行|协会|分局)")
_DAY = re.compile(r"\d{1,2}[日号]|上午|下午|晚上|凌晨|周[一二三四五六日]|星期|[今昨前明]天")
_YEAR_ONLY = re.compile(rf"\d{{2,4}}年|{CN_YEAR}|[今去前明]年|年代|世纪")
_ASKS_DAY = re.compile(r"哪天|哪一天|几号|几日")
_ASKS_YEAR = re.compile(r"哪年|哪一年|几年")
# A quoted title (「《管城区全民健身计划》」), the group its text.
TITLED = re.compile(r"《([^》]{1,60})》")
_REASON = re.compile(r"由于|因为|原因|为了|鉴于|缘于|因(?!此|而)")  # causes, not consequences
# A sentence opening with one of these rests on the one before it (「在此背景下」), and one drawing
# a consequence (「公园由此得名」) follows what it draws it from: the fact is in the sentence
# before, which is quoted first.
_BACKGROUND = re.compile(r"在此|对此|为此|因此|上述|此前")
_CONSEQUENCE = re.compile(r"由此|因此|因而|于是|从此|所以|故而|从而")
# Words that introduce another name for something (the evidence a 「别名是什么」 question wants).
_NAMED = re.compile(
    r"又名|别名|别称|又称|简称|全称|原名|原称|俗称|亦称|也称|昵称|学名|英文|英语|外号|绰号|"
    r"称为|称作|叫做|[(（][a-z]"
)
TAGS = {"person": ("nr",), "place": ("ns",), "org": ("nt",)}
_TAG_EXTRA = {"place": _PLACE, "org": _ORG}
_FOUND_BY = {
    "reason": _REASON.findall,
    "name": _NAMED.findall,
    "work": lambda t: [m.group() for m in TITLED.finditer(t)],
}


@dataclass(frozen=True)
class Extract:
    """A window of a passage chosen as the answer, with how well it fits the question."""

    text: str
    score: float
    coverage: float
    matched: frozenset[str]
    sentence: str = ""
    typed: bool = False


def answer_evidence(qtype: str, question: str, tokenizer: Tokenizer) -> Callable[[str], bool]:
    """Whether a clause (normalised) holds something of the type ``question`` (normalised)
    expects that it does not name; what to look for is worked out once per question."""
    find = _finder(qtype, question, tokenizer)
    if find is None:
        return lambda clause: False
    if qtype == "name":  # the marker itself is the evidence, even one the question uses
        return lambda clause: bool(find(clause))
    return lambda clause: any(item not in question for item in find(clause))


def _finder(qtype: str, question: str, tokenizer: Tokenizer) -> Callable[[str], list] | None:
    """What finds the answers of type ``qtype`` in a clause (None: no type)."""
    if qtype == "date":
        if _ASKS_DAY.search(question):
            return _DAY.findall
        return _YEAR_ONLY.findall if _ASKS_YEAR.search(question) else _DATE.findall
    if qtype == "number":
        numbers = number_pattern(question)
        named = counted_finder(question, tokenizer) if numbers is _NUMBER else None
        if named:  # 「多少先进个人」: the numbers written with 先进个人
            return named
        return lambda clause: numbers.findall(DATE_ONLY.sub(" ", clause))
    if qtype == "person" and (asked := asked_post(question, tokenizer)):
        return lambda clause: names_after(clause, asked[0], tokenizer)  # 「局长孙铁锋」
    if qtype == "person" and (name := asked_holder(question, tokenizer)):
        return lambda clause: posts_before(clause, name, tokenizer)  # 「区长张艳敏」
    if qtype in TAGS:
        tags, extra = TAGS[qtype], _TAG_EXTRA.get(qtype)
        return lambda clause: (
            [w for w, flag in tokenizer.tagged(clause) if flag.startswith(tags) and len(w) > 1]
            + (extra.findall(clause) if extra else [])
        )
    return _FOUND_BY.get(qtype)


def number_pattern(question: str) -> re.Pattern[str]:
    """Numbers that are not dates; with the measure word the question asks for (多少名 → 名)
    or a unit of the dimension it asks (多长 → 米, 公里…) only numbers followed by it."""
    asked = ASKED_MEASURE.search(question)
    dimension = _ASKED_DIMENSION.search(question)
    if asked and asked.group(1) in PEOPLE:
        unit = f"[{PEOPLE}]"
    elif asked and asked.group(1) != GENERIC_MEASURE:
        unit = re.escape(asked.group(1))
    elif dimension:
        unit = f"(?:{_UNITS[dimension.group(1) or '久']})"  # 「多长时间」 asks how long, 多久
    else:
        return _NUMBER
    return re.compile(rf"(?:\d+(?:[.,]\d+)*|[{CN_NUMERALS}]+)(?:{ABOUT})?{unit}")


# Dates and years, which a number question's answer is not.
DATE_ONLY = re.compile(r"\d{1,4}年\d{1,2}月(?:\d{1,2}[日号])?|\d{1,2}月\d{1,2}[日号]|\d{4}年")


def _pairs(question: str, chars: Collection[str]) -> list[str]:
    """The question's adjacent pairs of meaningful characters (both in ``chars``)."""
    return [a + b for a, b in pairwise(question) if a in chars and b in chars]


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


class _Fit:
    """How well each clause matches the question: its words, its characters and adjacent
    pairs, its answer type. Each clause's are kept as bit sets (``_Shares``): spans are scored
    by or-ing them, not by uniting sets."""

    def __init__(
        self,
        passages: Sequence[Clauses],
        terms: Mapping[str, float],
        chars: Mapping[str, float],
        pairs: Mapping[str, float],
        forms: Forms,
        evidence: Callable[[str], bool],
    ) -> None:
        self._shares = _Shares(terms), _Shares(chars), _Shares(pairs)
        words, letters, bigrams = self._shares
        norms = [n for p in passages for n in p.norms]
        joined = Joined(norms)
        held = [words.mask(found) for found in held_terms(passages, joined, forms)]
        self._masks = list(zip(held, letters.written(joined), bigrams.written(joined), strict=True))
        self.hits = [bool(m) for m in held]  # whether a clause holds a question word
        self.typed = [evidence(n) for n in norms]  # whether it holds the answer's type

    def score(self, lo: int, hi: int) -> tuple[float, int]:
        """The fit of clauses ``lo..hi-1`` taken together, and the question words they hold
        (as bits: ``words``)."""
        return self.score_of(range(lo, hi))

    def score_of(self, clauses: Collection[int]) -> tuple[float, int]:
        """The fit of ``clauses`` taken together, and the question words they hold (bits)."""
        masks = self._masks
        words = chars = pairs = 0
        typed = False
        for k in clauses:
            w, c, p = masks[k]
            words, chars, pairs, typed = words | w, chars | c, pairs | p, typed or self.typed[k]
        terms, char_shares, pair_shares = self._shares
        value = terms.share(words) + CHAR_WEIGHT * char_shares.share(chars)
        value += PAIR_WEIGHT * pair_shares.share(pairs)
        return value + (TYPE_BONUS if typed else 0.0), words

    def words(self, mask: int) -> frozenset[str]:
        """The question words of a ``score``'s bits."""
        return self._shares[0].keys(mask)


class _Shares:
    """``share`` of one weights mapping for sets of its keys given as bits (key i ↔ bit i),
    each worked out once."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.weights = weights
        self._bit = {key: 1 << i for i, key in enumerate(weights)}
        self._keys = list(weights)
        self._total = math.fsum(weights.values())
        self._shares: dict[int, float] = {}
        self._sets: dict[int, frozenset[str]] = {}

    def mask(self, keys: Iterable[str]) -> int:
        bits = 0
        for key in keys:
            bits |= self._bit[key]
        return bits

    def written(self, texts: Joined) -> list[int]:
        """For each of ``texts``, the bits of the keys written in it."""
        out = [0] * len(texts)
        for key, bit in self._bit.items():
            for k in texts.holding(key):
                out[k] |= bit
        return out

    def keys(self, mask: int) -> frozenset[str]:
        found = self._sets.get(mask)
        if found is None:
            found = self._sets[mask] = frozenset(
                k for i, k in enumerate(self._keys) if mask >> i & 1
            )
        return found

    def share(self, mask: int) -> float:
        found = self._shares.get(mask)
        if found is None:
            found = self._shares[mask] = _share(self.weights, self.keys(mask), self._total)
        return found


def share(weights: Mapping[str, float], present: Collection[str]) -> float:
    """The share of ``weights`` whose keys are in ``present``, summed exactly so that set order
    never decides a tie."""
    return _share(weights, present, math.fsum(weights.values()))


def _share(weights: Mapping[str, float], present: Collection[str], total: float) -> float:
    return math.fsum(w for k, w in weights.items() if k in present) / total if total else 0.0


def extract(
    passages: Sequence[Clauses],
    terms: Mapping[str, float],
    chars: Mapping[str, float],
    qtype: str,
    question: str,
    tokenizer: Tokenizer,
    max_chars: int,
) -> Extract:
    """The sentence of ``passages`` (their clauses in turn) that best fits the question (its
    words by weight, its characters, the expected answer type), cut to its best clauses when too
    long, with a second sentence that adds to it (``RUNNER_SHARE``), then grown by whole
    neighbouring sentences to ``max_chars``; an ellipsis marks text left out."""
    texts = [t for p in passages for t in p.texts]
    norm_question = normalize(question)
    forms = tokenizer.forms(terms)  # once per question, not per clause
    pairs = dict.fromkeys(_pairs(norm_question, chars.keys()), 1.0)
    evidence = answer_evidence(qtype, norm_question, tokenizer)
    fit = _Fit(passages, terms, chars, pairs, forms, evidence)
    ranked = sorted(
        ((fit.score(a, b)[0], a, b) for a, b in _sentence_spans(texts)), key=lambda s: -s[0]
    )
    score, lo, hi = ranked[0]
    runner = None
    for score2, lo2, hi2 in ranked[1:]:
        if score2 < RUNNER_SHARE * score:
            break
        if fit.score_of([*range(lo, hi), *range(lo2, hi2)])[0] > score + 1e-9:
            runner = (lo2, hi2 - 1)
            break
    # Room for the ellipses only when they are needed: whole sentences may use every character.
    for budget in (max_chars, max_chars - 2 * len(ELLIPSIS), max_chars - 3 * len(ELLIPSIS)):
        text, covered = _quote(texts, fit, lo, hi, budget, qtype, tokenizer, runner)
        if len(text) <= max_chars:
            break
    sentence = "".join(texts[lo:hi]).strip()
    typed = any(fit.typed[lo:hi])
    return Extract(text, score, share(terms, covered), covered, sentence, typed)


def _quote(
    texts: list[str],
    fit: _Fit,
    lo: int,
    hi: int,
    budget: int,
    qtype: str,
    tokenizer: Tokenizer,
    runner: tuple[int, int] | None = None,
) -> tuple[str, frozenset[str]]:
    """The answer cut from sentence ``lo..hi-1`` and grown around it within ``budget``
    characters (ellipses not counted), and the question words it holds. The ``runner``-up
    sentence (first and last clause) is quoted too when both fit whole."""
    i, j, covered = _best_window(texts, fit, lo, hi, budget)
    if len(texts[i]) > budget:
        words = tokenizer.words(texts[i])
        matched = [bool(set(tokenizer.tokens(w)) & covered) for w in words]
        core = _trim(words, matched, budget).strip()
        starts = texts[i].startswith(core) and _starts_sentence(texts, i)
        ends = core.endswith(SENTENCE_END)
        return ("" if starts else ELLIPSIS) + core + ("" if ends else ELLIPSIS), covered
    i, j = _complete_sentence(texts, i, j, budget)
    spans = [(i, j)]
    if runner and runner[0] > j:  # context follows the fact, never precedes it
        size = sum(len(c) for c in texts[i : j + 1])
        extra = sum(len(c) for c in texts[runner[0] : runner[1] + 1])
        if size + extra <= budget:
            spans.append(runner)
            budget -= extra
            covered |= fit.words(fit.score(runner[0], runner[1] + 1)[1])
    # A why-question's sentence that gives no cause (「因此，畜牧业发达。」) follows it.
    points_back = qtype == "reason" and not any(fit.typed[lo:hi])
    points_back = points_back or bool(_BACKGROUND.match(texts[i].lstrip()))
    points_back = points_back or bool(_CONSEQUENCE.search("".join(texts[i : j + 1])))
    if points_back and i > 0 and _starts_sentence(texts, i):
        before = _sentence_before(texts, i)
        extra = sum(len(c) for c in texts[before:i])
        if sum(len(c) for c in texts[i : j + 1]) + extra <= budget:
            i = before
    spans[0] = _add_after(texts, i, j, budget)
    return _render(texts, spans), covered


def _render(texts: list[str], spans: list[tuple[int, int]]) -> str:
    """The clauses of ``spans`` (first, last), in order, touching ones joined; an ellipsis
    wherever text is left out."""
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    out = ""
    for first, last in merged:
        core = "".join(texts[first : last + 1]).strip()
        if (out or not _starts_sentence(texts, first)) and not out.endswith(ELLIPSIS):
            out += ELLIPSIS
        out += core
    return out if out.endswith(SENTENCE_END) else out + ELLIPSIS


def _sentence_spans(texts: list[str]) -> list[tuple[int, int]]:
    """The clauses of each sentence, as ``(first, last + 1)``."""
    spans, start = [], 0
    for k, text in enumerate(texts):
        if text.rstrip().endswith(SENTENCE_END) or k == len(texts) - 1:
            spans.append((start, k + 1))
            start = k + 1
    return spans


def _best_window(
    texts: list[str], fit: _Fit, lo: int, hi: int, budget: int
) -> tuple[int, int, frozenset[str]]:
    """The clauses ``i..j`` of ``lo..hi-1`` within ``budget`` that fit best, a window paying for
    each clause without a question word (the answer sits close to the question's words)."""
    ends = list(accumulate((len(t) for t in texts[lo:hi]), initial=0))
    misses = list(accumulate((not h for h in fit.hits[lo:hi]), initial=0))
    best: tuple[float, int, int, int] = (-1.0, lo, lo, 0)
    for i in range(lo, hi):
        for j in range(i, hi):
            size = ends[j + 1 - lo] - ends[i - lo]
            if size > budget and j > i:
                break
            value, words = fit.score(i, j + 1)
            value -= SPAN_PENALTY * (misses[j + 1 - lo] - misses[i - lo])
            if value > best[0] + 1e-9:
                best = (value, i, j, words)
    return best[1], best[2], fit.words(best[3])


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


def _add_after(texts: list[str], i: int, j: int, budget: int) -> tuple[int, int]:
    """Add the whole sentences after clauses ``i..j`` while they fit in ``budget``: the fact
    leads, context follows (read as whole sentences rather than a dangling clause)."""
    size = sum(len(c) for c in texts[i : j + 1])
    while j + 1 < len(texts):
        end = _sentence_after(texts, j)
        extra = sum(len(c) for c in texts[j + 1 : end + 1])
        if size + extra > budget:
            break
        j, size = end, size + extra
    return i, j


def _complete_sentence(texts: list[str], i: int, j: int, budget: int) -> tuple[int, int]:
    """Add clauses after clauses ``i..j`` while they fit in ``budget``, until the sentence ends;
    the clauses before them in their sentence only when short (「5月15日上午，」): the fact
    leads the answer."""
    size = sum(len(c) for c in texts[i : j + 1])
    while not texts[j].rstrip().endswith(SENTENCE_END) and j + 1 < len(texts):
        if size + len(texts[j + 1]) > budget:
            break
        j += 1
        size += len(texts[j])
    start = i
    while start > 0 and not _starts_sentence(texts, start):
        start -= 1
    opening = sum(len(c) for c in texts[start:i])
    if opening <= LEAD_IN_CHARS and size + opening <= budget:
        return start, j
    return i, j
