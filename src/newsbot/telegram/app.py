"""Build and run the Telegram application: token from the environment, long polling or webhook."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import telegram
from telegram import Update
from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from newsbot.config import TOKEN_ENV, Config
from newsbot.engine import Engine
from newsbot.errors import NewsbotError
from newsbot.logs import redact
from newsbot.telegram.handlers import Bot
from newsbot.telegram.webhook import run_webhook

log = logging.getLogger(__name__)
EXIT_USER_ERROR = 2
EXIT_FAILURE = 1
# Waits between attempts to reach Telegram at start: doubling from the first to the last.
CONNECT_FIRST_WAIT = 1.0
CONNECT_MAX_WAIT = 60.0


class TokenRejected(Exception):
    """Telegram refused the bot token (401/404 from getMe)."""


def file_url_for(base_url: str) -> str:
    """Telegram's file URLs sit beside its API ones: ``…/bot`` → ``…/file/bot``."""
    head, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url.rstrip("/") + "/file/bot"


def api_urls(config: Config) -> tuple[str | None, str | None]:
    """The Bot API and file URLs to use (None: Telegram's own)."""
    tg = config.telegram
    if tg.base_url:
        return tg.base_url, tg.base_file_url or file_url_for(tg.base_url)
    return None, tg.base_file_url


def plain_bot(config: Config, token: str) -> telegram.Bot:
    """A bare Bot with the configured API URLs and proxy (for checks before the application)."""
    base_url, base_file_url = api_urls(config)
    urls = {"base_url": base_url} if base_url else {}
    if base_file_url:
        urls["base_file_url"] = base_file_url
    request = HTTPXRequest(proxy=config.telegram.proxy_url) if config.telegram.proxy_url else None
    return telegram.Bot(token, request=request, **urls)


async def get_me(config: Config, token: str) -> telegram.User:
    """Who the token belongs to, asked of Telegram once; TokenRejected if it refuses the token,
    NetworkError if it cannot be reached."""
    try:
        async with plain_bot(config, token) as bot:
            return bot.bot
    except InvalidToken:  # its message quotes the token: never shown
        raise TokenRejected from None


async def wait_for_telegram(config: Config, token: str) -> telegram.User:
    """``get_me``, retried with a doubling wait while Telegram cannot be reached (a bot started
    before the network, or behind a firewall until its proxy is up); one log line per try."""
    wait = CONNECT_FIRST_WAIT
    attempt = 1
    while True:
        try:
            return await get_me(config, token)
        except NetworkError as exc:
            log.warning(
                "cannot reach Telegram (%s: %s); attempt %d, retrying in %.0f s",
                type(exc).__name__,
                exc,
                attempt,
                wait,
            )
        await asyncio.sleep(wait)
        wait = min(2 * wait, CONNECT_MAX_WAIT)
        attempt += 1


def webhook_secret(token: str) -> str:
    """The secret Telegram echoes in each webhook call, derived from the token so that only
    Telegram (which knows it from setWebhook) can post updates; never the token itself."""
    return hashlib.sha256(b"newsbot-webhook:" + token.encode()).hexdigest()[:48]


# Telegram's flood control (429) is waited out this many times in a row before a reply is given up
# (each wait is the retry_after it asks for, seconds to a minute or so).
FLOOD_RETRIES = 10


