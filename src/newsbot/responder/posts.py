"""Posts and their holders: a 「谁」 question asking who holds a post (「城管局局长是谁」) is
answered by a name written after that post (「局长孙铁锋」), never by another post's holder."""

from __future__ import annotations

import re

from newsbot.text.sentences import CLAUSE_BREAK
from newsbot.text.tokenizer import Tokenizer

# How the words naming a post end (「局长」「区委书记」「专职副主席」): a question asking what a
# post's holder is called asks for a person, not another name.
POST_ENDS = (
    "长|书记|主席|主任|委员|经理|总裁|总监|代表|负责人|记者|发言人|主持人|教练|政委|秘书|董事|"
    "理事|顾问|专员|干事"
)
NAME_ASKED = "的?(?:名字|姓名)?(?:叫什么|叫啥|是什么|姓什么)(?:名字)?"
# A question asking the holder of a post (「城管局局长是谁」 「谁是区长」 「主席叫什么名字」):
# the text of the post, in the first or the second group.
WHO_HOLDS = re.compile(rf"^(.+?)(?:是谁|是哪位|{NAME_ASKED})\W*$|^谁是(.+?)\W*$")

# A question asking who the members of a group are (「做交流发言的区领导都有谁」): the group.
WHO_ARE = re.compile(r"^(.+?)(?:都有谁|都是谁|分别是谁|有哪些人|都有哪些人|是哪些人)\W*$")
# Asking words that ask for several people, which no single name answers.
SEVERAL = re.compile(r"哪些|都有谁|都是谁|分别是谁")

_POST = re.compile(f"(?:{POST_ENDS})$")
DEPUTY = "副"


def asked_post(question: str, tokenizer: Tokenizer) -> tuple[str, str] | None:
    """The post a 「谁」 question asks the holder of, or the group it asks the members of, and
    how the question writes it (「城管局局长是谁」: 局长, 城管局局长; 「64名先进个人都有谁」:
    先进个人), which the answer's names must be written after (「局长孙铁锋」, not
    「区长张艳敏」)."""
    if group := WHO_ARE.search(question):
        words = [(w, flag) for w, flag in tokenizer.tagged(group.group(1)) if w.strip()]
        noun = words and words[-1][1].startswith("n") and len(words[-1][0]) > 1
        return (words[-1][0], group.group(1)) if noun else None
    asked = WHO_HOLDS.search(question)
    if asked is None:
        return None
    phrase = asked.group(1) or asked.group(2)
    words = [w for w, _ in tokenizer.tagged(phrase) if w.strip()]
    if not words or not _POST.search(words[-1]):
        return None
    post = words[-1]
    if phrase[: -len(post)].endswith(DEPUTY) and not post.startswith(DEPUTY):
        post = DEPUTY + post  # 「专职副主席」: 副主席
    return post, phrase


def asked_holder(question: str, tokenizer: Tokenizer) -> str | None:
    """The person a 「谁」 question asks about by name (「张艳敏是谁」: 张艳敏), whose post, written
    before the name (「区长张艳敏」), answers it."""
    asked = WHO_HOLDS.search(question)
    if asked is None or not asked.group(1):
        return None
    words = [(w, flag) for w, flag in tokenizer.tagged(asked.group(1)) if w.strip()]
    named = len(words) == 1 and words[0][1].startswith("nr") and len(words[0][0]) > 1
    return words[0][0] if named else None


def posts_before(text: str, name: str, tokenizer: Tokenizer) -> list[str]:
    """The post written before each writing of ``name`` in its clause, after any other person
    named there (「近日,管城区委副书记、区长张艳敏带领」: 管城区委副书记、区长;
    「主席盛伟、专职副主席朱文莉」: 专职副主席)."""
    out = []
    at = text.find(name)
    while at >= 0:
        start = max((m.end() for m in CLAUSE_BREAK.finditer(text, 0, at)), default=0)
        before = text[start:at]
        words = tokenizer.tagged(before)
        named = [k for k, (w, flag) in enumerate(words) if flag.startswith("nr") and len(w) > 1]
        if named:
            before = "".join(w for w, _ in words[named[-1] + 1 :]).lstrip("、")
        before = before.strip()
        if _POST.search(before):
            out.append(before)
        at = text.find(name, at + 1)
    return out


def after_post(text: str, post: str) -> list[tuple[int, str]]:
    """Where ``post`` ends in ``text``, each time, and the rest of its clause (a deputy's post,
    「副区长」, is not 「区长」)."""
    out = []
    deputy_too = post.startswith(DEPUTY)
    at = text.find(post)
    while at >= 0:
        if deputy_too or not text.endswith(DEPUTY, 0, at):
            end = at + len(post)
            clause_end = CLAUSE_BREAK.search(text, end)
            out.append((end, text[end : clause_end.start() if clause_end else len(text)]))
        at = text.find(post, at + 1)
    return out


def holds(text: str, post: str, names: str) -> bool:
    """Whether each of ``names`` (joined by 、) is written after ``post`` in one of its clauses
    (「局长孙铁锋」, 「主席是曾任院长的麦克阿瑟」)."""
    after = [rest for _, rest in after_post(text, post)]
    return all(any(name in a for a in after) for name in names.split("、"))


def names_after(text: str, post: str, tokenizer: Tokenizer) -> list[str]:
    """The first person's name after each writing of ``post`` in its clause."""
    return [name for _, rest in after_post(text, post) if (name := _first_name(rest, tokenizer))]


def _first_name(text: str, tokenizer: Tokenizer) -> str | None:
    return next(
        (w for w, flag in tokenizer.tagged(text) if flag.startswith("nr") and len(w) > 1), None
    )


def holder(text: str, post: str, phrase: str, question: str, tokenizer: Tokenizer) -> str | None:
    """The first name after the writing of ``post`` that ends the most of the question's
    ``phrase`` (「区总工会主席盛伟、专职副主席朱文莉」 asked 「总工会主席」: 盛伟), if one does."""
    found: dict[str, int] = {}
    for end, rest in after_post(text, post):
        name = _first_name(rest, tokenizer)
        if name and name not in question:
            found[name] = max(found.get(name, 0), _common_end(text[:end], phrase))
    best = max(found.values(), default=0)
    held = [name for name, size in found.items() if size == best]
    return held[0] if len(held) == 1 else None


def _common_end(a: str, b: str) -> int:
    """How many characters ``a`` and ``b`` end with in common."""
    size = 0
    while size < min(len(a), len(b)) and a[-1 - size] == b[-1 - size]:
        size += 1
    return size
