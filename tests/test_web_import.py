"""Import by URL and from HTML files, against a local server serving CMS-shaped pages and the bad
cases; updates in place and near-duplicates."""

from __future__ import annotations

import json

import pytest

from newsbot.corpus.html import article_from_html, clean_title
from newsbot.corpus.importers import parse_import
from newsbot.errors import CorpusError

from .test_cli import run
from .web_server import WEB, Route, WebServer, article_page

LOGIN = "<html><body><form>用户名<input> 密码<input> 登录</form></body></html>"
FLOOD = [
    "5月27日，管城回族区召开2024年防汛工作会议，全面部署今年防汛工作。区长孙晓峰出席会议并讲话。",
    "会议对全区32处易涝点逐一明确了责任单位和责任人，12个单位主要负责人参加会议。",
    "孙晓峰强调，要在6月10日前完成全部易涝点的隐患排查和整改，确保安全度汛。",
]


@pytest.fixture
def web():
    server = WebServer().start()
    yield server
    server.stop()


def test_a_cms_page_becomes_a_clean_article():
    page = (WEB / "article.html").read_text("utf-8")
    article = article_from_html(page, "http://www.guancheng.gov.cn/zwyw/2.html")
    assert article.title == "管城回族区召开2024年防汛工作会议"
    assert article.date == "2024-05-28" and article.source == "管城回族区应急管理局"
    assert article.url == "http://www.guancheng.gov.cn/zwyw/2.html"
    assert article.body.startswith("5月27日，管城回族区召开2024年防汛工作会议")
    for chrome in ("版权所有", "ICP备", "当前位置", "分享到", "上一篇", "网站首页", "浏览次数"):
        assert chrome not in article.body
    again = article_from_html(page, "http://www.guancheng.gov.cn/zwyw/2.html")
    assert again.id == article.id and again.id != article_from_html(page, "http://x.cn/1").id


def test_titles_lose_the_site_suffix():
    assert clean_title("关于印发方案的通知 - 河南省人民政府门户网站") == "关于印发方案的通知"
    assert clean_title("防汛会议召开_政务要闻_管城回族区人民政府") == "防汛会议召开"
    assert clean_title("区长孙晓峰调研") == "区长孙晓峰调研"


def test_an_html_file_imports_as_its_article_not_its_markup():
    report = parse_import("page.html", (WEB / "article.html").read_bytes())
    (article,) = report.articles
    assert article.title == "管城回族区召开2024年防汛工作会议" and "<" not in article.body


def test_import_by_url_through_the_cli_and_answered(web, tmp_path):
    url = web.html("/zwyw/2024/05/28/1001.html", article_page("管城回族区召开防汛工作会议",
                   "2024-05-28", "区应急管理局", FLOOD))  # fmt: skip
    corpus = tmp_path / "corpus"
    imported = run(["--corpus", str(corpus), "import", "--json", url], tmp_path)
    assert imported.returncode == 0, imported.stderr
    summary = json.loads(imported.stdout)
    assert [a["title"] for a in summary["added"]] == ["管城回族区召开防汛工作会议"]
    stored = next(corpus.glob("*.md")).read_text("utf-8")
    assert f"url: {url}" in stored and "版权所有" not in stored
    question = "孙晓峰强调要在什么时候前完成易涝点整改？"
    asked = run(["--corpus", str(corpus), "ask", "--json", question], tmp_path)
    answer = json.loads(asked.stdout)
    assert answer["found"] and "6月10日" in answer["answer"] and answer["sources"][0]["url"] == url
    again = run(["--corpus", str(corpus), "import", "--json", url], tmp_path)
    assert json.loads(again.stdout)["duplicates"] and not json.loads(again.stdout)["added"]


@pytest.mark.parametrize(
    ("path", "route", "message"),
    [
        ("/missing.html", None, "404"),
        ("/slow.html", Route(body=b"<html></html>", delay=3), "超时"),
        ("/loop", Route(status=302, headers={"Location": "/loop"}), "重定向"),
        ("/huge.html", Route(body=b"<p>" + "很长".encode() * 200_000), "过大"),
        ("/logo.png", Route(body=b"\x89PNG\r\n\x1a\n" * 10, content_type="image/png"), "不是网页"),
        (
            "/login.html",
            Route(body=LOGIN.encode()),
            "没有可提取的文章正文",
        ),
    ],
)
def test_a_page_without_an_article_is_refused_and_nothing_stored(
    web, web_engine, path, route, message
):
    if route is not None:
        web.routes[path] = route
    with pytest.raises(CorpusError, match=message):
        web_engine.import_url(web.url(path))
    assert len(web_engine.corpus) == 0 and not list(web_engine.config.corpus_dir.iterdir())


def test_a_gbk_page_with_a_wrong_declared_charset(web, web_engine):
    page = article_page("管城回族区召开防汛工作会议", "2024-05-28", "区应急管理局", FLOOD, "utf-8")
    web.routes["/gbk.html"] = Route(
        body=page.encode("gbk"), content_type="text/html; charset=utf-8"
    )
    result, _ = web_engine.import_url(web.url("/gbk.html"))
    assert result.added[0].title == "管城回族区召开防汛工作会议"
    assert "易涝点" in result.added[0].body


def test_a_changed_page_updates_the_article_in_place(web, web_engine):
    url = web.html("/a.html", article_page("防汛工作会议召开", "2024-05-28", "区应急局", FLOOD))
    (first,) = web_engine.import_url(url)[0].added
    corrected = [FLOOD[0], FLOOD[1].replace("32处", "35处"), FLOOD[2]]
    web.html("/a.html", article_page("防汛工作会议召开", "2024-05-28", "区应急局", corrected))
    result, _ = web_engine.import_url(url)
    assert not result.added and [a.id for a in result.updated] == [first.id]
    assert len(web_engine.corpus) == 1 and "35处" in web_engine.corpus.get(first.id).body
    assert "35处" in web_engine.ask("全区有多少处易涝点？").answer


def test_the_same_body_under_another_title_or_byline_is_a_duplicate(web_engine):
    body = "\n\n".join(FLOOD)
    web_engine.import_data("a.txt", f"防汛工作会议召开\n{body}".encode())
    reposted = f"【转载】区里部署防汛\n本报讯（记者 张三 通讯员 李四）{body.replace('，', ', ')}"
    result, _ = web_engine.import_data("b.txt", reposted.encode())
    assert not result.added and result.duplicates


def test_a_repost_with_a_figure_changed_is_a_near_duplicate(web_engine):
    body = "\n\n".join(FLOOD)
    web_engine.import_data("a.txt", f"防汛工作会议召开\n{body}".encode())
    changed = body.replace("32处", "33处").replace("12个单位", "十二个单位")
    result, _ = web_engine.import_data("b.txt", f"区里部署防汛\n{changed}".encode())
    assert not result.added and result.duplicates[0][1] == web_engine.corpus.articles[0].id
    other = (
        "5月28日，管城回族区召开安全生产工作会议，区长孙晓峰出席会议并讲话，要求各单位开展"
        "隐患排查，6月10日前完成全部整改，确保安全生产形势稳定。会议由副区长主持。"
    )
    result, _ = web_engine.import_data("c.txt", f"安全生产工作会议召开\n{other}".encode())
    assert len(result.added) == 1  # same names and dates, another article
