from newsbot.corpus.article import Article
from newsbot.index import SearchIndex, split_passages
from newsbot.index.search import IndexParams


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


def test_search_returns_only_passages_sharing_a_term(engine, tokenizer):
    hits = engine.index.search(tokenizer.tokens("张艳敏"), k=10)
    assert hits and all("张艳敏" in engine.index.passage_tokens[h.index] for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert engine.index.search(tokenizer.tokens("量子计算机"), k=10) == []


def test_rebuild_reuses_tokens_of_unchanged_articles(engine, tokenizer):
    old = engine.index
    new = SearchIndex(old.articles.values(), tokenizer, old.params, previous=old)
    assert new.passage_tokens == old.passage_tokens
    assert all(a is b for a, b in zip(new.passage_tokens, old.passage_tokens, strict=True))
    other = SearchIndex(old.articles.values(), tokenizer, IndexParams(passage_max_chars=120), old)
    assert len(other) > len(old)


def test_smoothed_idf_is_positive_even_on_one_document(tokenizer):
    index = SearchIndex([Article(id="a", title="t", body="唯一的文章。")], tokenizer)
    assert index.idf("文章") > 0
    assert index.idf("从未出现") > index.idf("文章")
