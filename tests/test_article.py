import pytest

from newsbot.corpus.article import (
    Article,
    article_from_fields,
    make_id,
    markdown_body,
    normalize_id,
    parse_markdown,
    to_markdown,
    validate_id,
)
from newsbot.errors import CorpusError


def test_markdown_round_trip():
    article = Article(
        id="gc-1",
        title="标题",
        body="第一段。\n\n第二段。",
        date="2020-05-15",
        source="郑州日报",
        url="https://example.org/1",
        authors=("柴琳琳",),
        tags=("工会",),
    )
    assert parse_markdown(to_markdown(article), "x.md") == article
    assert article.paragraphs == ["第一段。", "第二段。"]


def test_yaml_dates_and_null_dates_are_accepted():
    text = "---\ntitle: 标题\ndate: 2020-05-15\n---\n正文。\n"
    assert parse_markdown(text, "x.md").date == "2020-05-15"
    text = "---\ntitle: 标题\ndate: null\n---\n正文。\n"
    assert parse_markdown(text, "x.md").date is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter", "YAML 头信息"),
        ("---\ntitle: [unclosed\n---\n正文", "第 2 行"),
        ("---\n- a list\n---\n正文", "键值映射"),
        ("---\nid: x\n---\n正文", "缺少标题"),
        ("---\ntitle: 标题\n---\n\n", "正文为空"),
        ("---\ntitle: 标题\ndate: 15/05/2020\n---\n正文", "YYYY-MM-DD"),
        ("---\ntitle: 标题\ncolour: red\n---\n正文", "未知字段"),
        ("---\ntitle: 标题\nid: ../etc/passwd\n---\n正文", "无效的文章编号"),
    ],
)
def test_bad_markdown_is_a_clear_user_error(text, message):
    with pytest.raises(CorpusError, match=message):
        parse_markdown(text, "bad.md")


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/b", "con", "", "x" * 65, "a b\x00"])
def test_unsafe_ids_are_rejected(bad):
    with pytest.raises(CorpusError):
        validate_id(bad)


def test_ids_are_normalised_and_derived_from_content():
    assert normalize_id(" GC 1 ") == "gc-1"
    assert make_id("标题", "正文") == make_id("标题", "正文")
    assert make_id("标题", "正文") != make_id("标题", "别的正文")
    assert validate_id(make_id("标题", "正文"))


def test_fingerprint_ignores_spacing_punctuation_and_script():
    a = article_from_fields({"title": "總工會"}, "召開會議，表彰先進。", "a")
    b = article_from_fields({"title": "总工会"}, "召开会议 表彰先进", "b")
    assert a.fingerprint == b.fingerprint


@pytest.mark.parametrize(
    "text",
    [
        "---\nid: a\ntitle: 甲\n---\n\n正文。\n\n第二段。\n",
        "---\r\nid: a\r\ntitle: 甲\r\n---\r\n正文，--- 不是分隔。\r\n",
        "---  \nid: a\ntitle: 甲\n---\n  正文在同一行后。  \n\n\n",
    ],
)
def test_a_files_body_is_read_as_parsing_it_whole_reads_it(text):
    assert markdown_body(text, "x.md") == parse_markdown(text, "x.md").body


def test_a_body_without_front_matter_is_a_clear_user_error():
    with pytest.raises(CorpusError, match="YAML"):
        markdown_body("正文。", "x.md")
