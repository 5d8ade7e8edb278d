"""Where a 「哪里」 question's answer stands: after the verb the question puts before its asking
word (「位于」「到」「毕业于」, 「会议在哪里召开」: 在), up to the next verb or punctuation."""

from __future__ import annotations

import re

from newsbot.responder.question import QTYPE_PATTERNS
from newsbot.text.sentences import CLAUSE_BREAK
from newsbot.text.tokenizer import Tokenizer

# Names listed together (「盛伟、朱文莉」, 「到南曹乡、十八里河街道」) are one answer.
LIST_JOINERS = frozenset({"、", "和", "与", "及"})
# Words that mark an act as done (「来到了」), passed over after a verb.
DONE = frozenset({"了", "过"})
_ASKING_PLACE = dict(QTYPE_PATTERNS)["place"]
# How asking words that name no kind of place end (「哪里」「哪儿」「何处」「什么地方」).
_ANY_PLACE = frozenset("哪里儿处地方")
# The verbs of going to a place.
_TO = frozenset({"到", "去", "赴", "前往", "来到"})
# A verb a place follows ends with one of these (「位于」「出生在」「来自」); 「了」 is passed over.
_PLACE_PREPOSITIONS = frozenset("于在到往自")
# Words inside a place besides nouns: 「的」 (「泰国的首都曼谷」) and list joiners.
_PLACE_GLUE = LIST_JOINERS | {"的"}
# Tags that end the place after its verb: verbs, prepositions, particles, conjunctions.
_NOT_IN_PLACE = ("v", "p", "u", "c")
_HAN = re.compile("[\u4e00-\u9fff]+")


def place_verb(question: str, tokenizer: Tokenizer) -> tuple[str, bool] | None:
    """The words a 「哪里」 question puts before it that the answer follows in the text (「位于」
    「到」「毕业于」), and whether what follows them must name a place to be the answer (after a
    bare 「在」「于」, a subject's 「会议在」, or when the question names the kind of place:
    「位于哪个国家」); None when it puts none such."""
    where = _ASKING_PLACE.search(question)
    if where is None:
        return None
    head = question[: where.start()]
    if where.group()[0] in _PLACE_PREPOSITIONS | _TO:  # 「在哪」「去哪」「到哪」
        head += where.group()[0]
    words = [(w, flag) for w, flag in tokenizer.tagged(head) if w.strip()]
    while words and words[-1][0] in DONE:
        words.pop()
    if not words:
        return None
    kind = where.group()[-1] not in _ANY_PLACE
    last = words[-1][0]
    if last in _TO or (len(last) > 1 and last[-1] in _PLACE_PREPOSITIONS):
        return last, kind
    if last not in _PLACE_PREPOSITIONS or len(words) == 1:
        return (last, True) if last in _PLACE_PREPOSITIONS else None
    # 「毕业于哪里？」: the verb before it; 「会议在哪里召开」: a subject, and the verb after.
    ends = not _HAN.search(question[where.end() :])
    return words[-2][0] + last, kind or not ends


def place_after(
    verb: str, strict: bool, text: str, tokenizer: Tokenizer
) -> tuple[str | None, bool]:
    """The one place ``text`` names right after ``verb`` (「位于泰国的首都曼谷」, 「到南曹乡、
    十八里河街道」), up to a verb or punctuation (when ``strict``, only one holding a place
    name), and whether that settles it: a list after the verb that a verb would cut short
    (「来到紫荆山南路绿化提升项目、…」) leaves no short answer, not a guess at another place."""
    if verb not in text and len(verb) > 1 and verb[-1] in _PLACE_PREPOSITIONS:
        verb, strict = verb[-1], True
    found, cut = [], False
    for start in _after(verb, text, tokenizer):
        words = tokenizer.tagged(CLAUSE_BREAK.split(text[start:], 1)[0])
        end = 0
        while end < len(words) and (_in_place(*words[end]) or words[end][0] in _PLACE_GLUE):
            end += 1
        while end and words[end - 1][0] in _PLACE_GLUE:
            end -= 1
        if any(w == "、" for w, _ in words[end:]):
            cut = True
        elif end and (not strict or any(f.startswith(("ns", "nt")) for _, f in words[:end])):
            found.append("".join(w for w, _ in words[:end]))
    places = list(dict.fromkeys(found))
    if len(places) == 1:
        return places[0], True
    return None, cut or len(places) > 1


def _after(verb: str, text: str, tokenizer: Tokenizer) -> list[int]:
    """Where ``text`` goes on after each ``verb`` in it: after any verb of going standing as a word
    (「去哪里」 is answered by 「到…」, never by the 「去」 of 「去年」), else as written."""
    if verb not in _TO:
        ends, at = [], text.find(verb)
        while at >= 0:
            ends.append(at + len(verb))
            at = text.find(verb, at + 1)
        return ends
    ends, at = [], 0
    for word, _ in tokenizer.tagged(text):
        at += len(word)
        if word in _TO:
            ends.append(at)
    return ends


def _in_place(word: str, flag: str) -> bool:
    """Whether a word can be part of the place after 「到」: Chinese, not a verb or a particle."""
    return _HAN.fullmatch(word) is not None and not flag.startswith(_NOT_IN_PLACE)