class ChatFairLimiter(AIORateLimiter):
    """python-telegram-bot's rate limiter (Telegram's broadcast limits), except that a 429 on a
    message to one chat makes that message wait, not every chat's: one flooded chat must not
    hold the others' answers."""

    async def process_request(  # type: ignore[override]
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        group = chat_id if isinstance(chat_id, str) or int(chat_id) < 0 else False
        for attempt in range(FLOOD_RETRIES + 1):
            try:
                return await self._run_request(
                    chat=True,
                    group=group,
                    allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
            except RetryAfter as exc:
                if attempt == FLOOD_RETRIES:
                    raise
                await asyncio.sleep(_retry_seconds(exc) + 0.1)
        return None


def _retry_seconds(exc: RetryAfter) -> float:
    """The wait flood control asks for: a timedelta from python-telegram-bot 22.2 on (whose int
    attribute is deprecated there), the int itself before."""
    wait = getattr(exc, "_retry_after", None)
    if isinstance(wait, datetime.timedelta):
        return wait.total_seconds()
    return float(exc.retry_after)


def build_application(
    config: Config,
    token: str,
    engine: Engine | None = None,
    request: BaseRequest | None = None,
) -> Application:
    """The python-telegram-bot application with every handler registered; ``request`` replaces
    the HTTP layer (tests use an offline one)."""
    engine = engine or Engine(config)
    bot = Bot(engine, config.telegram.admin_ids)
    limiter = ChatFairLimiter(max_retries=FLOOD_RETRIES)
    builder = Application.builder().token(token).rate_limiter(limiter)
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    elif config.telegram.proxy_url:
        builder = builder.proxy(config.telegram.proxy_url)
        builder = builder.get_updates_proxy(config.telegram.proxy_url)
    base_url, base_file_url = api_urls(config)
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    app = (
        builder.post_init(bot.post_init)
        .post_shutdown(bot.post_shutdown)
        .concurrent_updates(True)
        .build()
    )
    app.bot_data["newsbot"] = bot
    commands = {
        "start": bot.start,
        "help": bot.start,
        "ask": bot.ask,
        "latest": bot.latest,
        "article": bot.article,
        "add": bot.add,
        "delete": bot.delete,
        "list": bot.list_articles,
        "reload": bot.reload,
        "stats": bot.stats_command,
        "feeds": bot.feeds,
        "feed_add": bot.feed_add,
        "feed_remove": bot.feed_remove,
        "feed_poll": bot.feed_poll,
        "subscribe": bot.readers.subscribe,
        "subscriptions": bot.readers.subscriptions,
        "unsubscribe": bot.readers.unsubscribe,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(MessageHandler(filters.Regex(r"^/article_\w+"), bot.article))
    app.add_handler(CallbackQueryHandler(bot.button))
    app.add_handler(MessageHandler(filters.Document.ALL, bot.document))
    app.add_handler(MessageHandler(filters.PHOTO | filters.VIDEO, bot.readers.caption))
    others = filters.Sticker.ALL | filters.VOICE | filters.AUDIO | filters.LOCATION
    app.add_handler(MessageHandler(others | filters.VIDEO_NOTE, bot.readers.hint))
    app.add_handler(InlineQueryHandler(bot.readers.inline))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, bot.text))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, bot.unknown))
    app.add_error_handler(bot.error)
    minutes = config.web.interval_minutes
    if minutes > 0 and app.job_queue is not None:
        app.job_queue.run_repeating(
            bot.poll_job, interval=minutes * 60, first=min(60, minutes * 60)
        )
    if app.job_queue is not None:
        at = datetime.time(hour=config.telegram.digest_hour)
        app.job_queue.run_daily(bot.readers.digest, at)
    return app


def run_bot(config: Config) -> int:
    """Run until SIGINT/SIGTERM. A missing or rejected token is one clear line and exit status
    2; any other failure to start one line and status 1; never the token, never a traceback
    (but at debug level)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        sys.stderr.write(f"newsbot: 请设置环境变量 {TOKEN_ENV}（向 @BotFather 申请的机器人令牌）\n")
        return EXIT_USER_ERROR
    redact(token)
    try:
        loop = asyncio.new_event_loop()  # kept for the application (older PTB asks for it)
        asyncio.set_event_loop(loop)
        me = loop.run_until_complete(wait_for_telegram(config, token))
        log.info("connected to Telegram as @%s", me.username)
        return _serve(config, token)
    except TokenRejected:
        sys.stderr.write(
            f"newsbot: 机器人令牌无效：Telegram 拒绝了 {TOKEN_ENV}，请向 @BotFather 核对后重试\n"
        )
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except NewsbotError:
        raise
    except Exception as exc:  # start-up failed: one line, the details at debug level
        log.debug("the bot stopped with an error", exc_info=True)
        log.error("the bot could not run: %s: %s", type(exc).__name__, exc)
        return EXIT_FAILURE


def _serve(config: Config, token: str) -> int:
    """Build the engine and the application and serve updates until stopped."""
    engine = Engine(config)
    engine.warm_up()
    engine.autosave()
    engine.watch()
    app = build_application(config, token, engine)
    tg = config.telegram
    if tg.webhook_url:
        log.info("starting webhook on %s:%s", tg.webhook_listen, tg.webhook_port)
        run_webhook(app, tg, webhook_secret(token))
    else:
        log.info("starting long polling")
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    log.info("stopped")
    return 0
