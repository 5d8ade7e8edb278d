"""Build and run the Telegram application: token from the environment, long polling or webhook."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from newsbot.config import TOKEN_ENV, Config
from newsbot.engine import Engine
from newsbot.telegram.handlers import Bot

log = logging.getLogger(__name__)
EXIT_USER_ERROR = 2


class RedactToken(logging.Filter):
    """Replace the bot token wherever it would appear in a log record (e.g. request URLs)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token in record.getMessage():
            record.msg = record.getMessage().replace(self.token, "<token>")
            record.args = ()
        return True


def file_url_for(base_url: str) -> str:
    """Telegram's file URLs sit beside its API ones: ``…/bot`` → ``…/file/bot``."""
    head, sep, _ = base_url.rstrip("/").rpartition("/bot")
    return f"{head}/file/bot" if sep else base_url.rstrip("/") + "/file/bot"


def webhook_secret(token: str) -> str:
    """The secret Telegram echoes in each webhook call, derived from the token so that only
    Telegram (which knows it from setWebhook) can post updates; never the token itself."""
    return hashlib.sha256(b"newsbot-webhook:" + token.encode()).hexdigest()[:48]


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
    builder = Application.builder().token(token).rate_limiter(AIORateLimiter(max_retries=3))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if config.telegram.base_url:
        builder = builder.base_url(config.telegram.base_url).base_file_url(
            config.telegram.base_file_url or file_url_for(config.telegram.base_url)
        )
    elif config.telegram.base_file_url:
        builder = builder.base_file_url(config.telegram.base_file_url)
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
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(MessageHandler(filters.Regex(r"^/article_\w+"), bot.article))
    app.add_handler(CallbackQueryHandler(bot.button))
    app.add_handler(MessageHandler(filters.Document.ALL, bot.document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, bot.text))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, bot.unknown))
    app.add_error_handler(bot.error)
    return app


def run_bot(config: Config) -> int:
    """Run until SIGINT/SIGTERM; a missing token is one clear line and exit status 2."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        sys.stderr.write(f"newsbot: 请设置环境变量 {TOKEN_ENV}（向 @BotFather 申请的机器人令牌）\n")
        return EXIT_USER_ERROR
    redact = RedactToken(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = Engine(config)
    engine.tokenizer.warm_up()
    engine.autosave()
    app = build_application(config, token, engine)
    tg = config.telegram
    if tg.webhook_url:
        log.info("starting webhook on %s:%s", tg.webhook_listen, tg.webhook_port)
        app.run_webhook(
            listen=tg.webhook_listen,
            port=tg.webhook_port,
            url_path=urlsplit(tg.webhook_url).path.lstrip("/"),
            webhook_url=tg.webhook_url,
            secret_token=webhook_secret(token),
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        log.info("starting long polling")
        app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    log.info("stopped")
    return 0
