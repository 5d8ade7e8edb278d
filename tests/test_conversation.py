"""Conversation over a small dated corpus with a fixed reference day (Wednesday 2021-03-10):
intents, every date expression, refusal of a day without articles, and follow-ups."""

import dataclasses
import json
from datetime import date

import pytest

from newsbot.config import Config
from newsbot.corpus.importers import parse_import
from newsbot.index.search import IndexParams, SearchIndex
from newsbot.responder import Responder
from newsbot.responder.followup import context_of

from .paths import DATA
from .test_cli import run

DATED = DATA / "dated_news.jsonl"
TODAY = date(2021, 3, 10)


@pytest.fixture(scope="module")
def responder(tokenizer):
    articles = parse_import(DATED.name, DATED.read_bytes()).articles
    config = dataclasses.replace(Config(), today=TODAY)
    return Responder(SearchIndex(articles, tokenizer, IndexParams()), config)


@pytest.mark.parametrize(
    ("intent", "message"),
    [
        ("greeting", "你好"),
        ("greeting", "您好！在吗"),
        ("thanks", "谢谢"),
        ("thanks", "好的，谢谢你的帮助～"),
        ("help", "你能做什么？"),
        ("help", "你好，怎么用？"),
    ],
)
def test_small_talk_says_what_the_bot_knows(responder, intent, message):
    answer = responder.ask(message)
    assert answer.intent == intent and answer.found
    assert "没有找到" not in answer.answer
    if intent != "thanks":
        assert "8 篇文章" in answer.answer and "2021-03-10" in answer.answer
        assert "最近有什么新闻？" in answer.answer  # an example question that works


WHATS_NEW = [
    ("最近有什么新闻？", ["safety", "sorting", "renewal", "union", "lantern"]),
    ("今天有什么新闻？", ["safety"]),
    ("昨天有什么新闻", ["sorting"]),
    ("前天有什么消息", ["renewal"]),
    ("这周有什么新闻？", ["safety", "sorting", "renewal"]),
    ("本周有哪些新闻", ["safety", "sorting", "renewal"]),
    ("上周有什么新闻？", ["union"]),
    ("这个月区里开了哪些会？", ["safety", "sorting", "union"]),
    ("本月有什么新闻", ["safety", "sorting", "renewal", "union"]),
    ("上个月有什么新闻？", ["lantern"]),
    ("今年有什么新闻", ["safety", "sorting", "renewal", "union", "lantern"]),
    ("去年有什么新闻", ["economy", "exam"]),
    ("去年年底有什么新闻？", ["economy"]),
    ("最近三天有什么新闻？", ["safety", "sorting", "renewal"]),
    ("近日有什么新闻", ["safety", "sorting", "renewal", "union", "lantern"]),
    ("2020年有什么新闻？", ["economy", "exam"]),
    ("3月有什么新闻", ["safety", "sorting", "renewal", "union"]),
    ("3月9日有什么新闻？", ["sorting"]),
    ("2021年3月3日有什么新闻", ["union"]),
    ("最新消息", ["safety", "sorting", "renewal", "union", "lantern"]),
    ("垃圾分类有什么新闻？", ["sorting"]),
]


@pytest.mark.parametrize(("message", "ids"), WHATS_NEW)
def test_whats_new_lists_the_period_newest_first(responder, message, ids):
    answer = responder.ask(message)
    assert answer.intent == "latest" and answer.found, answer.answer
    assert [s.id for s in answer.sources] == ids
    assert all(s.date and s.date in answer.answer for s in answer.sources)


def test_a_day_without_articles_is_refused(responder):
    for message in ("3月25日开了什么会？", "3月25日谁出席了安全生产工作会议？"):
        answer = responder.ask(message)
        assert not answer.found, message
        assert answer.answer.startswith("新闻库里没有3月25日的报道。")
    assert "最接近的是：《区政府召开安全生产工作会议》" in answer.answer


@pytest.mark.parametrize(
    ("question", "source", "short"),
    [
        ("今天谁出席了安全生产工作会议？", "safety", "王建国"),
        ("昨天表彰了多少个示范小区？", "sorting", "12个"),
        ("上周谁作了工作报告？", "union", "李红梅"),
        ("去年年底谁出席了经济工作会议？", "economy", "赵强"),
        ("2021年3月8日计划改造多少个小区？", "renewal", "35个"),
    ],
)
def test_a_topic_and_a_period_use_both(responder, question, source, short):
    answer = responder.ask(question)
    assert answer.found and answer.sources[0].id == source, answer.answer
    assert answer.short_answer == short and answer.period


