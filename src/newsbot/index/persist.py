"""The index saved under the data dir, so that a restart neither re-tokenises nor rebuilds.

A snapshot is a folder of numpy arrays (memory-mapped on load) and JSON, named by a ``CURRENT``
file that is replaced atomically once the folder is complete. Its manifest records what the index
depends on (format version, tokenizer signature, parameters) and a checksum of every file; a
snapshot that does not match or does not verify is ignored and rebuilt, never trusted. Articles
added, changed or removed since the snapshot are applied as an update on load.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import orjson

from newsbot import checksum
from newsbot.corpus.article import Article, digest_text, parse_digest
from newsbot.corpus.store import atomic_write
from newsbot.index.bm25 import (
    SEGMENT_ARRAYS,
    BM25Okapi,
    Segment,
    SortedTerms,
    Stats,
    Vocabulary,
)
from newsbot.index.passages import StoredPassages
from newsbot.index.search import (
    IndexParams,
    SearchIndex,
    Tokenise,
    indexed_terms,
    tokenise_serially,
)
from newsbot.text.tokenizer import Tokenizer

log = logging.getLogger(__name__)
FORMAT = 10
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
STATS_ARRAYS = ("doc_freq", "doc_len", "alive")
# Document lengths are whole token counts: saved as such (half the bytes), scored as floats.
LENGTH_ON_DISK = np.uint32


HASHERS = max(2, os.cpu_count() or 1)


class CacheError(Exception):
    """A saved index that cannot be used (missing, damaged, or made with other settings)."""


def _expected(index_or_tokenizer: Tokenizer, params: IndexParams) -> dict[str, object]:
    return {
        "format": FORMAT,
        "tokenizer": index_or_tokenizer.signature,
        "params": dataclasses.asdict(params),
    }


def save(index: SearchIndex, folder: Path) -> Path:
    """Write ``index`` as a new snapshot under ``folder`` and make it the current one; a save
    that fails (a full disk) leaves no partial snapshot behind."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    snap = Path(tempfile.mkdtemp(prefix="snap-", dir=folder))
    try:
        return _write(index, folder, snap)
    except BaseException:
        shutil.rmtree(snap, ignore_errors=True)
        raise


def _write(index: SearchIndex, folder: Path, snap: Path) -> Path:
    bm25 = index.bm25
    files: dict[str, np.ndarray] = {name: getattr(bm25.stats, name) for name in STATS_ARRAYS}
    files["doc_len"] = files["doc_len"].astype(LENGTH_ON_DISK)
    for n, segment in enumerate(bm25.segments):
        files.update({f"s{n}.{k}": v for k, v in segment.arrays().items()})
    names = sorted({p.article_id for p in index.passages})
    number = {name: i for i, name in enumerate(names)}
    texts = [p.text.encode("utf-8") for p in index.passages]
    files["passage_offsets"] = np.cumsum([0, *map(len, texts)], dtype=np.int64)
    files["passage_articles"] = np.array([number[p.article_id] for p in index.passages], np.int32)
    files["passage_positions"] = np.array([p.position for p in index.passages], np.int32)
    articles = list(index.articles.values())
    spans = [index.spans[a.id] for a in articles]
    files["article_spans"] = np.array(spans, np.int64).reshape(len(articles), 2)
    for name, array in files.items():
        np.save(snap / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
    (snap / "passages.bin").write_bytes(b"".join(texts))
    sorted_terms, order = bm25.vocab.sorted()
    (snap / "vocab.bin").write_bytes(sorted_terms.blob)
    np.save(snap / "vocab_order.npy", order, allow_pickle=False)
    (snap / "names.json").write_bytes(orjson.dumps(names))
    table = {  # columns: a restart reads 250,000 articles twice as fast as one record each
        "ids": [a.id for a in articles],
        "digests": [a.digest for a in articles],
        "titles": [a.title for a in articles],
    }
    (snap / "articles.json").write_bytes(orjson.dumps(table))
    for path in snap.iterdir():  # the owner's only, like the folder they are in
        path.chmod(0o600)
    manifest = {
        **_expected(index.tokenizer, index.params),
        "segments": [[s.start, s.n_docs, s.avgdl] for s in bm25.segments],
        "n_alive": bm25.n_alive,
        "total_len": bm25.stats.total_len,
        "digest": digest_text(index.digest),
        "files": {p.name: checksum.of_file(p) for p in sorted(snap.iterdir())},
    }
    body = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS)
    signed = {"manifest": manifest, checksum.ALGORITHM: checksum.of_bytes(body)}
    atomic_write(snap / MANIFEST, orjson.dumps(signed), mode=0o600)
    atomic_write(folder / CURRENT, snap.name, mode=0o600)
    for old in folder.glob("snap-*"):
        if old != snap:
            shutil.rmtree(old, ignore_errors=True)
    log.info("saved index snapshot %s (%d passages)", snap, bm25.n_alive)
    return snap


