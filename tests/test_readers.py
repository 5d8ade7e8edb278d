"""Readers' features through the real Application and the fake Bot API: topic subscriptions
pushed by /add and by another process's import, once only, surviving a restart; feedback; inline
mode; captions and other inputs; forwarded channel posts; a blocked subscriber removed."""

from __future__ import annotations

import asyncio
import dataclasses
import time

from newsbot.corpus.article import Article, to_markdown
from newsbot.engine import Engine
from newsbot.responder.topics import matches

from .fake_bot_api import ADMIN
from .test_cli import run as run_cli
from .test_handlers import READER, Harness, texts
from .test_handlers import run as run_harness

SORTING = (
    "区城管局召开垃圾分类推进会\n3月9日，区城管局召开垃圾分类推进会，部署垃圾分类工作。"
    "会议表彰了12个垃圾分类示范小区。"
)
MENTION = "区图书馆调整开放时间\n区图书馆开放时间调整为每天9时至21时，馆内设有垃圾桶。"
RENEWAL = "老旧小区改造全面启动\n区住建局启动老旧小区改造工程，今年计划改造35个小区。"


async def _pushes(
    h: Harness, chat: int, start: int, expect: int, seconds: float = 5.0
) -> list[dict]:
    """The pushes sent to ``chat`` since ``start``, waiting until ``expect`` have come."""
    deadline = time.monotonic() + seconds
    while True:
        got = [
            m
            for m in h.api.sent[start:]
            if m.get("chat_id") == chat and "订阅" in m.get("text", "")
        ]
        if len(got) >= expect or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.05)


