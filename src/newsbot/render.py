"""Plain-text rendering of answers and articles, shared by the console and the CLI."""

from __future__ import annotations

from newsbot.corpus import Article
from newsbot.responder import Answer
from newsbot.responder.answer import SHORT_LABEL
from newsbot.responder.intents import LATEST


def source_line(n: int, title: str, date: str | None, article_id: str, url: str) -> str:
    """One numbered source: title, date, id and link."""
    line = f"{n}. {title}"
    if date:
        line += f"（{date}）"
    line += f"  [{article_id}]"
    if url:
        line += f"  {url}"
    return line


def render_answer(answer: Answer, debug: bool = False) -> str:
    """The short answer, the answer, then its numbered sources (the closest article when
    refused); with ``debug``, the terms and scores."""
    lines = [SHORT_LABEL + answer.short_answer] if answer.short_answer else []
    if answer.intent == LATEST and answer.found:  # the list is the sources, with their ids
        lines.append(answer.answer.splitlines()[0])
        lines += [
            "  " + source_line(n, s.title, s.date, s.id, s.url)
            for n, s in enumerate(answer.sources, start=1)
        ]
    else:
        lines.append(answer.answer)
    if answer.sources and answer.found and answer.intent != LATEST:
        lines.append("来源：")
        lines += [
            "  " + source_line(n, s.title, s.date, s.id, s.url)
            for n, s in enumerate(answer.sources, start=1)
        ]
    if debug:
        lines.append(
            f"[调试] 意图={answer.intent} 类型={answer.qtype} 置信度={answer.confidence:.2f} "
            f"找到={answer.found}"
        )
        if answer.period:
            lines.append(f"[调试] 日期范围：{answer.period}")
        if answer.resolved:
            lines.append(f"[调试] 按上文理解为：{answer.resolved}")
        lines.append(f"[调试] 检索词：{' '.join(answer.terms)}")
        lines.append(f"[调试] 命中词：{' '.join(answer.matched)}")
        lines += [f"[调试] {s.id} BM25={s.score:.3f}" for s in answer.sources]
    return "\n".join(lines)


def render_article(article: Article) -> str:
    """An article in full, for reading in a terminal."""
    meta = [f"编号：{article.id}"]
    if article.date:
        meta.append(f"日期：{article.date}")
    if article.authors:
        meta.append(f"作者：{'、'.join(article.authors)}")
    if article.source:
        meta.append(f"来源：{article.source}")
    if article.url:
        meta.append(f"链接：{article.url}")
    return "\n".join([article.title, " ｜ ".join(meta), "", "\n\n".join(article.paragraphs)])
