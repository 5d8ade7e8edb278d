"""Conversation through the Telegram adapter (the real Application, the fake Bot API): intents,
dates against a fixed day, follow-ups, replies to an answer, and buttons tied to their answer
across other questions and a restart."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import date

import pytest

from newsbot.config import Config
from newsbot.engine import Engine

from .fake_bot_api import OFFLINE_BASE
from .paths import DATA
from .test_handlers import READER, Harness, texts
from .test_telegram import plain

DATED = DATA / "dated_news.jsonl"
CHAT = 501


@pytest.fixture
def dated_config(tmp_path, base_config) -> Config:
    return dataclasses.replace(
        base_config,
        corpus_dir=tmp_path / "corpus",
        data_dir=tmp_path / "data",
        today=date(2021, 3, 10),
        latest_listed=2,
        telegram=dataclasses.replace(base_config.telegram, base_url=OFFLINE_BASE),
    )


@pytest.fixture
def dated_engine(dated_config, tokenizer) -> Engine:
    (dated_config.corpus_dir).mkdir()
    engine = Engine(dated_config, tokenizer)
    engine.import_file(DATED)
    return engine


def session(config: Config, engine: Engine, scenario) -> None:
    async def main() -> None:
        async with Harness(config, engine) as harness:
            await scenario(harness)

    asyncio.run(main())


async def said(h: Harness, text: str, **kwargs) -> dict:
    """The bot's one reply to ``text`` in the test chat."""
    sent = [
        m for m in await h.say(CHAT, text, user=READER, **kwargs) if m["method"] == "sendMessage"
    ]
    assert len(sent) == 1, sent
    return sent[0]


async def press(h: Harness, reply: dict, label: str) -> list[str]:
    """Press the button ``label`` under ``reply``; what the bot sent back."""
    rows = reply["reply_markup"]["inline_keyboard"]
    data = next(b["callback_data"] for row in rows for b in row if b["text"] == label)
    h.api.push_callback(CHAT, READER, data, reply["message"])
    return texts(await h.feed())


def test_intents_get_their_own_replies(dated_config, dated_engine):
    async def scenario(h: Harness) -> None:
        hello = plain((await said(h, "你好"))["text"])
        assert "8 篇文章" in hello and "2021-03-10" in hello and "没有找到" not in hello
        assert "不客气" in (await said(h, "谢谢"))["text"]
        assert "可以这样问" in (await said(h, "你能做什么？"))["text"]
        news = await said(h, "上周有什么新闻？")
        assert "区总工会召开职工代表大会" in news["text"] and "2021-03-03" in news["text"]
        assert "/article_union" in news["text"]
        assert "原文 1" in json.dumps(news["reply_markup"], ensure_ascii=False)
        full = await press(h, news, "原文 1")
        assert full[0].startswith("<b>区总工会召开职工代表大会</b>")
        refused = plain((await said(h, "3月25日开了什么会？"))["text"])
        assert refused.startswith("新闻库里没有3月25日的报道。")

    session(dated_config, dated_engine, scenario)


def test_follow_ups_and_an_unrelated_question(dated_config, dated_engine):
    async def scenario(h: Harness) -> None:
        first = plain((await said(h, "今天谁出席了安全生产工作会议？"))["text"])
        assert first.startswith("答：王建国")
        pronoun = plain((await said(h, "他强调了什么？"))["text"])
        assert "压实企业主体责任" in pronoun and pronoun.split("\n")[0] != first.split("\n")[0]
        unrelated = plain((await said(h, "明天天气怎么样？"))["text"])
        assert "王建国" not in unrelated and "没有" in unrelated
        assert (await said(h, "推进会表彰了多少个示范小区？"))["text"].startswith("<b>答：12个")
        assert (await said(h, "那先进单位呢？"))["text"].startswith("<b>答：8家")

    session(dated_config, dated_engine, scenario)


def test_a_reply_to_an_older_answer_leans_on_that_answer(dated_config, dated_engine):
    async def scenario(h: Harness) -> None:
        counted = await said(h, "推进会表彰了多少个示范小区？")
        await said(h, "今天谁出席了安全生产工作会议？")
        reply = await said(h, "那先进单位呢？", reply_to=counted["message"])
        assert reply["text"].startswith("<b>答：8家")

    session(dated_config, dated_engine, scenario)


def test_more_acts_on_its_answer_after_other_questions_and_a_restart(
    dated_config, dated_engine, tokenizer
):
    kept: dict[str, dict] = {}

    async def first(h: Harness) -> None:
        news = await said(h, "最近有什么新闻？")
        assert "/article_safety" in news["text"] and "/article_sorting" in news["text"]
        kept["news"] = news
        await said(h, "今天谁出席了安全生产工作会议？")  # the chat moves on
        more = await press(h, news, "更多")
        assert "老旧小区改造工程启动" in more[0] and "区政府召开安全生产工作会议" not in more[0]

    session(dated_config, dated_engine, first)
    restarted = Engine(dated_config, tokenizer)

    async def after_restart(h: Harness) -> None:
        more = await press(h, kept["news"], "更多")
        assert "老旧小区改造工程启动" in more[0]
        source = await press(h, kept["news"], "原文 2")
        assert source[0].startswith("<b>区城管局召开垃圾分类推进会</b>")

    session(dated_config, restarted, after_restart)


def test_an_unknown_button_key_is_answered_politely(dated_config, dated_engine):
    async def scenario(h: Harness) -> None:
        h.api.push_callback(CHAT, READER, "more:nosuchkey", {"message_id": 1, "date": 0,
                            "chat": {"id": CHAT, "type": "private"}})  # fmt: skip
        await h.feed()
        answered = [m for m in h.api.sent if m["method"] == "answerCallbackQuery"]
        assert answered and "失效" in answered[-1]["text"]

    session(dated_config, dated_engine, scenario)
