import dataclasses
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.config import Config
from newsbot.corpus.article import Article
from newsbot.index.search import IndexParams, SearchIndex
from newsbot.responder import Responder, analyse
from newsbot.responder.extract import ELLIPSIS, answer_evidence
from newsbot.responder.question import known_pieces

from .paths import DATA

CASES = [json.loads(line) for line in (DATA / "guancheng_qa.jsonl").read_text("utf-8").splitlines()]


@pytest.mark.parametrize("case", CASES, ids=[c["question"] for c in CASES])
def test_bundled_corpus_questions_are_answered_with_the_fact_and_the_article(engine, case):
    answer = engine.ask(case["question"])
    assert answer.found
    assert any(gold in answer.answer for gold in case["answers"]), answer.answer
    assert len(answer.answer) <= 150
    assert case["title"] in answer.sources[0].title


def test_shorter_limit_still_holds_most_facts(engine):
    held = sum(
        any(g in engine.ask(c["question"], max_chars=80).answer for g in c["answers"])
        for c in CASES
    )
    assert held >= len(CASES) - 2
    assert all(len(engine.ask(c["question"], max_chars=80).answer) <= 80 for c in CASES)


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        ("谁到烟厂空气质量监测站点督导？", "person"),
        ("哪位领导主持会议？", "person"),
        ("表彰了多少名先进个人？", "number"),
        ("表彰了几家红旗单位？", "number"),
        ("会议是哪天召开的？", "date"),
        ("什么时候召开专题会议？", "date"),
        ("督导检查在哪里进行？", "place"),
        ("哪个部门负责垃圾分拣？", "org"),
        ("会议下发了什么文件？", "work"),
        ("为什么要加强站点周边管控？", "reason"),
        ("这种做法被称为什么？", "name"),  # not a why-question: 称为什么
        ("哪个社区负责人表示基层工作没有捷径？", "place"),
        ("哪所学校获得表彰？", "org"),
        ("区总工会为何表彰先进个人？", "reason"),
        ("会议强调了什么？", "other"),
        ("开展督导是出于什么目的？", "reason"),
        ("管城回族区的简称是什么？", "name"),
        ("这项行动又称什么？", "name"),
        ("复工复产受到哪些因素的影响？", "other"),
        ("垃圾分拣站在哪些社区设立？", "place"),
        ("复工企业在哪些方面得到支持？", "other"),
        ("总工会主席叫什么名字？", "person"),  # a post's holder is called by a person's name
        ("这个公园叫什么名字？", "name"),
    ],
)
def test_question_types(tokenizer, question, qtype):
    assert analyse(question, tokenizer).qtype == qtype


def test_a_day_spelled_in_chinese_numerals_is_searched_as_the_news_writes_it(tokenizer):
    terms = analyse("五月十五日召开了什么会议？", tokenizer).terms
    assert "5月15日" in terms and "五月" not in terms


def test_question_words_are_not_searched(tokenizer):
    terms = analyse("谁到烟厂空气质量监测站点督导？", tokenizer).terms
    assert "谁" not in terms and "烟厂" in terms and "督导" in terms
    assert analyse("演练持续了多长时间？", tokenizer).terms == ("演练", "持续")


def test_answer_type_evidence(tokenizer):
    assert answer_evidence("person", "谁带领", tokenizer)("区长张艳敏带领")
    assert not answer_evidence("person", "张艳敏带领谁", tokenizer)("区长张艳敏带领")
    assert answer_evidence("number", "多少名", tokenizer)("表彰64名先进个人")
    assert not answer_evidence("number", "多少名", tokenizer)("5月15日召开")
    # No measure word asked (「多少先进个人」): a number written with what is counted.
    asked = answer_evidence("number", "表彰了多少先进个人", tokenizer)
    assert asked("对29家先进单位和64名先进个人进行表彰")
    assert not asked("先进个人代表等参加2020年全区会议")
    assert answer_evidence("number", "几乎每个社区有多少", tokenizer)("共有64人")  # 几乎 asks none
    assert answer_evidence("number", "新建道路有多长", tokenizer)("新建道路长1.2公里")
    assert answer_evidence("number", "演练持续了多长时间", tokenizer)("演练持续约1小时")
    assert not answer_evidence("number", "演练持续了多长时间", tokenizer)("场地长200米")
    assert not answer_evidence("number", "新建道路有多长", tokenizer)("投资3000万元新建道路")
    assert answer_evidence("date", "哪天", tokenizer)("5月15日上午")
    assert not answer_evidence("date", "哪天", tokenizer)("2020年全区")
    assert answer_evidence("reason", "为什么困难", tokenizer)("由于延迟上市")
    assert not answer_evidence("reason", "为什么困难", tokenizer)("因此上市就充满困难")
    assert answer_evidence("name", "管城回族区的简称是什么", tokenizer)("管城回族区，简称管城区")
    assert not answer_evidence("name", "管城回族区的简称是什么", tokenizer)("管城回族区位于郑州市")


