"""Articles from HTML pages: the main text, title, date and source of a news page, extracted with
trafilatura, without the site's navigation, share widgets or footer."""

from __future__ import annotations

import hashlib
import logging
import re

import trafilatura

from newsbot.corpus.article import Article, article_from_fields, make_id
from newsbot.errors import CorpusError, NewsbotError

log = logging.getLogger(__name__)

# Less main text than this is no article (a login page, an index of links, an error page).
MIN_ARTICLE_CHARS = 40
# Lines of a page's chrome that extraction can let through (footer, counters, widgets).
_BOILERPLATE = re.compile(
    r"版权所有|ICP备|ICP证|公网安备|网站标识码|主办单位|承办单位|技术支持|联系电话|联系我们|网站地图"
    r"|浏览次数|阅读次数|访问量|打印本页|关闭窗口|分享到|扫一扫|上一篇|下一篇|【字体|字号[:：]"
    r"|当前位置[:：]|您现在的位置"
)
# Separators between a page title and the site's name (「标题_政务要闻_某某区人民政府」).
_TITLE_SEPARATORS = re.compile(r"\s*(?:_|\||｜|--|—+|－| - | – )\s*")
_SITE_WORDS = re.compile(r"政府|门户|网站|官网|网$|在线|频道|要闻|动态|新闻|资讯|公告|首页|栏目")
_SOURCE = re.compile(r"(?:来源|信息来源|稿源)[:：]\s*([^\s|｜<>　]{2,40})")
_PUBLISHED = re.compile(
    r"(?:发布时间|发布日期|发文日期|时间|日期)[:：]\s*(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})"
)
_META_SOURCE = re.compile(
    r"""<meta[^>]+name=["']?(?:ContentSource|source)["']?[^>]+content=["']([^"']{2,40})""",
    re.IGNORECASE,
)


def url_id(url: str) -> str:
    """A stable article id derived from the page's URL (the same page is the same article)."""
    return "w" + hashlib.sha256(url.encode()).hexdigest()[:11]


def clean_title(title: str) -> str:
    """A page title without the site's suffix: 「标题_政务要闻_某某区人民政府」 → 「标题」."""
    parts = [p for p in _TITLE_SEPARATORS.split(title.strip()) if p]
    while len(parts) > 1 and _SITE_WORDS.search(parts[-1]):
        parts.pop()
    return " ".join(parts) if parts else title.strip()


def article_from_html(page: str, url: str = "", where: str = "") -> Article:
    """The article on an HTML page; a page without one is a CorpusError saying so."""
    where = where or url or "页面"
    try:
        doc = trafilatura.bare_extraction(
            page,
            url=url or None,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
        )
    except Exception as exc:  # the extractor's parser on hostile markup: refuse the page
        log.info("extraction failed for %s: %s", where, exc)
        doc = None
    text = getattr(doc, "text", None) or ""
    paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
    paragraphs = [p for p in paragraphs if not _BOILERPLATE.search(p)]
    body = "\n\n".join(paragraphs)
    if len(re.sub(r"\W", "", body)) < MIN_ARTICLE_CHARS:
        raise CorpusError(f"{where}：页面上没有可提取的文章正文")
    title = clean_title(getattr(doc, "title", None) or _html_title(page) or paragraphs[0][:40])
    fields: dict[str, object] = {
        "id": url_id(url) if url else make_id(title, body),
        "title": title,
        "date": getattr(doc, "date", None) or _published(page),
        "source": _source(page) or getattr(doc, "sitename", None) or "",
        "url": url,
    }
    try:
        return article_from_fields(fields, body, where)
    except NewsbotError:
        fields["date"] = None  # a date the extractor misread is not worth the article
        return article_from_fields(fields, body, where)


def _html_title(page: str) -> str | None:
    match = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


def _published(page: str) -> str | None:
    """「发布时间：2024-05-28」 on the page, as an ISO date."""
    match = _PUBLISHED.search(re.sub(r"<[^>]+>", " ", page))
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _source(page: str) -> str | None:
    """The publishing body named on the page (「来源：区应急管理局」 or its meta tag)."""
    meta = _META_SOURCE.search(page)
    if meta:
        return meta.group(1).strip()
    match = _SOURCE.search(re.sub(r"<[^>]+>", " ", page))
    return match.group(1).strip() if match else None
