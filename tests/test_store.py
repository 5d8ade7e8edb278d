import json
import logging
import os
import time

import pytest

from newsbot.corpus import Corpus
from newsbot.corpus import store as store_module
from newsbot.corpus.article import Article, collection_digest, to_markdown
from newsbot.corpus.store import atomic_write
from newsbot.errors import CorpusError


def _article(n: int, body: str | None = None) -> Article:
    return Article(id=f"t{n}", title=f"标题{n}", body=body or f"第{n}篇的正文。")


def test_add_get_delete(tmp_path):
    corpus = Corpus(tmp_path / "c")
    result = corpus.add([_article(1), _article(2)])
    assert [a.id for a in result.added] == ["t1", "t2"]
    assert (tmp_path / "c" / "t1.md").exists()
    assert Corpus(tmp_path / "c").get("t2") == _article(2)
    corpus.delete("t1")
    assert not (tmp_path / "c" / "t1.md").exists()
    with pytest.raises(CorpusError, match="t1"):
        corpus.get("t1")
    assert [a.id for a in corpus.add([_article(1)]).added] == ["t1"]


def test_duplicates_by_id_or_content_are_not_stored_twice(tmp_path):
    corpus = Corpus(tmp_path)
    corpus.add([_article(1)])
    same_content = Article(id="other", title="标题1", body="第1篇的正文。")
    same_id = Article(id="t1", title="别的", body="别的正文。")
    result = corpus.add([same_content, same_id, _article(2), _article(2)])
    assert [a.id for a in result.added] == ["t2"]
    assert [existing for _, existing in result.duplicates] == ["t1", "t1", "t2"]
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["t1.md", "t2.md"]


def test_broken_files_on_disk_are_skipped_and_reported(tmp_path):
    (tmp_path / "good.md").write_text(to_markdown(_article(1)), encoding="utf-8")
    (tmp_path / "bad.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    corpus = Corpus(tmp_path)
    assert [a.id for a in corpus.articles] == ["t1"]
    assert any("bad.md" in p for p in corpus.problems)


def test_articles_are_newest_first(tmp_path):
    corpus = Corpus(tmp_path)
    corpus.add(
        [
            Article(id="old", title="旧", body="旧文。", date="2019-01-01"),
            Article(id="none", title="无日期", body="无日期。"),
            Article(id="new", title="新", body="新文。", date="2020-05-15"),
        ]
    )
    assert [a.id for a in corpus.articles] == ["new", "old", "none"]


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "a.md"
    atomic_write(path, "old")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_a_large_import_syncs_once_not_once_per_file(tmp_path, monkeypatch):
    if store_module._syncfs() is None:
        pytest.skip("no syncfs here: each file is fsynced")
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd) or real(fd))
    articles = [_article(n) for n in range(store_module.SYNC_ONCE_FROM)]
    corpus = Corpus(tmp_path / "c")
    assert len(corpus.add(articles).added) == len(articles)
    assert len(synced) <= 1  # the folder, for the renames
    stored = sorted(Corpus(tmp_path / "c").articles, key=lambda a: a.id)
    assert stored == sorted(articles, key=lambda a: a.id)
    assert [p.name for p in (tmp_path / "c").iterdir() if p.suffix == ".tmp"] == []


def test_a_failed_file_of_a_large_import_leaves_the_others_and_no_temporary(tmp_path, monkeypatch):
    real = os.replace

    def replace(source, target):
        if str(target).endswith("t7.md"):
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)
    articles = [_article(n) for n in range(store_module.SYNC_ONCE_FROM)]
    corpus = Corpus(tmp_path / "c")
    with pytest.raises(CorpusError, match="写入文章失败"):
        corpus.add(articles)
    assert "t7" not in corpus and "t6" in corpus and len(corpus) == len(articles) - 1
    names = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert names == sorted(f"{a.id}.md" for a in articles if a.id != "t7")