def _read_manifest(folder: Path, tokenizer: Tokenizer, params: IndexParams) -> tuple[Path, dict]:
    try:
        snap = folder / (folder / CURRENT).read_text(encoding="utf-8").strip()
        signed = orjson.loads((snap / MANIFEST).read_bytes())
        manifest = signed["manifest"]
        body = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CacheError(f"no readable snapshot ({exc.__class__.__name__})") from None
    if signed.get(checksum.ALGORITHM) != checksum.of_bytes(body):  # its own fields too
        raise CacheError("checksum mismatch in the manifest")
    expected = _expected(tokenizer, params)
    stale = [k for k, v in expected.items() if manifest.get(k) != v]
    if stale:
        raise CacheError(f"made with other settings: {', '.join(stale)}")
    files = manifest.get("files", {})
    on_disk = {p.name for p in snap.iterdir() if p.name != MANIFEST}
    if set(files) != on_disk:
        raise CacheError("files missing or unexpected")
    names = sorted(files, key=lambda name: -_size(snap / name))  # the largest first
    with ThreadPoolExecutor(HASHERS) as pool:  # hashing releases the GIL: all cores help
        sums = pool.map(lambda name: checksum.of_file(snap / name), names)
        digests = dict(zip(names, sums, strict=True))
    for name, digest in files.items():
        if digests[name] != digest:
            raise CacheError(f"checksum mismatch in {name}")
    return snap, manifest


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise CacheError(f"unreadable {path.name}: {exc}") from None


def _array(snap: Path, name: str) -> np.ndarray:
    try:
        mapped = np.load(snap / f"{name}.npy", mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CacheError(f"unreadable array {name}: {exc}") from None
    return mapped.view(np.ndarray)  # a plain array on the mapped pages (memmap's methods are slow)


def load(
    folder: Path,
    articles: Iterable[Article] | dict[str, Article],
    tokenizer: Tokenizer,
    params: IndexParams,
    tokenise: Tokenise = tokenise_serially,
    digest: int | None = None,
) -> tuple[SearchIndex, bool]:
    """The saved index brought up to date with ``articles`` (or a dict of them by id, which the
    index then keeps as its own: pass a copy), and whether that changed it; CacheError when the
    snapshot cannot be used. ``digest``, the articles' ``collection_digest`` if known, spares
    checking them one by one when it matches."""
    snap, manifest = _read_manifest(folder, tokenizer, params)
    try:
        segments = tuple(
            Segment(
                int(start),
                int(size),
                *(_array(snap, f"s{n}.{a}") for a in SEGMENT_ARRAYS),
                avgdl=float(avgdl),
            )
            for n, (start, size, avgdl) in enumerate(manifest["segments"])
        )
        doc_freq, doc_len, alive = (np.array(_array(snap, name)) for name in STATS_ARRAYS)
        stats = Stats(
            doc_freq,
            doc_len.astype(np.float64),
            alive,
            n_alive=int(manifest["n_alive"]),
            total_len=float(manifest["total_len"]),
        )
        terms = SortedTerms((snap / "vocab.bin").read_bytes())
        order = _array(snap, "vocab_order")
        if len(order) != len(terms) or (
            len(order) and not 0 <= order.min() <= order.max() < len(order)
        ):
            raise CacheError("vocabulary order does not match its terms")
        vocab = Vocabulary(sorted_terms=terms, order=order)
        names = orjson.loads((snap / "names.json").read_bytes())
        text = snap / "passages.bin"
        blob = np.memmap(text, mode="r").view(np.ndarray) if _size(text) else b""
        passages = StoredPassages(
            blob,
            _array(snap, "passage_offsets"),
            _array(snap, "passage_articles"),
            _array(snap, "passage_positions"),
            names,
        )
        table = orjson.loads((snap / "articles.json").read_bytes())
        ids, digests, titles = table["ids"], table["digests"], table["titles"]
        bounds = _array(snap, "article_spans")
        if bounds.shape != (len(ids), 2) or not len(ids) == len(digests) == len(titles):
            raise CacheError("the article table's columns differ in length")
        starts, ends = bounds[:, 0].tolist(), bounds[:, 1].tolist()
    except (KeyError, TypeError, ValueError) as exc:
        raise CacheError(f"malformed snapshot: {exc}") from None
    if len(passages) != len(stats.doc_len) or len(stats.doc_freq) > len(vocab):
        raise CacheError("arrays do not agree with each other")
    bm25 = BM25Okapi(vocab, segments, stats, params.k1, params.b, params.epsilon)
    current = articles if isinstance(articles, dict) else {a.id: a for a in articles}
    saved_digest = parse_digest(manifest.get("digest"))
    if digest is not None and digest == saved_digest:
        spans = dict(zip(ids, zip(starts, ends, strict=True), strict=True))
        return SearchIndex.restore(tokenizer, params, bm25, passages, current, spans, digest), False
    kept: dict[str, Article] = {}
    spans: dict[str, tuple[int, int]] = {}
    gone: list[int] = []
    documents: list[np.ndarray] = []
    rows = zip(ids, digests, starts, ends, titles, strict=True)
    for article_id, saved, start, end, title in rows:
        article = current.get(article_id)
        if article is not None and article.digest == saved:
            kept[article_id] = article
            spans[article_id] = (start, end)
        else:
            gone += range(start, end)
            documents += indexed_terms(tokenizer, vocab, title, passages[start:end])
    bm25 = bm25.remove(gone, documents)
    index = SearchIndex.restore(tokenizer, params, bm25, passages, kept, spans)
    added = [a for i, a in current.items() if i not in kept] if len(kept) < len(current) else []
    if not added and not gone:  # saved again only if its digest was missing or stale
        return index, index.digest != saved_digest
    log.info("index snapshot: %d articles to add, %d passages to drop", len(added), len(gone))
    return index.updated(added=added, tokenise=tokenise), True
