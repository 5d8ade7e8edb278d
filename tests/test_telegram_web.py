"""Admins point the bot at web sources: /add URL, /feed_add, /feeds, /feed_poll, /feed_remove,
and the scheduled poll registered with the JobQueue."""

from __future__ import annotations

import dataclasses

import pytest

from newsbot.telegram.app import build_application

from .fake_bot_api import ADMIN, FakeBotAPI, OfflineRequest
from .test_feeds import NEWS, rss, serve_pages
from .test_handlers import READER, TOKEN, Harness, run, texts
from .web_server import Route, WebServer, article_page


@pytest.fixture
def web():
    server = WebServer().start()
    serve_pages(server, "/zwyw/2024/000", ".html")
    yield server
    server.stop()


def test_admin_adds_a_page_by_url_and_it_is_answered(tg_config, tg_engine, web):
    title, date, paragraphs = NEWS[3]
    url = web.html("/news/3.html", article_page(title, date, "区文广局", paragraphs))

    async def scenario(h: Harness) -> None:
        added = texts(await h.say(ADMIN, f"/add {url}", user=ADMIN))[0]
        assert "已添加 1 篇" in added and title in added
        assert (
            "120件"
            in texts(await h.say(ADMIN, "非遗文化节共展出了多少件非遗作品？", user=ADMIN))[0]
        )
        again = texts(await h.say(ADMIN, f"/add {url}", user=ADMIN))[0]
        assert "重复" in again
        broken = texts(await h.say(ADMIN, f"/add {web.url('/nothing.html')}", user=ADMIN))[0]
        assert broken.startswith("未导入：") and "404" in broken
        refused = texts(await h.say(READER, f"/add {url}"))[0]
        assert "只有管理员" in refused

    run(tg_config, tg_engine, scenario)


def test_admin_manages_feeds(tg_config, tg_engine, web):
    web.routes["/rss.xml"] = Route(body=rss(web, [1, 2]), content_type="application/rss+xml")

    async def scenario(h: Harness) -> None:
        say = lambda text: h.say(ADMIN, text, user=ADMIN)  # noqa: E731
        assert "还没有跟踪" in texts(await say("/feeds"))[0]
        assert (
            "已开始跟踪订阅源：要闻" in texts(await say(f"/feed_add {web.url('/rss.xml')} 要闻"))[0]
        )
        page = texts(await say(f"/feed_add {web.url('/zwyw/2024/0001.html')} 栏目"))[0]
        assert "已开始跟踪栏目页：栏目" in page
        polled = texts(await say("/feed_poll"))[0]
        assert "要闻：新增 2 篇" in polled and "管城回族区召开防汛工作会议" in polled
        assert "要闻：新增 0 篇" in texts(await say("/feed_poll"))[0]
        listed = texts(await say("/feeds"))[0]
        assert "要闻（订阅源，已见 2 条，正常）" in listed
        assert "已停止跟踪：栏目" in texts(await say("/feed_remove 栏目"))[0]
        assert "没有跟踪" in texts(await say("/feed_remove 栏目"))[0]
        assert "只有管理员" in texts(await h.say(READER, "/feed_poll"))[0]

    run(tg_config, tg_engine, scenario)


def test_the_bot_schedules_its_feed_poll(tg_config, tg_engine):
    app = build_application(tg_config, TOKEN, tg_engine, request=OfflineRequest(FakeBotAPI(TOKEN)))
    bot = app.bot_data["newsbot"]
    assert [j.callback for j in app.job_queue.jobs()] == [bot.poll_job, bot.readers.digest]
    never = dataclasses.replace(
        tg_config, web=dataclasses.replace(tg_config.web, interval_minutes=0)
    )
    app = build_application(never, TOKEN, tg_engine, request=OfflineRequest(FakeBotAPI(TOKEN)))
    assert [j.callback for j in app.job_queue.jobs()] == [app.bot_data["newsbot"].readers.digest]
