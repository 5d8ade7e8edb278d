"""Handlers through the real Application.process_update, with an HTTP layer that never leaves
the process: python-telegram-bot's request encoding and parsing run, the network does not."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

from telegram import Update

from newsbot.config import Config
from newsbot.corpus.article import Article
from newsbot.engine import Engine
from newsbot.telegram.app import build_application

from .fake_bot_api import ADMIN, BOT_USER, FakeBotAPI, OfflineRequest
from .mounts import read_only

TOKEN = "123456:OFFLINE-token"
READER = 7
GROUP = -100


class Harness:
    """An initialised Application fed with updates the fake API builds."""

    def __init__(self, config: Config, engine: Engine) -> None:
        self.api = FakeBotAPI(TOKEN)
        self.app = build_application(config, TOKEN, engine, request=OfflineRequest(self.api))
        self.bot = self.app.bot_data["newsbot"]

    async def __aenter__(self) -> Harness:
        await self.app.initialize()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.shutdown()
        await self.bot.post_shutdown(self.app)  # run_polling calls it after shutdown

    async def feed(self) -> list[dict]:
        """Process every queued update; return what the bot sent meanwhile."""
        start = len(self.api.sent)
        updates, self.api.updates = self.api.updates, []
        for data in updates:
            await self.app.process_update(Update.de_json(data, self.app.bot))
        return self.api.sent[start:]

    async def say(self, chat_id: int, text: str, user: int = READER, **kwargs) -> list[dict]:
        self.api.push_message(chat_id, user, text, **kwargs)
        return await self.feed()


def run(tg_config: Config, tg_engine: Engine, scenario) -> None:
    async def main() -> None:
        async with Harness(tg_config, tg_engine) as harness:
            await scenario(harness)

    asyncio.run(main())


def texts(sent: list[dict]) -> list[str]:
    return [m["text"] for m in sent if m["method"] in ("sendMessage", "editMessageText")]


def test_a_reply_to_the_bot_in_a_group_is_a_question(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        bot_message = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": GROUP, "type": "group", "title": "群"},
            "from": BOT_USER,
            "text": "……",
        }
        someone = {**bot_message, "from": {"id": 8, "is_bot": False, "first_name": "x"}}
        sent = await h.say(GROUP, "区总工会主席是谁？", chat_type="group", reply_to=bot_message)
        assert any("盛伟" in t for t in texts(sent))
        assert sent[-1]["reply_parameters"]["message_id"]
        quiet = await h.say(GROUP, "区总工会主席是谁？", chat_type="group", reply_to=someone)
        assert texts(quiet) == []

    run(tg_config, tg_engine, scenario)


def test_article_typed_by_hand(tg_config, tg_engine):
    article = tg_engine.corpus.articles[0]

    async def scenario(h: Harness) -> None:
        shown = texts(await h.say(READER, f"/article {article.id.upper()}"))
        assert article.title in shown[0]
        missing = texts(await h.say(READER, "/article ../../etc/passwd"))
        assert "没有编号为" in missing[0]

    run(tg_config, tg_engine, scenario)


def test_reload_picks_up_edits_on_disk(tg_config, tg_engine):
    corpus = tg_config.corpus_dir

    async def scenario(h: Harness) -> None:
        (corpus / "new.md").write_text(
            "---\nid: new-1\ntitle: 管城区开展消防演练\ndate: 2020-06-09\n---\n"
            "6月9日，管城区在紫荆山公园开展消防演练，300名群众参加。\n",
            encoding="utf-8",
        )
        (corpus / "broken.md").write_text("---\ntitle: [unclosed\n---\n正文", encoding="utf-8")
        victim = sorted(corpus.glob("a*.md"))[0]
        victim.unlink()
        refused = texts(await h.say(READER, "/reload"))
        assert "只有管理员" in refused[0]
        done = texts(await h.say(ADMIN, "/reload", user=ADMIN))
        assert "共 5 篇文章" in done[0] and "broken.md" in done[0]
        answer = texts(await h.say(READER, "紫荆山公园消防演练有多少名群众参加？"))
        assert "300名" in answer[0]

    run(tg_config, tg_engine, scenario)


def test_rate_limit_is_polite(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        for _ in range(3):
            assert "提问太频繁" not in texts(await h.say(READER, "区总工会主席是谁？"))[0]
        assert "提问太频繁" in texts(await h.say(READER, "区总工会主席是谁？"))[0]
        other = texts(await h.say(READER + 1, "区总工会主席是谁？", user=READER + 1))
        assert "盛伟" in other[0]

    run(tg_config, tg_engine, scenario)


def test_a_failing_handler_is_logged_and_the_bot_goes_on(tg_config, tg_engine, caplog):
    real_ask = tg_engine.ask
    calls = []

    def flaky(question, max_chars=None, context=None):
        calls.append(question)
        if len(calls) == 1:
            raise RuntimeError("index exploded")
        return real_ask(question, max_chars, context)

    tg_engine.ask = flaky

    async def scenario(h: Harness) -> None:
        sorry = texts(await h.say(READER, "区总工会主席是谁？"))
        assert sorry == ["抱歉，出错了，请稍后再试。"]
        assert "盛伟" in texts(await h.say(READER, "区总工会主席是谁？"))[0]

    with caplog.at_level(logging.ERROR):
        run(tg_config, tg_engine, scenario)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and errors[0].exc_info and "index exploded" in str(errors[0].exc_info[1])


def test_admin_commands_in_groups_check_the_sender(tg_config, tg_engine, caplog):
    async def scenario(h: Harness) -> None:
        before = len(tg_engine.corpus)
        refused = texts(await h.say(GROUP, "/add 标题\n正文。", chat_type="group"))
        assert "只有管理员" in refused[0]
        forwarded = {
            "forward_origin": {
                "type": "user",
                "date": 0,
                "sender_user": {"id": ADMIN, "is_bot": False, "first_name": "admin"},
            }
        }
        h.api.push_message(GROUP, READER, "/add 标题二\n正文二。", chat_type="group")
        h.api.updates[-1]["message"].update(forwarded)
        assert "只有管理员" in texts(await h.feed())[0]
        assert len(tg_engine.corpus) == before
        added = texts(
            await h.say(
                GROUP, "/add 群里添加\n6月2日，群里添加正文。", user=ADMIN, chat_type="group"
            )
        )
        assert "已添加 1 篇" in added[0]

    with caplog.at_level(logging.WARNING):
        run(tg_config, tg_engine, scenario)
    assert sum(f"user {READER}" in r.getMessage() for r in caplog.records) == 2


def test_each_admin_gets_the_admin_menu(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        await h.bot.post_init(h.app)
        menus = [p for m, p in h.api.params if m == "setMyCommands"]
        assert len(menus) == 2
        everyone, admin = menus
        assert "scope" not in everyone or everyone["scope"]["type"] == "default"
        assert admin["scope"] == {"type": "chat", "chat_id": ADMIN}
        assert {c["command"] for c in admin["commands"]} > {
            c["command"] for c in everyone["commands"]
        }
        assert all(c["description"] for c in admin["commands"])

    run(tg_config, tg_engine, scenario)


def test_statistics_survive_a_restart(tg_config, tg_engine, tokenizer):
    async def first(h: Harness) -> None:
        await h.say(READER, "量子计算机的原理是什么？")
        await h.say(READER, "区总工会主席是谁？")

    run(tg_config, tg_engine, first)
    database = tg_config.data_dir / "bot.sqlite3"
    assert database.exists() and not (tg_config.data_dir / "stats.json").exists()

    async def second(h: Harness) -> None:
        stats = texts(await h.say(ADMIN, "/stats", user=ADMIN))[0]
        assert "已回答问题 2 个" in stats and "量子计算机" in stats

    run(tg_config, Engine(tg_config, tokenizer), second)


def test_stats_lists_refusals_and_doubtful_answers_with_their_confidence(
    tg_config, tg_engine, tokenizer
):
    doubting = dataclasses.replace(tg_config, doubtful_confidence=1.0)  # every answer is doubtful

    async def scenario(h: Harness) -> None:
        reply = texts(await h.say(READER, "区总工会表彰了多少名先进个人？"))[0]
        assert reply.startswith("<b>答：64名</b>\n")  # the short answer leads, in bold
        await h.say(READER, "神舟二十五号的航天员是谁？")
        stats = texts(await h.say(ADMIN, "/stats", user=ADMIN))[0]
        refused = stats.split("最近拒答的问题（置信度）：")[1].split("\n")[1]
        assert refused.startswith("· 神舟二十五号的航天员是谁？（")
        doubtful = stats.split("最近把握不大的回答（置信度）：")[1].split("\n")[1]
        assert re.fullmatch(r"· 区总工会表彰了多少名先进个人？（(0\.\d\d|1\.00)）", doubtful)

    run(doubting, Engine(doubting, tokenizer), scenario)


def test_unknown_command_and_empty_ask(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        assert "不认识这个命令" in texts(await h.say(READER, "/frobnicate"))[0]
        assert "请在 /ask 后面写上问题" in texts(await h.say(READER, "/ask   "))[0]
        assert texts(await h.say(GROUP, "/frobnicate", chat_type="group")) == []

    run(tg_config, tg_engine, scenario)


def test_import_summary_of_many_long_items_fits_one_message():
    from newsbot.corpus import AddResult
    from newsbot.corpus.article import Article
    from newsbot.telegram.handlers import _import_summary

    from .fake_bot_api import html_problem, utf16_units

    long = [Article(id=f"x{n}", title="很长的标题" * 60, body="正文。") for n in range(500)]
    result = AddResult(tuple(long), tuple((a, "y") for a in long))
    text = _import_summary(result, tuple("错误" * 200 for _ in range(500)))
    assert utf16_units(text) <= 4096 and html_problem(text) is None
    assert "已添加 500 篇" in text and "另有 490 项未列出" in text


def test_every_reader_request_counts_and_a_refusal_is_said_once(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        answer = await h.say(READER, "区总工会主席是谁？")
        await h.say(READER, "/start")
        await h.say(READER, "/latest")  # three requests: the limit (3 a minute) is reached
        assert texts(await h.say(READER, "/start")) == ["提问太频繁了，请稍等一分钟再问。"]
        assert texts(await h.say(READER, "/article_x")) == []  # said once a minute, not per message
        assert texts(await h.say(READER, "区总工会主席是谁？")) == []
        button = answer[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        h.api.push_callback(READER, READER, button, answer[0]["message"])
        sent = await h.feed()
        assert texts(sent) == [] and sent[-1]["method"] == "answerCallbackQuery"
        assert "盛伟" in texts(await h.say(ADMIN, "区总工会主席是谁？", user=ADMIN))[0]

    run(tg_config, tg_engine, scenario)


def test_a_long_article_comes_a_part_at_a_time(tg_config, tg_engine):
    paragraphs = [
        f"第{k}段：" + "管城区推进老旧小区改造，完善社区服务设施。" * 40 for k in range(30)
    ]
    long_article = Article(id="long", title="长文", body="\n\n".join(paragraphs))
    tg_engine.add([long_article])

    async def scenario(h: Harness) -> None:
        first = [m for m in await h.say(ADMIN, "/article long", user=ADMIN) if "text" in m]
        assert len(first) == 1 and first[0]["text"].startswith("<b>长文</b>")
        button = first[0]["reply_markup"]["inline_keyboard"][0][0]
        assert button["text"].startswith("继续（2/")
        h.api.push_callback(ADMIN, ADMIN, button["callback_data"], first[0]["message"])
        second = [m for m in await h.feed() if m["method"] == "sendMessage"]
        assert len(second) == 1 and "第" in second[0]["text"]

    run(tg_config, tg_engine, scenario)


def test_an_edit_is_answered_again_only_when_it_changes_the_question(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        h.api.push_message(READER, READER, "区总工会主席是谁")
        asked_id = h.api.updates[-1]["message"]["message_id"]
        assert "盛伟" in texts(await h.feed())[0]
        h.api.push_edit(READER, READER, asked_id, "区总工会主席是谁？ ")  # punctuation only
        assert texts(await h.feed()) == []
        h.api.push_edit(READER, READER, asked_id, "谁到烟厂空气质量监测站点督导？")
        assert "张艳敏" in texts(await h.feed())[0]

    run(tg_config, tg_engine, scenario)


def test_a_button_of_a_deleted_article_says_so(tg_config, tg_engine):
    async def scenario(h: Harness) -> None:
        (answer,) = [m for m in await h.say(READER, "区总工会主席是谁？") if "text" in m]
        source = answer["reply_markup"]["inline_keyboard"][0][0]
        article_id = tg_engine.ask("区总工会主席是谁？").sources[0].id
        tg_engine.delete(article_id)  # as another process's delete, once noticed, does
        h.api.push_callback(READER, READER, source["callback_data"], answer["message"])
        assert texts(await h.feed()) == ["该文章已删除。"]

    run(tg_config, tg_engine, scenario)


def test_delete_in_a_read_only_corpus_says_why_and_keeps_the_article(tg_config, tokenizer):
    with read_only(tg_config.corpus_dir) as view:
        engine = Engine(dataclasses.replace(tg_config, corpus_dir=view), tokenizer)
        article_id = engine.corpus.articles[0].id

        async def scenario(h: Harness) -> None:
            (prompt,) = await h.say(ADMIN, f"/delete {article_id}", user=ADMIN)
            button = prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            h.api.push_callback(ADMIN, ADMIN, button, prompt["message"])
            (reason,) = texts(await h.feed())
            assert reason.startswith("未删除：无法删除") and "出错" not in reason

        run(tg_config, engine, scenario)
        assert article_id in engine.corpus