@pytest.mark.parametrize(
    "question",
    [
        "泡泡战士是由哪家公司开发的？",
        "尤金袋鼠分布在哪里？",
        "明天北京天气怎么样？",
        "量子计算机的原理是什么？",
        "",
        "   ",
        "？？？！！！",
        "😀😀😀",
        "的了吗",
    ],
)
def test_questions_the_corpus_cannot_answer_are_refused(engine, question):
    answer = engine.ask(question)
    assert not answer.found
    assert answer.sources == ()
    assert answer.answer.startswith(("抱歉", "请"))
    assert "·" in answer.answer  # the hint lists recent titles


def test_answers_are_whole_clauses_with_ellipsis_where_text_is_cut(engine):
    for case in CASES:
        text = engine.ask(case["question"], max_chars=80).answer
        assert text.endswith(("。", "”", "！", "？", ELLIPSIS)), text


def test_sources_are_distinct_articles_best_first(engine):
    answer = engine.ask("管城区委书记虎强")
    ids = [s.id for s in answer.sources]
    assert len(ids) == len(set(ids)) <= 3
    assert all(s.passage and s.title for s in answer.sources)


def test_an_unrelated_article_is_never_a_source(engine):
    answer = engine.ask("谁到烟厂空气质量监测站点督导？")
    assert all("烟厂" in s.title or "烟厂" in s.passage for s in answer.sources)


def test_new_article_is_answered_at_once(engine):
    article = Article(
        id="gc-new",
        title="管城区举办非遗文化节",
        body="6月1日，管城区在商城遗址公园举办非遗文化节，共展出120件非遗作品。",
        date="2020-06-01",
    )
    assert not engine.ask("非遗文化节展出了多少件作品？").found
    engine.add([article])
    answer = engine.ask("非遗文化节展出了多少件作品？")
    assert answer.found and "120件" in answer.answer
    assert answer.sources[0].id == "gc-new"
    engine.delete("gc-new")
    assert not engine.ask("非遗文化节展出了多少件作品？").found


def test_tiny_corpora_still_answer(empty_config, tokenizer):
    from newsbot.engine import Engine

    engine = Engine(empty_config, tokenizer)
    assert not engine.ask("谁督导？").found
    engine.add(
        [Article(id="one", title="区长督导烟厂站点", body="区长张艳敏到烟厂空气质量监测站点督导。")]
    )
    answer = engine.ask("谁到烟厂督导？")
    assert answer.found and "张艳敏" in answer.answer
    engine.add([Article(id="two", title="工会会议", body="区总工会表彰64名先进个人。")])
    assert "64名" in engine.ask("表彰了多少名先进个人？").answer
    assert "张艳敏" in engine.ask("谁到烟厂督导？").answer


def test_context_is_added_in_whole_sentences(engine):
    answer = engine.ask("区总工会表彰了多少名先进个人？").answer
    assert "64名先进个人" in answer
    assert answer.endswith(("。", "！", "？")), answer  # no dangling 「盛伟说，…」


@pytest.mark.parametrize(
    "question",
    [
        "近期区总工会开了什么会？",
        "最近谁到烟厂空气质量监测站点督导？",
        "今年区总工会表彰了几家红旗单位？",
    ],
)
def test_relative_time_words_do_not_block_an_answer(engine, question):
    answer = engine.responder.ask(question, today=date(2020, 5, 20))
    assert answer.found and not {"近期", "最近", "今年"} & set(answer.terms)


def test_question_characters_skip_asking_and_function_words(tokenizer):
    chars = analyse("蓝线鱼的身体是什么颜色的？", tokenizer).chars
    assert {"身", "体", "颜", "色"} <= chars
    assert not {"的", "是", "什", "么"} & chars


