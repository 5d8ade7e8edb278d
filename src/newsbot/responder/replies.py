"""Replies that are not quoted answers: small talk (greeting, thanks, help) saying what the bot
knows, and "what's new" lists of the newest articles, of a topic or a period."""

from __future__ import annotations

from newsbot.corpus.article import Article
from newsbot.index.search import SearchIndex
from newsbot.responder.answer import Answer, Source
from newsbot.responder.intents import GREETING, HELP, LATEST, THANKS
from newsbot.responder.periods import Period

# Passages searched for articles on a "what's new" topic.
TOPIC_CANDIDATES = 200
# Word classes a topic for an example question is taken from (bodies and things, not places).
_EXAMPLE_TAGS = ("nt", "nz", "n", "vn")
LATEST_QUESTION = "最近有什么新闻？"


def examples(index: SearchIndex) -> tuple[str, ...]:
    """Two questions this corpus answers: the newest news, and the news of a body or thing named
    in the newest article's title."""
    newest = index.latest(1)
    if not newest:
        return (LATEST_QUESTION,)
    words = index.tokenizer.tagged(newest[0].title)
    topic = next(
        (w for w, f in words if f.startswith(_EXAMPLE_TAGS) and f != "ns" and len(w) >= 2), None
    )
    return (LATEST_QUESTION, f"{topic}有什么新闻？") if topic else (LATEST_QUESTION,)


def small_talk(intent: str, question: str, index: SearchIndex) -> Answer:
    """The reply to a greeting, thanks or a request for help: what the bot knows and how to ask."""
    if intent == THANKS:
        return Answer(question, True, "不客气！还想了解什么，直接问我就好。", intent=intent)
    n = len(index.articles)
    newest = index.latest(1)
    if not n:
        known = "新闻库现在还是空的，管理员添加文章后就可以提问了。"
    else:
        date = f"，最新一篇是 {newest[0].date} 的报道" if newest and newest[0].date else ""
        known = f"新闻库现有 {n} 篇文章{date}。"
    asks = "\n".join(f"· {q}" for q in examples(index)) if n else ""
    lead = {
        GREETING: "你好！我能回答本地政务新闻的问题，并给出出处。",
        HELP: "我能根据新闻库回答本地政务新闻的问题：谁、何时、何地、多少，并附上来源；"
        "也可以问最近有什么新闻、某天或某周的报道。",
    }[intent]
    text = f"{lead}{known}" + (f"\n可以这样问：\n{asks}" if asks else "")
    return Answer(question, True, text, intent=intent)


def latest(
    question: str,
    index: SearchIndex,
    count: int,
    topic: tuple[str, ...] = (),
    period: Period | None = None,
) -> Answer:
    """The newest articles (of ``topic``, dated in ``period``), newest first; a period or topic
    without articles is said so, naming the newest article."""
    articles = index.latest(len(index.articles))
    if period is not None:
        in_period = [a for a in articles if period.dated(a.date)]
        if in_period or not period.prefer:  # 「最近」 with nothing recent: the newest still
            articles = in_period
        else:
            period = None
    label = period.label if period else None
    when = period.shown if period else ""
    if not articles:
        return _none(question, index, f"新闻库里没有{when}的报道。", label)
    if topic:
        about = _about(index, topic, articles)
        articles = [a for a in articles if a.id in about]
        if not articles:
            named = topic[0]
            return _none(question, index, f"新闻库里没有{when}关于“{named}”的报道。", label)
    shown = articles[:count]
    named = topic[0] if topic else None
    what = f"{when}关于“{named}”的报道" if named else f"{when or '最新'}的报道"
    lines = [f"{what}（共 {len(articles)} 篇，最新的在前）："]
    lines += [f"{k}. {_date(a)}《{a.title}》" for k, a in enumerate(shown, start=1)]
    sources = tuple(_source(a) for a in shown)
    return Answer(question, True, "\n".join(lines), sources, 1.0, intent=LATEST, period=label)


def _none(question: str, index: SearchIndex, lead: str, label: str | None) -> Answer:
    """A "what's new" question nothing answers: said so, naming the newest article."""
    newest = index.latest(1)
    hint = f"最新的一篇是：《{newest[0].title}》（{_date(newest[0])}）" if newest else ""
    sources = (_source(newest[0], closest=True),) if newest else ()
    return Answer(question, False, lead + hint, sources, intent=LATEST, period=label)


def _about(index: SearchIndex, topic: tuple[str, ...], articles: list[Article]) -> set[str]:
    """The ids of ``articles`` holding every word of one of ``topic``'s alternatives in a
    passage or the title."""
    within = {a.id for a in articles}
    about: set[str] = set()
    for alternative in topic:
        terms = list(dict.fromkeys(index.tokenizer.tokens(alternative)))
        if not terms:
            continue
        hits = index.search(terms, TOPIC_CANDIDATES, within=within)
        for hit, present in zip(hits, index.present(terms, hits), strict=True):
            held = present | index.title_tokens(index.articles[hit.article_id])
            if all(t in held for t in terms):
                about.add(hit.article_id)
    return about


def _date(article: Article) -> str:
    return article.date or "日期不详"


def _source(article: Article, closest: bool = False) -> Source:
    lead = article.paragraphs[0] if article.paragraphs else ""
    return Source(article.id, article.title, article.date, article.url, 0.0, lead[:120], closest)
