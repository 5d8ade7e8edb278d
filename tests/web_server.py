"""A local HTTP server on 127.0.0.1 serving pages shaped like a Chinese government CMS (article
pages, a column list page, RSS and Atom feeds) and the bad cases: slow, redirect loop, huge,
not HTML, wrong charset, 404, login page. Routes can be changed while it runs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

WEB = Path(__file__).parent / "data" / "web"

FOOTER = """
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="footer"><p>主办单位：郑州市管城回族区人民政府办公室　技术支持：某某科技</p>
<p>版权所有：郑州市管城回族区人民政府　<a href="https://beian.miit.gov.cn">豫ICP备05012345号-1</a>
豫公网安备 41010402002345号</p></div>"""
NAV = """<div class="nav"><a href="/">网站首页</a> <a href="/zwyw/">政务要闻</a>
<a href="/bmdt/">部门动态</a> <a href="/tzgg/">通知公告</a></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwyw/">政务要闻</a></div>"""


def article_page(title: str, date: str, source: str, paragraphs: list[str], charset="utf-8") -> str:
    """An article page as a district CMS renders it."""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html><head><meta charset="{charset}">
<title>{title}_政务要闻_郑州市管城回族区人民政府</title></head><body>{NAV}
<div class="article"><h1>{title}</h1>
<div class="info">来源：{source}　发布时间：{date} 10:00　浏览次数：88　【字体：大 中 小】</div>
<div class="content">{body}</div>
<div class="prev-next">上一篇：<a href="/zwyw/0.html">某某工作会议召开</a></div></div>{FOOTER}
</body></html>"""


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class WebServer:
    """``routes`` maps a path to what it serves; ``hits`` counts requests per path and the
    conditional headers seen."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.conditional: list[tuple[str, str | None, str | None]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> WebServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def html(self, path: str, page: str, charset: str = "utf-8", **kwargs) -> str:
        self.routes[path] = Route(
            body=page.encode(charset), content_type=f"text/html; charset={charset}", **kwargs
        )
        return self.url(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path
                server.hits[path] = server.hits.get(path, 0) + 1
                etag, since = (
                    self.headers.get("If-None-Match"),
                    self.headers.get("If-Modified-Since"),
                )
                server.conditional.append((path, etag, since))
                route = server.routes.get(path)
                if route is None:
                    return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")
                time.sleep(route.delay)
                validator = route.headers.get("ETag")
                if validator and etag == validator:
                    return self._send(304, b"", headers=route.headers)
                self._send(route.status, route.body, route.content_type, route.headers)

            def _send(self, status, body, content_type="text/html", headers=None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    if status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
