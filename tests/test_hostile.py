"""Hostile input on every path (responder, console, CLI, Telegram text and documents): each gets a
clear answer or message, and nothing already stored changes."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.config import Config
from newsbot.console import run_console
from newsbot.corpus.importers import parse_import
from newsbot.engine import Engine
from newsbot.errors import CorpusError

from .fake_bot_api import ADMIN, html_problem, utf16_units
from .test_handlers import READER, Harness, texts

QUESTIONS = {
    "empty": "",
    "whitespace": " \t\u3000\n ",
    "punctuation": "？！。，……——“”",
    "emoji": "😀🎉👍🏽🇨🇳",
    "huge": "烟厂督导" * 25_000,
    "controls": "\x00\x01管城\x7f\x1b[31m区\u200b总工会",
    "mixed scripts": "管城 Guancheng گوانچنگ Гуаньчэн 管城區 ｶﾞﾝﾁｪﾝ",
    "right to left": "\u202e督导\u202c שלום مرحبا \u200f烟厂",
    "lone surrogate": "烟厂\ud800督导",
}
BAD_FILES = {
    "invalid utf-8": ("bad.txt", b"\xff\xfe\xfa" + "标题".encode() + b"\x80\x81" * 50),
    "binary as txt": ("photo.txt", bytes(range(256)) * 40),
    "broken front matter": ("a.md", "---\ntitle: [unclosed\n---\n正文。".encode()),
    "missing title": ("b.md", "---\ndate: 2020-05-01\n---\n正文。".encode()),
    "yaml bomb": (
        "bomb.md",
        (
            "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
            "title: *d\ntags: *d\n---\n正文。"
        ).encode(),
    ),
    "huge front matter": (
        "big.md",
        ("---\ntitle: x\nsource: " + "长" * 40_000 + "\n---\n正文。").encode(),
    ),
    "empty": ("empty.txt", b""),
    "only whitespace": ("blank.txt", b" \n\t\n"),
    "all jsonl rows bad": ("rows.jsonl", b'{"title": 1}\nnot json\n[1, 2]\n'),
}


FIXTURE_REUSED = HealthCheck.function_scoped_fixture


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("name", QUESTIONS)
def test_responder_answers_anything_plainly(engine, name):
    answer = engine.ask(QUESTIONS[name])
    assert answer.answer.strip()
    json.dumps(answer.to_json(), ensure_ascii=False).encode("utf-8", "surrogatepass")
    if name in ("empty", "whitespace", "punctuation", "emoji"):
        assert not answer.found


def test_console_answers_every_hostile_line(engine):
    out = io.StringIO()
    lines = [q for q in QUESTIONS.values() if "\n" not in q]
    run_console(engine, lines, out=out)
    replies = ("来源", "没有找到", "没有关于", "请告诉我")
    assert sum(out.getvalue().count(reply) for reply in replies) >= len(lines)


def test_cli_batch_gives_one_json_line_per_hostile_line(tmp_path, config: Config):
    raw = [q.encode("utf-8", "surrogatepass") for q in QUESTIONS.values() if "\n" not in q]
    raw += [b"\xff\xfe invalid utf-8 \x80", b"\x00" * 10]
    done = subprocess.run(
        [sys.executable, "-m", "newsbot.cli", "--corpus", str(config.corpus_dir), "ask", "--json"],
        input=b"\n".join(raw) + b"\n",
        capture_output=True,
        env={"NEWSBOT_DATA_DIR": str(tmp_path / "data"), "NEWSBOT_CONFIG": "", "PATH": ""},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert len(lines) == len(raw)
    assert all(isinstance(json.loads(line)["found"], bool) for line in lines)


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_refused_clearly_and_change_nothing(engine, name):
    before = snapshot(engine.config.corpus_dir)
    file_name, data = BAD_FILES[name]
    with pytest.raises(CorpusError) as caught:
        engine.import_data(file_name, data)
    message = str(caught.value)
    assert file_name in message and len(message) < 300
    assert snapshot(engine.config.corpus_dir) == before


def test_gbk_file_imports(engine):
    data = "管城区举行植树活动\n3月12日，管城区组织200名干部群众义务植树。".encode("gbk")
    result, _ = engine.import_data("gbk.txt", data)
    assert result.added and "200名" in engine.ask("管城区组织多少名干部群众植树？").answer


def test_one_bad_row_among_good_ones(engine):
    good = {"title": "好的一行", "text": "5月9日，金岱街道开展义诊，服务80名老人。"}
    data = "\n".join([json.dumps(good, ensure_ascii=False), "{broken", "{}"]).encode()
    result, report = engine.import_data("rows.jsonl", data)
    assert [a.title for a in result.added] == ["好的一行"]
    assert any("第 2 行" in e for e in report.errors) and any("第 3 行" in e for e in report.errors)


def test_duplicate_id_is_reported_and_the_stored_one_kept(engine):
    existing = engine.corpus.articles[0]
    before = snapshot(engine.config.corpus_dir)
    text = f"---\nid: {existing.id}\ntitle: 另一篇文章\n---\n完全不同的正文内容。"
    result, _ = engine.import_data("dup.md", text.encode())
    assert not result.added and result.duplicates[0][1] == existing.id
    assert snapshot(engine.config.corpus_dir) == before


@pytest.mark.parametrize(
    "raw_id", ["../escape", "/etc/passwd", "a/b", "con", "nul", ".hidden", "x" * 300, "", "a\x00b"]
)
def test_ids_cannot_name_a_file_outside_the_corpus(engine, tmp_path, raw_id):
    before = snapshot(engine.config.corpus_dir)
    text = "---\nid: " + json.dumps(raw_id) + "\ntitle: 路径\n---\n正文内容。"
    try:
        result, _ = engine.import_data("x.md", text.encode())
    except CorpusError:
        result = None
    if result is not None:  # an empty id gets one made from the content
        assert raw_id == "" and result.added[0].id.startswith("a")
        return
    assert snapshot(engine.config.corpus_dir) == before
    assert not (tmp_path / "escape.md").exists()


def test_a_file_name_with_a_path_never_decides_where_it_is_written(engine, tmp_path):
    name = "../../../../" + str(tmp_path / "evil.txt")
    result, _ = engine.import_data(name, "标题\n正文在这里。".encode())
    assert result.added
    written = engine.config.corpus_dir / result.added[0].filename
    assert written.exists() and written.parent == engine.config.corpus_dir
    assert not (tmp_path / "evil.txt").exists()


def test_an_oversized_local_file_is_refused_before_it_is_read(engine, tmp_path):
    big = tmp_path / "big.jsonl"
    with big.open("wb") as handle:
        handle.truncate(60_000_000)
    with pytest.raises(CorpusError, match="过大"):
        engine.import_file(big)


def test_telegram_survives_hostile_messages_and_documents(tg_config, tg_engine):
    before = snapshot(tg_config.corpus_dir)

    async def scenario(h: Harness) -> None:
        for n, question in enumerate(QUESTIONS.values()):
            if "\ud800" in question:
                continue  # Telegram never delivers a lone surrogate
            sent = await h.say(1000 + n, question, user=READER + n)
            replies = texts(sent)
            assert len(replies) == (0 if question == "" else 1), question[:20]
        for name, data in BAD_FILES.values():
            h.api.push_message(ADMIN, ADMIN, None, document=(name, data))
            reply = texts(await h.feed())
            assert len(reply) == 1 and ("未导入" in reply[0] or "没有可添加" in reply[0]), reply
        h.api.push_message(READER, READER, None, document=("news.txt", b"x"))
        assert "只有管理员" in texts(await h.feed())[0]
        h.api.push_message(ADMIN, ADMIN, None, document=("big.jsonl", b"x"))
        h.api.updates[-1]["message"]["document"]["file_size"] = 50_000_000
        assert "文件太大" in texts(await h.feed())[0]

    asyncio.run(_run(tg_config, tg_engine, scenario))
    assert snapshot(tg_config.corpus_dir) == before


async def _run(config, engine, scenario) -> None:
    async with Harness(config, engine) as harness:
        await scenario(harness)
        assert harness.api.rejected == []
        for message in harness.api.sent:
            if "text" in message:
                assert (
                    utf16_units(message["text"]) <= 4096 and html_problem(message["text"]) is None
                )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=3000), st.sampled_from(["x.txt", "x.md", "x.jsonl", "x.bin", "x"]))
def test_importers_either_parse_or_refuse_clearly(data, name):
    try:
        report = parse_import(name, data)
    except CorpusError as exc:
        message = str(exc)
    else:
        message = None
    if message is not None:
        assert 0 < len(message) < 400
        return
    assert all(a.title.strip() and a.body.strip() for a in report.articles)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_answers_to_any_text_serialise_to_one_json_line(engine: Engine, text):
    line = json.dumps(engine.ask(text).to_json(), ensure_ascii=False)
    assert "\n" not in line and json.loads(line)["question"] == text.strip()
