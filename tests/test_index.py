import pytest

from newsbot.corpus.article import Article, collection_digest
from newsbot.index import Passage, SearchIndex, split_passages
from newsbot.index.search import Clauses, IndexParams, held_terms
from newsbot.text.joined import Joined


def test_passages_are_cut_at_sentence_ends_and_know_their_article():
    body = "\n\n".join(["这是一个比较长的句子，用来测试切分。" * 5] * 3)
    article = Article(id="x", title="标题", body=body)
    passages = split_passages(article, max_chars=100)
    assert all(len(p.text) <= 100 for p in passages)
    assert [p.position for p in passages] == list(range(len(passages)))
    assert all(p.article_id == "x" and p.text.endswith("。") for p in passages)
    assert passages[0].id == "x:0"


def test_short_paragraph_joins_the_next():
    article = Article(id="x", title="t", body="会上，他说：\n\n" + "基层工作没有捷径。" * 10)
    passages = split_passages(article, max_chars=300)
    assert len(passages) == 1
    assert passages[0].text.startswith("会上，他说：\n基层")


def test_title_helps_retrieval(tokenizer):
    articles = [
        Article(id="a", title="烟厂空气质量监测站点督导", body="区长带领有关部门负责人检查工作。"),
        Article(id="b", title="工会会议", body="会议表彰先进个人，部署工作。"),
    ]
    index = SearchIndex(articles, tokenizer)
    hits = index.search(tokenizer.tokens("烟厂督导"), k=5)
    assert hits[0].passage.article_id == "a"


def test_every_passage_holds_its_titles_terms(tokenizer):
    """A word named only in the title counts as present in each of the article's passages (the
    responder's coverage reads it there), through the bulk and the one-by-one paths."""
    body = "\n\n".join(f"第{n}段：区长带领有关部门负责人检查工作。" * 8 for n in range(4))
    article = Article(id="a", title="烟厂空气质量监测站点督导", body=body)
    for index in (
        SearchIndex([article], tokenizer, IndexParams(passage_max_chars=80)),
        SearchIndex([], tokenizer, IndexParams(passage_max_chars=80)).updated([article], []),
    ):
        hits = index.search(tokenizer.tokens("区长"), k=50)
        assert len(hits) == len(index) > 3
        title_terms = set(tokenizer.tokens(article.title))
        assert all(title_terms <= held for held in index.present(title_terms, hits))


def test_search_returns_only_passages_sharing_a_term(engine, tokenizer):
    hits = engine.index.search(tokenizer.tokens("张艳敏"), k=10)
    assert hits and all("张艳敏" in present for present in engine.index.present(["张艳敏"], hits))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert engine.index.search(tokenizer.tokens("量子计算机"), k=10) == []


def _ranking(index, tokenizer, question):
    return [(h.passage.id, round(h.score, 9)) for h in index.search(tokenizer.tokens(question))]


QUESTIONS = ["谁到烟厂空气质量监测站点督导", "区总工会表彰先进个人", "疫情防控 复工复产", "管城"]


def test_updates_equal_a_fresh_build(engine, tokenizer):
    old = engine.index
    articles = list(old.articles.values())
    extra = Article(
        id="new", title="管城区召开复工复产会议", body="5月8日，管城区召开会议，部署疫情防控。"
    )
    changed = Article(
        id=articles[1].id, title=articles[1].title, body=articles[1].body + "补充一句。"
    )
    new = old.updated(added=[extra, changed], removed=[articles[0].id])
    fresh = SearchIndex([*articles[2:], changed, extra], tokenizer, old.params)
    for question in QUESTIONS:
        assert _ranking(new, tokenizer, question) == _ranking(fresh, tokenizer, question)
    assert articles[0].id in old.articles and articles[0].id not in new.articles
    assert old.synced(articles) is old
    assert _ranking(old.synced([*articles[2:], changed, extra]), tokenizer, "管城") == _ranking(
        fresh, tokenizer, "管城"
    )
    other = SearchIndex(articles, tokenizer, IndexParams(passage_max_chars=120))
    assert len(other) > len(old)


def test_many_small_updates_compact_and_stay_exact(tokenizer):
    index = SearchIndex([], tokenizer)
    made = []
    for n in range(40):
        article = Article(
            id=f"x{n}", title=f"第{n}次会议", body=f"会议讨论了第{n}项工作，参加者{n}人。"
        )
        made.append(article)
        index = index.updated(added=[article], removed=[f"x{n - 3}"] if n % 3 == 0 else [])
    assert len(index.bm25.segments) <= 16
    alive = [a for a in made if a.id in index.articles]
    fresh = SearchIndex(alive, tokenizer)
    for question in ["会议讨论", "第7项工作", "参加者"]:
        assert _ranking(index, tokenizer, question) == _ranking(fresh, tokenizer, question)
    assert all(
        index.passages[i].article_id == aid
        for aid, (s, e) in index.spans.items()
        for i in range(s, e)
    )


