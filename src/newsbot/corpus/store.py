"""The corpus folder: one Markdown file per article, written atomically, read tolerantly."""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import operator
import os
import secrets
import stat as stat_module
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import orjson

from newsbot import checksum
from newsbot.bulkload import paused_gc
from newsbot.corpus.article import (
    Article,
    collection_digest,
    digest_changed,
    digest_text,
    markdown_body,
    parse_digest,
    parse_markdown,
    to_markdown,
    validate_id,
)
from newsbot.errors import CorpusError, os_reason

log = logging.getLogger(__name__)
LOGGED = 20
# An article file larger than this is skipped, not read (no article is this long; a dump is).
MAX_ARTICLE_FILE_BYTES = 5_000_000
# A temporary file older than this is not being written any more: a crash left it.
LEFTOVER_SECONDS = 60
WRITERS = 8
# From this many articles at once, their files are written with one sync of the file system
# instead of one fsync each (``write_files``).
SYNC_ONCE_FROM = 64


@dataclass(frozen=True)
class AddResult:
    """What an import did: articles stored, and duplicates skipped with the id they repeat."""

    added: tuple[Article, ...]
    duplicates: tuple[tuple[Article, str], ...]
    updated: tuple[Article, ...] = ()  # stored articles replaced by a corrected version


