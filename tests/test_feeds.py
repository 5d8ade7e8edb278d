"""Following feeds and column pages against a local server: RSS and Atom, conditional GET, seen
entries, new entries, updates, a column page without a feed, and failing sources."""

from __future__ import annotations

import json

import pytest

from newsbot.corpus.feeds import FEED, PAGE
from newsbot.errors import CorpusError

from .test_cli import run
from .web_server import Route, WebServer, article_page

NEWS = {
    1: ("管城回族区召开防汛工作会议", "2024-05-28", [
        "5月27日，区里召开防汛工作会议，区长孙晓峰出席。",
        "会议明确全区32处易涝点的责任人，要求6月10日前完成隐患整改。"]),
    2: ("管城回族区启动老旧小区改造", "2024-05-29", [
        "5月29日，区住建局启动老旧小区改造工程，今年计划改造35个小区。",
        "工程涉及居民4200户，年底前全部完工。"]),
    3: ("管城回族区举办非遗文化节", "2024-06-01", [
        "6月1日，管城回族区在商城遗址公园举办非遗文化节。",
        "文化节共展出120件非遗作品，吸引市民2万人次参观。"]),
}  # fmt: skip


def rss(server: WebServer, numbers: list[int], full: bool = False) -> bytes:
    items = []
    for n in numbers:
        title, date, paragraphs = NEWS[n]
        link = server.url(f"/zwyw/2024/{n:04d}.html")
        text = "".join(f"<p>{p}</p>" for p in paragraphs * 3) if full else title
        content = f"<description><![CDATA[{text}]]></description>"
        items.append(
            f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{date[8:]} May 2024 08:00:00 +0800</pubDate>{content}</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>管城区政务要闻</title><link>{server.url('/')}</link>{''.join(items)}</channel></rss>"
    ).encode()


def atom(server: WebServer, numbers: list[int]) -> bytes:
    entries = "".join(
        f'<entry><title>{NEWS[n][0]}</title><link href="{server.url(f"/bmdt/{n}.shtml")}"/>'
        f"<id>tag:guancheng,2024:{n}</id><updated>{NEWS[n][1]}T08:00:00+08:00</updated></entry>"
        for n in numbers
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>部门动态</title><id>tag:guancheng,2024</id>"
        f"<updated>2024-06-01T08:00:00Z</updated>{entries}</feed>"
    ).encode()


def serve_pages(server: WebServer, prefix: str, suffix: str) -> None:
    for n, (title, date, paragraphs) in NEWS.items():
        server.html(f"{prefix}{n}{suffix}", article_page(title, date, "区政府办", paragraphs))


@pytest.fixture
def web():
    server = WebServer().start()
    serve_pages(server, "/zwyw/2024/000", ".html")
    serve_pages(server, "/bmdt/", ".shtml")
    yield server
    server.stop()


