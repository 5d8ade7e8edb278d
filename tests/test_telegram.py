"""The Telegram adapter end to end: the real `newsbot bot` process against a fake Bot API server."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from newsbot.telegram.app import file_url_for
from newsbot.telegram.format import (
    MAX_MESSAGE_UNITS,
    bold_terms,
    callback_key,
    split_html_messages,
    utf16_units,
)

from .fake_bot_api import FakeBotAPI, html_problem
from .paths import BUNDLED_CORPUS

TOKEN = "123456:TEST-token-never-logged"
ADMIN = 42
READER = 7


def test_bold_terms_escapes_and_bolds():
    assert bold_terms("张艳敏 <督导> & 烟厂", ["张艳敏", "烟厂"]) == (
        "<b>张艳敏</b> &lt;督导&gt; &amp; <b>烟厂</b>"
    )


def test_long_articles_split_without_breaking_html():
    paragraphs = ["“引号”与<标签>&符号。" * 400, "短段。", "x" * 9000]
    messages = split_html_messages("<b>标题</b>", paragraphs)
    assert len(messages) > 2
    assert all(utf16_units(m) <= MAX_MESSAGE_UNITS for m in messages)
    assert all(html_problem(m) is None for m in messages)
    assert messages[0].startswith("<b>标题</b>")


def test_callback_data_fits_64_bytes():
    data, key = callback_key("a", "x" * 64)
    assert len(data.encode()) <= 64
    assert key is not None
    assert callback_key("a", "short") == ("a:short", None)


def test_file_url_is_derived_like_telegrams():
    assert file_url_for("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"


def start_bot(tmp, **env_extra):
    """The real ``newsbot bot`` process over a copy of the bundled corpus, polling a fresh fake
    Bot API; returned once it polls."""
    corpus = tmp / "corpus"
    if not corpus.exists():  # a restart keeps the corpus it had
        shutil.copytree(BUNDLED_CORPUS, corpus)
    api = FakeBotAPI(TOKEN).start()
    log = open(tmp / "bot.log", "ab")  # noqa: SIM115 - closed by stop_bot
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
        "NEWSBOT_ADMIN_IDS": str(ADMIN),
        "NEWSBOT_CORPUS_DIR": str(corpus),
        "NEWSBOT_DATA_DIR": str(tmp / "data"),
        "NEWSBOT_CONFIG": "",
        **env_extra,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "newsbot.cli", "bot"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    deadline = time.monotonic() + 60
    while "getUpdates" not in api.calls:
        assert process.poll() is None, (tmp / "bot.log").read_text()
        assert time.monotonic() < deadline, "bot did not start polling"
        time.sleep(0.1)
    api.process = process
    api.corpus = corpus
    api.data = tmp / "data"
    api.log_path = tmp / "bot.log"
    api.log_file = log
    return api


def stop_bot(api):
    if api.process.poll() is None:
        api.process.kill()
        api.process.wait()
    api.log_file.close()
    api.stop()


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    api = start_bot(tmp_path_factory.mktemp("bot"))
    yield api
    stop_bot(api)


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def ask(bot, chat_id, text, user=None, chat_type="private", **kwargs):
    """Send ``text`` as a user (by default the private chat's own, so that no two tests share a
    user's rate limit) and wait for the bot's reply in that chat."""
    user = user if user is not None else chat_id
    start = len(bot.sent)
    bot.push_message(chat_id, user, text, chat_type=chat_type, **kwargs)
    return bot.wait_for(
        lambda m: m.get("chat_id") == chat_id and m["method"] == "sendMessage", start=start
    )


def test_commands_menu_is_set(bot):
    assert "setMyCommands" in bot.calls


def test_start_says_what_the_bot_knows(bot):
    reply = ask(bot, 101, "/start")
    assert f"{len(list(bot.corpus.glob('*.md')))} 篇文章" in reply["text"]
    assert "最新一篇是 2020-05-15" in reply["text"] and "· 最近有什么新闻？" in reply["text"]


def test_question_answered_with_sources_and_buttons(bot):
    reply = ask(bot, 102, "谁到烟厂空气质量监测站点督导？")
    assert "张艳敏" in reply["text"]
    assert "<b>烟厂</b>" in reply["text"]
    assert "来源" in reply["text"] and "烟厂空气质量监测站点周边环境治理情况" in reply["text"]
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0]["text"] == "原文 1"
    assert [b["text"] for b in buttons[-3:]] == ["更多", "👍", "👎"]
    assert "sendChatAction" in bot.calls
    start = len(bot.sent)
    bot.push_callback(102, READER, buttons[0]["callback_data"], reply["message"])
    full = bot.wait_for(
        lambda m: m.get("chat_id") == 102 and m["method"] == "sendMessage", start=start
    )
    assert full["text"].startswith("<b>管城回族区领导督导")
    assert "专家对站点数据的分析" in full["text"]


def test_unknown_question_says_so(bot):
    reply = ask(bot, 103, "量子计算机的原理是什么？")
    assert "没有找到" in reply["text"] and "reply_markup" not in reply


def test_follow_up_question_uses_the_previous_one(bot):
    ask(bot, 104, "区总工会表彰了多少名先进个人？")
    reply = ask(bot, 104, "那先进单位呢？")
    assert "29家先进单位" in plain(reply["text"])


def test_admin_adds_an_article_and_it_is_answered_at_once(bot):
    text = (
        "/add 管城区举办非遗文化节\n"
        "6月1日，管城区在商城遗址公园举办非遗文化节，共展出120件非遗作品。"
    )
    reply = ask(bot, ADMIN, text, user=ADMIN)
    assert "已添加 1 篇" in reply["text"]
    answer = ask(bot, ADMIN, "非遗文化节展出了多少件作品？", user=ADMIN)
    assert "120件" in answer["text"]
    again = ask(bot, ADMIN, text, user=ADMIN)
    assert "重复" in again["text"]
    spaced = "/add\n二七区 召开 防汛 会议\n6月3日，二七区召开防汛会议，部署汛期值班。"
    assert "二七区 召开 防汛 会议" in ask(bot, ADMIN, spaced, user=ADMIN)["text"]


def test_the_bot_answers_from_an_article_another_process_imported(bot, tmp_path):
    page = tmp_path / "pushed.txt"
    text = "南曹乡启动秸秆禁烧巡查\n6月8日，南曹乡组织46名网格员开展秸秆禁烧巡查。"
    page.write_text(text, "utf-8")
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(bot.data), "NEWSBOT_CONFIG": ""}
    imported = subprocess.run(
        [sys.executable, "-m", "newsbot.cli", "--corpus", str(bot.corpus), "import", str(page)],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    deadline = time.monotonic() + 20
    while True:  # the bot notices within watch_seconds (2 s), no /reload
        reply = ask(bot, 108, "南曹乡组织了多少名网格员开展秸秆禁烧巡查？")
        if "46名" in reply["text"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert "46名" in reply["text"]


def test_admin_adds_by_replying_to_a_message(bot):
    original = {
        "message_id": 5,
        "date": 0,
        "chat": {"id": ADMIN, "type": "private", "first_name": "x"},
        "text": "金岱街道开展义诊活动\n6月5日，金岱街道组织医生为80名老人义诊。",
    }
    reply = ask(bot, ADMIN, "/add", user=ADMIN, reply_to=original)
    assert "已添加 1 篇" in reply["text"] and "金岱街道开展义诊活动" in reply["text"]
    assert "80名" in ask(bot, ADMIN, "金岱街道为多少名老人义诊？", user=ADMIN)["text"]


def test_non_admin_add_is_refused_and_nothing_is_stored(bot):
    before = sorted(p.name for p in bot.corpus.glob("*.md"))
    reply = ask(bot, 105, "/add 标题\n正文内容在这里。", user=READER)
    assert "只有管理员" in reply["text"]
    assert sorted(p.name for p in bot.corpus.glob("*.md")) == before
    assert f"user {READER}" in bot.log_path.read_text()


def test_admin_uploads_a_document(bot):
    rows = [
        {
            "id": "doc-1",
            "title": "二七区召开安全生产会议",
            "text": "5月20日，二七区召开安全生产会议，部署防汛工作。",
        },
    ]
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    start = len(bot.sent)
    bot.push_message(ADMIN, ADMIN, None, document=("news.jsonl", data))
    reply = bot.wait_for(
        lambda m: m.get("chat_id") == ADMIN and m["method"] == "sendMessage", start=start
    )
    assert "已添加 1 篇" in reply["text"]
    assert (bot.corpus / "doc-1.md").exists()
    assert "防汛" in ask(bot, ADMIN, "二七区安全生产会议部署了什么工作？", user=ADMIN)["text"]


def test_group_silence_unless_asked(bot):
    group = -500
    start = len(bot.sent)
    bot.push_message(group, READER, "大家好，今天天气不错", chat_type="group")
    reply = ask(bot, group, "/ask 区总工会主席是谁？", user=501, chat_type="group")
    assert "盛伟" in reply["text"]
    assert len(bot.replies_to(group, start)) == 1
    mention = ask(bot, group, "@newsbot_test_bot 区总工会主席是谁？", user=501, chat_type="group")
    assert "盛伟" in mention["text"]


def test_huge_message_gets_a_reply(bot):
    reply = ask(bot, 106, "烟厂" + "督导" * 10_000)
    assert reply["text"]


def test_latest_list_and_stats(bot):
    ask(bot, 107, "量子计算机的原理是什么？")
    assert "最新文章" in ask(bot, 107, "/latest 2")["text"]
    assert "只有管理员" in ask(bot, 107, "/list")["text"]
    listing = ask(bot, ADMIN, "/list", user=ADMIN)["text"]
    assert "文章列表" in listing and "/article_" in listing
    stats = ask(bot, ADMIN, "/stats", user=ADMIN)["text"]
    assert "已回答问题" in stats and "量子计算机" in stats


def test_admin_deletes_with_confirmation(bot):
    ask(bot, ADMIN, "/add 待删除的通知\n这篇通知稍后会被删除。", user=ADMIN)
    (stored,) = [p for p in bot.corpus.glob("*.md") if "待删除的通知" in p.read_text("utf-8")]
    prompt = ask(bot, ADMIN, f"/delete {stored.stem}", user=ADMIN)
    assert "确定删除" in prompt["text"]
    confirm = prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    start = len(bot.sent)
    bot.push_callback(READER, READER, confirm, prompt["message"])
    refusal = bot.wait_for(lambda m: m["method"] == "answerCallbackQuery", start=start)
    assert "只有管理员" in refusal["text"]
    assert stored.exists()
    start = len(bot.sent)
    bot.push_callback(ADMIN, ADMIN, confirm, prompt["message"])
    done = bot.wait_for(lambda m: m["method"] == "editMessageText", start=start)
    assert "已删除" in done["text"]
    assert not stored.exists()


def test_nothing_was_rejected_and_the_token_never_logged(bot):
    assert bot.rejected == []
    assert TOKEN not in bot.log_path.read_text()


def test_clean_stop_on_sigint_keeps_stats_and_pushes(tmp_path):
    bot = start_bot(tmp_path)
    try:
        ask(bot, ADMIN, "/add 管城区举办非遗文化节\n6月1日，管城区举办非遗文化节。", user=ADMIN)
        for n in range(6):
            ask(bot, 110 + n, "区总工会主席是谁？")
        bot.process.send_signal(signal.SIGINT)
        assert bot.process.wait(timeout=30) == 0
    finally:
        stop_bot(bot)
    with sqlite3.connect(bot.data / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 6
    (current,) = bot.data.glob("corpora/*/index/CURRENT")
    table = json.loads((current.parent / current.read_text() / "articles.json").read_text())
    titles = set(table["titles"])
    assert "管城区举办非遗文化节" in titles, "the admin's push is in the index saved at stop"


def test_webhook_mode_accepts_only_telegrams_calls(tmp_path):
    import socket
    import urllib.error
    import urllib.request

    from newsbot.telegram.app import webhook_secret

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = FakeBotAPI(TOKEN).start()
    url = f"http://127.0.0.1:{port}/tg/hook"
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "NEWSBOT_TELEGRAM_BASE_URL": api.base_url,
        "NEWSBOT_TELEGRAM_WEBHOOK_URL": url,
        "NEWSBOT_TELEGRAM_WEBHOOK_PORT": str(port),
        "NEWSBOT_CORPUS_DIR": str(BUNDLED_CORPUS),
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_CONFIG": "",
    }
    log_path = tmp_path / "bot.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbot.cli", "bot"], env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 60
            while "setWebhook" not in api.calls:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, "bot did not set its webhook"
                time.sleep(0.1)
            hook = next(p for m, p in api.params if m == "setWebhook")
            assert hook["url"] == url and hook["secret_token"] == webhook_secret(TOKEN)
            assert TOKEN not in hook["secret_token"]
            api.push_message(108, READER, "区总工会主席是谁？")
            update = json.dumps(api.updates.pop()).encode()

            def post(secret: str) -> int:
                request = urllib.request.Request(url, data=update, method="POST")
                request.add_header("Content-Type", "application/json")
                request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
                deadline = time.monotonic() + 20  # the server may start just after setWebhook
                while True:
                    try:
                        with urllib.request.urlopen(request, timeout=10) as response:
                            return response.status
                    except urllib.error.HTTPError as exc:
                        return exc.code
                    except urllib.error.URLError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.1)

            assert post("forged") == 403
            assert post(webhook_secret(TOKEN)) == 200
            # Refused on the headers: the server answers without waiting for the 95 MB body.
            assert _status_before_body(port, "forged", 95_000_000) == 403
            assert _status_before_body(port, webhook_secret(TOKEN), 95_000_000) == 413
            assert _status_before_body(port, webhook_secret(TOKEN), None) == 411  # chunked
            reply = api.wait_for(lambda m: m.get("chat_id") == 108)
            assert "盛伟" in reply["text"]
            assert len(api.replies_to(108)) == 1
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            api.stop()
    assert TOKEN not in log_path.read_text()


def _status_before_body(port: int, secret: str, declared: int | None) -> int:
    """The status the webhook answers a POST declaring ``declared`` bytes (None: chunked, no
    length), of which only the headers and 64 KB are sent."""
    import socket

    length = f"Content-Length: {declared}" if declared else "Transfer-Encoding: chunked"
    head = (
        f"POST /tg/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n{length}\r\n\r\n"
    )
    body = b"{" * 65536 if declared else b"10000\r\n" + b"{" * 65536 + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        reply = sock.recv(200).decode("latin-1")  # a timeout here: it waited for the body
    return int(reply.split()[1])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _bot_env(tmp_path, base_url, token=TOKEN, **extra):
    return {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": token,
        "NEWSBOT_TELEGRAM_BASE_URL": base_url,
        "NEWSBOT_CORPUS_DIR": str(BUNDLED_CORPUS),
        "NEWSBOT_DATA_DIR": str(tmp_path / "data"),
        "NEWSBOT_CONFIG": "",
        **extra,
    }


@pytest.mark.parametrize("verbose", [False, True])
def test_a_rejected_token_is_one_line_and_never_printed(tmp_path, verbose):
    api = FakeBotAPI(TOKEN).start()
    wrong = "999999:WRONG-secret-token"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "newsbot.cli", *(["-v"] if verbose else []), "bot"],
            env=_bot_env(
                tmp_path, api.base_url, wrong, NEWSBOT_LOG_LEVEL="DEBUG" if verbose else "INFO"
            ),
            capture_output=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
    finally:
        api.stop()
    output = (result.stdout + result.stderr).decode()
    assert result.returncode == 2, output
    assert "机器人令牌无效" in output
    assert wrong not in output and "WRONG-secret" not in output
    assert "Traceback" not in output
    if not verbose:  # at debug level the request log comes first, the token redacted
        assert len(output.strip().splitlines()) == 1, output


def test_an_unreachable_telegram_is_retried_until_it_answers(tmp_path):
    port = _free_port()
    log_path = tmp_path / "bot.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsbot.cli", "bot"],
            env=_bot_env(tmp_path, f"http://127.0.0.1:{port}/bot"),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        api = None
        try:
            deadline = time.monotonic() + 60
            while log_path.read_text().count("cannot reach Telegram") < 2:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            api = FakeBotAPI(TOKEN).start(port)
            while "getUpdates" not in api.calls:
                assert process.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        finally:
            process.kill()
            process.wait()
            if api is not None:
                api.stop()
    text = log_path.read_text()
    assert "Traceback" not in text and TOKEN not in text
    tries = [line for line in text.splitlines() if "cannot reach Telegram" in line]
    assert "attempt 1, retrying in 1 s" in tries[0] and "attempt 2, retrying in 2 s" in tries[1]


def test_state_survives_a_sigkill(tmp_path):
    bot = start_bot(tmp_path)
    try:
        assert "已订阅“工会”" in ask(bot, 130, "/subscribe 工会")["text"]
        ask(bot, 130, "量子计算机的原理是什么？")
        bot.process.kill()  # SIGKILL: no shutdown hook runs
        bot.process.wait()
    finally:
        stop_bot(bot)
    again = start_bot(tmp_path)
    try:
        assert "工会（即时）" in ask(again, 130, "/subscriptions")["text"]
        stats = ask(again, ADMIN, "/stats", user=ADMIN)["text"]
        assert "量子计算机的原理是什么？" in stats
    finally:
        stop_bot(again)


def test_a_flooded_chat_does_not_hold_the_others(bot):
    bot.retry_after = 3
    bot.flooded_chats[140] = 2  # its next two replies answered 429 (retry after 3 s)
    start = len(bot.sent)
    bot.push_message(140, 140, "区总工会主席是谁？")
    time.sleep(0.5)
    pushed = time.monotonic()
    bot.push_message(141, 141, "区总工会主席是谁？")
    first = bot.wait_for(lambda m: m.get("chat_id") in (140, 141) and m["method"] == "sendMessage",
                         start=start)  # fmt: skip
    assert first["chat_id"] == 141  # answered while chat 140 waits out its flood,
    assert first["at"] - pushed < 2.0  # not after it (that would be 2.6 s or more)
    late = bot.wait_for(lambda m: m.get("chat_id") == 140 and m["method"] == "sendMessage",
                        start=start, timeout=30)  # fmt: skip
    assert "盛伟" in late["text"]
    bot.retry_after = 1
