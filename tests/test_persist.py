"""The saved index: a restart answers like a fresh build; a damaged or stale cache is rebuilt."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import orjson
import pytest

from newsbot import checksum
from newsbot.corpus.article import Article, content_fingerprint
from newsbot.engine import Engine
from newsbot.index import bulk, persist
from newsbot.index.search import IndexParams, SearchIndex, tokenise_serially
from newsbot.text.tokenizer import Tokenizer

QUESTIONS = ["谁到烟厂空气质量监测站点督导？", "区总工会表彰了多少名先进个人？", "管城区复工复产"]


def answers(engine: Engine) -> list[tuple]:
    return [(a.answer, a.found, [s.id for s in a.sources]) for a in map(engine.ask, QUESTIONS)]


def ranking(index: SearchIndex, tokenizer: Tokenizer, text: str) -> list[tuple[str, float]]:
    hits = index.search(tokenizer.tokens(text), 20)
    assert [h.article_id for h in hits] == [h.passage.article_id for h in hits]
    return [(h.passage.id, round(h.score, 9)) for h in hits]


def test_restart_loads_the_saved_index_without_tokenising(config, tokenizer, monkeypatch):
    first = Engine(config, tokenizer)
    expected = answers(first)
    assert (config.state_dir / "index" / persist.CURRENT).exists()
    tokenised: list[str] = []
    real = bulk.tokenise

    def counting(articles, *args):
        tokenised.extend(a.id for a in articles)
        return real(articles, *args)

    monkeypatch.setattr(bulk, "tokenise", counting)
    second = Engine(config, tokenizer)
    assert tokenised == []
    assert answers(second) == expected
    (config.corpus_dir / "new.md").write_text("---\nid: new\ntitle: 新文章\n---\n正文。\n", "utf-8")
    Engine(config, tokenizer)
    assert tokenised == ["new"], "only the article added on disk is tokenised"


class CountingDict(dict):
    """A mapping that counts the articles looked up one by one."""

    looked_up = 0

    def get(self, key, default=None):
        self.looked_up += 1
        return super().get(key, default)


def test_a_matching_collection_digest_spares_checking_articles_one_by_one(config, tokenizer):
    engine = Engine(config, tokenizer)
    folder, articles = config.state_dir / "index", CountingDict(engine.corpus.by_id())
    loaded, changed = persist.load(folder, articles, tokenizer, engine.params, digest=0)
    assert not changed and articles.looked_up == len(articles)
    articles.looked_up = 0
    matched, changed = persist.load(
        folder, articles, tokenizer, engine.params, digest=engine.corpus.digest
    )
    assert not changed and articles.looked_up == 0
    assert matched.articles == loaded.articles and matched.spans == loaded.spans
    for q in QUESTIONS:
        assert ranking(matched, tokenizer, q) == ranking(loaded, tokenizer, q)


def test_a_snapshot_without_a_valid_digest_is_saved_again_once(config, tokenizer):
    Engine(config, tokenizer)
    folder = config.state_dir / "index"
    manifest_path = folder / (folder / persist.CURRENT).read_text().strip() / persist.MANIFEST
    _edit_manifest(manifest_path, lambda m: m.pop("digest"))  # as before the digest existed
    articles = CountingDict(Engine(config, tokenizer).corpus.by_id())  # checks, then saves again
    _, changed = persist.load(folder, articles, tokenizer, IndexParams(), digest=0)
    assert not changed and articles.looked_up == len(articles)
    articles.looked_up = 0
    engine = Engine(config, tokenizer)
    persist.load(folder, articles, tokenizer, engine.params, digest=engine.corpus.digest)
    assert articles.looked_up == 0


def test_changes_on_disk_since_the_save_are_applied(config, tokenizer):
    Engine(config, tokenizer)
    files = sorted(config.corpus_dir.glob("*.md"))
    files[0].unlink()
    text = files[1].read_text("utf-8").replace("。", "，新增的句子提到了紫荆山公园。", 1)
    files[1].write_text(text, "utf-8")
    restarted = Engine(config, tokenizer)
    fresh = SearchIndex(restarted.corpus.articles, tokenizer, restarted.params)
    for q in [*QUESTIONS, "紫荆山公园"]:
        assert ranking(restarted.index, tokenizer, q) == ranking(fresh, tokenizer, q)
    assert set(restarted.index.articles) == {a.id for a in restarted.corpus.articles}


def _edit_manifest(path, edit) -> None:
    """Change a snapshot's manifest and sign it again, as a writer would have."""
    signed = json.loads(path.read_text())
    edit(signed["manifest"])
    body = orjson.dumps(signed["manifest"], option=orjson.OPT_SORT_KEYS)
    signed[checksum.ALGORITHM] = checksum.of_bytes(body)
    path.write_text(json.dumps(signed))