def test_smoothed_idf_is_positive_even_on_one_document(tokenizer):
    index = SearchIndex([Article(id="a", title="t", body="唯一的文章。")], tokenizer)
    assert index.idf("文章") > 0
    assert index.idf("从未出现") > index.idf("文章")


def test_passage_lists_share_chunks_and_index_like_lists():
    from newsbot.index.passages import PassageList

    first = [Passage("a", n, f"甲{n}") for n in range(3)]
    second = [Passage("b", n, f"乙{n}") for n in range(2)]
    base = PassageList([first])
    longer = base.extended(second)
    assert len(base) == 3 and len(longer) == 5
    assert list(longer) == first + second
    assert longer[-1] == second[-1] and longer[1:4] == [first[1], first[2], second[0]]
    assert [longer.article_id(i) for i in range(5)] == ["a"] * 3 + ["b"] * 2
    with pytest.raises(IndexError):
        longer[5]


def test_clauses_hold_the_terms_among_their_tokens_cutting_only_where_one_is_written(engine):
    """``held_terms`` skips cutting clauses where no term is written, and agrees with the full
    tokens everywhere: also for a synonym written as its variant (管城区 → 管城回族区)."""
    index = engine.index
    passages = [index.clauses(i) for i in range(len(index))]
    tokens = [p.tokens(k) for p in passages for k in range(len(p))]
    words = sorted({t for found in tokens[:200] for t in found})
    joined = Joined([n for p in passages for n in p.norms])
    forms = engine.tokenizer.forms
    for n in range(7):
        terms = [*words[n::7], "管城回族区", "不存在的词"]
        held = held_terms(passages, joined, forms(terms))
        assert held == [found & set(terms) for found in tokens]
    fresh = Clauses(
        ("管城区举办活动", "没有相关的词"), ("管城区举办活动", "没有相关的词"), engine.tokenizer
    )
    held = held_terms([fresh], Joined(list(fresh.norms)), forms(["管城回族区", "活动", "北京"]))
    assert held == [{"管城回族区", "活动"}, frozenset()]
    assert set(fresh._cut) == {0}, "the clause holding none is never cut"


def test_an_index_carries_its_collection_digest_through_changes(tokenizer):
    first = [Article(id=f"a{n}", title=f"第{n}篇", body=f"正文{n}。") for n in range(4)]
    index = SearchIndex(first, tokenizer)
    assert index.digest == collection_digest(first)
    edited = Article(id="a1", title="第1篇", body="改过的正文。")
    changed = index.updated(added=[edited, Article(id="b", title="新", body="新的。")])
    changed = changed.updated(removed=["a2"])
    assert changed.digest == collection_digest(changed.articles.values())
    assert changed.digest != index.digest == collection_digest(first)  # the old snapshot kept


def test_ties_at_the_cut_are_broken_by_document_order(tokenizer):
    # Passages in three score levels, interleaved: a cut inside a level must keep its first
    # passages in document order, as a full sort does.
    articles = [
        Article(id=f"d{n:02d}", title="通知", body="区里召开防汛会议，" * (n * 7 % 3 + 1) + "。")
        for n in range(60)
    ]
    index = SearchIndex(articles, tokenizer)
    terms = tokenizer.tokens("防汛会议")
    everything = [h.index for h in index.search(terms, k=1000)]
    for k in (1, 5, 17, 33, 59):
        assert [h.index for h in index.search(terms, k=k)] == everything[:k]


def test_recent_keeps_the_most_recently_used_within_its_capacity():
    from newsbot.index.recent import Recent

    recent: Recent[str] = Recent(3)
    recent.put("a", "甲")
    recent.put("b", "乙", 2)
    assert recent.get("a") == "甲"  # now used after b
    recent.put("c", "丙")  # over capacity: b, the least recently used, goes
    assert (recent.get("a"), recent.get("b"), recent.get("c"), recent.size) == ("甲", None, "丙", 2)
    recent.put("d", "丁", 4)  # larger than the whole capacity: not kept, nothing dropped
    assert recent.get("d") is None and recent.size == 2
    recent.put("a", "另")  # a key held keeps its value
    assert recent.get("a") == "甲"


def test_articles_by_date_follow_each_snapshot(tokenizer):
    first = Article(id="a", title="五月的会", body="区里召开会议。", date="2020-05-15")
    undated = Article(id="b", title="没有日期", body="社区开展活动。")
    index = SearchIndex([first, undated], tokenizer, IndexParams())
    assert index.ids_by_date() == {"2020-05-15": ["a"], None: ["b"]}
    same_day = Article(id="c", title="同一天", body="街道召开会议。", date="2020-05-15")
    later = index.updated(added=[same_day], removed=["b"])
    assert later.ids_by_date() == {"2020-05-15": ["a", "c"]}
    assert index.ids_by_date() == {"2020-05-15": ["a"], None: ["b"]}  # the old snapshot's own
