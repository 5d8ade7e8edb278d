"""Everything Telegram-specific about how replies look: HTML, message splitting, buttons."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from newsbot.corpus import Article
from newsbot.responder import Answer
from newsbot.responder.answer import SHORT_LABEL
from newsbot.responder.intents import LATEST
from newsbot.text.sentences import split_sentences

MAX_MESSAGE_UNITS = 4096
MAX_CALLBACK_BYTES = 64
SOURCE_BUTTONS_PER_ROW = 5


def utf16_units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def bold_terms(text: str, terms: Iterable[str]) -> str:
    """Escape ``text`` for HTML and put the question's words that occur in it in bold."""
    words = sorted({t for t in terms if len(t) > 1 or not t.isascii()}, key=len, reverse=True)
    if not words:
        return html.escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[pos : match.start()]))
        out.append(f"<b>{html.escape(match.group())}</b>")
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def article_command(article_id: str) -> str:
    """The tappable command that shows an article (commands allow only letters, digits and _)."""
    return "/article_" + article_id.replace("-", "_")


def ids_from_command(raw: str) -> tuple[str, ...]:
    """The article ids an id typed in a command may stand for (``_`` was ``-`` or itself)."""
    return (raw, raw.replace("_", "-"))


def callback_key(action: str, article_id: str) -> tuple[str, str | None]:
    """Callback data for an article button, within Telegram's 64 bytes; long ids get a short
    hash key, returned second so the caller can remember what it stands for."""
    data = f"{action}:{article_id}"
    if len(data.encode()) <= MAX_CALLBACK_BYTES:
        return data, None
    key = "#" + hashlib.sha1(article_id.encode()).hexdigest()[:16]
    return f"{action}:{key}", key


def answer_html(answer: Answer) -> str:
    """The answer with the matched words in bold, then numbered sources with dates and links;
    a list of articles (「最近有什么新闻」) is its heading and the numbered articles."""
    if not answer.found or not answer.sources:
        return html.escape(answer.answer)
    if answer.intent == LATEST:
        lines = [f"<b>{html.escape(answer.answer.splitlines()[0])}</b>"]
    else:
        lines = (
            [f"<b>{SHORT_LABEL}{html.escape(answer.short_answer)}</b>"]
            if answer.short_answer
            else []
        )
        lines += [bold_terms(answer.answer, answer.matched), "", "<b>来源</b>"]
    for n, source in enumerate(answer.sources, start=1):
        title = html.escape(source.title)
        if source.url:
            title = f'<a href="{html.escape(source.url, quote=True)}">{title}</a>'
        date = f"（{source.date}）" if source.date else ""
        lines.append(f"{n}. {title}{date}  {article_command(source.id)}")
    return "\n".join(lines)


def answer_keyboard(answer: Answer, key: str) -> InlineKeyboardMarkup | None:
    """Buttons 「原文 1」… for the sources and 「更多」 for further articles, carrying the key of
    the stored answer they sit under (so they act on it after other questions and restarts);
    under a refusal, one to read the closest article."""
    if not answer.sources:
        return None
    if not answer.found:
        button = InlineKeyboardButton("看看最接近的报道", callback_data=_source_data(key, 0))
        return InlineKeyboardMarkup([[button]])
    buttons = [
        InlineKeyboardButton(f"原文 {n}", callback_data=_source_data(key, n - 1))
        for n in range(1, len(answer.sources) + 1)
    ]
    rows = [
        buttons[i : i + SOURCE_BUTTONS_PER_ROW]
        for i in range(0, len(buttons), SOURCE_BUTTONS_PER_ROW)
    ]
    last = [InlineKeyboardButton("更多", callback_data=f"more:{key}")]
    if answer.intent == "question":  # readers rate answers, not lists
        last += [
            InlineKeyboardButton("👍", callback_data=f"fb:{key}:1"),
            InlineKeyboardButton("👎", callback_data=f"fb:{key}:-1"),
        ]
    return InlineKeyboardMarkup([*rows, last])


def _source_data(key: str, index: int) -> str:
    return f"s:{key}:{index}"


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph cut at sentence ends (and, for a giant sentence, by characters) to fit."""
    if utf16_units(html.escape(paragraph)) <= limit:
        return [paragraph]
    pieces, current = [], ""
    for sentence in split_sentences(paragraph) or [paragraph]:
        while utf16_units(html.escape(sentence)) > limit:
            cut = limit // 6  # escaped, each character is at most 6 units (&quot; or a pair)
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if current and utf16_units(html.escape(current + sentence)) > limit:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return pieces


def split_html_messages(
    head: str, paragraphs: Sequence[str], limit: int = MAX_MESSAGE_UNITS
) -> list[str]:
    """Messages of at most ``limit`` UTF-16 units: ``head`` (HTML) then the escaped paragraphs.
    Splits fall between paragraphs or sentences, so no tag or entity is ever cut."""
    messages, current = [], head
    for paragraph in paragraphs:
        for piece in _pieces(paragraph, limit):
            escaped = html.escape(piece)
            joined = f"{current}\n\n{escaped}" if current else escaped
            if utf16_units(joined) <= limit:
                current = joined
            else:
                messages.append(current)
                current = escaped
    if current:
        messages.append(current)
    return messages


def article_messages(article: Article) -> list[str]:
    """An article in full: title and metadata in the first message, the body split to fit."""
    meta = [m for m in (article.date, "、".join(article.authors), article.source) if m]
    head = f"<b>{html.escape(article.title)}</b>"
    if meta:
        head += "\n" + html.escape(" ｜ ".join(meta))
    if article.url:
        head += f'\n<a href="{html.escape(article.url, quote=True)}">原文链接</a>'
    return split_html_messages(head, article.paragraphs)


def article_line(article: Article) -> str:
    """One line of a list: date, title and the command that shows the article."""
    date = article.date or "日期不详"
    return f"{html.escape(date)} {html.escape(article.title)}  {article_command(article.id)}"