def test_unchanged_files_come_from_the_cache_and_edits_are_seen(tmp_path, monkeypatch):
    root, cache = tmp_path / "c", tmp_path / "cache.json"
    store = Corpus(root, cache)
    store.add(
        [Article(id="a", title="甲", body="第一篇。"), Article(id="b", title="乙", body="第二篇。")]
    )
    Corpus(root, cache)  # writes the cache
    parsed = []
    real = store_module.parse_markdown
    monkeypatch.setattr(store_module, "parse_markdown", lambda t, w: parsed.append(w) or real(t, w))
    again = Corpus(root, cache)
    assert parsed == [] and sorted(a.id for a in again.articles) == ["a", "b"]
    (root / "a.md").write_text("---\nid: a\ntitle: 甲改\n---\n改过的正文，长了一些。\n", "utf-8")
    (root / "b.md").unlink()
    edited = Corpus(root, cache)
    assert [a.title for a in edited.articles] == ["甲改"] and len(parsed) == 1
    cache.write_text("{broken", "utf-8")
    assert [a.title for a in Corpus(root, cache).articles] == ["甲改"]


def _cache_data(cache) -> dict:
    return json.loads(cache.read_bytes().partition(b"\n")[2])


def test_a_cache_that_fails_its_checksum_is_not_trusted(tmp_path, caplog):
    root, cache = tmp_path / "c", tmp_path / "cache.json"
    Corpus(root, cache).add([Article(id="a", title="甲", body="第一篇。")])
    Corpus(root, cache)  # writes the cache
    damaged = cache.read_bytes().replace("甲".encode(), "乙".encode())
    cache.write_bytes(damaged)
    with caplog.at_level(logging.WARNING):
        assert Corpus(root, cache).get("a").title == "甲"
    assert "checksum" in caplog.text
    assert "甲" in json.dumps(_cache_data(cache), ensure_ascii=False)  # rewritten whole


def test_an_unchanged_folder_is_matched_whole_and_any_change_file_by_file(tmp_path, monkeypatch):
    root, cache = tmp_path / "c", tmp_path / "cache.json"
    store = Corpus(root, cache)
    store.add([Article(id=f"a{n}", title=f"第{n}篇", body=f"正文{n}。") for n in range(30)])
    store.save_cache()  # in the folder's order, though the files were written in another
    looked_up = []
    real = store_module._from_cache
    monkeypatch.setattr(store_module, "_from_cache", lambda *a: looked_up.append(a) or real(*a))
    again = Corpus(root, cache)
    assert looked_up == [] and len(again) == 30 and again.digest == store.digest
    again.delete("a0")  # a change after a start that matched the cache whole
    again.save_cache()
    assert len(Corpus(root, cache)) == 29 and looked_up == []
    (root / "x.md").write_text("---\nid: x\ntitle: 新\n---\n手写的一篇。\n", "utf-8")
    added = Corpus(root, cache)
    assert len(looked_up) == 30 and added.get("x").title == "新"
    assert added.digest != again.digest
    looked_up.clear()
    assert len(Corpus(root, cache)) == 30 and looked_up == []  # the cache was brought up to date


def test_a_file_removed_while_the_folder_is_read_is_skipped(tmp_path, monkeypatch):
    root = tmp_path / "c"
    Corpus(root).add([Article(id=i, title=i, body=f"正文{i}。") for i in ("a", "b")])
    real = store_module._stat_all

    def racing(folder, names):
        (folder / "a.md").unlink(missing_ok=True)
        return real(folder, names)

    monkeypatch.setattr(store_module, "_stat_all", racing)
    assert [a.id for a in Corpus(root).articles] == ["b"]


def test_the_collection_digest_follows_adds_and_deletes(tmp_path):
    store = Corpus(tmp_path / "c", tmp_path / "cache.json")
    empty = store.digest  # worked out now, then only stepped by each change
    store.add([Article(id="a", title="甲", body="第一篇。")])
    one = store.digest
    store.add(
        [Article(id="b", title="乙", body="第二篇。"), Article(id="c", title="丙", body="三。")]
    )
    assert len({empty, one, store.digest}) == 3
    assert store.digest == collection_digest(store.articles)
    store.delete("b")
    store.delete("c")
    assert store.digest == one == collection_digest(store.articles)
    assert Corpus(tmp_path / "c").digest == one  # computed from the files, no cache


