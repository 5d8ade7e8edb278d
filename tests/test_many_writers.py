"""One corpus, several processes: a running engine sees what the CLI writes and deletes without
/reload, concurrent imports store each article once, and a busy corpus is a clear message."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time

import pytest
from filelock import FileLock

from newsbot.corpus.article import Article, to_markdown
from newsbot.engine import Engine

from .test_cli import run

NEWS = Article(
    id="flood",
    title="管城回族区召开防汛工作会议",
    body="5月27日，管城回族区召开防汛工作会议，区长孙晓峰出席会议并讲话，要求6月10日前完成隐患整改。",
    date="2024-05-28",
)


@pytest.fixture
def watched(config, tokenizer) -> Engine:
    engine = Engine(dataclasses.replace(config, watch_seconds=0.1), tokenizer)
    engine.watch()
    return engine


def _until(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _cli(config, *args: str, **kwargs):
    env = {"NEWSBOT_DATA_DIR": str(config.data_dir)}
    return run(
        ["--corpus", str(config.corpus_dir), *args], config.data_dir.parent, env=env, **kwargs
    )


def test_a_running_engine_answers_from_what_another_process_wrote(watched, tmp_path):
    source = tmp_path / "flood.md"
    source.write_text(to_markdown(NEWS), "utf-8")
    imported = _cli(watched.config, "import", str(source))
    assert imported.returncode == 0, imported.stderr
    assert _until(lambda: "flood" in watched.index.articles)
    answer = watched.ask("区长孙晓峰要求哪天前完成隐患整改？")
    assert answer.found and answer.sources[0].id == "flood"
    deleted = _cli(watched.config, "delete", "flood")
    assert deleted.returncode == 0, deleted.stderr
    assert _until(lambda: "flood" not in watched.index.articles)
    gone = watched.ask("区长孙晓峰要求哪天前完成隐患整改？")
    assert all(s.id != "flood" for s in gone.sources)


def test_an_add_never_overwrites_what_another_process_stored(watched):
    (watched.config.corpus_dir / "flood.md").write_text(to_markdown(NEWS), "utf-8")
    other = dataclasses.replace(NEWS, body="同一个编号，另一篇文章的正文，内容完全不同。")
    result = watched.add([other])  # before the watch noticed the file
    assert not result.added and result.duplicates[0][1] == "flood"
    assert "孙晓峰" in (watched.config.corpus_dir / "flood.md").read_text("utf-8")


def test_two_imports_at_once_store_each_article_once(config, tmp_path):
    rows = [
        {"id": f"n{k}", "title": f"第{k}篇通知", "text": f"这是第{k}篇通知的正文，编号{k}。"}
        for k in range(40)
    ]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    full = {**os.environ, "NEWSBOT_DATA_DIR": str(config.data_dir), "NEWSBOT_CONFIG": ""}
    args = [sys.executable, "-m", "newsbot.cli", "--corpus", str(config.corpus_dir)]
    procs = [
        subprocess.Popen([*args, "import", "--json", str(batch)], stdout=subprocess.PIPE, env=full)
        for _ in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    added = [a["id"] for out in outputs for a in out["added"]]
    assert sorted(added) == sorted(r["id"] for r in rows)  # each stored by exactly one
    assert len(list(config.corpus_dir.glob("n*.md"))) == 40


def test_a_busy_corpus_is_a_clear_message(config, tmp_path):
    yaml = tmp_path / "newsbot.yaml"
    yaml.write_text(f"corpus_dir: {config.corpus_dir}\nlock_wait_seconds: 0.3\n", "utf-8")
    source = tmp_path / "flood.md"
    source.write_text(to_markdown(NEWS), "utf-8")
    with FileLock(config.state_dir / "writers.lock"):
        busy = run(
            ["--config", str(yaml), "import", str(source)],
            tmp_path,
            env={"NEWSBOT_DATA_DIR": str(config.data_dir)},
        )
    assert busy.returncode == 2
    assert "另一个 newsbot 进程正在写入" in busy.stderr.decode()
    assert not (config.corpus_dir / "flood.md").exists()