@pytest.mark.parametrize(
    "damage", ["truncate", "flip", "manifest", "current", "extra", "table", "field"]
)
def test_a_damaged_cache_is_rebuilt_not_trusted(config, tokenizer, caplog, damage):
    expected = answers(Engine(config, tokenizer))
    folder = config.state_dir / "index"
    snap = folder / (folder / persist.CURRENT).read_text().strip()
    target = snap / "s0.docs.npy"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-7])
    elif damage == "flip":
        data = bytearray(target.read_bytes())
        data[-1] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "manifest":
        (snap / persist.MANIFEST).write_text("{not json")
    elif damage == "current":
        (folder / persist.CURRENT).write_text("snap-missing")
    elif damage == "table":  # checksums that agree, columns that do not (a writer's bug)
        table = json.loads((snap / "articles.json").read_text())
        table["digests"].pop()
        (snap / "articles.json").write_text(json.dumps(table))
        digest = checksum.of_file(snap / "articles.json")
        _edit_manifest(
            snap / persist.MANIFEST, lambda m: m["files"].update({"articles.json": digest})
        )
    elif damage == "field":  # one digit of the manifest's own numbers, its checksum not redone
        signed = json.loads((snap / persist.MANIFEST).read_text())
        signed["manifest"]["total_len"] += 1
        (snap / persist.MANIFEST).write_text(json.dumps(signed))
    else:
        (snap / "stray.npy").write_bytes(b"x")
    with caplog.at_level(logging.INFO):
        engine = Engine(config, tokenizer)
    assert "building the index" in caplog.text
    assert damage != "table" or "article table" in caplog.text
    assert answers(engine) == expected
    persist.load(folder, engine.corpus.articles, tokenizer, engine.params)  # rebuilt and saved


def test_other_settings_invalidate_the_cache(config, tokenizer, tmp_path):
    engine = Engine(config, tokenizer)
    folder = config.state_dir / "index"
    articles = engine.corpus.articles
    with pytest.raises(persist.CacheError, match="params"):
        persist.load(folder, articles, tokenizer, IndexParams(k1=1.2))
    stop = Tokenizer(config.userdict, {*tokenizer.stopwords, "督导"}, tokenizer.synonyms)
    with pytest.raises(persist.CacheError, match="tokenizer"):
        persist.load(folder, articles, stop, engine.params)
    userdict = tmp_path / "userdict.txt"
    userdict.write_text(config.userdict.read_text("utf-8") + "紫荆山公园 9000 ns\n", "utf-8")
    other = Tokenizer(userdict, tokenizer.stopwords, tokenizer.synonyms)
    with pytest.raises(persist.CacheError, match="tokenizer"):
        persist.load(folder, articles, other, engine.params)


def test_saved_scores_equal_the_live_ones_after_updates(config, tokenizer, tmp_path):
    engine = Engine(config, tokenizer)
    engine.add([Article(id="n1", title="新增文章", body="6月1日，管城区举办非遗文化节。")])
    engine.delete(engine.corpus.articles[-1].id)
    folder = tmp_path / "cache"
    persist.save(engine.index, folder)
    loaded, changed = persist.load(folder, engine.corpus.articles, tokenizer, engine.params)
    assert not changed
    for q in [*QUESTIONS, "非遗文化节"]:
        assert ranking(loaded, tokenizer, q) == ranking(engine.index, tokenizer, q)
    assert np.array_equal(loaded.bm25.stats.doc_freq, engine.index.bm25.stats.doc_freq)