def test_leftovers_of_an_interrupted_write_are_reported_and_removed(tmp_path, caplog):
    root = tmp_path / "c"
    Corpus(root).add([Article(id="a", title="甲", body="第一篇。")])
    leftover = root / ".a.md.x1y2.tmp"
    leftover.write_text("---\ntitle: 半", "utf-8")
    with caplog.at_level(logging.INFO):
        assert len(Corpus(root)) == 1
    assert leftover.exists() and "interrupted" in caplog.text
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    Corpus(root)
    assert not leftover.exists()


def test_cached_articles_read_their_body_from_the_file_only_when_asked(tmp_path, monkeypatch):
    root, cache = tmp_path / "c", tmp_path / "cache.json"
    original = Article(id="a", title="甲", body="第一篇的正文。\n\n第二段。", date="2020-05-01")
    Corpus(root, cache).add([original])
    Corpus(root, cache)  # writes the cache
    assert "第一篇的正文" not in cache.read_text("utf-8")  # bodies stay in the article files
    parsed, read = [], []
    real, body = store_module.parse_markdown, store_module.markdown_body
    monkeypatch.setattr(store_module, "parse_markdown", lambda t, w: parsed.append(w) or real(t, w))
    monkeypatch.setattr(store_module, "markdown_body", lambda t, w: read.append(w) or body(t, w))
    cached = Corpus(root, cache).get("a")
    assert parsed == [] and cached.digest == original.digest
    assert cached.fingerprint == original.fingerprint
    assert cached.body == original.body and len(read) == 1 and parsed == []
    assert cached == original and original == cached and hash(cached) == hash(original)
    assert cached.paragraphs == ["第一篇的正文。", "第二段。"]


def test_answers_without_constraints_read_no_article_file(config, tokenizer, monkeypatch):
    """Questions are answered from the index's passages: an article's file is read only to
    check a constraint (a place, a date) against its whole text."""
    from newsbot.engine import Engine

    Engine(config, tokenizer)  # writes the corpus cache
    engine = Engine(config, tokenizer)
    read = []
    body = store_module.markdown_body
    monkeypatch.setattr(store_module, "markdown_body", lambda t, w: read.append(w) or body(t, w))
    answer = engine.ask("谁到烟厂空气质量监测站点督导？")
    assert answer.found and read == []


def test_a_cached_article_whose_file_vanished_says_so(tmp_path):
    root, cache = tmp_path / "c", tmp_path / "cache.json"
    Corpus(root, cache).add([Article(id="a", title="甲", body="第一篇。")])
    Corpus(root, cache)
    cached = Corpus(root, cache).get("a")
    (root / "a.md").unlink()
    with pytest.raises(CorpusError, match="无法读取"):
        _ = cached.body


@pytest.mark.parametrize("backwards", [False, True])
def test_two_files_with_one_id_keep_the_first_by_name_and_report_the_other(
    tmp_path, monkeypatch, backwards
):
    """Whatever order the folder lists them in (both orders forced here)."""
    listing = Corpus._listing
    monkeypatch.setattr(Corpus, "_listing", lambda self: sorted(listing(self), reverse=backwards))
    root, cache = tmp_path / "c", tmp_path / "cache.json"
    root.mkdir()
    for name, title in [("zz.md", "后"), ("aa.md", "先"), ("mm.md", "中")]:
        (root / name).write_text(f"---\nid: same\ntitle: {title}\n---\n正文{title}。\n", "utf-8")
    for _ in range(2):  # parsed, then from the cache
        store = Corpus(root, cache)
        assert [a.title for a in store.articles] == ["先"]
        assert sorted(p.split("：")[0] for p in store.problems) == [
            str(root / "mm.md"),
            str(root / "zz.md"),
        ]
