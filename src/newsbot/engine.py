"""The engine: config, corpus, tokenizer, index and responder wired once, for every adapter."""

from __future__ import annotations

import atexit
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from filelock import FileLock, Timeout

from newsbot.bulkload import paused_gc, release_free_memory
from newsbot.config import Config
from newsbot.corpus import AddResult, Article, Corpus
from newsbot.corpus.feeds import Feed, FeedStore, PollReport, detect_kind, poll
from newsbot.corpus.importers import ImportReport, check_size, parse_import
from newsbot.corpus.store import private_dir
from newsbot.corpus.web import new_client, page_article
from newsbot.errors import CorpusError, NewsbotError, os_reason
from newsbot.index import bulk, compiled, persist
from newsbot.index.search import IndexParams, SearchIndex
from newsbot.index.similar import near_duplicate
from newsbot.responder import Answer, Responder
from newsbot.responder.followup import Context
from newsbot.text.tokenizer import Tokenizer

log = logging.getLogger(__name__)
# A running bot saves the index this long after the last change (changes come in bursts).
SAVE_DELAY = 5.0
# An import of at least this many articles hands the memory it freed back to the system.
RELEASE_AFTER_ARTICLES = 1000
# Imports of at most this many articles are checked for near-duplicates (pushes, feeds).
NEAR_CHECK_MAX = 100
# Smaller changes hand freed memory back at most this often.
RELEASE_SECONDS = 1.0


def tokenizer_for(config: Config) -> Tokenizer:
    """The tokenizer with the configured user dictionary, stop words and synonyms."""
    return Tokenizer.from_files(config.userdict, config.stopwords, config.synonyms)


def params_for(config: Config) -> IndexParams:
    """Index parameters from the config."""
    return IndexParams(
        passage_max_chars=config.passage_max_chars,
        k1=config.bm25_k1,
        b=config.bm25_b,
        epsilon=config.bm25_epsilon,
    )


def responder_for(config: Config, index: SearchIndex) -> Responder:
    """A responder over ``index`` with the configured limits."""
    return Responder(index, config)


def _usable_state_dir(wanted: Path) -> Path:
    """``wanted`` made ready for the index and caches; when it cannot be written (a read-only
    or full disk, a file in its place), a private temporary folder for this run instead, with
    one warning: answers still come, only what would speed up the next start is lost."""
    try:
        private_dir(wanted / "index")
        return wanted
    except OSError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="newsbot-state-"))
        atexit.register(shutil.rmtree, fallback, ignore_errors=True)
        private_dir(fallback / "index")
        log.warning(
            "data folder %s cannot be written (%s): state is kept in %s for this run only",
            wanted,
            exc.strerror or exc,
            fallback,
        )
        return fallback


