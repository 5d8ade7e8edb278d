"""The short answer (「虎强」, 「64名」, 「5月15日」) read off the sentence that answers: the one
candidate of the type the question asks for, found where the sentence says it (after the
question's verb, beside the question's words); none when that is not clear."""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import pairwise

from newsbot.responder.counts import ASKED_MEASURE, MARK, counting, counts_named
from newsbot.responder.extract import DATE_ONLY, TAGS, number_pattern
from newsbot.responder.places import DONE, LIST_JOINERS, place_after, place_verb
from newsbot.responder.posts import SEVERAL, asked_holder, asked_post, holder, holds, posts_before
from newsbot.responder.question import QTYPE_PATTERNS
from newsbot.text.normalize import normalize
from newsbot.text.sentences import CLAUSE_BREAK
from newsbot.text.tokenizer import CN_NUMERALS, CN_YEAR, MEASURE_WORDS, Tokenizer

# Dates from the most precise down: the first kind the sentence holds is the answer's.
_DATES = (
    re.compile(r"(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]"),
    re.compile(r"\d{4}年\d{1,2}月"),
    re.compile(rf"\d{{4}}年|{CN_YEAR}"),
)
_MEASURE = re.compile(f"(?:{MEASURE_WORDS})")
MAX_LISTED = 4
MAX_CHARS = 20
# The dots between the parts of a foreign name (「贝尔·默里」), and the hyphen of a double name.
_NAME_DOTS = frozenset("·•・‧")
_JOINERS = _NAME_DOTS | {"-"}
# Chinese words a part of a dotted name may hold (「比」「阿特」「丽斯」).
_DOTTED_PART = 3
_HAN = re.compile("[\u4e00-\u9fff]+")
# Each answer type's asking words (「哪里」「在哪」「谁」「哪位」), as the question's type is told.
_ASKING = dict(QTYPE_PATTERNS)  # a type listed twice: its later, general pattern
# Characters besides the candidate that leave a clause bare (「长」 in 「长1,980米」).
BARE_CLAUSE = 3


def short_answer(
    qtype: str, question: str, sentence: str, tokenizer: Tokenizer, terms: Collection[str]
) -> str | None:
    """The short answer to normalised ``question`` (its search ``terms``) in ``sentence``, or
    None when the type has none, the sentence offers none or several, or the one it offers is
    not where the question's words are (unsure of the span: say nothing)."""
    text = normalize(sentence)
    found = _candidate(qtype, question, text, tokenizer)
    if found is None or not all(
        _bound(text, f, terms, qtype in TAGS, tokenizer) for f in found.split("、")
    ):
        return None
    return found


def _candidate(qtype: str, question: str, text: str, tokenizer: Tokenizer) -> str | None:
    """The one candidate of the asked type in normalised ``text``, if there is one."""
    if qtype == "date":
        found = next((f for f in (p.findall(text) for p in _DATES) if f), [])
    elif qtype == "number":
        found = number_pattern(question).findall(DATE_ONLY.sub(" ", text))
        found = [_with_measure(text, n) for n in found]
        # 「一个」「一名」 are articles unless the question counts in that very measure word.
        counts_in = {m.group(1) for m in ASKED_MEASURE.finditer(question)}
        found = [
            f
            for f in found
            if not (f[0] == "一" and _MEASURE.fullmatch(f[1:]) and f[1:] not in counts_in)
        ]
    elif qtype == "place" and (verb := place_verb(question, tokenizer)):
        place, settled = place_after(*verb, text, tokenizer)
        if place and len(place) > MAX_CHARS:
            place, settled = None, False
        return place if settled else _named(qtype, question, text, tokenizer)
    elif qtype == "person" and not _says_the_act(question, text, tokenizer):
        return None
    elif qtype == "person" and (asked := asked_post(question, tokenizer)):
        named = _named(qtype, question, text, tokenizer)
        if named:
            return named if holds(text, asked[0], named) else None
        return holder(text, *asked, question, tokenizer)
    elif qtype == "person" and (name := asked_holder(question, tokenizer)):
        posts = list(dict.fromkeys(posts_before(text, name, tokenizer)))
        return posts[0] if len(posts) == 1 and len(posts[0]) <= MAX_CHARS else None
    elif qtype in TAGS:
        return _named(qtype, question, text, tokenizer)
    else:
        return None
    candidates = list(dict.fromkeys(f for f in found if f not in question))
    if qtype == "number" and counts_named(question, tokenizer):
        candidates = counting(question, text, candidates, tokenizer)
    if len(candidates) != 1 or len(candidates[0]) > MAX_CHARS:
        return None
    return candidates[0]


def _bound(
    text: str, candidate: str, terms: Collection[str], named: bool, tokenizer: Tokenizer
) -> bool:
    """Whether ``candidate`` stands in a clause holding one of the question's words: its own,
    its neighbours when the clause is little more than it (「长1,980米」), or, for a date or a
    number, the clause a verbless lead-in introduces (「1993年1月24日起，…停播」)."""
    words = [t for t in terms if len(t) > 1]
    if not words:
        return True
    clauses = CLAUSE_BREAK.split(text)
    for k, clause in enumerate(clauses):
        if candidate not in clause:
            continue
        rest = clause.replace(candidate, MARK)
        near = [rest]
        if len(rest.replace(MARK, "").strip()) <= BARE_CLAUSE:
            near += clauses[max(k - 1, 0) : k] + clauses[k + 1 : k + 2]
        elif not named and k + 1 < len(clauses) and not _has_verb(rest, tokenizer):
            near.append(clauses[k + 1])
        if any(w in c for c in near for w in words):
            return True
    return False


