"""Fetching pages and feeds over HTTP(S) with httpx: timeouts, a redirect bound, a size limit
(read stops there), content types, charsets (GBK pages are common, their declarations often
wrong) and conditional GET."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

import httpx

from newsbot.corpus.article import Article
from newsbot.corpus.html import article_from_html
from newsbot.corpus.importers import decode_chinese
from newsbot.errors import CorpusError

MAX_REDIRECTS = 5
USER_AGENT = "newsbot/1 (+https://github.com/newsbot; local government news Q&A)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
_XML_CHARSET = re.compile(rb"""<\?xml[^>]+encoding=["']([\w-]+)""", re.IGNORECASE)
# Declared names that mean a superset in practice (a page saying gb2312 uses GBK characters).
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


@dataclass(frozen=True)
class Fetched:
    """A response read whole (within the size limit): its final URL, type, body and validators;
    ``status`` 304 means unchanged since the validators sent."""

    url: str
    status: int
    content_type: str
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    def text(self) -> str:
        """The body decoded: the header's charset, else the document's, else detected; a
        declared charset that does not decode cleanly is not trusted."""
        return decode_page(self.body, _header_charset(self.content_type))


def is_url(text: str) -> bool:
    """Whether ``text`` is an http(s) URL (what import accepts beside file paths)."""
    return bool(re.match(r"https?://[^\s/]+", text.strip(), re.IGNORECASE))


def canonical_url(url: str) -> str:
    """The URL without its fragment, host lower-cased: one page, one id."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def fetch(
    url: str,
    *,
    accept: tuple[str, ...] = HTML_TYPES,
    etag: str | None = None,
    last_modified: str | None = None,
    client: httpx.Client,
    max_bytes: int,
) -> Fetched:
    """GET ``url``; a failure of any kind is a CorpusError saying what went wrong in one line."""
    headers = {"User-Agent": USER_AGENT, "Accept": ", ".join(accept) + ", */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(str(response.url), 304, "", b"", etag, last_modified)
            if response.status_code >= 400:
                raise CorpusError(f"{url}：服务器返回 {response.status_code}")
            content_type = response.headers.get("content-type", "")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise CorpusError(f"{url}：页面过大（上限 {max_bytes // 1_000_000} MB）")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise CorpusError(f"{url}：页面过大（上限 {max_bytes // 1_000_000} MB）")
            return Fetched(
                str(response.url),
                response.status_code,
                content_type,
                bytes(body),
                response.headers.get("etag"),
                response.headers.get("last-modified"),
            )
    except httpx.TooManyRedirects:
        raise CorpusError(f"{url}：重定向次数过多") from None
    except httpx.TimeoutException:
        raise CorpusError(f"{url}：连接超时") from None
    except httpx.InvalidURL:
        raise CorpusError(f"{url}：不是有效的网址") from None
    except httpx.HTTPError as exc:
        raise CorpusError(f"{url}：无法获取（{type(exc).__name__}）") from None


def new_client(timeout: float) -> httpx.Client:
    """An HTTP client with a timeout and the redirect bound (reused across a poll)."""
    return httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS)


def check_type(fetched: Fetched, accept: tuple[str, ...], what: str) -> None:
    """Refuse a response whose content type is none of ``accept`` (an image, a PDF…)."""
    kind = fetched.content_type.split(";")[0].strip().lower()
    if kind and kind not in accept:
        raise CorpusError(f"{fetched.url}：不是{what}（{kind}）")


def _header_charset(content_type: str) -> str | None:
    match = re.search(r"charset=([\w-]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def decode_page(body: bytes, declared: str | None = None) -> str:
    """``body`` as text. Valid UTF-8 is UTF-8 whatever the page declares (GBK text is never valid
    UTF-8, so a wrong 「gb2312」 label on a UTF-8 page is caught); otherwise the declared charset
    (header, then meta or XML declaration) when it decodes cleanly, then charset-normalizer's
    choice between GB18030 and Big5."""
    found = _META_CHARSET.search(body[:4096]) or _XML_CHARSET.search(body[:1024])
    inner = found.group(1).decode("ascii", "ignore") if found else None
    for name in ("utf-8", declared, inner):
        if not name:
            continue
        try:
            return body.decode(_WIDER.get(name.lower(), name.lower()))
        except (UnicodeDecodeError, LookupError):
            continue
    text = decode_chinese(body)
    if text is None:
        raise CorpusError("无法识别页面的文字编码")
    return text


def page_article(url: str, client: httpx.Client, max_bytes: int) -> Article:
    """The article on the page at ``url`` (id from the URL as asked, ``url`` where it ended)."""
    if not is_url(url):
        raise CorpusError(f"{url[:200]}：不是 http(s) 网址")
    asked = canonical_url(url)
    fetched = fetch(asked, client=client, max_bytes=max_bytes)
    check_type(fetched, HTML_TYPES, "网页")
    article = article_from_html(fetched.text(), asked, asked)
    return replace(article, url=canonical_url(fetched.url))