def _responder_over(tokenizer, *articles):
    """A responder that always answers: these tests are about which sentence is quoted."""
    return Responder(
        SearchIndex(list(articles), tokenizer, IndexParams()),
        dataclasses.replace(Config(), min_confidence=0.0),
    )


QUOTED = {
    "a sentence sharing only characters with the question (身体/体)": (
        "蓝线裸顶鲷",
        "蓝线裸顶鲷，又称蓝线白鱼，为鲈形目的一个种。本鱼分布于印度太平洋区，"
        "包括东非、红海、日本与台湾等海域。本鱼体呈银灰色，有若干不规则污斑。"
        "头长为眼径的五倍。背鳍硬棘10枚、软条10枚。",
        "蓝线裸顶鲷的身体是什么颜色的？",
        40,
        ("银灰色",),
    ),
    "the best sentence over words spread across sentences": (
        "加拿大总理",
        "加拿大总理为加拿大首席、内阁主席和政府首脑。名义上总理一职由加拿大总督委任，"
        "但根据宪法传统总理需要获得国会下议院的信任。总理一职在加拿大宪法的成文部分中"
        "并未被提及；行政权名义上属于君主，由总督代理执行。最初，总理职位的设立参照了"
        "当时英国首相的职位；1867年5月24日，委任约翰·麦克唐纳爵士组建第一任加拿大联邦政府。",
        "名义上加拿大总理一职由谁委任？",
        80,
        ("由加拿大总督委任",),
    ),
    "a tie won by the sentence keeping the question's phrase (研究机构)": (
        "科技中心",
        "管城区科技中心是2018年成立的区属事业机构，主要研究和服务本地企业。"
        "管城区科技中心是集孵化、培训和咨询为一体的综合性研究机构。",
        "管城区科技中心是什么样的研究机构？",
        40,
        ("综合性研究机构",),
    ),
    "a sentence pointing back (在此背景下) quoted with the one before": (
        "专场招聘会",
        "区人社局召开专题会议。去年以来，辖区多家企业遭遇用工短缺，订单积压严重。"
        "在此背景下，区人社局决定开展春风行动专场招聘会。招聘会吸引80家企业参加。",
        "区人社局开展专场招聘会的背景是什么？",
        50,
        ("用工短缺", "在此背景下"),
    ),
    "the answering sentence leads: one before it that holds more words is not quoted first": (
        "图书馆",
        "管城区图书馆少儿阅览区今年改造完成，新增图书2万册。馆内还设有自习室和报告厅，"
        "自习室每天开放12小时，报告厅每月举办两场公益讲座，讲座内容涵盖历史、文学和科普等"
        "多个方面。改造后的少儿阅览区位于三楼。",
        "管城区图书馆的少儿阅览区改造后在几楼？",
        60,
        ("改造后的少儿阅览区位于三楼。",),
    ),
    "a sentence drawing a consequence (由此得名) quoted with the one before": (
        "紫荆山公园",
        "紫荆山公园位于金水区。1958年，园内种下一株紫荆树，每到春天花开满枝。公园由此得名。"
        "公园占地约三百亩，设有儿童游乐区和健身步道，每天吸引大量市民。",
        "紫荆山公园是怎么得名的？",
        40,
        ("紫荆树", "由此得名"),
    ),
    "a why-question quoting the cause told before the consequence": (
        "吉斯伯恩",
        "吉斯伯恩位于北岛东岸。吉斯伯恩有长时间的日照，肥沃的土壤和河川带来丰富的水源。"
        "因此，畜牧业发达。其他园艺、农业等种植的农产品，如葡萄经过加工酿制成酒，远销海外各地。"
        "吉斯伯恩也是最接近国际换日线的城市。",
        "为什么吉斯伯恩的畜牧业发达？",
        60,
        ("日照", "畜牧业发达"),
    ),
}


@pytest.mark.parametrize("case", QUOTED)
def test_the_quoted_sentence(tokenizer, case):
    title, body, question, limit, wanted = QUOTED[case]
    responder = _responder_over(tokenizer, Article(id="a", title=title, body=body))
    answer = responder.ask(question, max_chars=limit)
    assert answer.found and all(w in answer.answer for w in wanted), answer.answer