def _has_verb(text: str, tokenizer: Tokenizer) -> bool:
    """Whether ``text`` (the candidate marked out) holds a verb."""
    return any(flag.startswith("v") for _, flag in tokenizer.tagged(text.replace(MARK, "")))


def _with_measure(text: str, number: str) -> str:
    """``number`` with the measure word written after it in ``text`` (「64」 → 「64名」, 「两」 →
    「两岁」), where one follows it."""
    if not number[-1:].isdigit() and number[-1:] not in CN_NUMERALS:
        return number
    at = text.find(number)
    while at >= 0:
        after = _MEASURE.match(text, at + len(number))
        if after:
            return number + after.group()
        at = text.find(number, at + 1)
    return number


def _says_the_act(question: str, text: str, tokenizer: Tokenizer) -> bool:
    """Whether ``text`` holds the verb a 「谁」 question asks the doer of (「由谁设计」: 「设计」);
    a sentence that never says it does not say who did it."""
    asked = _ASKING["person"].search(question)
    if asked is None:
        return True
    words = [(w, f) for w, f in tokenizer.tagged(question[asked.end() :]) if w.strip()]
    while words and (words[0][0] in DONE or words[0][1].startswith("d")):  # 「一直」「首先」
        words.pop(0)
    if not words or not words[0][1].startswith("v") or len(words[0][0]) < 2:
        return True  # 「哪位皇帝」 asks no act
    return words[0][0] in text


def _named(qtype: str, question: str, text: str, tokenizer: Tokenizer) -> str | None:
    """The one name (or one list of names) of the asked kind in ``text`` that the question
    does not already give."""
    words = tokenizer.tagged(text)
    tags = TAGS[qtype]
    picked = [
        k
        for k, (w, flag) in enumerate(words)
        if flag.startswith(tags) and (len(w) > 1 or _surname(words, k)) and w not in question
    ]
    # Adjacent names of the kind are one name (「南京市」「浦口区」: 「南京市浦口区」), and so are a
    # person's names joined by dots (「伊丽莎白·克伦贝格尔-乔西」).
    spans: list[tuple[int, int]] = []
    for k in picked:
        if spans and spans[-1][1] >= k:
            spans[-1] = (spans[-1][0], max(k + 1, spans[-1][1]))
        else:
            spans.append((k, k + 1))
        if qtype == "person":
            spans[-1] = (spans[-1][0], _dotted(words, spans[-1][1]))
    named = ["".join(w for w, _ in words[a:b]) for a, b in spans]
    names = list(dict.fromkeys(named))
    one = not SEVERAL.search(question)  # several asked for: no single name answers
    if len(names) == 1 and one:
        return names[0]
    # 「由建筑师博罗米尼设计」 asked 「由谁设计」: the one name the question's next word follows
    # (not one closing a list: 「盛伟、朱文莉主持」 are both the answer).
    acting = {
        name
        for k, ((a, b), name) in enumerate(zip(spans, named, strict=True))
        if b < len(words)
        and len(words[b][0]) > 1
        and words[b][0] in question
        and not (k and _listed_with(words[spans[k - 1][1] : a]))
    }
    if len(acting) == 1 and one:
        return acting.pop()
    # 「区总工会主席盛伟、专职副主席朱文莉」 asked 「区总工会主席是谁」: the name after the
    # longest run of the question's words.
    runs: dict[str, int] = {}
    for (a, _), name in zip(spans, named, strict=True):
        run = 0
        while a - run > 0 and words[a - run - 1][0] in question:
            run += 1
        runs[name] = max(run, runs.get(name, 0))
    longest = max(runs.values(), default=0)
    if longest and list(runs.values()).count(longest) == 1 and one:
        return max(runs, key=runs.__getitem__)
    listed = all(c - b == 1 and words[b][0] in LIST_JOINERS for (_, b), (c, _) in pairwise(spans))
    if 1 < len(names) <= MAX_LISTED and listed and len(names) == len(spans):
        return "、".join(names)
    return None


def _listed_with(between: tuple[tuple[str, str], ...]) -> bool:
    """Whether the words between two names list them together (「、专职副主席」: a joiner, and
    no verb or clause end)."""
    return any(w in LIST_JOINERS for w, _ in between) and not any(
        flag.startswith("v") or CLAUSE_BREAK.fullmatch(w) for w, flag in between
    )


def _dotted(words: tuple[tuple[str, str], ...], end: int) -> int:
    """Where a person's name ending before ``end`` ends once the parts its dots join are taken
    in (「伊夫」「林」「·」「比」「阿特」「丽斯」「·」「霍尔」: one name)."""
    joiner = _joiner(words, end, _NAME_DOTS, 2)
    if joiner is None:
        return end
    while (after := _joiner(words, joiner + 1, _JOINERS, _DOTTED_PART)) not in (None, joiner + 1):
        joiner = after
    k = joiner + 1
    if k == len(words) or not _HAN.fullmatch(words[k][0]):
        return joiner  # a dot closing the text is not part of the name
    k += 1
    while k < len(words) and words[k][1].startswith("nr") and _HAN.fullmatch(words[k][0]):
        k += 1
    return k


def _joiner(
    words: tuple[tuple[str, str], ...], start: int, joiners: frozenset[str], within: int
) -> int | None:
    """Where the first of ``joiners`` stands from ``words[start]`` on, after at most ``within``
    Chinese words and nothing else."""
    for k in range(start, min(start + within + 1, len(words))):
        if words[k][0] in joiners:
            return k
        if not _HAN.fullmatch(words[k][0]):
            return None
    return None


def _surname(words: tuple[tuple[str, str], ...], k: int) -> bool:
    """Whether ``words[k]`` is a one-character surname cut off its given name (「李」「红梅」)."""
    return words[k][1] == "nr" and k + 1 < len(words) and words[k + 1][1] == "nr"