def test_a_subscriber_hears_of_matching_articles_once(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        await h.bot.post_init(h.app)
        reply = texts(await h.say(READER, "/subscribe 垃圾分类"))[0]
        assert "已订阅“垃圾分类”" in reply
        start = len(h.api.sent)
        await h.say(ADMIN, f"/add {SORTING}", user=ADMIN)
        await h.say(ADMIN, f"/add {MENTION}", user=ADMIN)  # mentions a bin, is not about sorting
        await h.say(ADMIN, f"/add {RENEWAL}", user=ADMIN)
        pushes = await _pushes(h, READER, start, 1)
        await asyncio.sleep(0.3)
        pushes = await _pushes(h, READER, start, 1)
        assert len(pushes) == 1 and "区城管局召开垃圾分类推进会" in pushes[0]["text"]
        assert pushes[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "原文"
        await h.say(ADMIN, f"/add {SORTING}", user=ADMIN)  # a duplicate: no second push
        await asyncio.sleep(0.3)
        assert len(await _pushes(h, READER, start, 2, seconds=0.5)) == 1

    run_harness(tg_config, tg_engine, scenario)


def test_subscriptions_survive_a_restart_and_can_be_cancelled(tg_config, tg_engine, tokenizer):
    async def first(h: Harness) -> None:
        await h.say(READER, "/subscribe 工会")
        await h.say(READER, "/subscribe 老旧小区改造 每日")

    run_harness(tg_config, tg_engine, first)
    restarted = Engine(tg_config, tokenizer)

    async def second(h: Harness) -> None:
        listed = texts(await h.say(READER, "/subscriptions"))[0]
        assert "工会（即时）" in listed and "老旧小区改造（每日汇总）" in listed
        assert "已取消订阅“工会”" in texts(await h.say(READER, "/unsubscribe 工会"))[0]
        assert "没有订阅“工会”" in texts(await h.say(READER, "/unsubscribe 工会"))[0]
        assert "工会（" not in texts(await h.say(READER, "/subscriptions"))[0]

    run_harness(tg_config, restarted, second)


def test_an_article_another_process_imports_is_pushed(tg_config, tokenizer, tmp_path):
    config = dataclasses.replace(tg_config, watch_seconds=0.1)
    engine = Engine(config, tokenizer)
    engine.watch()
    source = tmp_path / "sorting.md"
    title, body = SORTING.split("\n", 1)
    source.write_text(to_markdown(Article(id="sorting", title=title, body=body)), "utf-8")

    async def scenario(h: Harness) -> None:
        await h.bot.post_init(h.app)
        await h.say(READER, "/subscribe 垃圾分类")
        start = len(h.api.sent)
        env = {"NEWSBOT_DATA_DIR": str(config.data_dir)}
        args = ["--corpus", str(config.corpus_dir), "import", str(source)]
        imported = await asyncio.to_thread(run_cli, args, tmp_path, env=env)
        assert imported.returncode == 0, imported.stderr
        pushes = await _pushes(h, READER, start, 1, seconds=10)
        assert len(pushes) == 1 and "垃圾分类推进会" in pushes[0]["text"]

    run_harness(config, engine, scenario)


def test_a_blocked_subscriber_is_removed(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        await h.bot.post_init(h.app)
        await h.say(READER, "/subscribe 垃圾分类")
        h.api.blocked.add(READER)
        await h.say(ADMIN, f"/add {SORTING}", user=ADMIN)
        deadline = time.monotonic() + 5
        while h.bot.store.subscriptions(READER) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert h.bot.store.subscriptions(READER) == []

    run_harness(tg_config, tg_engine, scenario)


def test_a_thumbs_down_is_recorded_and_shown_in_stats(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        (answer,) = [m for m in await h.say(READER, "区总工会主席是谁？") if "text" in m]
        rows = answer["reply_markup"]["inline_keyboard"]
        down = next(b for row in rows for b in row if b["text"] == "👎")
        h.api.push_callback(READER, READER, down["callback_data"], answer["message"])
        sent = await h.feed()
        acks = [m for m in sent if m["method"] == "answerCallbackQuery"]
        assert acks and "谢谢反馈" in acks[0]["text"]
        edited = [m for m in sent if m["method"] == "editMessageReplyMarkup"]
        labels = [b["text"] for row in edited[0]["reply_markup"]["inline_keyboard"] for b in row]
        assert "👎 ✓" in labels and "👍" in labels
        stats = texts(await h.say(ADMIN, "/stats", user=ADMIN))[0]
        assert "👎 1" in stats and "区总工会主席是谁" in stats

    run_harness(tg_config, tg_engine, scenario)


def test_an_inline_query_is_answered(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        h.api.push_inline_query(READER, "区总工会主席是谁？")
        (answered,) = [m for m in await h.feed() if m["method"] == "answerInlineQuery"]
        results = answered["results"]
        assert results[0]["title"] == "答：盛伟"
        assert "盛伟" in results[0]["input_message_content"]["message_text"]
        h.api.push_inline_query(READER, "")
        (headlines,) = [m for m in await h.feed() if m["method"] == "answerInlineQuery"]
        assert len(headlines["results"]) == 5

    run_harness(tg_config, tg_engine, scenario)


def test_captions_are_questions_and_other_inputs_get_a_hint(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        h.api.push_message(READER, READER, None, photo=True, caption="区总工会主席是谁？")
        assert "盛伟" in texts(await h.feed())[0]
        h.api.push_message(READER, READER, None, kind="sticker")
        assert texts(await h.feed()) == ["我只读文字。请用文字提问，例如：「最近有什么新闻？」"]
        h.api.push_message(READER, READER, None, kind="location")
        assert "只读文字" in texts(await h.feed())[0]

    run_harness(tg_config, tg_engine, scenario)


def test_a_forwarded_channel_post_is_offered_for_adding(tg_config, tg_engine):
    post = "金岱街道开展义诊活动\n6月5日，金岱街道组织医生为80名老人义诊。"

    async def scenario(h: Harness) -> None:
        h.api.push_message(ADMIN, ADMIN, post, forwarded_from_channel="管城发布")
        (offer,) = [m for m in await h.feed() if m["method"] == "sendMessage"]
        button = offer["reply_markup"]["inline_keyboard"][0][0]
        assert button["text"] == "添加为文章" and len(tg_engine.corpus) == 5
        h.api.push_callback(ADMIN, ADMIN, button["callback_data"], offer["message"])
        assert "已添加 1 篇" in texts(await h.feed())[0]
        assert "80名" in texts(await h.say(ADMIN, "金岱街道为多少名老人义诊？", user=ADMIN))[0]

    run_harness(tg_config, tg_engine, scenario)


def test_a_deep_link_opens_the_article(tg_config, tg_engine):
    article = tg_engine.corpus.articles[0]

    async def scenario(h: Harness) -> None:
        sent = texts(await h.say(READER, f"/start article_{article.id}"))
        assert sent[0].startswith(f"<b>{article.title}</b>")

    run_harness(tg_config, tg_engine, scenario)


def test_topic_matching_needs_more_than_a_mention(tg_engine):
    for text in (SORTING, MENTION):
        tg_engine.import_data("a.txt", text.encode())
    by_title = {a.title: a for a in tg_engine.corpus.articles}
    sorting = matches(tg_engine.index, by_title["区城管局召开垃圾分类推进会"], ["垃圾分类"], 0.6)
    mention = matches(tg_engine.index, by_title["区图书馆调整开放时间"], ["垃圾"], 0.6)
    assert [m.topic for m in sorting] == ["垃圾分类"] and mention == []


def test_newsbot_stats_reads_what_the_bot_recorded(tg_config, tg_engine, tmp_path):
    async def scenario(h: Harness) -> None:
        (answer,) = [m for m in await h.say(READER, "区总工会主席是谁？") if "text" in m]
        await h.say(READER, "量子计算机的原理是什么？")
        rows = answer["reply_markup"]["inline_keyboard"]
        down = next(b for row in rows for b in row if b["text"] == "👎")
        h.api.push_callback(READER, READER, down["callback_data"], answer["message"])
        await h.feed()

    run_harness(tg_config, tg_engine, scenario)
    env = {"NEWSBOT_DATA_DIR": str(tg_config.data_dir)}
    shown = run_cli(["--corpus", str(tg_config.corpus_dir), "stats"], tmp_path, env=env)
    out = shown.stdout.decode()
    assert shown.returncode == 0 and "已回答问题 2 个，未找到答案 1 个（50%）" in out
    assert "量子计算机的原理是什么？" in out and "👎 1" in out


def test_a_daily_subscriber_gets_one_digest_instead_of_pushes(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        await h.bot.post_init(h.app)
        assert "每天汇总一次" in texts(await h.say(READER, "/subscribe 垃圾分类 每日"))[0]
        start = len(h.api.sent)
        await h.say(ADMIN, f"/add {SORTING}", user=ADMIN)
        await asyncio.sleep(0.5)
        assert await _pushes(h, READER, start, 1, seconds=0.3) == []  # held for the digest
        await h.bot.readers.digest(None)
        (digest,) = [m for m in h.api.sent[start:] if m.get("chat_id") == READER]
        assert "订阅日报" in digest["text"] and "区城管局召开垃圾分类推进会" in digest["text"]
        await h.bot.readers.digest(None)  # sent once
        assert len([m for m in h.api.sent[start:] if m.get("chat_id") == READER]) == 1

    run_harness(tg_config, tg_engine, scenario)