class Engine:
    """Owns the corpus and the current index; writers are serialised, readers never wait."""

    def __init__(
        self, config: Config, tokenizer: Tokenizer | None = None, rebuild: bool = False
    ) -> None:
        self.config = config
        self.tokenizer = tokenizer or tokenizer_for(config)
        self.params = params_for(config)
        self.state_dir = _usable_state_dir(config.state_dir)
        # Writers of this corpus, in this process (the thread lock) and in others (the file lock).
        self._write_lock = threading.RLock()
        self._writers = FileLock(self.state_dir / "writers.lock", timeout=config.lock_wait_seconds)
        with self._writing():
            self.corpus = Corpus(config.corpus_dir, cache=self.state_dir / "corpus.json")
            self._folder_stamp = self._stamp()
        self._cache = self.state_dir / "index"
        self._dirty = threading.Event()
        self._save_lock = threading.Lock()  # one snapshot written at a time
        self._saver: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._listeners: list[Callable[[list[Article]], None]] = []
        self._released_at = -math.inf  # the first change releases, however soon after boot
        self._compile = False  # whether this process scores by the compiled kernel when large
        with self._writing():
            self._responder = responder_for(config, self._open_index(rebuild))

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the corpus for writing: other threads wait, other processes up to
        ``lock_wait_seconds``, then it is a clear error (nothing is written)."""
        with self._write_lock:
            try:
                self._writers.acquire()
            except Timeout:
                raise CorpusError(
                    "另一个 newsbot 进程正在写入这个文章目录，请稍后再试"
                    f"（等待了 {self.config.lock_wait_seconds:g} 秒）"
                ) from None
            try:
                yield
            finally:
                self._writers.release()

    def _stamp(self) -> tuple[int, int]:
        """The corpus folder's modification time and entry count: any file written, replaced or
        removed there by any process changes it."""
        try:
            st = os.stat(self.config.corpus_dir)
            return st.st_mtime_ns, st.st_nlink
        except OSError:
            return (0, 0)

    def _catch_up(self) -> bool:
        """Take in what other processes changed in the folder since we last looked (called
        holding the writers' lock); True when something changed."""
        stamp = self._stamp()
        if stamp == self._folder_stamp:
            return False
        known = set(self.index.articles)
        self.corpus.reload()
        self._swap(self.index.synced(self.corpus.articles, bulk.tokenise))
        self._folder_stamp = self._stamp()
        log.info("corpus folder changed on disk: now %d articles", len(self.corpus))
        self._arrived([a for i, a in self.index.articles.items() if i not in known])
        return True

    def on_added(self, listener: Callable[[list[Article]], None]) -> None:
        """Call ``listener`` with the articles each change brings, whoever wrote them (this
        process or, noticed by ``watch``, another); it must return quickly."""
        self._listeners.append(listener)

    def _arrived(self, articles: list[Article]) -> None:
        if not articles:
            return
        for listener in self._listeners:
            try:
                listener(articles)
            except Exception:  # a listener's failure must not undo a write
                log.exception("a listener failed on %d new articles", len(articles))

    def watch(self) -> None:
        """Notice, in a background thread every ``watch_seconds``, articles other processes
        added, changed or deleted (for the bot and the console): no /reload needed."""
        if self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch_loop, name="corpus-watch", daemon=True
            )
            self._watcher.start()

    def _watch_loop(self) -> None:
        while True:
            time.sleep(self.config.watch_seconds)
            if self._stamp() == self._folder_stamp:
                continue
            try:
                with self._writing():
                    self._catch_up()
            except (NewsbotError, OSError) as exc:
                log.warning("could not take in the corpus folder's changes: %s", exc)

    def _open_index(self, rebuild: bool) -> SearchIndex:
        """The saved index brought up to date, or a fresh build when there is none to trust
        (or ``rebuild`` asks for one)."""
        articles = self.corpus.by_id()
        index: SearchIndex | None = None
        changed = True
        if rebuild:
            log.info("building the index (a rebuild was asked for)")
        else:
            try:
                with paused_gc():
                    index, changed = persist.load(
                        self._cache,
                        articles,
                        self.tokenizer,
                        self.params,
                        bulk.tokenise,
                        digest=self.corpus.digest,
                    )
            except persist.CacheError as exc:
                log.info("building the index (saved one not used: %s)", exc)
        if index is None:
            index = SearchIndex(articles.values(), self.tokenizer, self.params, bulk.tokenise)
        if changed:
            self._dirty.set()
            self.save(index)
        return index

    def save(self, index: SearchIndex | None = None) -> None:
        """Save the index if it changed since the last save; a failure only costs a rebuild."""
        try:
            with self._writing():
                self.corpus.save_cache()
                with self._save_lock:
                    if not self._dirty.is_set():
                        return
                    self._dirty.clear()
                    try:
                        persist.save(self.index if index is None else index, self._cache)
                    except OSError as exc:
                        log.warning("could not save the index to %s: %s", self._cache, exc)
        except CorpusError as exc:  # another process holds the corpus: save next time
            self._dirty.set()
            log.warning("index not saved: %s", exc)

    def warm_up(self) -> None:
        """Prepare a long-running process to answer fast: the dictionaries loaded now, the
        compiled scoring in the background."""
        self.tokenizer.warm_up()
        self.compile_scoring()

    def compile_scoring(self) -> None:
        """Load the compiled scoring in the background, for a process that will answer many
        questions, once the index holds ``compiled_min_passages`` (a few questions, or a small
        index, are answered as fast without: numba costs half a second and 120 MB)."""
        self._compile = True
        if len(self.index) >= self.config.compiled_min_passages:
            compiled.start(cache=self.state_dir / "compiled")

    def autosave(self) -> None:
        """Save in a background thread a few seconds after each change (for the bot and the
        console); snapshots are immutable, so questions and pushes never wait for it."""
        if self._saver is None:
            self._saver = threading.Thread(target=self._save_loop, name="index-saver", daemon=True)
            self._saver.start()

    def _save_loop(self) -> None:
        while self._dirty.wait():
            time.sleep(SAVE_DELAY)
            self.save()

    @property
    def responder(self) -> Responder:
        """The responder over the current index."""
        return self._responder

    @property
    def index(self) -> SearchIndex:
        """The index questions are answered from now."""
        return self._responder.index

    def ask(
        self, question: str, max_chars: int | None = None, context: Context | None = None
    ) -> Answer:
        """Answer from the current snapshot of the index (``context``: the answer before, for
        a follow-up)."""
        return self._responder.ask(question, max_chars, context)

    def _swap(self, index: SearchIndex) -> None:
        """Make ``index`` the one questions are answered from (one reference assignment)."""
        self._responder = responder_for(self.config, index)
        self._dirty.set()
        if self._compile:
            self.compile_scoring()  # the index may have grown past the size for it

    def add(self, articles: Iterable[Article], update: bool = False) -> AddResult:
        """Store articles and make them answerable at once (with ``update``, a changed version
        of a stored article replaces it). The files are written while the articles are
        tokenised; only the ones written reach the index."""
        with self._writing():
            self._catch_up()
            articles, near = self._without_near_duplicates(list(articles))
            free = bulk.fingerprint(articles, self.tokenizer, self.params)
            fresh, duplicates = self.corpus.plan(articles, update)
            duplicates = duplicates + near
            if not fresh:
                return AddResult((), duplicates)
            replacing = {a.id for a in fresh if a.id in self.corpus}
            with ThreadPoolExecutor(1, thread_name_prefix="corpus-commit") as pool:
                writing = pool.submit(self.corpus.commit, fresh)
                tokenise = partial(bulk.tokenise, free=free)
                index = self.index.updated(added=fresh, tokenise=tokenise)
                try:
                    added = writing.result()
                except CorpusError:
                    unwritten = [a.id for a in fresh if a.id not in self.corpus]
                    self._swap(index.updated(removed=unwritten))
                    raise
            index.relink(added)
            self._swap(index)
            self._folder_stamp = self._stamp()
        self._release(force=len(fresh) >= RELEASE_AFTER_ARTICLES)
        new = tuple(a for a in added if a.id not in replacing)
        self._arrived(list(new))
        return AddResult(new, duplicates, tuple(a for a in added if a.id in replacing))

    def import_data(
        self, name: str, data: bytes, year: int | None = None, source: str | None = None
    ) -> tuple[AddResult, ImportReport]:
        """Parse an uploaded or local file and add its articles."""
        report = parse_import(name, data, year=year, source=source)
        return self.add(report.articles), report

    def import_file(
        self, path: Path, year: int | None = None, source: str | None = None
    ) -> tuple[AddResult, ImportReport]:
        """Import one file from disk."""
        try:
            check_size(path.name, path.stat().st_size)
            data = path.read_bytes()
        except FileNotFoundError:
            raise CorpusError(f"找不到文件 {path}") from None
        except IsADirectoryError:
            raise CorpusError(f"{path} 是目录，不是文件") from None
        except OSError as exc:
            raise CorpusError(f"无法读取 {path}：{os_reason(exc)}") from None
        return self.import_data(path.name, data, year=year, source=source)

    def _without_near_duplicates(
        self, articles: list[Article]
    ) -> tuple[list[Article], tuple[tuple[Article, str], ...]]:
        """``articles`` less those nearly repeating a stored one (with its id). Checked for
        pushes and feeds, a few articles at a time; a bulk import relies on the exact
        fingerprint (a search per article would cost it minutes)."""
        if len(articles) > NEAR_CHECK_MAX:
            return articles, ()
        kept, near = [], []
        for article in articles:
            other = None if article.id in self.corpus else near_duplicate(self.index, article)
            if other is None:
                kept.append(article)
            else:
                near.append((article, other))
        return kept, tuple(near)

    def _release(self, force: bool = False) -> None:
        """Hand the memory a change freed back to the system (each push leaves a snapshot's
        arrays behind; without this the heap keeps them), at most once per RELEASE_SECONDS
        unless ``force``."""
        now = time.monotonic()
        if force or now - self._released_at >= RELEASE_SECONDS:
            self._released_at = now
            release_free_memory()

    def import_url(self, url: str) -> tuple[AddResult, ImportReport]:
        """Fetch the page at ``url`` and store its article; a changed page updates it."""
        web = self.config.web
        with new_client(web.timeout_seconds) as client:
            article = page_article(url, client, web.max_page_bytes)
        return self.add([article], update=True), ImportReport((article,))

    @property
    def feeds(self) -> FeedStore:
        """The feeds and column pages this corpus follows (state under the data dir)."""
        return FeedStore(self.state_dir / "feeds.json")

    def follow(self, url: str, name: str | None = None) -> Feed:
        """Follow ``url`` as a feed or, when it is an HTML page, as a column page."""
        web = self.config.web
        with new_client(web.timeout_seconds) as client:
            kind = detect_kind(url, client, web.max_page_bytes)
        return self.feeds.add(url, name, kind)

    def poll_feeds(self) -> list[PollReport]:
        """Poll every feed that is due once, importing what is new (changed pages update)."""
        web = self.config.web
        with new_client(web.timeout_seconds) as client:
            return poll(
                self.feeds,
                lambda articles: self.add(articles, update=True),
                client,
                web.max_page_bytes,
                web.max_entries_per_poll,
            )

    def delete(self, article_id: str) -> Article:
        """Remove an article; it is no longer answered from."""
        with self._writing():
            self._catch_up()
            article = self.corpus.delete(article_id)
            self._swap(self.index.updated(removed=[article.id]))
            self._folder_stamp = self._stamp()
        self._release()
        return article

    def reload(self) -> list[str]:
        """Re-read the corpus folder after edits on disk; returns the problems found."""
        with self._writing():
            self.corpus.reload()
            self._swap(self.index.synced(self.corpus.articles, bulk.tokenise))
            self._folder_stamp = self._stamp()
        return list(self.corpus.problems)
