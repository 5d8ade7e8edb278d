"""A small fake Telegram Bot API server on 127.0.0.1 for end-to-end tests of the real bot.

It speaks the HTTP protocol python-telegram-bot uses, keeps what the bot sent, hands out updates
the test pushes, and rejects what Telegram rejects: empty or over-long text, HTML that does not
parse with Telegram's tag set, and callback data over 64 bytes.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from telegram.request import BaseRequest, RequestData

OFFLINE_BASE = "http://offline.invalid/bot"
OFFLINE_FILE_BASE = "http://offline.invalid/file/bot"
# The user id the tests make an admin.
ADMIN = 42
BOT_USER = {"id": 999, "is_bot": True, "first_name": "新闻助手", "username": "newsbot_test_bot"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}


class _TelegramHTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problem = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problem = f'Unexpected end tag "{tag}"'

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problem = f"Unsupported entity &{name};"


def html_problem(text: str) -> str | None:
    """Why Telegram would refuse this HTML text, or None."""
    if "<" in text.replace("&lt;", ""):
        parser = _TelegramHTML()
        parser.feed(text)
        parser.close()
        if parser.problem:
            return parser.problem
        if parser.stack:
            return f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    return None


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (the bot stopping mid-poll) is not an error."""


class FakeBotAPI:
    """The server and everything it saw."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.lock = threading.Condition()
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.rejected: list[tuple[str, str]] = []
        self.calls: list[str] = []
        self.params: list[tuple[str, dict[str, Any]]] = []
        self.files: dict[str, bytes] = {}
        self.chat_types: dict[int, str] = {}
        self.hide_sizes = False  # documents and getFile without file_size, as some clients send
        self.blocked: set[int] = set()  # chats whose user blocked the bot (403 on send)
        self.floods = 0  # the next this many sendMessage calls answer 429
        self.flooded_chats: dict[int, int] = {}  # per chat: its next N sendMessage calls 429
        self.retry_after = 1
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self.server: _Server | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None, "start() the server first"
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def start(self, port: int = 0) -> FakeBotAPI:
        """Serve over HTTP on ``port`` (by default a free one) of 127.0.0.1 (offline tests never
        start it)."""
        self.server = _Server(("127.0.0.1", port), self._handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- what tests do ---------------------------------------------------------------------

    def _chat(self, chat_id: int) -> dict[str, Any]:
        kind = self.chat_types.get(chat_id, "private")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = "读者"
        else:
            chat["title"] = "管城新闻群"
        return chat

    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        chat_type: str = "private",
        reply_to: dict[str, Any] | None = None,
        document: tuple[str, bytes] | None = None,
        caption: str | None = None,
        photo: bool = False,
        forwarded_from_channel: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Queue a message update as if a user had sent it."""
        self.chat_types[chat_id] = chat_type
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"},
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0].encode("utf-16-le")) // 2
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if document is not None:
            name, data = document
            file_id = f"file{len(self.files)}"
            self.files[file_id] = data
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": name,
            }
            if not self.hide_sizes:
                message["document"]["file_size"] = len(data)
        if photo:
            message["photo"] = [
                {"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}
            ]
        if kind == "sticker":
            message["sticker"] = {"file_id": "s1", "file_unique_id": "s1", "width": 512,
                                  "height": 512, "is_animated": False, "is_video": False,
                                  "type": "regular"}  # fmt: skip
        elif kind == "location":
            message["location"] = {"latitude": 34.75, "longitude": 113.68}
        if caption is not None:
            message["caption"] = caption
        if forwarded_from_channel is not None:
            message["forward_origin"] = {
                "type": "channel",
                "date": int(time.time()),
                "chat": {"id": -1001, "type": "channel", "title": forwarded_from_channel},
                "message_id": 7,
            }
        self._queue({"message": message})

    def push_edit(self, chat_id: int, user_id: int, message_id: int, text: str) -> None:
        """Queue an edit of a message the user sent earlier."""
        self._queue(
            {
                "edited_message": {
                    "message_id": message_id,
                    "date": int(time.time()) - 5,
                    "edit_date": int(time.time()),
                    "chat": self._chat(chat_id),
                    "from": {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"},
                    "text": text,
                }
            }
        )

    def push_inline_query(self, user_id: int, query: str) -> None:
        """Queue an inline query (@bot 问题 typed in any chat)."""
        self._queue(
            {
                "inline_query": {
                    "id": str(next(self._update_ids)),
                    "from": {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"},
                    "query": query,
                    "offset": "",
                }
            }
        )

    def push_callback(self, chat_id: int, user_id: int, data: str, message: dict[str, Any]) -> None:
        """Queue a button press on one of the bot's messages."""
        self._queue(
            {
                "callback_query": {
                    "id": str(next(self._update_ids)),
                    "from": {"id": user_id, "is_bot": False, "first_name": f"用户{user_id}"},
                    "chat_instance": str(chat_id),
                    "data": data,
                    "message": message,
                }
            }
        )

    def _queue(self, update: dict[str, Any]) -> None:
        with self.lock:
            update["update_id"] = next(self._update_ids)
            self.updates.append(update)
            self.lock.notify_all()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20, start: int = 0
    ) -> dict[str, Any]:
        """The first sent message from index ``start`` on that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for message in self.sent[start:]:
                    if predicate(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    sent = [m.get("text", "")[:60] for m in self.sent[start:]]
                    raise AssertionError(f"no matching message; sent: {sent}")
                self.lock.wait(left)

    def replies_to(self, chat_id: int, start: int = 0) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.sent[start:] if m.get("chat_id") == chat_id]

    # --- the HTTP side -----------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Telegram's servers

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(self, status: int, payload: object, raw: bytes | None = None) -> None:
                body = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type", "application/octet-stream" if raw else "application/json"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                prefix = f"/file/bot{api.token}/"
                path = unquote(self.path)
                if path.startswith(prefix):
                    file_id = path[len(prefix) :].rsplit("/", 1)[-1]
                    if file_id in api.files:
                        self._send(200, None, api.files[file_id])
                        return
                self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})

            def do_POST(self) -> None:
                prefix = f"/bot{api.token}/"
                path = unquote(self.path)
                if not path.startswith(prefix):
                    self._send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = path[len(prefix) :]
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                fields = parse_qs(raw, keep_blank_values=True)
                status, payload = api.handle(method, {k: v[0] for k, v in fields.items()})
                self._send(status, payload)

        return Handler

    def handle(self, method: str, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call whose fields arrive as strings, JSON-encoded where not text."""
        params: dict[str, Any] = {}
        for key, value in fields.items():
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                params[key] = value
        with self.lock:
            self.calls.append(method)
            self.params.append((method, params))
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        if method == "sendMessage" and int(params.get("chat_id") or 0) in self.blocked:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        chat = int(params.get("chat_id") or 0)
        if method == "sendMessage" and (self.floods > 0 or self.flooded_chats.get(chat, 0) > 0):
            with self.lock:
                if self.flooded_chats.get(chat, 0) > 0:
                    self.flooded_chats[chat] -= 1
                else:
                    self.floods -= 1
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {self.retry_after}",
                "parameters": {"retry_after": self.retry_after},
            }
        if method in ("sendMessage", "editMessageText"):
            problem = self._check_message(params)
            if problem:
                with self.lock:
                    self.rejected.append((method, problem))
                    self.lock.notify_all()
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": f"Bad Request: {problem}",
                }
            return 200, {"ok": True, "result": self._store(method, params)}
        simple: dict[str, Any] = {
            "getMe": BOT_USER,
            "deleteWebhook": True,
            "setWebhook": True,
            "setMyCommands": True,
            "answerCallbackQuery": True,
            "answerInlineQuery": True,
            "editMessageReplyMarkup": True,
            "sendChatAction": True,
            "close": True,
        }
        if method in simple:
            if method in ("answerCallbackQuery", "answerInlineQuery", "editMessageReplyMarkup"):
                with self.lock:
                    self.sent.append({"method": method, **params})
                    self.lock.notify_all()
            return 200, {"ok": True, "result": simple[method]}
        if method == "getFile":
            file_id = params.get("file_id")
            if file_id not in self.files:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: invalid file_id",
                }
            return 200, {
                "ok": True,
                "result": {
                    "file_id": file_id,
                    "file_unique_id": file_id,
                    **({} if self.hide_sizes else {"file_size": len(self.files[file_id])}),
                    "file_path": f"documents/{file_id}",
                },
            }
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.5)
        with self.lock:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while not self.updates and time.monotonic() < deadline:
                self.lock.wait(deadline - time.monotonic())
            return list(self.updates)

    def _check_message(self, params: dict[str, Any]) -> str | None:
        text = str(params.get("text", ""))
        if not text.strip():
            return "message text is empty"
        if utf16_units(text) > 4096:
            return "message is too long"
        if params.get("parse_mode") == "HTML":
            problem = html_problem(text)
            if problem:
                return f"can't parse entities: {problem}"
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return "BUTTON_DATA_INVALID"
        return None

    def _store(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        message = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": BOT_USER,
            "text": params["text"],
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        with self.lock:
            self.sent.append(
                {
                    "method": method,
                    **params,
                    "chat_id": chat_id,
                    "message": message,
                    "at": time.monotonic(),
                }
            )
            self.lock.notify_all()
        return message


class OfflineRequest(BaseRequest):
    """python-telegram-bot's HTTP layer replaced by direct calls into a FakeBotAPI: the real
    request encoding and response parsing run, and any other URL fails instead of going out."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        url = unquote(url)
        api_prefix = f"{OFFLINE_BASE}{self.api.token}/"
        file_prefix = f"{OFFLINE_FILE_BASE}{self.api.token}/"
        if url.startswith(file_prefix):
            file_id = url.rsplit("/", 1)[-1]
            if file_id in self.api.files:
                return 200, self.api.files[file_id]
            return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'
        if not url.startswith(api_prefix):
            raise AssertionError(f"network call attempted: {url}")
        fields = request_data.json_parameters if request_data else {}
        status, payload = self.api.handle(url[len(api_prefix) :], fields)
        return status, json.dumps(payload).encode()