def test_the_fast_segmenter_gives_jiebas_tokens(engine, tokenizer):
    assert tokenizer.fast
    reference = Tokenizer(
        tokenizer._userdict_path, tokenizer.stopwords, tokenizer.synonyms, fast=False
    )
    texts = [p.text for p in engine.index.passages] + [
        "jean-pierre在7-6、6-2获胜，PM2.5浓度为35μg/m³，zh-hans与zh-hant。",
        "Ｎｅｘｏｎ时隔6年再次授予盛大网络游戏运营权；ひらがな와한국어混排，C++与C#、AT&T占比12.5%。",
        "管城回族区总工会召开表彰大会，张艳敏到烟厂空气质量监测站点督导",
    ]
    for text in texts:
        assert tokenizer.tokens(text) == reference.tokens(text), text
        assert tokenizer.words(text) == reference.words(text), text


@pytest.mark.parametrize("words", [("管城区", "会议"), ("郑州市", "讲座")])
def test_parallel_tokenising_equals_serial(tokenizer, monkeypatch, words):
    """Workers keep their vocabulary from batch to batch of one import and start a new one for
    the next import (the pool outlives it): the same terms either way."""
    place, event = words
    articles = [
        Article(
            id=f"p{n}",
            title=f"第{n}篇：{place}{event}",
            body=f"{n}月{n}日，{place}召开第{n}次{event}，到会{n * 7}人。" * 30,
        )
        for n in range(1, 13)
    ]
    monkeypatch.setattr(bulk, "PARALLEL_MIN_CHARS", 1)
    monkeypatch.setattr(bulk, "BATCH_CHARS", 2000)
    monkeypatch.setattr(bulk, "workers", lambda: 2)
    monkeypatch.setattr(bulk.CoreWatch, "free", lambda self, cores: float(cores))
    parallel = SearchIndex(articles, tokenizer, tokenise=bulk.tokenise)
    serial = SearchIndex(articles, tokenizer, tokenise=tokenise_serially)
    assert [p.id for p in parallel.passages] == [p.id for p in serial.passages]
    assert [sorted(d) for d in parallel.bm25.documents()] == [
        sorted(d) for d in serial.bm25.documents()
    ]
    for q in [f"第3次{event}", place, "5月5日"]:
        assert ranking(parallel, tokenizer, q) == ranking(serial, tokenizer, q)


def _meetings(n: int) -> list[Article]:
    return [
        Article(
            id=f"m{k}",
            title=f"第{k}篇",
            body=f"{k}月{k}日，管城区召开第{k}次会议，到会{k * 3}人。" * 20,
        )
        for k in range(1, n + 1)
    ]


@pytest.mark.parametrize("free", [2.0, 0.4])
def test_a_large_import_fingerprints_in_the_workers_when_cores_are_free(
    config, tokenizer, monkeypatch, caplog, free
):
    """Past the first articles (worked out here while the cores are watched), a large import's
    fingerprints come from the worker processes when the cores are free — each the one worked
    out here, so a repost under another title and byline is still a duplicate — and none do
    when they are busy, where the articles are also tokenised here, without a second watch."""
    engine = Engine(config, tokenizer)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_CHARS", 1)
    monkeypatch.setattr(bulk, "WATCH_SECONDS", 0)
    monkeypatch.setattr(bulk, "workers", lambda: 2)
    watched: list[int] = []

    def reading(self, cores: int) -> float:
        watched.append(cores)
        return free

    monkeypatch.setattr(bulk.CoreWatch, "free", reading)
    given: dict[str, str] = {}
    real = bulk.remember_fingerprint

    def remember(article: Article, value: str) -> None:
        given[article.id] = value
        real(article, value)

    monkeypatch.setattr(bulk, "remember_fingerprint", remember)
    articles = _meetings(30)
    repost = Article(
        id="again", title="另一个标题", body="本报讯（记者 张三）\n\n" + articles[4].body
    )
    with caplog.at_level(logging.INFO, logger="newsbot.index.bulk"):
        result = engine.add([*articles, repost])
    assert [(a.id, other) for a, other in result.duplicates] == [("again", "m5")]
    assert {a.id for a in result.added} == {a.id for a in articles}
    assert len(watched) == 1, "the cores are watched once for both steps"
    if free >= bulk.PARALLEL_MIN_FREE_CORES:
        fresh = {a.id: a.body for a in [*articles, repost]}
        assert len(given) == len(fresh) - 1  # all but the one worked out while watching
        assert all(value == content_fingerprint(fresh[i]) for i, value in given.items())
    else:
        assert given == {}
        assert "tokenising on one core" in caplog.text
    assert engine.ask("第7次会议到会多少人？").found


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's CPU counters")
def test_busy_cores_keep_tokenising_in_this_process(tokenizer, monkeypatch, caplog):
    """With every core taken by another process, workers would only take turns with it: the
    articles are cut here, one core, with the same tokens."""
    articles = [
        Article(id=f"b{n}", title=f"第{n}篇", body=f"{n}月{n}日，管城区召开第{n}次会议。" * 400)
        for n in range(1, 41)
    ]
    monkeypatch.setattr(bulk, "PARALLEL_MIN_CHARS", 1)
    monkeypatch.setattr(bulk, "BATCH_CHARS", 5000)
    monkeypatch.setattr(bulk, "WATCH_SECONDS", 0.1)
    monkeypatch.setattr(bulk, "workers", lambda: 2)
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        time.sleep(0.3)
        watch = bulk.CoreWatch()
        time.sleep(0.5)
        assert watch.free(2) < bulk.PARALLEL_MIN_FREE_CORES
        with caplog.at_level(logging.INFO, logger="newsbot.index.bulk"):
            real = SearchIndex(articles, tokenizer, tokenise=bulk.tokenise)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert "tokenising on one core" in caplog.text
    serial = SearchIndex(articles, tokenizer, tokenise=tokenise_serially)
    assert real.bm25.documents() == serial.bm25.documents()


