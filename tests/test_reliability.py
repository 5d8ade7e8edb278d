"""Crashes mid-write, concurrent readers and writers, and file permissions: nothing is lost and
every stored article is answerable after a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from telegram import Update

from newsbot.config import Config
from newsbot.corpus.article import Article
from newsbot.engine import Engine
from newsbot.errors import CorpusError

from .fake_bot_api import ADMIN
from .test_handlers import READER, Harness, texts
from .test_handlers import run as run_harness


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _articles(n: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    places = ["紫荆山", "金岱", "航海东路", "南曹", "圃田", "东大街", "北下街", "城东路"]
    rows = []
    for i in range(n):
        place = rng.choice(places)
        body = "".join(
            f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日，{place}街道第{i}号工作组开展第{k}轮"
            f"走访，服务{rng.randint(10, 900)}户居民，解决问题{rng.randint(1, 99)}个。"
            for k in range(12)
        )
        rows.append({"id": f"k{i}", "title": f"{place}街道第{i}号工作组走访居民", "text": body})
    return rows


def _consistent(config: Config, tokenizer) -> Engine:
    """Restart on the same folders: every file parses and every stored article is searchable."""
    engine = Engine(config, tokenizer)
    assert engine.corpus.problems == []
    stored = {a.id for a in engine.corpus.articles}
    assert set(engine.index.articles) == stored
    for article in random.Random(1).sample(engine.corpus.articles, min(25, len(stored))):
        hits = engine.index.search(tokenizer.tokens(article.title), k=50)
        assert article.id in {h.passage.article_id for h in hits}, article.id
    return engine


def _kill_when(process: subprocess.Popen, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, "finished before it could be interrupted"
        assert time.monotonic() < deadline, "never got going"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the import and its worker processes
    process.wait()


def _import_files(folder) -> int:
    """The import's article files in ``folder``, written or being written."""
    return sum(p.name.startswith(("k", ".k")) for p in folder.iterdir())


