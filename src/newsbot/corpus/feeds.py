"""Feeds the corpus follows: RSS 2.0 / Atom feeds (feedparser) and column list pages without a
feed. Each poll fetches with conditional GET, skips entries already seen, imports the new ones
(the entry's full content, else its page) and backs off from a failing source."""

from __future__ import annotations

import calendar
import html
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx

from newsbot.corpus.article import Article, article_from_fields
from newsbot.corpus.html import MIN_ARTICLE_CHARS, url_id
from newsbot.corpus.store import AddResult, atomic_write
from newsbot.corpus.web import (
    FEED_TYPES,
    HTML_TYPES,
    canonical_url,
    check_type,
    fetch,
    is_url,
    page_article,
)
from newsbot.errors import CorpusError

log = logging.getLogger(__name__)

FEED, PAGE = "feed", "page"
# Seen entries remembered per feed (a feed lists its latest few dozen).
SEEN_KEPT = 5000
# A failing source waits this long after its first failure, doubling up to a day.
BACKOFF_SECONDS = 300
MAX_BACKOFF_SECONDS = 86_400
# Link text shorter than this is navigation (「首页」, 「更多>>」), not an article title.
MIN_LINK_TITLE = 6
_ARTICLE_PATH = re.compile(r"\d{4,}|/t\d{8}_|\.s?html?$|\.jhtml$|\.shtml$", re.IGNORECASE)


@dataclass(frozen=True)
class Feed:
    """A followed source and what polling it has learnt."""

    url: str
    name: str
    kind: str = FEED
    pattern: str | None = None  # for a page: only links matching this regular expression
    etag: str | None = None
    last_modified: str | None = None
    seen: dict[str, str] = field(default_factory=dict)  # entry key → its updated stamp
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""
    last_poll: float = 0.0


@dataclass(frozen=True)
class Entry:
    """One item of a source: its key (guid or link), link, title, date, full text if given."""

    key: str
    link: str
    title: str = ""
    date: str | None = None
    updated: str = ""
    content: str = ""


@dataclass(frozen=True)
class PollReport:
    """What one poll of one source did."""

    feed: Feed
    added: tuple[Article, ...] = ()
    updated: tuple[Article, ...] = ()
    errors: tuple[str, ...] = ()
    unchanged: bool = False
    waiting: int = 0  # new entries left for the next poll
    failed: str = ""  # the source itself could not be read