def test_a_running_engine_saves_its_index_soon_after_a_change(config, tokenizer, monkeypatch):
    from newsbot import engine as engine_module

    monkeypatch.setattr(engine_module, "SAVE_DELAY", 0.05)
    engine = Engine(config, tokenizer)
    engine.autosave()
    engine.add([Article(id="late-1", title="自动保存", body="6月6日，索引自动保存测试。")])
    folder = config.state_dir / "index"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        snap = folder / (folder / persist.CURRENT).read_text()
        if "late-1" in json.loads((snap / "articles.json").read_text())["ids"]:
            return
        time.sleep(0.05)
    raise AssertionError("the change was not saved")


def test_stored_articles_keep_their_bodies_on_disk_not_in_memory(empty_config, tokenizer):
    engine = Engine(empty_config, tokenizer)
    article = Article(id="n1", title="管城区举办非遗文化节", body="6月1日，展出120件非遗作品。")
    engine.add([article])
    for kept in (engine.corpus.get("n1"), engine.index.articles["n1"]):
        assert "body" not in vars(kept)  # read from its file when asked, not held
        assert kept == article and kept.body == article.body
    assert "120件" in engine.ask("非遗文化节展出了多少件作品？").answer
    engine.save()
    restarted = Engine(empty_config, tokenizer)
    assert "body" not in vars(restarted.index.articles["n1"])
    assert restarted.index.articles["n1"] == article


def test_a_service_keeps_the_compiled_scoring_under_its_state_folder(config, tmp_path):
    """A long-running process over a small index scores by numpy (numba is not even imported);
    once the index reaches ``compiled_min_passages`` it compiles the kernel into its own state
    folder (the installed package may be read-only and the home hidden, as under the systemd
    unit) and scores by it: the same answer as the numpy path gives."""
    script = (
        "import dataclasses, sys, time\n"
        "from newsbot.config import load_config\n"
        "from newsbot.engine import Engine\n"
        "from newsbot.index import compiled\n"
        "config = load_config(None)\n"
        "small = Engine(config)\n"
        "small.warm_up()\n"
        "time.sleep(0.5)\n"
        "assert 'numba' not in sys.modules and compiled.top_k() is None\n"
        "engine = Engine(dataclasses.replace(config, compiled_min_passages=1))\n"
        "before = engine.ask('谁到烟厂空气质量监测站点督导？').short_answer\n"
        "engine.warm_up()\n"
        "deadline = time.monotonic() + 60\n"
        "while compiled.top_k() is None and time.monotonic() < deadline:\n"
        "    time.sleep(0.05)\n"
        "after = engine.ask('谁到烟厂空气质量监测站点督导？').short_answer\n"
        "print(compiled.top_k() is not None, before, after, engine.state_dir)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env |= {
        "NEWSBOT_CORPUS_DIR": str(config.corpus_dir),
        "NEWSBOT_DATA_DIR": str(config.data_dir),
        "NEWSBOT_CONFIG": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr
    loaded, before, after, state = done.stdout.split()
    assert loaded == "True" and before == after == "张艳敏"
    assert list((Path(state) / "compiled").rglob("*.nbi")), "numba cached nothing there"
