"""Webhook mode: an HTTP server that checks Telegram's secret before it reads a request's body,
and never reads more than a bounded body (python-telegram-bot's own server reads the whole body
of any caller first)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application, ExtBot

from newsbot.config import TelegramConfig

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@tornado.web.stream_request_body
class _UpdateHandler(tornado.web.RequestHandler):
    """Takes one update per POST: the secret and the declared size are checked on the headers,
    so a forged or oversize call is refused before any of its body is read."""

    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, app: Application, secret: str, max_bytes: int) -> None:
        self.app = app
        self.secret = secret
        self.max_bytes = max_bytes
        self.body = bytearray()

    def prepare(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        declared = self.request.headers.get("Content-Length")
        if declared is None or not declared.isdigit():  # Telegram always says how long
            raise tornado.web.HTTPError(HTTPStatus.LENGTH_REQUIRED)
        if int(declared) > self.max_bytes:
            raise tornado.web.HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.request.connection.set_max_body_size(self.max_bytes)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        self.body += chunk

    async def post(self) -> None:
        try:
            update = Update.de_json(json.loads(self.body), self.app.bot)
        except Exception:  # not an update: Telegram never sends one
            log.debug("webhook call without an update", exc_info=True)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from None
        if update is None:
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST)
        if isinstance(self.app.bot, ExtBot):
            self.app.bot.insert_callback_data(update)
        await self.app.update_queue.put(update)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish()  # the status alone: nothing about the server for an unknown caller

    def log_exception(self, *args: Any) -> None:
        log.debug("webhook request refused: %s", args[1])


class _Server(tornado.web.Application):
    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Requests go unlogged: a flood of forged calls must not flood the log."""


async def _serve(app: Application, tg: TelegramConfig, secret: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C raises instead
            loop.add_signal_handler(sig, stop.set)
    assert tg.webhook_url is not None
    path = urlsplit(tg.webhook_url).path.strip("/")
    shared = {"app": app, "secret": secret, "max_bytes": tg.webhook_max_bytes}
    server = tornado.httpserver.HTTPServer(
        _Server([(f"/{path}/?", _UpdateHandler, shared)]),
        max_body_size=tg.webhook_max_bytes,
        max_buffer_size=tg.webhook_max_bytes,
    )
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    try:
        server.listen(tg.webhook_port, address=tg.webhook_listen)
        await app.bot.set_webhook(
            tg.webhook_url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        await app.start()
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


def run_webhook(app: Application, tg: TelegramConfig, secret: str) -> None:
    """Serve updates posted to the path of ``tg.webhook_url`` on ``tg.webhook_listen:port``
    until SIGINT or SIGTERM."""
    asyncio.get_event_loop().run_until_complete(_serve(app, tg, secret))
