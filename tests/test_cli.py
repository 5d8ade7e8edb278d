"""The CLI contract, run as a real subprocess: other tools rely on it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.config import SAMPLE_PAGE

from .paths import BUNDLED_CORPUS, REPO_ROOT

SEED_PAGE = SAMPLE_PAGE


def run(
    args,
    tmp_path: Path,
    stdin: bytes | None = None,
    env: dict | None = None,
    cwd: Path | None = None,
):
    """``newsbot ARGS`` in a subprocess, in ``tmp_path`` (no config file there) by default."""
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
        cwd=cwd or tmp_path,
    )


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS, folder)
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
    bundled = {p.name: p.read_text("utf-8") for p in BUNDLED_CORPUS.glob("*.md")}
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
    assert set(source) >= {"id", "title", "date", "url", "score", "passage", "closest"}
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


def test_index_rebuilds_and_prints_its_size(tmp_path, corpus):
    assert run(["--corpus", str(corpus), "ask", "区总工会主席是谁？"], tmp_path).returncode == 0
    (current,) = (tmp_path / "data").glob("corpora/*/index/CURRENT")
    saved = current.read_text()
    result = run(["--corpus", str(corpus), "index"], tmp_path)
    assert result.returncode == 0 and "已重建索引：文章 5 篇" in result.stdout.decode()
    assert current.read_text() != saved, "a new snapshot replaces the saved one"


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
        env={**os.environ, "NEWSBOT_CONFIG": "", "NEWSBOT_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0 and "共 5 篇" in result.stdout.decode()


def test_version(tmp_path):
    from newsbot.cli import package_version

    result = run(["--version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"newsbot {package_version()}"
    assert package_version()[0].isdigit()


def test_init_writes_a_folder_that_runs(tmp_path):
    target = tmp_path / "site"
    result = run(["init", str(target), "--sample"], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "已导入示例新闻 5 篇" in out and "newsbot console" in out
    assert {p.name for p in target.iterdir()} >= {
        "newsbot.yaml",
        "corpus",
        "data",
        "userdict.txt",
        "stopwords.txt",
        "synonyms.yaml",
    }
    assert sorted(p.name for p in (target / "corpus").glob("*.md")) == sorted(
        p.name for p in BUNDLED_CORPUS.glob("*.md")
    )
    env = {"NEWSBOT_DATA_DIR": ""}  # the written config decides where state goes
    asked = run(["ask", "--json", "区总工会主席是谁？"], tmp_path, env=env, cwd=target)
    assert asked.returncode == 0, asked.stderr.decode()
    assert "盛伟" in json.loads(asked.stdout)["answer"]
    assert list((target / "data").glob("corpora/*/index/CURRENT")), "state went to DIR/data"


def test_init_refuses_to_overwrite_and_starts_empty_without_sample(tmp_path):
    target = tmp_path / "site"
    assert run(["init", str(target)], tmp_path).returncode == 0
    assert list((target / "corpus").iterdir()) == []
    (target / "newsbot.yaml").write_text("max_sources: 2\n", "utf-8")
    again = run(["init", str(target)], tmp_path)
    assert again.returncode == 2 and "已存在" in again.stderr.decode()
    assert (target / "newsbot.yaml").read_text("utf-8") == "max_sources: 2\n"
    assert run(["init", str(target), "--force"], tmp_path).returncode == 0
    assert "max_sources: 2" not in (target / "newsbot.yaml").read_text("utf-8")


def test_missing_corpus_folder_is_a_clear_error(tmp_path):
    for args in (["ask", "问题"], ["list"], ["console"]):
        result = run(["--corpus", str(tmp_path / "nowhere"), *args], tmp_path)
        err = result.stderr.decode()
        assert result.returncode == 2 and "找不到文章目录" in err and "newsbot init" in err
    assert not (tmp_path / "nowhere").exists()


def test_import_creates_a_missing_corpus_folder(tmp_path):
    folder = tmp_path / "new" / "corpus"
    result = run(["--corpus", str(folder), "import", str(SEED_PAGE)], tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert len(list(folder.glob("*.md"))) == 5


def test_every_option_of_every_command_says_what_it_does():
    import argparse

    from newsbot.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(sub.choices) >= {"init", "import", "ask", "check", "bot", "index"}
    for name, command in [("newsbot", parser), *sub.choices.items()]:
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                assert action.help, f"{name} {action.dest} has no help text"


def test_subcommand_help_is_printed(tmp_path):
    result = run(["ask", "--help"], tmp_path)
    assert result.returncode == 0 and "--max-chars" in result.stdout.decode()


def test_check_reports_each_part(tmp_path, corpus):
    result = run(["--corpus", str(corpus), "check", "--offline"], tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 0, out
    assert "✓ 文章目录" in out and "5 篇文章" in out and "✓ 数据目录" in out
    missing = run(["--corpus", str(tmp_path / "nowhere"), "check", "--offline"], tmp_path)
    assert missing.returncode == 1 and "✗ 文章目录" in missing.stdout.decode()


def test_check_asks_telegram_who_the_token_is(tmp_path, corpus):
    from .fake_bot_api import FakeBotAPI

    api = FakeBotAPI("111:right").start()
    try:
        env = {"NEWSBOT_TELEGRAM_BASE_URL": api.base_url}
        good = run(
            ["--corpus", str(corpus), "check"],
            tmp_path,
            env={**env, "TELEGRAM_BOT_TOKEN": "111:right"},
        )
        bad = run(
            ["--corpus", str(corpus), "check"],
            tmp_path,
            env={**env, "TELEGRAM_BOT_TOKEN": "111:wrong"},
        )
    finally:
        api.stop()
    assert good.returncode == 0 and "@newsbot_test_bot" in good.stdout.decode()
    assert bad.returncode == 1 and "令牌无效" in bad.stdout.decode()
    assert "111:wrong" not in bad.stdout.decode() + bad.stderr.decode()