class FeedStore:
    """The followed sources, in a JSON file under data/ written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[Feed]:
        try:
            rows = json.loads(self.path.read_text("utf-8"))
            return [Feed(**row) for row in rows]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError) as exc:
            raise CorpusError(f"订阅源状态文件 {self.path} 已损坏：{exc}") from None

    def save(self, feeds: list[Feed]) -> None:
        rows = [asdict(f) for f in feeds]
        atomic_write(self.path, json.dumps(rows, ensure_ascii=False, indent=1), mode=0o600)

    def add(
        self, url: str, name: str | None = None, kind: str = FEED, pattern: str | None = None
    ) -> Feed:
        """Follow a new source; the same URL or name twice is a user error."""
        if not is_url(url):
            raise CorpusError(f"{url[:200]}：不是 http(s) 网址")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise CorpusError(f"链接规则 {pattern!r} 不是有效的正则表达式：{exc}") from None
        url = canonical_url(url)
        feeds = self.load()
        name = (name or urlsplit(url).netloc).strip()
        for feed in feeds:
            if feed.url == url or feed.name == name:
                raise CorpusError(f"已经在跟踪：{feed.name}（{feed.url}）")
        feed = Feed(url, name, kind, pattern)
        self.save([*feeds, feed])
        return feed

    def remove(self, which: str) -> Feed:
        """Stop following the source with this URL or name."""
        feeds = self.load()
        key = canonical_url(which) if is_url(which) else which.strip()
        for feed in feeds:
            if key in (feed.url, feed.name):
                self.save([f for f in feeds if f is not feed])
                return feed
        raise CorpusError(f"没有跟踪这个订阅源：{which[:200]}")


Add = Callable[[list[Article]], AddResult]


def detect_kind(url: str, client: httpx.Client, max_bytes: int) -> str:
    """Whether ``url`` is a feed or a column page (what an admin adding it need not know)."""
    fetched = fetch(canonical_url(url), accept=(*FEED_TYPES, *HTML_TYPES), client=client,
                    max_bytes=max_bytes)  # fmt: skip
    if feedparser.parse(fetched.body).get("version"):
        return FEED
    check_type(fetched, HTML_TYPES, "订阅源或网页")
    return PAGE


def poll(
    store: FeedStore,
    add: Add,
    client: httpx.Client,
    max_bytes: int,
    max_entries: int,
    now: float | None = None,
) -> list[PollReport]:
    """Poll every source that is due once; a failing one is reported and backed off, never
    stops the others. State is saved after each source."""
    now = time.time() if now is None else now
    reports = []
    for feed in store.load():
        if feed.retry_at > now:
            continue
        report = _poll_one(feed, add, client, max_bytes, max_entries, now)
        reports.append(report)
        current = {f.url: f for f in store.load()}
        if feed.url in current:  # not removed meanwhile
            current[feed.url] = report.feed
            store.save(list(current.values()))
    return reports


def _poll_one(
    feed: Feed, add: Add, client: httpx.Client, max_bytes: int, max_entries: int, now: float
) -> PollReport:
    try:
        fetched = fetch(
            feed.url,
            accept=FEED_TYPES if feed.kind == FEED else HTML_TYPES,
            etag=feed.etag,
            last_modified=feed.last_modified,
            client=client,
            max_bytes=max_bytes,
        )
        if fetched.status != 304 and feed.kind == PAGE:
            check_type(fetched, HTML_TYPES, "网页")
        if fetched.status == 304:
            return PollReport(
                replace(feed, failures=0, last_error="", last_poll=now), unchanged=True
            )
        entries = (
            _feed_entries(fetched.body, feed)
            if feed.kind == FEED
            else _page_entries(fetched.text(), fetched.url, feed.pattern)
        )
    except CorpusError as exc:
        wait = min(BACKOFF_SECONDS * 2**feed.failures, MAX_BACKOFF_SECONDS)
        failed = replace(
            feed,
            failures=feed.failures + 1,
            retry_at=now + wait,
            last_error=str(exc),
            last_poll=now,
        )
        log.warning("feed %s failed (%s); next try in %d s", feed.name, exc, wait)
        return PollReport(failed, failed=str(exc))
    fresh = [e for e in entries if feed.seen.get(e.key) != e.updated]
    todo, waiting = fresh[:max_entries], max(0, len(fresh) - max_entries)
    articles, errors, seen = [], [], dict(feed.seen)
    for entry in todo:
        try:
            articles.append(_article(entry, feed, client, max_bytes))
        except CorpusError as exc:
            errors.append(str(exc))
        seen[entry.key] = entry.updated
    result = add(articles) if articles else AddResult((), ())
    seen = dict(list(seen.items())[-SEEN_KEPT:])
    done = replace(
        feed,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        seen=seen,
        failures=0,
        retry_at=0.0,
        last_error="",
        last_poll=now,
    )
    return PollReport(done, result.added, result.updated, tuple(errors), waiting=waiting)


def _feed_entries(body: bytes, feed: Feed) -> list[Entry]:
    """The entries of an RSS or Atom document, oldest first."""
    parsed = feedparser.parse(body)
    head = body.lstrip()[:200].lower()
    if not parsed.get("version") and head.startswith((b"<!doctype html", b"<html")):
        raise CorpusError(f"{feed.url}：这是网页，不是 RSS/Atom 订阅源（可用 --page 跟踪栏目页）")
    out = []
    for item in parsed.entries:
        link = item.get("link") or ""
        key = item.get("id") or link
        if not key or not is_url(link):
            continue
        # Plain dict lookups: feedparser's own map one key to the other with a warning.
        stamp = dict.get(item, "updated_parsed") or dict.get(item, "published_parsed")
        date = time.strftime("%Y-%m-%d", stamp) if stamp else None
        contents = [c.get("value", "") for c in item.get("content", [])] or [
            item.get("summary", "")
        ]
        out.append(
            Entry(
                key=str(key),
                link=link,
                title=html.unescape(item.get("title", "")).strip(),
                date=date,
                updated=str(calendar.timegm(stamp)) if stamp else "",
                content=max(contents, key=len),
            )
        )
    if not out and parsed.bozo:  # a broken document with nothing usable in it
        raise CorpusError(f"{feed.url}：不是有效的 RSS/Atom 订阅源")
    return out[::-1]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None
        self._title: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            values = dict(attrs)
            self._href, self._title, self._text = values.get("href"), values.get("title"), []

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._title or "".join(self._text).strip()))
            self._href = None


def _page_entries(page: str, base: str, pattern: str | None) -> list[Entry]:
    """The article links of a column list page: same site, an article-like path (or matching
    ``pattern``), a title-like text; in page order, oldest (lowest) first."""
    parser = _Links()
    parser.feed(page)
    host = urlsplit(base).netloc
    rule = re.compile(pattern) if pattern else None
    out: dict[str, Entry] = {}
    for href, text in parser.links:
        link = canonical_url(urljoin(base, href.strip()))
        parts = urlsplit(link)
        if (
            parts.scheme not in ("http", "https")
            or parts.netloc != host
            or link == canonical_url(base)
        ):
            continue
        if rule is not None:
            if not rule.search(link):
                continue
        elif not _ARTICLE_PATH.search(parts.path) or len(re.sub(r"\s", "", text)) < MIN_LINK_TITLE:
            continue
        out.setdefault(link, Entry(key=link, link=link, title=re.sub(r"\s+", " ", text)))
    return list(out.values())[::-1]


def _article(entry: Entry, feed: Feed, client: httpx.Client, max_bytes: int) -> Article:
    """The entry's article: its full content when the feed carries it, else its page."""
    text = _plain(entry.content)
    if entry.title and len(re.sub(r"\W", "", text)) >= MIN_ARTICLE_CHARS * 3:
        fields = {
            "id": url_id(canonical_url(entry.link)),
            "title": entry.title,
            "date": entry.date,
            "source": feed.name,
            "url": canonical_url(entry.link),
        }
        return article_from_fields(fields, text, entry.link)
    article = page_article(entry.link, client, max_bytes)
    changes: dict[str, object] = {}
    if not article.date and entry.date:
        changes["date"] = entry.date
    if not article.source:
        changes["source"] = feed.name
    return replace(article, **changes) if changes else article


def _plain(fragment: str) -> str:
    """An HTML fragment as paragraphs of text."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", fragment)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())
