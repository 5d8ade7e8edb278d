"""Import files into articles: newspaper pages, Markdown articles, plain text and JSON lines."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import PurePath

import charset_normalizer

from newsbot.corpus.article import Article, article_from_fields, parse_markdown
from newsbot.corpus.html import article_from_html
from newsbot.corpus.page import HEADING, article_from_blocks, parse_page, split_blocks
from newsbot.errors import CorpusError

MAX_IMPORT_BYTES = 50_000_000
HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
JSONL_FIELDS = ("id", "title", "text", "date", "url", "source", "authors", "tags")


@dataclass(frozen=True)
class ImportReport:
    """Articles parsed from one file, and the rows of it that could not be read."""

    articles: tuple[Article, ...]
    errors: tuple[str, ...] = ()


def decode(data: bytes, where: str) -> str:
    """Decode UTF-8 (with or without BOM), else GB18030/GBK or Big5 as detected; binary data is a
    user error, and so is text that decodes as neither."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise CorpusError(f"{where}：不是文本文件（含二进制数据）")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = decode_chinese(data)
    if text is None or _controls(text) > max(8, len(text[:65536]) // 100):
        raise CorpusError(f"{where}：无法识别的文本编码（请使用 UTF-8、GBK 或 Big5）")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_chinese(data: bytes) -> str | None:
    """Non-UTF-8 Chinese text: GB18030 (a superset of GBK and GB2312) or Big5, as
    charset-normalizer judges the bytes (GB18030 alone would decode Big5 into nonsense)."""
    best = charset_normalizer.from_bytes(data[:200_000], cp_isolation=["gb18030", "big5"]).best()
    for encoding in ([best.encoding] if best is not None else []) + ["gb18030"]:
        try:
            return data.decode("big5hkscs" if encoding == "big5" else encoding)
        except UnicodeDecodeError:
            continue
    return None


def _controls(text: str) -> int:
    return sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f")


def check_size(name: str, size: int) -> None:
    """Refuse a file over the import limit (before it is read, where the size is known)."""
    if size > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // 1_000_000
        raise CorpusError(f"{name}：文件过大（上限 {limit} MB），请分成几个文件导入")


def parse_import(
    name: str, data: bytes, year: int | None = None, source: str | None = None
) -> ImportReport:
    """Parse one import file, choosing the format from its extension and content."""
    check_size(name, len(data))
    text = decode(data, name)
    if not text.strip():
        raise CorpusError(f"{name}：文件为空")
    suffix = PurePath(name).suffix.lower()
    source = source if source is not None else PurePath(name).stem
    if suffix in (".jsonl", ".ndjson"):
        return parse_jsonl(text, name)
    head = text.lstrip()[:512].lower()
    if suffix in HTML_SUFFIXES or head.startswith(("<!doctype html", "<html")):
        return ImportReport((article_from_html(text, "", name),))
    if text.lstrip().startswith("---"):
        return ImportReport((parse_markdown(text.lstrip(), name),))
    if HEADING.search(text) and not _single_heading_first(text):
        return ImportReport(tuple(parse_page(text, name, year, source)))
    return ImportReport((parse_text(text, name, year, source),))


def _single_heading_first(text: str) -> bool:
    """A text whose only heading is its first line is one article, not a page."""
    headings = HEADING.findall(text)
    return len(headings) == 1 and text.lstrip().startswith("#")


def parse_text(text: str, where: str, year: int | None = None, source: str = "") -> Article:
    """A plain-text article: the first line is the title, the rest the body."""
    first, _, rest = text.strip().partition("\n")
    title = re.sub(r"^#+\s*", "", first).strip()
    if not rest.strip():
        raise CorpusError(f"{where}：第一行是标题，其后须有正文")
    return article_from_blocks(title, split_blocks(rest), where, year, source)


def parse_jsonl(text: str, where: str) -> ImportReport:
    """JSON lines with ``title`` and ``text`` (``id``, ``date``, ``url``, ``source`` optional);
    a bad row is reported with its line number and the good rows still import."""
    articles: list[Article] = []
    errors: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        row_where = f"{where} 第 {number} 行"
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            errors.append(f"{row_where}：不是合法的 JSON")
            continue
        if not isinstance(row, dict):
            errors.append(f"{row_where}：必须是 JSON 对象")
            continue
        fields = {k: row[k] for k in JSONL_FIELDS if k in row and k != "text"}
        body = row.get("text")
        try:
            if not isinstance(body, str):
                raise CorpusError(f"{row_where}：缺少正文 (text)")
            articles.append(article_from_fields(fields, body, row_where))
        except CorpusError as exc:
            errors.append(str(exc))
    if not articles and errors:
        raise CorpusError(
            errors[0] + (f"（另有 {len(errors) - 1} 行出错）" if len(errors) > 1 else "")
        )
    return ImportReport(tuple(articles), tuple(errors))
