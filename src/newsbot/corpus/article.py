"""The Article record and its on-disk form: Markdown with YAML front matter."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import yaml

from newsbot.errors import CorpusError
from newsbot.text.normalize import normalize

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}
FIELDS = ("id", "title", "date", "source", "url", "authors", "tags")
MAX_TITLE_CHARS = 300


@dataclass(frozen=True)
class Article:
    """One news article: metadata from the front matter and a body of paragraphs."""

    id: str
    title: str
    body: str
    date: str | None = None
    source: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs, separated by blank lines on disk."""
        return [p.strip() for p in re.split(r"\n\s*\n", self.body) if p.strip()]

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the normalised body without its byline, so that the same article imported
        twice — also under another title, byline or spacing — is recognised."""
        return content_fingerprint(self.body)

    @cached_property
    def digest(self) -> str:
        """A hash of the exact title and body: what the index of this article depends on."""
        return hashlib.sha256(f"{self.title}\0{self.body}".encode()).hexdigest()[:32]

    @property
    def filename(self) -> str:
        """The file this article is stored in, derived from its (validated) id."""
        return f"{validate_id(self.id)}.md"


# Bylines and credits, which reposts of one article change: 「本报讯（记者 张三 通讯员 李四）」,
# a line 「责任编辑：王五」.
_BYLINE = re.compile(
    r"(?m)^\s*(?:本报讯|记者|通讯员|文/|图/|文图/|编辑|责任编辑|责编|审核|校对|来源|作者)"
    r"[:：\s/][^\n。]{0,60}$|本报讯\s*[（(][^）)]{0,60}[）)]|[（(](?:记者|通讯员)[^）)]{0,60}[）)]"
)


def content_fingerprint(body: str) -> str:
    """Hash of a body with its byline, case, script variants, spacing and punctuation ignored."""
    norm = normalize(_BYLINE.sub("", body))
    # Without letters or digits (emoji only), the symbols themselves tell articles apart.
    text = re.sub(r"[\W_]+", "", norm) or re.sub(r"\s+", "", norm)
    return hashlib.sha256(text.encode()).hexdigest()


def remember_fingerprint(article: Article, fingerprint: str) -> None:
    """Give ``article`` its ``content_fingerprint`` worked out elsewhere (in a worker process),
    as if read once: the cached property keeps it."""
    article.__dict__["fingerprint"] = fingerprint


# A collection's digest is the sum of its articles' marks modulo this: adding or removing an
# article costs one mark, not a pass over the collection (0.4 s at 250,000 articles).
DIGEST_MODULUS = 1 << 128


def article_mark(article_id: str, digest: str) -> int:
    """A 128-bit number for one article's id and content digest."""
    raw = hashlib.blake2b(f"{article_id}\0{digest}".encode(), digest_size=16).digest()
    return int.from_bytes(raw, "big")


def collection_digest(articles: Iterable[Article]) -> int:
    """Which articles (id and digest) a collection holds, in any order: a saved index whose
    digest equals the corpus's needs no article-by-article check on load."""
    return sum(article_mark(a.id, a.digest) for a in articles) % DIGEST_MODULUS


def digest_changed(
    digest: int, added: Iterable[Article] = (), removed: Iterable[Article] = ()
) -> int:
    """``digest`` of a collection after ``added`` joined it and ``removed`` left it."""
    plus = sum(article_mark(a.id, a.digest) for a in added)
    minus = sum(article_mark(a.id, a.digest) for a in removed)
    return (digest + plus - minus) % DIGEST_MODULUS


def digest_text(digest: int) -> str:
    """A collection digest as saved in JSON (128 bits do not fit its integers)."""
    return f"{digest:032x}"


def parse_digest(text: object) -> int | None:
    """A collection digest read back, or None when ``text`` is not one."""
    if not isinstance(text, str) or len(text) != 32:
        return None
    try:
        return int(text, 16)
    except ValueError:
        return None


def make_id(title: str, body: str) -> str:
    """A short, stable id derived from the article's content."""
    text = re.sub(r"[\W_]+", "", normalize(f"{title}\n{body}"))
    return "a" + hashlib.sha256(text.encode()).hexdigest()[:11]