def test_asking_words_leave_no_fragments_behind(tokenizer):
    terms = analyse("炮身的容量有多大？", tokenizer).terms
    assert "容量" in terms and not {"多", "大", "多大"} & set(terms)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("夜来香的花有什么特点？", True),
        ("管城区有多少家企业？", True),
        ("哪个社区有图书馆？", False),
    ],
)
def test_have_is_dropped_only_before_an_asking_word(tokenizer, question, asks):
    terms = analyse(question, tokenizer).terms
    assert ("有" not in terms) == asks, terms


def test_the_kind_of_answer_after_an_asking_word_is_not_searched(tokenizer):
    assert "地方" not in analyse("紫荆山公园位于什么地方？", tokenizer).terms
    assert "职务" not in analyse("张艳敏担任什么职务？", tokenizer).terms
    assert "职务" in analyse("张艳敏辞去职务是在哪一年？", tokenizer).terms


def test_an_unseen_question_word_falls_back_to_the_known_words_inside_it():
    known = {"杨昊", "效力", "现"}.__contains__
    assert known_pieces("杨昊现", known) == ("杨昊", "现")
    assert known_pieces("效力", known) == ("效力",)
    assert known_pieces("甲乙丙", known) == ("甲乙丙",)  # nothing known inside: kept, unseen


def test_a_name_glued_to_the_next_character_still_finds_its_article(tokenizer):
    articles = [
        Article(id="yh", title="杨昊", body="杨昊是中国足球运动员。现效力于中乙球队陕西长安竞技。"),
        Article(id="other", title="渠成", body="渠成是中国足球运动员，现效力四川安纳普尔那。"),
    ]
    responder = Responder(SearchIndex(articles, tokenizer, IndexParams()), Config())
    answer = responder.ask("杨昊现效力于哪里？")  # jieba cuts 「杨昊现」, a word no article holds
    assert answer.found and "杨昊" in answer.terms, answer
    assert answer.sources[0].id == "yh" and "陕西长安竞技" in answer.answer, answer


def test_a_whole_sentence_may_use_every_character_of_the_limit(tokenizer):
    sentence = (
        "区总工会召开表彰大会，对获得全国五一劳动奖章的先进集体和个人进行表彰，共表彰64名先进个人。"
    )
    body = "会议由区总工会主持。" + sentence + "会后，与会人员参观了劳模创新工作室。"
    responder = _responder_over(tokenizer, Article(id="h", title="表彰大会", body=body))
    answer = responder.ask("区总工会表彰了多少名先进个人？", max_chars=len(sentence))
    assert answer.answer == sentence  # no room taken for ellipses it does not need
    shorter = responder.ask("区总工会表彰了多少名先进个人？", max_chars=len(sentence) - 1)
    assert len(shorter.answer) <= len(sentence) - 1


_SENTENCES = st.lists(
    st.sampled_from(
        [
            "管城区召开工作会议。",
            "会议由区长张艳敏主持，64名代表参加。",
            "2020年5月15日，区总工会表彰先进个人。",
            "紫荆山公园位于金水区，占地约三百亩。",
            "园内种下一株紫荆树，公园由此得名。",
            "此后，公园每年举办花展，吸引大量市民前来观赏，周边道路也随之完成了绿化提升改造工程。",
            "烟厂空气质量监测站点周边环境治理情况良好。",
            "因为疫情，复工复产推迟到三月，企业用工短缺，订单积压严重，区人社局为此开展专场招聘。",
        ]
    ),
    min_size=1,
    max_size=8,
    unique=True,
)
_QUESTIONS = st.sampled_from(
    [
        "谁主持会议？",
        "多少名代表参加？",
        "公园是怎么得名的？",
        "紫荆山公园在什么地方？",
        "为什么复工复产推迟？",
        "区总工会哪天表彰先进个人？",
        "公园占地有多大？",
        "张艳敏主持的会议有多少名代表，区总工会哪天表彰？",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_SENTENCES, _QUESTIONS, st.sampled_from([40, 80, 150]))
def test_an_answer_quotes_only_the_article_within_the_limit(tokenizer, sentences, question, limit):
    """Whatever the text and the question: the answer stays within the limit, and each piece
    between ellipses is the article's text, verbatim."""
    body = "".join(sentences)
    responder = _responder_over(tokenizer, Article(id="a", title="新闻", body=body))
    answer = responder.ask(question, max_chars=limit)
    if not answer.found:
        return
    assert len(answer.answer) <= limit, answer.answer
    pieces = [p for p in answer.answer.split(ELLIPSIS) if p]
    assert pieces and all(p in body for p in pieces), answer.answer