def test_rss_feed_polled_twice_then_a_new_entry(web, web_engine):
    web.routes["/rss.xml"] = Route(
        body=rss(web, [1, 2]), content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    web_engine.feeds.add(web.url("/rss.xml"), "政务要闻")
    (first,) = web_engine.poll_feeds()
    assert sorted(a.title for a in first.added) == [
        "管城回族区召开防汛工作会议",
        "管城回族区启动老旧小区改造",
    ]
    assert all(a.url.startswith(web.url("/zwyw/")) and a.source == "区政府办" for a in first.added)
    (second,) = web_engine.poll_feeds()
    assert second.unchanged and not second.added
    assert web.conditional[-1] == ("/rss.xml", '"v1"', None)  # conditional GET sent
    web.routes["/rss.xml"] = Route(body=rss(web, [1, 2, 3]), headers={"ETag": '"v2"'})
    (third,) = web_engine.poll_feeds()
    assert [a.title for a in third.added] == ["管城回族区举办非遗文化节"]
    assert "120件" in web_engine.ask("非遗文化节展出了多少件作品？").answer


def test_atom_feed_and_entries_beyond_the_per_poll_bound_wait(web, web_engine):
    web.routes["/atom.xml"] = Route(body=atom(web, [1, 2, 3]), content_type="application/atom+xml")
    web_engine.feeds.add(web.url("/atom.xml"))
    (first,) = web_engine.poll_feeds()
    assert len(first.added) == 2 and first.waiting == 1  # max_entries_per_poll = 2
    (second,) = web_engine.poll_feeds()
    assert len(second.added) == 1 and second.waiting == 0
    assert len(web_engine.corpus) == 3


def test_full_content_in_the_feed_is_used_without_fetching_the_page(web, web_engine):
    web.routes["/full.xml"] = Route(body=rss(web, [3], full=True))
    web_engine.feeds.add(web.url("/full.xml"))
    (report,) = web_engine.poll_feeds()
    assert [a.title for a in report.added] == ["管城回族区举办非遗文化节"]
    assert "/zwyw/2024/0003.html" not in web.hits


def test_a_column_page_without_a_feed(web, web_engine):
    links = "".join(
        f'<li><a href="/zwyw/2024/{n:04d}.html">{NEWS[n][0]}</a><span>{NEWS[n][1]}</span></li>'
        for n in (3, 2, 1)
    )
    page = (
        '<html><head><meta charset="utf-8"><title>政务要闻</title></head><body>'
        '<div class="nav"><a href="/">网站首页</a><a href="/zwyw/">政务要闻</a>'
        '<a href="/bmdt/">部门动态</a></div>'
        f'<ul class="list">{links}</ul>'
        '<div class="page"><a href="/zwyw/index_1.html">下一页</a></div>'
        '<div class="footer">版权所有 <a href="https://beian.miit.gov.cn">豫ICP备05012345号</a>'
        "</div></body></html>"
    )  # fmt: skip
    web.html("/zwyw/", page)
    web_engine.feeds.add(web.url("/zwyw/"), "政务要闻栏目", kind=PAGE)
    (report,) = web_engine.poll_feeds()
    assert len(report.added) == 2 and report.waiting == 1
    assert not report.errors and "/zwyw/index_1.html" not in web.hits


def test_a_failing_feed_backs_off_and_never_stops_the_others(web, web_engine):
    web.routes["/bad.xml"] = Route(
        body=b"<rss><channel><item><title>broken", content_type="text/xml"
    )
    web.routes["/rss.xml"] = Route(body=rss(web, [1]))
    web_engine.feeds.add(web.url("/bad.xml"), "坏的")
    web_engine.feeds.add(web.url("/slow.xml"), "不存在")
    web_engine.feeds.add(web.url("/rss.xml"), "好的")
    reports = {r.feed.name: r for r in web_engine.poll_feeds()}
    assert "不是有效的" in reports["坏的"].failed and "404" in reports["不存在"].failed
    assert len(reports["好的"].added) == 1
    assert {r.feed.name for r in web_engine.poll_feeds()} == {"好的"}  # the failing wait
    stored = {f.name: f for f in web_engine.feeds.load()}
    assert stored["坏的"].failures == 1 and stored["坏的"].retry_at > 0


def test_an_html_page_given_as_a_feed_says_so(web, web_engine):
    web_engine.feeds.add(web.url("/zwyw/2024/0001.html"), "误加")
    (report,) = web_engine.poll_feeds()
    assert "不是 RSS/Atom" in report.failed and "--page" in report.failed


def test_feed_store_refuses_bad_input(web_engine):
    web_engine.feeds.add("http://127.0.0.1:9/rss.xml", "一")
    for args in (("http://127.0.0.1:9/rss.xml",), ("http://127.0.0.1:9/x.xml", "一"), ("ftp://x",)):
        with pytest.raises(CorpusError):
            web_engine.feeds.add(*args)
    with pytest.raises(CorpusError, match="正则"):
        web_engine.feeds.add("http://127.0.0.1:9/p", "二", PAGE, "([")
    with pytest.raises(CorpusError):
        web_engine.feeds.remove("不存在")
    assert [f.kind for f in web_engine.feeds.load()] == [FEED]


def test_feeds_cli_add_poll_twice_list_remove(web, tmp_path):
    web.routes["/rss.xml"] = Route(body=rss(web, [1, 2]), headers={"ETag": '"x"'})
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    base = ["--corpus", str(corpus)]
    assert (
        run([*base, "feeds", "add", web.url("/rss.xml"), "--name", "要闻"], tmp_path).returncode
        == 0
    )
    first = run([*base, "feeds", "poll", "--json"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(json.loads(first.stdout)["feeds"][0]["added"]) == 2
    second = json.loads(run([*base, "feeds", "poll", "--json"], tmp_path).stdout)
    assert second["feeds"][0]["added"] == []
    listed = run([*base, "feeds", "list", "--json"], tmp_path)
    assert json.loads(listed.stdout)["seen"] == 2
    duplicate = run([*base, "feeds", "add", web.url("/rss.xml")], tmp_path)
    assert duplicate.returncode == 2 and "已经在跟踪" in duplicate.stderr.decode()
    assert run([*base, "feeds", "remove", "要闻"], tmp_path).returncode == 0
    assert run([*base, "feeds", "list"], tmp_path).stdout.strip() == b""