def validate_id(article_id: str) -> str:
    """Return the id if it is safe as a file name and a command argument, else raise."""
    if not ID_PATTERN.match(article_id) or article_id in _RESERVED:
        raise CorpusError(
            f"无效的文章编号 {article_id[:80]!r}：只能用小写字母、数字、- 和 _，最长 64 个字符"
        )
    return article_id


def normalize_id(raw: object) -> str:
    """Canonical form of a user-given id (lower-case, spaces to dashes), validated."""
    text = re.sub(r"\s+", "-", str(raw).strip().lower())
    return validate_id(text)


def parse_date(raw: object, where: str) -> str | None:
    """Accept YYYY-MM-DD (string or YAML date) or null; anything else is a user error."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    try:
        return dt.date.fromisoformat(str(raw).strip()).isoformat()
    except ValueError:
        raise CorpusError(f"{where}：日期 {str(raw)[:40]!r} 必须是 YYYY-MM-DD 格式") from None


def _str_list(raw: object, key: str, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,) if raw.strip() else ()
    if not isinstance(raw, list) or not all(isinstance(x, str | int) for x in raw):
        raise CorpusError(f"{where}：{key} 必须是字符串列表")
    return tuple(str(x).strip() for x in raw if str(x).strip())


def article_from_fields(fields: dict[str, object], body: str, where: str) -> Article:
    """Validate front-matter fields and a body into an Article (an id is made when missing)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise CorpusError(f"{where}：未知字段 {', '.join(sorted(map(str, unknown)))}")
    title = fields.get("title")
    if not isinstance(title, str | int) or not str(title).strip():
        raise CorpusError(f"{where}：缺少标题 (title)")
    title = re.sub(r"\s+", " ", str(title)).strip()
    if len(title) > MAX_TITLE_CHARS:
        raise CorpusError(f"{where}：标题过长（超过 {MAX_TITLE_CHARS} 个字符）")
    body = body.strip()
    if not body:
        raise CorpusError(f"{where}：正文为空")
    raw_id = fields.get("id")
    article_id = normalize_id(raw_id) if raw_id not in (None, "") else make_id(title, body)
    for key in ("source", "url"):
        if fields.get(key) is not None and not isinstance(fields.get(key), str):
            raise CorpusError(f"{where}：{key} 必须是字符串")
    return Article(
        id=article_id,
        title=title,
        body=body,
        date=parse_date(fields.get("date"), where),
        source=str(fields.get("source") or "").strip(),
        url=str(fields.get("url") or "").strip(),
        authors=_str_list(fields.get("authors"), "authors", where),
        tags=_str_list(fields.get("tags"), "tags", where),
    )


# libyaml's safe loader and dumper when PyYAML has them (ten times faster), else the Python ones.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
MAX_FRONT_MATTER_CHARS = 16_384
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)


def markdown_body(text: str, where: str) -> str:
    """The body of an article file, as ``parse_markdown`` reads it, without parsing the front
    matter (a file whose fields are known already)."""
    match = _FRONT.match(text)
    if not match:
        raise CorpusError(f"{where}：缺少以 --- 开头和结尾的 YAML 头信息")
    return text[match.end() :].strip()


def parse_markdown(text: str, where: str) -> Article:
    """Parse one article file: front matter between ``---`` lines, then the body."""
    match = _FRONT.match(text)
    if not match:
        raise CorpusError(f"{where}：缺少以 --- 开头和结尾的 YAML 头信息")
    if len(match.group(1)) > MAX_FRONT_MATTER_CHARS:
        raise CorpusError(f"{where}：YAML 头信息过长（上限 {MAX_FRONT_MATTER_CHARS} 个字符）")
    try:
        fields = yaml.load(match.group(1), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = f"第 {mark.line + 2} 行：" if mark else ""
        raise CorpusError(f"{where}：{line}YAML 头信息格式错误") from None
    if not isinstance(fields, dict):
        raise CorpusError(f"{where}：YAML 头信息必须是键值映射")
    return article_from_fields(fields, text[match.end() :], where)


def to_markdown(article: Article) -> str:
    """Serialise an article to its file text; ``parse_markdown`` reads it back unchanged."""
    fields = {
        "id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "url": article.url,
        "authors": list(article.authors),
        "tags": list(article.tags),
    }
    front = yaml.dump(fields, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{front}---\n\n{article.body.strip()}\n"
