"""Follow-up questions: a question that cannot stand alone (a pronoun, an elliptical 「那…呢？」)
is rewritten from the answer before it; one that can is left alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsbot.responder.answer import Answer
from newsbot.responder.question import QUESTION_WORDS
from newsbot.text.normalize import normalize
from newsbot.text.tokenizer import MEASURE_WORDS, Tokenizer

# Words pointing back at a person the previous answer named.
PERSON_POINTERS = frozenset(
    ["他", "她", "他们", "她们", "这位", "那位", "此人", "这个人", "那个人"]
)
# Words pointing back at what the previous answer was about (「该会议」, 「这次活动」, 「其」).
POINTERS = PERSON_POINTERS | frozenset(
    {"它", "它们", "该", "其", "此", "这个", "那个", "这次", "那次", "此次", "这项", "那项",
     "这些", "那些", "上述", "这家", "那家", "这里", "那里", "这件", "那件", "这场", "那场"}
)  # fmt: skip
# 「那先进单位呢？」, 「还有先进单位呢」: the previous question asked of something else.
_ELLIPSIS = re.compile(r"^(?:那么|那|还有|而|那个)(?P<x>.{1,20}?)呢?$")
_SHORT_ELLIPSIS = re.compile(r"^(?P<x>.{1,10}?)呢$")
# A question ending on what it counts: 「表彰了多少名先进个人」.
_COUNTED_TAIL = re.compile(rf"(?:多少|几)(?:{MEASURE_WORDS})?(?P<tail>[^\W\d]+)$")
_END = re.compile(r"[\s?？!！。.,，~～]+$")
# Word classes that make up what a question asks about (nouns, names, verbal nouns, idioms).
_NOUNISH = ("n", "vn", "j", "l", "nz", "eng")


@dataclass(frozen=True)
class Context:
    """The answer a follow-up may lean on: its question (as answered), quoted answer, short
    answer, question type and the ids and titles of its articles."""

    question: str
    answer: str
    short_answer: str | None = None
    qtype: str = "other"
    sources: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()


def context_of(answer: Answer) -> Context | None:
    """What a follow-up to ``answer`` may lean on (None for small talk, lists and refusals)."""
    if not answer.found or answer.intent != "question":
        return None
    return Context(
        answer.resolved or answer.question,
        answer.answer,
        answer.short_answer,
        answer.qtype,
        tuple(s.id for s in answer.sources),
        tuple(s.title for s in answer.sources),
    )


def carried(answer: Answer, previous: Context | None) -> Context | None:
    """What the next message may lean on after ``answer``: it, when it answered a question; the
    context before, across small talk and lists; nothing after a refused question."""
    if answer.intent != "question":
        return previous
    return context_of(answer)


@dataclass(frozen=True)
class Resolved:
    """A follow-up rewritten to stand alone; ``within``: the articles it is about (empty: any)."""

    question: str
    within: tuple[str, ...] = ()


def resolve(question: str, context: Context | None, tokenizer: Tokenizer) -> Resolved | None:
    """``question`` rewritten from ``context`` when it cannot stand alone, else None."""
    if context is None:
        return None
    text = _END.sub("", normalize(question).strip())
    if not text:
        return None
    topic = context.titles[0] if context.titles else context.question
    elliptic = _ELLIPSIS.match(text) or _SHORT_ELLIPSIS.match(text)
    if elliptic and not _asks_itself(elliptic.group("x"), tokenizer):
        fragment = elliptic.group("x").removeprefix("是")
        if any(w in QUESTION_WORDS for w in tokenizer.words(fragment)):  # 「那是哪天？」
            return Resolved(f"{topic} {fragment}", context.sources[:1])
        return Resolved(_substituted(context.question, fragment, tokenizer))
    words = tokenizer.words(text)
    pointers = [w for w in words if w in POINTERS]
    if not pointers:
        return None
    person = context.short_answer if context.qtype == "person" else None
    if person and all(w in PERSON_POINTERS for w in pointers):
        return Resolved("".join(person if w in PERSON_POINTERS else w for w in words))
    rest = "".join(w for w in words if w not in POINTERS)
    return Resolved(f"{topic} {rest}", context.sources[:1])


def _asks_itself(fragment: str, tokenizer: Tokenizer) -> bool:
    """Whether an elliptical-looking message is a whole question of its own (「那是谁」 is not,
    「那明天天气怎么样」 has its own verb and subject: it is)."""
    tagged = tokenizer.tagged(fragment)
    return any(flag.startswith("v") and flag != "vn" for _, flag in tagged) and len(fragment) > 6


def _substituted(previous: str, fragment: str, tokenizer: Tokenizer) -> str:
    """The previous question with the run of nouns most like ``fragment`` replaced by it
    (「区总工会表彰了多少名先进个人」, 「先进单位」 → 「…多少名先进单位」); the last run when
    none shares a character."""
    norm = _END.sub("", normalize(previous))
    if (counted := _COUNTED_TAIL.search(norm)) and counted.group("tail"):
        return norm[: counted.start("tail")] + fragment  # 「…多少名先进个人」: what is counted
    words = tokenizer.tagged(norm)
    runs: list[tuple[int, int]] = []
    for k, (_, flag) in enumerate(words):
        if flag.startswith(_NOUNISH):
            if runs and runs[-1][1] == k:
                runs[-1] = (runs[-1][0], k + 1)
            else:
                runs.append((k, k + 1))
    if not runs:
        return f"{previous} {fragment}"
    chars = set(fragment)

    def likeness(run: tuple[int, int]) -> tuple[int, int]:
        return len(chars & set("".join(w for w, _ in words[run[0] : run[1]]))), run[0]

    start, end = max(runs, key=likeness)
    return "".join([*(w for w, _ in words[:start]), fragment, *(w for w, _ in words[end:])])
