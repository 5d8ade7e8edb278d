"""Newspaper pages: headings start articles; layout breaks are undone, bylines and dates parsed."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from newsbot.corpus.article import Article, article_from_fields
from newsbot.text.sentences import SENTENCE_END

HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)
_BYLINE = re.compile(r"^(?:本报)?(?:记者|通讯员|实习生|特约记者)[\s:：]")
_BYLINE_LABELS = re.compile(r"本报记者|特约记者|记者|通讯员|实习生|摄影|[:：]")
_CREDIT_SUFFIX = re.compile(r"(?:文/图|图/文|文/摄|/文|/图|/摄|摄)$")
_DATE = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]")
_DATELINE = re.compile(r"^本报讯\s*(?:[（(][^）)]{0,40}[）)])?\s*")
_TITLE_LABEL = re.compile(r"^(?:相关新闻|相关链接|新闻链接|延伸阅读)[\s:：]+")
_YEAR = re.compile(r"((?:19|20)\d{2})年")
MAX_BYLINE_CHARS = 80


def split_blocks(text: str) -> list[str]:
    """Blocks of text separated by blank lines, inner line breaks kept."""
    return [b.strip() for b in re.split(r"\n[ \t\u3000]*\n", text) if b.strip()]


def _joins(left: str, right: str) -> str:
    space = " " if re.search(r"[A-Za-z0-9]$", left) and re.match(r"[A-Za-z0-9]", right) else ""
    return left + space + right


def rejoin_paragraphs(blocks: list[str]) -> list[str]:
    """Join blocks that the page layout split mid-sentence (a block not ending a sentence)."""
    paragraphs: list[str] = []
    for block in blocks:
        block = re.sub(r"\s*\n\s*", "", block) if _is_cjk_wrapped(block) else block
        if paragraphs and not paragraphs[-1].endswith(SENTENCE_END):
            paragraphs[-1] = _joins(paragraphs[-1], block)
        else:
            paragraphs.append(block)
    return paragraphs


def _is_cjk_wrapped(block: str) -> bool:
    """A block whose inner line breaks fall between CJK characters was hard-wrapped."""
    return bool(re.search(r"[\u4e00-\u9fff]\s*\n\s*[\u4e00-\u9fff]", block))


def parse_byline(block: str) -> tuple[str, ...] | None:
    """Authors named in a byline (记者 … 通讯员 …), or None if the block is not one."""
    if len(block) > MAX_BYLINE_CHARS or not _BYLINE.match(block):
        return None
    names = []
    for word in re.split(r"[\s、，,]+", _BYLINE_LABELS.sub(" ", block)):
        name = _CREDIT_SUFFIX.sub("", word.strip())
        if name and name not in names:
            names.append(name)
    return tuple(names)


def infer_year(text: str) -> int | None:
    """The year a page is most likely from: the most often named 19xx/20xx year, latest on ties."""
    years = Counter(int(y) for y in _YEAR.findall(text))
    if not years:
        return None
    return max(years, key=lambda y: (years[y], y))


def find_date(text: str, year: int | None) -> str | None:
    """The first full date in ``text`` (its own year, else ``year``) as YYYY-MM-DD, else None."""
    for match in _DATE.finditer(text):
        y = int(match.group(1)) if match.group(1) else year
        if y is None:
            return None
        try:
            return dt.date(y, int(match.group(2)), int(match.group(3))).isoformat()
        except ValueError:
            continue
    return None


def article_from_blocks(
    title: str, blocks: list[str], where: str, year: int | None, source: str
) -> Article:
    """An article from its title and raw blocks: bylines give authors, the lead the date."""
    authors: list[str] = []
    kept = []
    for block in blocks:
        names = parse_byline(block)
        if names is None:
            kept.append(block)
        else:
            authors += [n for n in names if n not in authors]
    paragraphs = rejoin_paragraphs(kept)
    if paragraphs:
        paragraphs[0] = _DATELINE.sub("", paragraphs[0])
    lead = paragraphs[0] if paragraphs else ""
    fields: dict[str, object] = {
        "title": title,
        "date": find_date(lead, year),
        "source": source,
        "authors": authors,
    }
    return article_from_fields(fields, "\n\n".join(paragraphs), where)


def parse_page(text: str, where: str, year: int | None = None, source: str = "") -> list[Article]:
    """Split a page at its headings into articles; text before the first heading is ignored."""
    year = year if year is not None else infer_year(text)
    headings = list(HEADING.finditer(text))
    articles = []
    for n, heading in enumerate(headings):
        end = headings[n + 1].start() if n + 1 < len(headings) else len(text)
        blocks = split_blocks(text[heading.end() : end])
        title = _TITLE_LABEL.sub("", re.sub(r"\s+", " ", heading.group(1)).strip())
        articles.append(
            article_from_blocks(title, blocks, f"{where}（{title[:20]}）", year, source)
        )
    return articles