def atomic_write(
    path: Path, data: str | bytes, mode: int | None = None, sync_dir: bool = True
) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` so that a crash leaves either the old file or
    the new one (``sync_dir=False`` leaves making the rename durable to the caller, once for many
    files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if sync_dir:
        _fsync_dir(path.parent)


def private_dir(folder: Path) -> None:
    """Create ``folder`` and any missing parents readable by the owner only."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def write_files(folder: Path, files: Sequence[tuple[str, bytes]]) -> list[OSError | None]:
    """Write many files into ``folder`` so that a crash leaves each as it was or complete, as
    ``atomic_write`` does, with one sync for all of them: every temporary file is written, the
    file system is synced once (each file fsynced where it cannot be), then each is renamed into
    place. The error of each file, None where it was written."""
    errors: list[OSError | None] = [None] * len(files)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [exc] * len(files)
    temps: list[tuple[int, Path]] = []
    each = _syncfs() is None
    for k, (name, data) in enumerate(files):
        tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            _write_new(tmp, data, fsync=each)
            temps.append((k, tmp))
        except OSError as exc:
            errors[k] = exc
            tmp.unlink(missing_ok=True)
    if temps and not each and not _sync_filesystem(folder):
        for k, tmp in temps:
            try:
                _fsync_file(tmp)
            except OSError as exc:
                errors[k] = exc
    for k, tmp in temps:
        if errors[k] is None:
            try:
                os.replace(tmp, folder / files[k][0])
                continue
            except OSError as exc:
                errors[k] = exc
        tmp.unlink(missing_ok=True)
    if temps:
        _fsync_dir(folder)
    return errors


def _write_new(path: Path, data: bytes, fsync: bool) -> None:
    """Create ``path`` (it must not exist), readable by the owner only, holding ``data``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    _fsync_fd(os.open(path, os.O_RDONLY))


def _fsync_fd(fd: int) -> None:
    """fsync ``fd``, then close it."""
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@lru_cache(maxsize=1)
def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2), which flushes one file system (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def _sync_filesystem(folder: Path) -> bool:
    """Flush what was written to the file system holding ``folder``; whether it was done."""
    syncfs = _syncfs()
    if syncfs is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        return syncfs(fd) == 0
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable, where the folder can be opened at all."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    _fsync_fd(fd)


# Bump when the cache changes shape; an older cache is ignored (the files are parsed). Entries
# are flat lists (a dict per entry made reading them twice as slow), and the files' stamps one
# flat list of numbers that a restart compares with the folder's in one go.
CACHE_FORMAT = 9


@dataclass(frozen=True)
class _Cache:
    """What the corpus cache knows: the files in the folder's order, the stamp of each (size,
    modification time, inode; three numbers a file, flat), an entry for each, and the collection
    digest of their articles."""

    names: list[str]
    stamps: list[int]
    entries: list[list]
    digest: int

    def by_name(self) -> dict[str, tuple[list[int], list]]:
        """Each file's stamp and entry by its name."""
        stamps = self.stamps
        return {
            name: (stamps[_STAMP * k : _STAMP * k + _STAMP], entry)
            for k, (name, entry) in enumerate(zip(self.names, self.entries, strict=True))
        }


def _signed(data: dict) -> bytes:
    """The cache file: a line with its format and the checksum of the JSON that follows."""
    body = orjson.dumps(data)
    meta = {"format": CACHE_FORMAT, checksum.ALGORITHM: checksum.of_bytes(body)}
    return orjson.dumps(meta) + b"\n" + body


class _StoredArticle(Article):
    """An unchanged article known from the corpus cache: its fields are read from the cache
    entry when asked for (making 250,000 records field by field was a second of a restart), and
    its body from its file (the index holds its passages already). Made by ``_stored``."""

    __slots__ = ("_body", "_entry", "_path")
    _entry: list
    _path: str
    _body: str

    @property
    def body(self) -> str:  # type: ignore[override]
        """The body, read from the article's file the first time."""
        try:
            return self._body
        except AttributeError:
            pass
        path = Path(self._path)
        try:
            body = markdown_body(path.read_text(encoding="utf-8-sig"), str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise CorpusError(f"文章 {self.id} 的文件无法读取：{exc}") from None
        object.__setattr__(self, "_body", body)
        return body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Article):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = Article.__hash__


_new_stored = object.__new__
_set_entry = _StoredArticle._entry.__set__  # type: ignore[attr-defined]
_set_path = _StoredArticle._path.__set__  # type: ignore[attr-defined]


def _stored(path: str, entry: list) -> _StoredArticle:
    """A stored article over its cache entry, made without ``__init__`` (a third of the cost of
    250,000 of them at a restart)."""
    article = _new_stored(_StoredArticle)
    _set_entry(article, entry)
    _set_path(article, path)
    return article


_FIELDS = tuple(f.name for f in dataclasses.fields(Article))
_CACHED_FIELDS = tuple(f for f in _FIELDS if f != "body")
# A cache entry: these fields, in this order.
_ENTRY_FIELDS = ("digest", "fingerprint", *_CACHED_FIELDS)
_LISTS = ("authors", "tags")
_ID_AT = _ENTRY_FIELDS.index("id")


def _field(at: int, name: str) -> property:
    if name in _LISTS:
        return property(lambda self: tuple(self._entry[at]), doc=name)
    return property(lambda self: self._entry[at], doc=name)


for _at, _name in enumerate(_ENTRY_FIELDS):
    setattr(_StoredArticle, _name, _field(_at, _name))


def _from_cache(
    known: tuple[list[int], list] | None, stat: os.stat_result, path: str
) -> Article | None:
    """The cached article when the file is unchanged, else None (so it is parsed again). A
    cache whose checksum holds was written by this code, so its entries are not re-checked."""
    if known is None or known[0] != _stamp(stat):
        return None
    return _stored(path, known[1])


# What tells whether a file changed: its size, modification time and inode.
_stamp_of = operator.attrgetter("st_size", "st_mtime_ns", "st_ino")
_STAMP = 3  # numbers in a file's stamp


def _stamp(stat: os.stat_result) -> list[int]:
    return list(_stamp_of(stat))


def _entry(article: Article) -> list[object]:
    return [getattr(article, name) for name in _ENTRY_FIELDS]


def _stamps(listing: list[tuple[str, os.stat_result]]) -> list[int]:
    """The stamps of listed files, flat, as the cache keeps them."""
    return [n for _, st in listing for n in _stamp_of(st)]


def _stat_all(folder: Path, names: list[str]) -> list[tuple[str, os.stat_result]]:
    """Each name with its status; relative to the open folder where the system allows, a third
    faster than resolving every path."""
    if os.stat not in os.supports_dir_fd:
        return [(name, os.stat(folder / name)) for name in names]
    fd = os.open(folder, os.O_RDONLY)
    try:
        return [(name, os.stat(name, dir_fd=fd)) for name in names]
    finally:
        os.close(fd)


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


class Corpus:
    """The articles under one folder; every change goes to disk before it is visible."""

    def __init__(self, root: Path, cache: Path | None = None) -> None:
        self.root = root
        self.cache = cache
        self._lock = threading.RLock()
        self._articles: dict[str, Article] = {}
        self._by_print: dict[str, str] | None = None
        self._entries: dict[str, tuple[list[int], list]] | _Cache = {}
        self._digest: int | None = None
        self._cache_dirty = False
        self._cache_unordered = False
        self.problems: list[str] = []
        self._skipped: list[str] = []
        self.reload()

    def reload(self) -> None:
        """Re-read the folder; files that do not parse are skipped and listed in ``problems``.
        A file whose size, modification time and inode match the cache is not parsed again."""
        with paused_gc():
            cache = self._read_cache()
            listing = self._listing()
            if cache is not None and (articles := self._all_cached(listing, cache)) is not None:
                self._set(articles, cache, [], cache.digest)
            else:
                self._read(listing, cache)
            self.problems = self._skipped + self.problems
        self.save_cache()

    def _all_cached(
        self, listing: list[tuple[str, os.stat_result]], cache: _Cache
    ) -> dict[str, Article] | None:
        """Every article from the cache when the folder lists exactly its files, in its order,
        each unchanged: two list comparisons instead of a lookup per file (1 s of a 250,000-file
        restart); None when anything differs."""
        if [name for name, _ in listing] != cache.names or _stamps(listing) != cache.stamps:
            return None
        root = os.path.join(self.root, "")
        articles = {
            entry[_ID_AT]: _stored(root + name, entry)
            for name, entry in zip(cache.names, cache.entries, strict=True)
        }
        return articles if len(articles) == len(cache.names) else None

    def _read(self, listing: list[tuple[str, os.stat_result]], cache: _Cache | None) -> None:
        """Take each file from the cache if it is unchanged, else parse it."""
        articles: dict[str, Article] = {}
        files: dict[str, str] = {}  # article id → its file
        problems: list[str] = []
        known = cache.by_name() if cache is not None else {}
        root = os.path.join(self.root, "")  # with its separator: a path is root + name
        seen: dict[str, tuple[list[int], list]] = {}
        parsed = 0
        for name, stat in listing:
            entry = known.get(name)
            article = _from_cache(entry, stat, root + name)
            cached = article is not None
            if article is None:
                path = self.root / name
                parsed += 1
                try:
                    article = parse_markdown(path.read_text(encoding="utf-8-sig"), str(path))
                except (CorpusError, UnicodeDecodeError, OSError) as exc:
                    problems.append(str(exc))
                    log.warning("skipping corpus file %s: %s", path, exc)
                    continue
            other = files.get(article.id)
            if other is not None:  # the file first in name order keeps the id
                problems.append(f"{self.root / max(name, other)}：文章编号 {article.id} 重复")
                if other < name:
                    continue
                del seen[other]
            articles[article.id] = article
            files[article.id] = name
            seen[name] = entry if cached and entry else (_stamp(stat), _entry(article))
        self._set(articles, seen, problems, None)
        self._cache_dirty = bool(parsed or cache is None or list(seen) != cache.names)

    def _set(
        self,
        articles: dict[str, Article],
        entries: dict[str, tuple[list[int], list]] | _Cache,
        problems: list[str],
        digest: int | None,
    ) -> None:
        with self._lock:
            self._articles = articles
            self._by_print = None
            self.problems = problems
            self._entries = entries
            self._digest = digest
            self._cache_dirty = self._cache_unordered = False

    def _entry_map(self) -> dict[str, tuple[list[int], list]]:
        """Each file's cache entry by its name; made from a cache matched whole on the first
        change (a restart needs none)."""
        if isinstance(self._entries, _Cache):
            self._entries = self._entries.by_name()
        return self._entries

    @property
    def digest(self) -> int:
        """The collection digest of the articles (see ``collection_digest``): worked out once,
        then kept up to date by each change."""
        with self._lock:
            if self._digest is None:
                self._digest = collection_digest(self._articles.values())
            return self._digest

    def _names(self) -> tuple[list[str], list[str]]:
        """The names in the folder, in its own order (sorting 250,000 names cost 0.4 s), and
        those that are symbolic links (the directory listing says so: no extra call per file)."""
        try:
            with os.scandir(self.root) as entries:
                listed = [(e.name, e.is_symlink()) for e in entries]
        except (FileNotFoundError, NotADirectoryError):
            return [], []
        return [n for n, _ in listed], [n for n, link in listed if link]

    def _listing(self) -> list[tuple[str, os.stat_result]]:
        """The article files in the folder's order with their status (size, modification time
        and inode tell whether one changed); leftovers of an interrupted write are reported and
        removed."""
        names, links = self._names()
        for name in [n for n in names if n.endswith(".tmp") and n.startswith(".")]:
            self._remove_leftover(self.root / name)
        outside = {name for name in links if not self._inside(name)}
        self._skipped = [f"{self.root / n}：指向文章目录之外，已跳过" for n in sorted(outside)]
        files = [name for name in names if name.endswith(".md") and name not in outside]
        try:
            listing = _stat_all(self.root, files)
        except OSError:  # one vanished meanwhile, or the folder did: file by file
            listing = [(name, st) for name in files if (st := _stat_or_none(self.root / name))]
        kept = []
        for name, st in listing:
            if not stat_module.S_ISREG(st.st_mode):
                continue
            if st.st_size > MAX_ARTICLE_FILE_BYTES:
                mb = MAX_ARTICLE_FILE_BYTES // 1_000_000
                self._skipped.append(f"{self.root / name}：文件过大（上限 {mb} MB），已跳过")
                continue
            kept.append((name, st))
        for problem in self._skipped:
            log.warning("skipping corpus file %s", problem)
        return kept

    def _inside(self, name: str) -> bool:
        """Whether the link ``name`` leads to a file inside the corpus folder."""
        try:
            target = (self.root / name).resolve(strict=True)
        except (OSError, RuntimeError):
            return False
        return target.is_relative_to(self.root.resolve())

    def _remove_leftover(self, path: Path) -> None:
        try:
            if time.time() - path.stat().st_mtime < LEFTOVER_SECONDS:
                log.info("ignoring %s: a write in progress, or just interrupted", path.name)
                return
            path.unlink()
            log.warning("removed %s, left by an interrupted write; no article lost", path.name)
        except OSError:
            pass

    def _read_cache(self) -> _Cache | None:
        """The cache, if it is whole (its checksum holds), of this format and this folder."""
        if self.cache is None:
            return None
        try:
            header, _, body = self.cache.read_bytes().partition(b"\n")
            meta = orjson.loads(header)
            if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
                return None
            if meta.get(checksum.ALGORITHM) != checksum.of_bytes(body):
                raise ValueError("checksum mismatch")
            data = orjson.loads(body)
            digest = parse_digest(data["digest"])
            if digest is None:
                raise ValueError("no collection digest")
            cache = _Cache(data["names"], data["stamps"], data["entries"], digest)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable corpus cache %s: %s", self.cache, exc)
            return None
        if data.get("root") != str(self.root.resolve()) or not (
            len(cache.names) == len(cache.entries) == len(cache.stamps) // _STAMP
        ):
            return None
        return cache

    def save_cache(self) -> None:
        """Write what is known of the files if it changed, so the next start need not parse
        them; a failure only costs parsing. Files are listed in the folder's order, which lets
        the next start compare the two listings whole."""
        with self._lock:
            if self.cache is None or not self._cache_dirty:
                return
            entries = dict(self._entry_map())
            data = {"root": str(self.root.resolve()), "digest": digest_text(self.digest)}
            unordered, self._cache_unordered = self._cache_unordered, False
            self._cache_dirty = False
        names = [n for n in self._names()[0] if n in entries] if unordered else list(entries)
        if len(names) != len(entries):
            names = list(entries)
        data.update(
            names=names,
            stamps=[n for name in names for n in entries[name][0]],
            entries=[entries[name][1] for name in names],
        )
        try:
            atomic_write(self.cache, _signed(data), mode=0o600)
        except OSError as exc:
            log.warning("could not write the corpus cache %s: %s", self.cache, exc)

    def _fingerprints(self) -> dict[str, str]:
        """Normalised-content fingerprint → id, built on the first write (reading needs none)."""
        if self._by_print is None:
            self._by_print = {a.fingerprint: a.id for a in self._articles.values()}
        return self._by_print

    def by_id(self) -> dict[str, Article]:
        """All articles by id (a copy)."""
        with self._lock:
            return dict(self._articles)

    @property
    def articles(self) -> list[Article]:
        """All articles, newest first (undated ones last)."""
        with self._lock:
            items = list(self._articles.values())
        return sorted(items, key=lambda a: (a.date or "", a.id), reverse=True)

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def get(self, article_id: str) -> Article:
        """The article with this id, or a user error naming it."""
        article = self._articles.get(article_id.strip().lower())
        if article is None:
            raise CorpusError(f"没有编号为 {article_id[:80]!r} 的文章")
        return article

    def add(self, articles: Iterable[Article]) -> AddResult:
        """Store new articles; one whose id or content is already stored (or repeated in the
        batch) is reported, not stored. If a write fails, those written are kept and the error
        is raised."""
        fresh, duplicates = self.plan(articles)
        return AddResult(tuple(self.commit(fresh)), duplicates)

    def plan(
        self, articles: Iterable[Article], update: bool = False
    ) -> tuple[list[Article], tuple[tuple[Article, str], ...]]:
        """Which articles are new (with ``update``, also those replacing a stored article of the
        same id with changed content), and which repeat a stored one (with its id); stores
        nothing."""
        fresh: dict[str, Article] = {}
        duplicates: list[tuple[Article, str]] = []
        with self._lock:
            prints = self._fingerprints()
            batch_prints: dict[str, str] = {}
            for article in articles:
                validate_id(article.id)
                existing = prints.get(article.fingerprint) or batch_prints.get(article.fingerprint)
                stored = self._articles.get(article.id)
                if update and existing in (None, article.id) and stored is not None:
                    if stored.digest != article.digest or stored.date != article.date:
                        existing = None  # a corrected version of the stored article
                elif existing is None and (stored is not None or article.id in fresh):
                    existing = article.id
                if existing is not None:
                    duplicates.append((article, existing))
                    continue
                fresh[article.id] = article
                batch_prints[article.fingerprint] = article.id
        return list(fresh.values()), tuple(duplicates)

    def commit(self, articles: list[Article]) -> list[Article]:
        """Write planned articles (by a few threads, as writes wait on the disk) and make them
        part of the corpus; raises after keeping those written if one fails."""
        added, failure = self._write_all(articles)
        with self._lock:
            prints = self._fingerprints()
            added = [self._remember(article) for article in added]
            replaced = [self._articles[a.id] for a in added if a.id in self._articles]
            for article in replaced:
                prints.pop(article.fingerprint, None)
            for article in added:
                self._articles[article.id] = article
                prints[article.fingerprint] = article.id
            if self._digest is not None:
                self._digest = digest_changed(self._digest, added=added, removed=replaced)
        for article in added[:LOGGED]:
            log.info("stored article %s (%s)", article.id, article.title)
        if len(added) > LOGGED:
            log.info("stored %d more articles", len(added) - LOGGED)
        if failure is not None:
            raise CorpusError(f"写入文章失败：{os_reason(failure)}（{self.root}）") from failure
        return added

    def _write_all(self, articles: list[Article]) -> tuple[list[Article], OSError | None]:
        """Write each article's file; the ones written, and the first error if any."""
        if not articles:
            return [], None
        if len(articles) >= SYNC_ONCE_FROM:
            files = [(a.filename, to_markdown(a).encode()) for a in articles]
            errors = write_files(self.root, files)
            written = [a for a, e in zip(articles, errors, strict=True) if e is None]
            return written, next((e for e in errors if e is not None), None)

        def write(article: Article) -> None:
            atomic_write(self.root / article.filename, to_markdown(article), sync_dir=False)

        workers = min(WRITERS, len(articles))
        with ThreadPoolExecutor(workers, thread_name_prefix="corpus-write") as pool:
            futures = [(a, pool.submit(write, a)) for a in articles]
        written = [a for a, f in futures if f.exception() is None]
        errors = [f.exception() for _, f in futures if f.exception() is not None]
        if written:
            _fsync_dir(self.root)
        failure = errors[0] if errors else None
        if failure is not None and not isinstance(failure, OSError):
            raise failure
        return written, failure  # type: ignore[return-value]

    def _file_of(self, article: Article) -> str:
        """The name of the file that holds ``article`` (a file renamed by hand keeps its
        article: ``<id>.md`` is only the name new articles get)."""
        if isinstance(article, _StoredArticle):
            return Path(article._path).name
        for name, (_, entry) in self._entry_map().items():
            if entry[_ID_AT] == article.id:
                return name
        return article.filename

    def _remember(self, article: Article) -> Article:
        """Note a file just written in the cache; the article as kept from now on, its body left
        in the file (a large import would otherwise hold every body in memory)."""
        path = self.root / article.filename
        try:
            st = path.stat()
        except OSError:
            return article
        entry = _entry(article)
        self._entry_map()[article.filename] = (_stamp(st), entry)
        self._cache_dirty = self._cache_unordered = True
        return _stored(str(path), entry)

    def delete(self, article_id: str) -> Article:
        """Remove an article from disk and from the corpus."""
        with self._lock:
            article = self.get(article_id)
            name = self._file_of(article)
            try:
                (self.root / name).unlink()
            except FileNotFoundError:
                pass  # removed by hand meanwhile: it is gone either way
            except OSError as exc:
                raise CorpusError(f"无法删除 {self.root / name}：{os_reason(exc)}") from None
            _fsync_dir(self.root)
            del self._articles[article.id]
            self._fingerprints().pop(article.fingerprint, None)
            self._entry_map().pop(name, None)
            if self._digest is not None:
                self._digest = digest_changed(self._digest, removed=[article])
            self._cache_dirty = True
        log.info("deleted article %s", article.id)
        return article
