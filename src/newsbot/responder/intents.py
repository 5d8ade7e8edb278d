"""What a message wants before any search: a greeting, thanks, help, the latest news (perhaps of a
topic or a period), or an answer to a question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsbot.text.normalize import normalize

QUESTION, LATEST, GREETING, THANKS, HELP = "question", "latest", "greeting", "thanks", "help"

_GREETINGS = """
你好 您好 你们好 大家好 hi hello hey 嗨 哈喽 哈啰 早 早上好 上午好 中午好 下午好 晚上好 早安 晚安
在吗 在不在 有人吗 小助手 机器人
"""
_THANKS = """
谢谢 谢谢你 谢谢您 多谢 感谢 感谢你 谢啦 谢了 thanks thank you thx 辛苦了 辛苦 明白了 知道了 收到
好的 懂了 太好了 不错 赞
"""
_HELP = re.compile(
    r"(?:你|您)?(?:能|会|可以)(?:做|干|帮我做|帮我干|帮我)?(?:什么|啥|哪些)(?:事|事情)?"
    r"|(?:你|您)?有(?:什么|哪些|啥)功能|(?:你|您)?(?:怎么|如何)(?:用|使用|提问|问)"
    r"|使用说明|帮助|help|你是谁|你是什么|介绍一下(?:你|你自己|自己)?"
    r"|(?:我)?(?:可以|能)问(?:你)?(?:什么|啥|哪些)(?:问题)?"
)
_ASKING = re.compile(r"谁|什么|哪|多少|几|怎么|为何|吗")
# Words that only soften a message (「好的，谢谢啦～」) and are ignored when telling its intent.
_FILLERS = re.compile(r"[\s\W_]+|[啊呀哦噢嗯呢吧啦哈嘛喔哇]+|非常|十分|真的|很|好的|ok|okay")
# "What's new": 最近有什么新闻, 最新消息, 开了哪些会; the noun asked for names the topic, if any.
_LATEST = re.compile(
    r"(?:有(?:什么|哪些|啥)|都有啥|还有啥|还有什么)(?:新|最新|重要|重大)?的?(?P<a>新闻|消息|报道|动态|资讯|新鲜事|事情|大事|事)"
    r"|最新(?:的)?(?P<b>新闻|消息|报道|动态|资讯|文章|情况)"
    r"|(?P<c>新闻|消息|报道|动态)有(?:什么|哪些|啥)"
    r"|(?:开了|召开了|开过|举行了|召开过)(?:哪些|什么|几个|几次|啥)(?P<d>会议|会)"
    r"|(?:有|举办了|举行了|开展了|搞了)(?:哪些|什么|啥)(?P<e>活动|会议)"
)
# Nouns of a "what's new" question that ask for news in general rather than a topic.
_GENERAL_NEWS = frozenset(
    ["新闻", "消息", "报道", "动态", "资讯", "文章", "情况", "新鲜事", "事情", "大事", "事"]
)
# A topic asked for by a short word stands for any of these (an article holding one matches).
_TOPIC_OF = {"会": ("会议", "大会", "座谈会", "推进会", "研讨会", "动员会", "表彰会")}
# Words around a "what's new" question that name no topic (「区里最近有什么新闻」).
_PLACE_FILLERS = re.compile(
    r"区里|全区|本区|我们区|咱们区|咱区|我区|市里|这里|这边|本地|当地|我们这|咱们这|我们|咱们|一下|请问|告诉我"
    r"|都|了|的|吗|么|呢|最近|近期|近日|最新|目前|现在|有没有|有|些"
)


@dataclass(frozen=True)
class Intent:
    """A message's intent; for ``latest``, the topic the news is asked about (empty: any news)
    as the words any one of which makes an article about it."""

    name: str
    topic: tuple[str, ...] = ()


def _words(table: str) -> frozenset[str]:
    return frozenset(table.split())


GREETING_WORDS = _words(_GREETINGS)
THANKS_WORDS = _words(_THANKS)
# Longest first: where one word begins another, the longer is read.
_GREETINGS_FIRST = tuple(sorted(GREETING_WORDS, key=len, reverse=True))
_SMALL_TALK_FIRST = tuple(sorted(GREETING_WORDS | THANKS_WORDS, key=len, reverse=True))
LONGEST_SMALL_TALK = 12


def intent_of(message: str, without_period: str | None = None) -> Intent:
    """The intent of ``message``; ``without_period`` is the message with its date words taken out
    (they restrict a "what's new" list, they are not its topic)."""
    text = normalize(message).strip()
    bare = _FILLERS.sub("", text)
    if not bare:
        return Intent(QUESTION)
    small = len(bare) <= LONGEST_SMALL_TALK
    thanking = any(bare.startswith(w) for w in THANKS_WORDS if len(w) > 1)
    if small and thanking and not _ASKING.search(bare):
        return Intent(THANKS)  # 「谢谢你的帮助」
    if small and _HELP.fullmatch(_strip_greeting(bare)):
        return Intent(HELP)
    if _made_of(bare, _SMALL_TALK_FIRST):
        return Intent(THANKS if _made_of_any(bare, THANKS_WORDS) else GREETING)
    rest_text = normalize(without_period if without_period is not None else message)
    if m := _LATEST.search(rest_text):
        noun = next(g for g in m.groups() if g)
        rest = rest_text[: m.start()] + rest_text[m.end() :]
        rest = _PLACE_FILLERS.sub("", _FILLERS.sub("", rest))
        general = noun in _GENERAL_NEWS
        if rest and not general:  # 「2014年，吕志兴有哪些活动？」 asks about him
            return Intent(QUESTION)
        topic = (rest,) if rest else () if general else _TOPIC_OF.get(noun, (noun,))
        return Intent(LATEST, topic)
    return Intent(QUESTION)


def _strip_greeting(text: str) -> str:
    """``text`` without the greeting it opens with (「你好你能做什么」 → 「你能做什么」)."""
    for word in _GREETINGS_FIRST:
        if text.startswith(word) and len(text) > len(word):
            return text[len(word) :]
    return text


def _made_of(text: str, ordered: tuple[str, ...]) -> bool:
    """Whether ``text`` is a run of the words ``ordered`` (longest first), the first that fits
    taken at each point."""
    i = 0
    while i < len(text):
        word = next((w for w in ordered if text.startswith(w, i)), None)
        if word is None:
            return False
        i += len(word)
    return True


def _made_of_any(text: str, words: frozenset[str]) -> bool:
    return any(w in text for w in words if len(w) > 1)