def test_sigkill_in_the_middle_of_a_large_import(config: Config, tokenizer, tmp_path, caplog):
    source = tmp_path / "big.jsonl"
    rows = _articles(3000)
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    before = {p.name for p in config.corpus_dir.glob("*.md")}
    env = {
        **os.environ,
        "NEWSBOT_CORPUS_DIR": str(config.corpus_dir),
        "NEWSBOT_DATA_DIR": str(config.data_dir),
        "NEWSBOT_CONFIG": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot.cli", "import", str(source)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    # Killed once its files are being written: a large import writes every temporary file,
    # syncs once, then renames them into place.
    _kill_when(process, lambda: _import_files(config.corpus_dir) >= 100)
    with caplog.at_level(logging.INFO):
        engine = _consistent(config, tokenizer)
    written = {p.name for p in config.corpus_dir.glob("*.md")} - before
    assert len(written) < 3000, len(written)
    assert before <= {p.name for p in config.corpus_dir.glob("*.md")}
    if any(p.name.endswith(".tmp") for p in config.corpus_dir.iterdir()):
        assert "interrupted" in caplog.text
    again = engine.import_file(source)[0]  # importing again adds exactly what was missing
    assert len(again.added) + len(again.duplicates) == 3000
    assert len(engine.corpus) == len(before) + 3000


def test_sigkill_during_an_admin_push_to_the_bot(config: Config, tokenizer, tmp_path):
    from .fake_bot_api import FakeBotAPI

    token = "123456:KILL-token"
    api = FakeBotAPI(token).start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
        "NEWSBOT_ADMIN_IDS": str(ADMIN),
        "NEWSBOT_CORPUS_DIR": str(config.corpus_dir),
        "NEWSBOT_DATA_DIR": str(config.data_dir),
        "NEWSBOT_CONFIG": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot.cli", "bot"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while "getUpdates" not in api.calls:
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        rows = _articles(3000, seed=5)
        data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
        api.push_message(ADMIN, ADMIN, None, document=("push.jsonl", data))
        _kill_when(process, lambda: len(list(config.corpus_dir.glob("k*.md"))) >= 100)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        api.stop()
    _consistent(config, tokenizer)


def test_questions_are_answered_while_articles_are_pushed(engine: Engine):
    stop = threading.Event()
    errors: list[BaseException] = []
    answered = [0]

    def reader() -> None:
        while not stop.is_set():
            try:
                responder = engine.responder
                answer = responder.ask("区总工会表彰了多少名先进个人？")
                assert answer.found and "64名" in answer.answer
                assert {s.id for s in answer.sources} <= set(responder.index.articles)
                answered[0] += 1
            except BaseException as exc:
                errors.append(exc)

    def admin(first: int) -> None:
        for n in range(first, first + 15):
            body = f"6月{n % 28 + 1}日，管城区第{n}次推送测试，参加人数{n * 3}人。"
            engine.add([Article(id=f"push-{n}", title=f"推送测试第{n}条", body=body)])

    readers = [threading.Thread(target=reader) for _ in range(3)]
    admins = [threading.Thread(target=admin, args=(k * 100,)) for k in range(2)]
    for t in readers + admins:
        t.start()
    for t in admins:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == [] and answered[0] > 0
    assert {f"push-{n}" for k in (0, 100) for n in range(k, k + 15)} <= set(engine.index.articles)
    assert "推送测试第107条" in engine.ask("管城区第107次推送测试有多少人参加？").sources[0].title


def test_a_failed_write_keeps_what_was_written_and_indexes_only_that(engine, monkeypatch):
    from newsbot.corpus import store

    real = store.atomic_write

    def flaky(path, text, mode=None, sync_dir=True):
        if "bad" in path.name:
            raise OSError(28, "No space left on device")
        real(path, text, mode, sync_dir)

    monkeypatch.setattr(store, "atomic_write", flaky)
    good = Article(id="good-1", title="写入成功的文章", body="6月1日，圃田乡举办农民丰收节。")
    bad = Article(id="bad-1", title="写入失败的文章", body="6月2日，南曹乡举办运动会。")
    with pytest.raises(CorpusError, match="写入文章失败"):
        engine.add([good, bad])
    assert "good-1" in engine.corpus and "bad-1" not in engine.corpus
    assert "good-1" in engine.index.articles and "bad-1" not in engine.index.articles
    assert not any(p.name.endswith(".tmp") for p in engine.config.corpus_dir.iterdir())


def test_two_admins_pushing_at_once_both_land(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        h.api.push_message(
            ADMIN, ADMIN, "/add 航海东路开展义诊\n6月3日，航海东路社区为90名居民义诊。"
        )
        h.api.push_message(ADMIN, ADMIN, "/add 东大街举办书法展\n6月4日，东大街展出书法作品70幅。")

        updates, h.api.updates = h.api.updates, []
        await asyncio.gather(*(h.app.process_update(Update.de_json(u, h.app.bot)) for u in updates))
        replies = texts(h.api.sent)
        assert sum("已添加 1 篇" in r for r in replies) == 2
        first = texts(await h.say(7, "航海东路社区为多少名居民义诊？"))[0]
        second = texts(await h.say(7, "东大街展出了多少幅书法作品？"))[0]
        assert "90名" in plain(first) and "70幅" in plain(second)

    async def main() -> None:
        async with Harness(tg_config, tg_engine) as harness:
            await scenario(harness)

    asyncio.run(main())


def test_private_state_is_owner_only(config: Config, tokenizer):
    engine = Engine(config, tokenizer)
    engine.add([Article(id="perm-1", title="权限测试", body="6月5日，测试文件权限。")])
    engine.save()
    assert config.data_dir.stat().st_mode & 0o077 == 0
    private = [config.state_dir / "corpus.json", config.state_dir / "index" / "CURRENT"]
    for path in private:
        assert path.exists() and path.stat().st_mode & 0o077 == 0, path
    for folder in (config.state_dir, config.state_dir / "index"):
        assert folder.stat().st_mode & 0o077 == 0, folder
    assert Path(config.corpus_dir / "perm-1.md").exists()


def test_questions_are_answered_while_a_large_upload_is_imported(tg_config, tg_engine):
    rows = _articles(1500, seed=9)
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()

    async def scenario(h: Harness) -> None:
        h.api.push_message(ADMIN, ADMIN, None, document=("big.jsonl", data))
        h.api.push_message(7, 7, "区总工会表彰了多少名先进个人？")
        updates, h.api.updates = h.api.updates, []
        await asyncio.gather(*(h.app.process_update(Update.de_json(u, h.app.bot)) for u in updates))
        order = [m["chat_id"] for m in h.api.sent if m["method"] == "sendMessage"]
        assert order == [7, ADMIN], "the question was answered while the import ran"
        assert "已添加 1500 篇" in texts(h.api.sent)[-1]

    async def main() -> None:
        async with Harness(tg_config, tg_engine) as harness:
            await scenario(harness)

    asyncio.run(main())


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def test_memory_a_large_load_freed_goes_back_to_the_system():
    from newsbot.bulkload import release_free_memory

    junk = [bytes(2000) for _ in range(40_000)]  # ~80 MB of heap blocks, not pymalloc's
    pin = bytes(2000)  # keeps the freed blocks below the heap's top (freeing alone keeps them)
    del junk
    before = _rss_mb()
    if not release_free_memory():
        pytest.skip("the C library cannot release free heap pages")
    assert _rss_mb() < before - 40, "freed heap pages stayed resident"
    assert pin


def test_freed_memory_goes_back_after_a_large_import_and_at_most_once_a_second_of_pushes(
    engine: Engine, monkeypatch
):
    from newsbot import engine as engine_module

    released = []
    monkeypatch.setattr(engine_module, "release_free_memory", lambda: released.append(1))
    monkeypatch.setattr(engine_module, "RELEASE_AFTER_ARTICLES", 3)
    monkeypatch.setattr(engine_module, "RELEASE_SECONDS", 3600)
    for n in range(3):  # a burst of pushes: one release
        engine.add([Article(id=f"one{n}", title="一篇", body=f"推送的第{n}篇文章。")])
    assert released == [1]
    engine.add(
        [Article(id=f"bulk{n}", title=f"第{n}篇", body=f"导入的第{n}篇文章。") for n in range(3)]
    )
    assert released == [1, 1]  # a large import always


WORKERS_SCRIPT = """
import os, sys, time
from newsbot.config import Config
from newsbot.engine import params_for, tokenizer_for
from newsbot.index import bulk

config = Config()
with bulk._POOLS.lease(tokenizer_for(config), params_for(config), 2) as pool:
    [f.result() for f in [pool.submit(os.getpid) for _ in range(8)]]
    print(" ".join(str(pid) for pid in pool._processes), flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_tokenising_workers_exit_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", WORKERS_SCRIPT], stdout=subprocess.PIPE)
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(p) for p in pids)


def test_upload_limit_holds_without_file_size_and_groups_import_only_when_addressed(
    tg_config, tokenizer
):
    small = dataclasses.replace(tg_config.telegram, max_upload_bytes=2000)
    config = dataclasses.replace(tg_config, telegram=small)
    tg_engine = Engine(config, tokenizer)
    big = "\n".join(
        json.dumps({"title": f"第{k}篇", "text": f"第{k}篇文章的正文。" * 5}, ensure_ascii=False)
        for k in range(40)
    ).encode()
    news = "南曹乡开展义诊\n6月5日，南曹乡组织医生为80名老人义诊。".encode()
    group = -300

    async def scenario(h: Harness) -> None:
        h.api.hide_sizes = True
        h.api.push_message(ADMIN, ADMIN, None, document=("big.jsonl", big))
        assert texts(await h.feed()) == ["文件太大（上限 0.002 MB），未导入。"]
        assert len(tg_engine.corpus) == 5
        h.api.push_message(group, ADMIN, None, chat_type="group", document=("a.txt", news))
        h.api.push_message(group, READER, None, chat_type="group", document=("b.txt", news))
        assert texts(await h.feed()) == []  # shared files not addressed to the bot: silence
        h.api.push_message(
            group, ADMIN, None, chat_type="group", document=("a.txt", news), caption="/add"
        )
        assert "已添加 1 篇" in texts(await h.feed())[0]

    run_harness(config, tg_engine, scenario)


def test_flood_control_waits_and_the_reply_arrives(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        h.api.floods = 5
        sent = texts(await h.say(READER, "区总工会主席是谁？"))
        assert len(sent) == 1 and "盛伟" in sent[0] and h.api.floods == 0

    run_harness(tg_config, tg_engine, scenario)
