import json

import pytest

from newsbot.corpus.importers import decode, parse_import
from newsbot.errors import CorpusError

ARTICLE = "区总工会召开会议\n\n5月15日上午,区总工会召开会议,表彰64名先进个人。\n"


def test_utf8_with_and_without_bom_and_gbk_read_the_same():
    texts = {
        decode(ARTICLE.encode("utf-8"), "a"),
        decode(b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"), "a"),
        decode(ARTICLE.encode("gbk"), "a"),
        decode(ARTICLE.encode("gb18030"), "a"),
    }
    assert texts == {ARTICLE}


@pytest.mark.parametrize("data", [b"\x00\x01\x02binary" * 100, bytes(range(256)) * 10])
def test_binary_is_refused(data):
    with pytest.raises(CorpusError, match="文本"):
        decode(data, "x.txt")


def test_txt_first_line_is_the_title():
    (article,) = parse_import("a.txt", ARTICLE.encode(), year=2020).articles
    assert article.title == "区总工会召开会议"
    assert article.body.startswith("5月15日上午")
    assert article.date == "2020-05-15"


def test_txt_without_body_is_refused():
    with pytest.raises(CorpusError, match="正文"):
        parse_import("a.txt", "只有标题".encode())


def test_empty_file_is_refused():
    with pytest.raises(CorpusError, match="为空"):
        parse_import("a.txt", b"  \n ")


def test_markdown_with_front_matter():
    text = "---\nid: gc-7\ntitle: 标题\ndate: 2020-05-07\nurl: https://x.org\n---\n\n正文。\n"
    (article,) = parse_import("a.md", text.encode()).articles
    assert (article.id, article.url, article.date) == ("gc-7", "https://x.org", "2020-05-07")


def test_jsonl_keeps_good_rows_and_reports_bad_ones_with_line_numbers():
    rows = [
        json.dumps({"id": "t1", "title": "一", "text": "第一篇。"}, ensure_ascii=False),
        "{not json",
        json.dumps({"title": "三"}, ensure_ascii=False),
        json.dumps({"title": "四", "text": "第四篇。", "date": "2020-01-02"}, ensure_ascii=False),
    ]
    report = parse_import("a.jsonl", "\n".join(rows).encode())
    assert [a.title for a in report.articles] == ["一", "四"]
    assert report.articles[0].id == "t1"
    assert report.articles[1].date == "2020-01-02"
    assert len(report.errors) == 2
    assert "第 2 行" in report.errors[0]
    assert "第 3 行" in report.errors[1]


def test_jsonl_with_only_bad_rows_is_an_error():
    with pytest.raises(CorpusError, match="第 1 行"):
        parse_import("a.jsonl", b"[1, 2]\n")


def test_huge_file_is_refused_by_size():
    with pytest.raises(CorpusError, match="过大"):
        parse_import("a.txt", b"a" * 50_000_001)


def test_a_big5_file_is_read_as_big5_not_garbled():
    text = "管城回族區召開防汛工作會議\n區長出席會議並講話，要求各單位壓實責任，確保安全度汛。"
    (article,) = parse_import("big5.txt", text.encode("big5")).articles
    assert article.title == "管城回族區召開防汛工作會議" and "確保安全度汛" in article.body
    (gbk,) = parse_import("gbk.txt", "防汛会议召开\n区长出席会议并讲话。".encode("gbk")).articles
    assert gbk.title == "防汛会议召开"
