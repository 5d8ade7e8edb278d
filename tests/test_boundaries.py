"""The corpus folder's edges and what is read back from data/: links leading outside, oversize
files, renamed files, damaged state, file modes, NUL bytes, emoji-only articles."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from newsbot.corpus.article import Article, to_markdown
from newsbot.corpus.importers import parse_import
from newsbot.corpus.store import MAX_ARTICLE_FILE_BYTES, Corpus
from newsbot.engine import Engine
from newsbot.errors import CorpusError
from newsbot.telegram.store import BotStore

from .mounts import read_only, tiny_disk

SECRET = Article(id="secret", title="服务器口令", body="服务器口令是hunter2，请勿外传。")
NEWS = Article(id="news", title="防汛会议召开", body="5月27日，区里召开防汛工作会议，部署汛期。")


def test_a_link_leading_outside_the_corpus_is_skipped(tmp_path, caplog):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text(to_markdown(SECRET), "utf-8")
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "news.md").write_text(to_markdown(NEWS), "utf-8")
    (root / "secret.md").symlink_to(outside / "secret.md")
    (root / "alias.md").symlink_to(root / "news.md")  # inside the folder: kept (one id)
    corpus = Corpus(root)
    assert [a.id for a in corpus.articles] == ["news"]
    assert any("指向文章目录之外" in p for p in corpus.problems) and "secret.md" in caplog.text


def test_an_oversize_file_is_skipped_without_being_read(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "news.md").write_text(to_markdown(NEWS), "utf-8")
    with open(root / "dump.md", "wb") as f:
        f.truncate(MAX_ARTICLE_FILE_BYTES + 1)  # sparse: no disk, and never read
    corpus = Corpus(root)
    assert [a.id for a in corpus.articles] == ["news"]
    assert any("文件过大" in p for p in corpus.problems)


def test_delete_removes_the_file_that_holds_the_article_whatever_its_name(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "renamed by hand.md").write_text(to_markdown(NEWS), "utf-8")
    corpus = Corpus(root, cache=tmp_path / "cache.json")
    corpus.delete("news")
    assert not list(root.iterdir())
    assert len(Corpus(root, cache=tmp_path / "cache.json")) == 0  # and it stays deleted


def _newsbot(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(data), "NEWSBOT_CONFIG": ""}
    command = [sys.executable, "-m", "newsbot.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def _one_line_reason(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


def test_a_read_only_corpus_refuses_delete_and_import_with_one_line(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "news.md").write_text(to_markdown(NEWS), "utf-8")
    upload = tmp_path / "new.txt"
    upload.write_text("新闻标题\n\n区里召开了环境整治推进会。", "utf-8")
    data = tmp_path / "data"
    with read_only(root) as view:
        deleted = _newsbot("--corpus", str(view), "delete", "news", data=data)
        assert deleted.returncode == 2
        assert "无法删除" in _one_line_reason(deleted)
        imported = _newsbot("--corpus", str(view), "import", str(upload), data=data)
        assert imported.returncode == 2
        assert "写入文章失败" in _one_line_reason(imported)
        listed = _newsbot("--corpus", str(view), "list", data=data)
    assert listed.returncode == 0 and "news" in listed.stdout
    assert [p.name for p in root.iterdir()] == ["news.md"]


def test_a_full_data_disk_still_answers_and_leaves_no_partial_snapshot(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "news.md").write_text(to_markdown(NEWS), "utf-8")
    with tiny_disk(tmp_path / "data", "64k") as data:
        asked = _newsbot("--corpus", str(root), "ask", "什么时候召开防汛工作会议？", data=data)
        assert asked.returncode == 0 and "5月27日" in asked.stdout
        assert "could not save the index" in _one_line_reason(asked)
        assert not list(data.rglob("snap-*")), "a half-written snapshot was left behind"
        again = _newsbot("--corpus", str(root), "ask", "什么时候召开防汛工作会议？", data=data)
        assert again.returncode == 0 and "5月27日" in again.stdout


def test_a_damaged_stats_file_is_kept_aside_and_reported(tmp_path, caplog):
    path = tmp_path / "stats.json"
    path.write_text('{"asked": 3, "unanswered": 1, "missing": {"问题', "utf-8")
    store = BotStore(tmp_path / "bot.sqlite3")
    store.import_legacy_stats(path)
    assert store.report()[0].startswith("已回答问题 0 个")
    kept = list(tmp_path.glob("stats.json.damaged-*"))
    assert kept and "stats.json" in caplog.text and not path.exists()


def test_old_statistics_are_taken_into_the_database_once(tmp_path):
    path = tmp_path / "stats.json"
    path.write_text('{"asked": 10, "unanswered": 4, "missing": {"明天天气": 3}}', "utf-8")
    store = BotStore(tmp_path / "bot.sqlite3")
    store.import_legacy_stats(path)
    store.import_legacy_stats(path)  # moved aside: not counted twice
    report = store.report()
    assert report[0] == "已回答问题 10 个，未找到答案 4 个（40%）" and "· 明天天气 ×3" in report


def test_nul_bytes_are_refused_anywhere_in_a_file():
    text = ("标题\n" + "正文。" * 30_000 + "\x00" + "更多正文。").encode()
    with pytest.raises(CorpusError, match="二进制"):
        parse_import("late-nul.txt", text)


def test_emoji_only_articles_are_told_apart():
    one = Article(id="e1", title="表情", body="🎉🎉🎉")
    two = Article(id="e2", title="表情", body="🚒🚒🚒")
    assert one.fingerprint != two.fingerprint
    assert Article(id="e3", title="x", body="🎉 🎉🎉").fingerprint == one.fingerprint


def test_snapshot_files_are_readable_by_the_owner_only(engine):
    engine.add([NEWS])
    engine.save()
    snapshots = list((engine.config.state_dir / "index").glob("snap-*/*"))
    assert snapshots
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in snapshots)


def test_a_failed_save_leaves_no_partial_snapshot(engine, monkeypatch):
    from newsbot.index import persist

    engine.add([NEWS])
    real_save = persist.np.save
    calls = []

    def failing(path, *args, **kwargs):
        calls.append(path)
        if len(calls) > 3:
            raise OSError(28, "No space left on device")
        return real_save(path, *args, **kwargs)

    monkeypatch.setattr(persist.np, "save", failing)
    before = sorted((engine.config.state_dir / "index").glob("snap-*"))
    engine.save()  # logged, not raised
    assert sorted((engine.config.state_dir / "index").glob("snap-*")) == before


def test_an_unwritable_data_folder_still_answers_with_one_warning(config, tokenizer, caplog):
    blocked = config.data_dir.parent / "data-is-a-file"
    blocked.write_text("not a folder", "utf-8")
    engine = Engine(dataclasses.replace(config, data_dir=blocked), tokenizer)
    assert "盛伟" in engine.ask("区总工会主席是谁？").answer
    engine.add([NEWS])  # the corpus itself is writable: articles are still stored
    engine.save()
    assert "cannot be written" in caplog.text and (config.corpus_dir / "news.md").exists()
    store = BotStore(blocked / "bot.sqlite3")
    store.record("问题", True, 0.9, False)
    assert store.report()[0].startswith("已回答问题 1 个") and "lasts this run only" in caplog.text


def test_old_questions_fold_into_the_totals(tmp_path, monkeypatch):
    from newsbot.telegram import store as store_module

    monkeypatch.setattr(store_module, "QUESTIONS_KEPT", 100)
    store = BotStore(tmp_path / "bot.sqlite3")
    for n in range(300):
        store.record(f"问题{n}", n % 3 != 0, 0.5, False)
    kept = store._db.execute("SELECT COUNT(*) FROM questions").fetchone()[0]
    assert kept <= 110 and store.report()[0] == "已回答问题 300 个，未找到答案 100 个（33%）"


def test_a_read_only_data_folder_still_answers_with_one_warning(tmp_path):
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "news.md").write_text(to_markdown(NEWS), "utf-8")
    (tmp_path / "data").mkdir()
    with read_only(tmp_path / "data") as data:
        asked = _newsbot("--corpus", str(root), "ask", "什么时候召开防汛工作会议？", data=data)
    assert asked.returncode == 0 and "5月27日" in asked.stdout
    assert "WARNING" in _one_line_reason(asked)