def test_a_period_the_topic_is_not_in_is_refused(responder):
    # The safety meeting was today, not last week: never answered from another day.
    answer = responder.ask("上周谁出席了安全生产工作会议？")
    assert not answer.found and "王建国" not in answer.answer


@pytest.mark.parametrize(
    ("question", "shown"),
    [
        ("今年区图书馆周几闭馆？", "今年"),
        ("2021年区图书馆周几闭馆？", "2021年"),
        ("2021年3月区图书馆周几闭馆？", "2021年3月"),
    ],
)
def test_undated_articles_answer_a_period_the_corpus_has_saying_so(responder, question, shown):
    # The library notice has no date and names no year: the corpus has news of the period, so
    # it may be of it, and the reply says it could not check.
    answer = responder.ask(question)
    assert answer.found and answer.sources[0].id == "library", answer.answer
    assert answer.answer.endswith(f"（这篇报道没有注明日期，无法确认是否为{shown}的事。）")


def test_undated_articles_do_not_answer_a_year_the_corpus_has_no_news_of(responder):
    for question in ("2019年区图书馆周几闭馆？", "2021年4月区图书馆周几闭馆？"):
        answer = responder.ask(question)
        assert not answer.found and "周一" not in answer.answer, question
    assert "新闻库里没有关于“2021年4月”的报道" in answer.answer


def test_dated_answers_carry_no_date_warning(responder):
    answer = responder.ask("2021年3月3日谁作了工作报告？")
    assert answer.found and answer.short_answer == "李红梅"
    assert "注明日期" not in answer.answer


def _conversation(responder, messages):
    context, answers = None, []
    for message in messages:
        answer = responder.ask(message, context=context)
        context = context_of(answer) or context
        answers.append(answer)
    return answers


def test_follow_ups_answer_the_new_question(responder):
    first, pronoun, unrelated = _conversation(
        responder, ["今天谁出席了安全生产工作会议？", "他强调了什么？", "明天天气怎么样？"]
    )
    assert first.short_answer == "王建国"
    assert pronoun.found and pronoun.resolved and "压实企业主体责任" in pronoun.answer
    assert pronoun.answer != first.answer
    assert not unrelated.found and unrelated.resolved is None  # stands alone: refused alone

    counted, elliptic = _conversation(responder, ["推进会表彰了多少个示范小区？", "那先进单位呢？"])
    assert counted.short_answer == "12个"
    assert elliptic.found and elliptic.short_answer == "8家"


def test_a_question_that_stands_alone_is_answered_alone(responder):
    _, alone = _conversation(responder, ["推进会表彰了多少个示范小区？", "谁作了工作报告？"])
    assert alone.resolved is None and alone.short_answer == "李红梅"


def test_ask_json_conversation_with_newsbot_today(tmp_path):
    corpus = tmp_path / "corpus"
    imported = run(["--corpus", str(corpus), "import", str(DATED)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    messages = ["你好", "上周有什么新闻？", "今天谁出席了安全生产工作会议？", "他强调了什么？"]
    messages += ["明天天气怎么样？", "谢谢", "3月25日开了什么会？"]
    result = run(
        ["--corpus", str(corpus), "ask", "--json", "--follow"],
        tmp_path,
        stdin="\n".join(messages).encode(),
        env={"NEWSBOT_TODAY": "2021-03-10"},
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    intents = ["greeting", "latest", "question", "question", "question", "thanks", "latest"]
    assert [r["intent"] for r in rows] == intents
    assert [r["found"] for r in rows] == [True, True, True, True, False, True, False]
    assert [s["id"] for s in rows[1]["sources"]] == ["union"]
    assert rows[1]["period"] == "2021-03-01 至 2021-03-07"
    assert rows[3]["resolved_question"] and "压实" in rows[3]["answer"]
    listed = run(
        ["--corpus", str(corpus), "ask", "--json"],
        tmp_path,
        stdin="\n".join(m for m, _ in WHATS_NEW).encode(),
        env={"NEWSBOT_TODAY": "2021-03-10"},
    )
    rows = [json.loads(line) for line in listed.stdout.decode().splitlines()]
    assert [[s["id"] for s in r["sources"]] for r in rows] == [ids[:5] for _, ids in WHATS_NEW]
    bad = run(["--corpus", str(corpus), "ask", "你好"], tmp_path, env={"NEWSBOT_TODAY": "3/10"})
    assert bad.returncode == 2 and "NEWSBOT_TODAY" in bad.stderr.decode()
