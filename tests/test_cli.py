"""The CLI contract, run as a real subprocess: other tools rely on it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.config import REPO_ROOT

from .conftest import SEED_PAGE


def run(args, tmp_path: Path, stdin: bytes | None = None, env: dict | None = None):
    full_env = {
        **os.environ,
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_CONFIG": "",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "newsbot.cli", *args],
        input=stdin,
        capture_output=True,
        env=full_env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", folder)
    return folder


def test_import_list_show_delete(tmp_path, corpus):
    listing = run(["--corpus", str(corpus), "list", "--json"], tmp_path)
    rows = [json.loads(line) for line in listing.stdout.decode().splitlines()]
    assert len(rows) == 5
    article_id = rows[0]["id"]
    shown = run(["--corpus", str(corpus), "show", article_id], tmp_path)
    assert shown.returncode == 0 and rows[0]["title"] in shown.stdout.decode()
    deleted = run(["--corpus", str(corpus), "delete", article_id], tmp_path)
    assert deleted.returncode == 0
    assert len(list(corpus.glob("*.md"))) == 4


def test_import_twice_reports_duplicates(tmp_path, corpus):
    again = run(["--corpus", str(corpus), "import", "--json", str(SEED_PAGE)], tmp_path)
    summary = json.loads(again.stdout)
    assert summary["added"] == [] and len(summary["duplicates"]) == 5
    assert len(list(corpus.glob("*.md"))) == 5


def test_bundled_corpus_is_the_seed_import(tmp_path):
    folder = tmp_path / "fresh"
    args = ["--corpus", str(folder), "import", "--source", "郑州日报·管城区新闻", str(SEED_PAGE)]
    result = run(args, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert "共导入 5 篇" in result.stdout.decode()
    ours = {p.name: p.read_text("utf-8") for p in folder.glob("*.md")}
    bundled = {p.name: p.read_text("utf-8") for p in (REPO_ROOT / "corpus").glob("*.md")}
    assert ours == bundled


def test_ask_json_contract(tmp_path, corpus):
    result = run(
        ["--corpus", str(corpus), "ask", "--json", "谁到烟厂空气质量监测站点督导？"], tmp_path
    )
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert list(data)[:4] == ["question", "found", "answer", "sources"]
    assert data["found"] is True and "张艳敏" in data["answer"]
    source = data["sources"][0]
    assert set(source) == {"id", "title", "date", "url", "score", "passage"}
    assert "烟厂" in source["title"] and isinstance(source["score"], float)


def test_ask_batch_gives_one_line_per_input_line(tmp_path, corpus):
    lines = ["谁到烟厂空气质量监测站点督导？", "", "\x00\x01", "表彰了多少名先进个人？", "？？"]
    stdin = "\n".join(lines).encode() + b"\n\xff\xfe bad utf-8\n"
    result = run(["--corpus", str(corpus), "ask", "--json"], tmp_path, stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines) + 1
    assert [o["found"] for o in out] == [True, False, False, True, False, False]
    assert "64名" in out[3]["answer"]


def test_ask_plain_text_names_the_source(tmp_path, corpus):
    result = run(["--corpus", str(corpus), "ask", "区总工会主席是谁？"], tmp_path)
    text = result.stdout.decode()
    assert "盛伟" in text and "来源：" in text and "1. 管城回族区总工会" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "/nonexistent/file.txt"], "找不到文件"),
        (["show", "no-such-id"], "没有编号"),
        (["delete", "no-such-id"], "没有编号"),
        (["frobnicate"], "参数错误"),
        (["ask", "--max-chars", "5", "问"], "--max-chars"),
        (["eval", "/nonexistent.jsonl"], "问答文件"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tmp_path, corpus, args, message):
    before = sorted(p.read_bytes() for p in corpus.glob("*.md"))
    result = run(["--corpus", str(corpus), *args], tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.read_bytes() for p in corpus.glob("*.md")) == before


def test_bad_yaml_import_names_file_and_line(tmp_path, corpus):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: 标题\ndate: [2020\n---\n正文\n", "utf-8")
    result = run(["--corpus", str(corpus), "import", str(bad)], tmp_path)
    assert result.returncode == 2
    assert "bad.md" in result.stderr.decode() and "行" in result.stderr.decode()


def test_unknown_config_key_is_a_user_error(tmp_path, corpus):
    config = tmp_path / "c.yaml"
    config.write_text("colour: red\n", "utf-8")
    result = run(["--config", str(config), "--corpus", str(corpus), "list"], tmp_path)
    assert result.returncode == 2 and "colour" in result.stderr.decode()


def test_console_answers_piped_lines(tmp_path, corpus):
    result = run(
        ["--corpus", str(corpus), "console"],
        tmp_path,
        stdin="谁到烟厂空气质量监测站点督导？\n".encode(),
    )
    text = result.stdout.decode()
    assert result.returncode == 0
    assert "张艳敏" in text and "烟厂空气质量监测站点" in text


def test_index_prints_its_size(tmp_path, corpus):
    result = run(["--corpus", str(corpus), "index"], tmp_path)
    assert result.returncode == 0 and "文章 5 篇" in result.stdout.decode()


def test_eval_over_a_contexts_file(tmp_path):
    contexts = tmp_path / "ctx.jsonl"
    contexts.write_text(
        json.dumps(
            {"id": "C1", "title": "袋鼠", "text": "尤金袋鼠分布在澳洲南部岛屿及西岸地区。"},
            ensure_ascii=False,
        )
        + "\n"
        + json.dumps(
            {"id": "C2", "title": "游戏", "text": "泡泡战士由韩国Nexon开发与发行。"},
            ensure_ascii=False,
        )
        + "\n",
        "utf-8",
    )
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        json.dumps(
            {
                "id": "q1",
                "question": "尤金袋鼠分布在哪里？",
                "answers": ["澳洲南部岛屿"],
                "context_id": "C1",
            },
            ensure_ascii=False,
        )
        + "\n",
        "utf-8",
    )
    result = run(["eval", str(qa), "--contexts", str(contexts), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(result.stdout)
    assert data["hit1"] == 1.0 and data["contains"]["150"] == 1.0


def test_bot_py_is_the_cli(tmp_path, corpus):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bot.py"), "--corpus", str(corpus), "list"],
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "NEWSBOT_CONFIG": ""},
    )
    assert result.returncode == 0 and "共 5 篇" in result.stdout.decode()
