"""Telegram handlers: each translates an update into an engine call and the result into a reply."""

from __future__ import annotations

import asyncio
import html
import logging
import re

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, NetworkError
from telegram.ext import Application, ContextTypes

from newsbot.corpus import AddResult, Article
from newsbot.corpus.feeds import PollReport
from newsbot.corpus.web import is_url
from newsbot.engine import Engine
from newsbot.errors import NewsbotError
from newsbot.responder.followup import Context
from newsbot.responder.intents import HELP
from newsbot.responder.replies import small_talk
from newsbot.telegram.format import (
    answer_html,
    answer_keyboard,
    article_command,
    article_line,
    article_messages,
    callback_key,
    ids_from_command,
)
from newsbot.telegram.ratelimit import RateLimiter
from newsbot.telegram.readers import Readers
from newsbot.telegram.store import BotStore, Sent
from newsbot.text.normalize import normalize

log = logging.getLogger(__name__)

READER_COMMANDS = [
    BotCommand("start", "开始使用"),
    BotCommand("help", "使用说明"),
    BotCommand("ask", "提问（群聊中使用）"),
    BotCommand("latest", "最新文章"),
    BotCommand("article", "查看文章全文"),
    BotCommand("subscribe", "订阅主题"),
    BotCommand("subscriptions", "我的订阅"),
    BotCommand("unsubscribe", "取消订阅"),
]
ADMIN_COMMANDS = [
    *READER_COMMANDS,
    BotCommand("add", "添加文章"),
    BotCommand("delete", "删除文章"),
    BotCommand("list", "文章列表"),
    BotCommand("reload", "重新读取文章目录"),
    BotCommand("stats", "使用统计"),
    BotCommand("feeds", "跟踪的订阅源"),
    BotCommand("feed_add", "跟踪订阅源或栏目页"),
    BotCommand("feed_remove", "停止跟踪订阅源"),
    BotCommand("feed_poll", "立即抓取订阅源"),
]
SUMMARY_ITEMS = 10
# Pauses before re-sending a reply whose connection dropped (the last entry ends the attempts).
SEND_RETRIES = (0.5, 2.0, 0.0)
RATE_LIMITED = "提问太频繁了，请稍等一分钟再问。"
# Messages an article is sent in at most per request; the rest follow a 「继续」 button.
ARTICLE_PARTS = 1
# Articles 「更多」 lists at a time.
MORE_ARTICLES = 5


class Bot:
    """The handlers and the state they share; one per running application."""

    def __init__(self, engine: Engine, admin_ids: tuple[int, ...]) -> None:
        tg = engine.config.telegram
        self.engine = engine
        self.admin_ids = frozenset(admin_ids)
        self.rate = RateLimiter(tg.questions_per_minute)
        self.context_ttl = tg.context_ttl_seconds
        self.store = BotStore(engine.config.data_dir / "bot.sqlite3")
        self.store.import_legacy_stats(engine.config.data_dir / "stats.json")
        self.keys: dict[str, str] = {}
        self.max_upload = tg.max_upload_bytes
        self.readers = Readers(self)
        self.application: Application | None = None

    # --- readers -----------------------------------------------------------------------------

    async def _metered(self, update: Update) -> bool:
        """Count a reader's request against the per-user limit; False (after saying so once a
        minute) when over it. Admins are not limited."""
        user = update.effective_user
        if user is None or user.id in self.admin_ids or self.rate.allow(user.id):
            return True
        if self.rate.should_say(user.id):
            if update.callback_query is not None:
                await update.callback_query.answer(RATE_LIMITED)
            else:
                await self._reply(update, RATE_LIMITED)
        elif update.callback_query is not None:
            await update.callback_query.answer()
        return False

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start and /help: what the bot knows, example questions, and the commands."""
        if not await self._metered(update):
            return
        deep = (context.args or [""])[0]
        if deep.startswith("article_"):  # t.me/<bot>?start=article_ID
            await self._send_article(update, deep.removeprefix("article_"))
            return
        intro = small_talk(HELP, "", self.engine.index).answer
        text = (
            f"{intro}\n\n直接发问题给我即可（群聊中用 /ask 问题，或 @我，或回复我的消息）。\n"
            "/latest 最新文章　/article 编号 查看全文\n"
            "/subscribe 主题 订阅（新文章到达时通知你），/subscriptions 我的订阅"
        )
        if self._is_admin(update):
            text += (
                "\n\n管理员命令：/add /delete /list /reload /stats /feeds /feed_add /feed_remove "
                "/feed_poll，也可以直接发送文件导入文章。"
            )
        await self._reply(update, html.escape(text))

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message: a question in private chats; in groups only when the bot is addressed."""
        message = update.effective_message
        if message is None or not message.text:
            return
        if await self.readers.forwarded(update, context):
            return
        question = message.text
        if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
            username = context.bot.username
            mention = f"@{username}" if username else None
            replied = message.reply_to_message
            to_bot = (
                replied is not None
                and replied.from_user is not None
                and replied.from_user.id == context.bot.id
            )
            if mention and mention.lower() in question.lower():
                question = re.sub(re.escape(mention), " ", question, flags=re.IGNORECASE)
            elif not to_bot:
                return
        await self._answer(update, context, question)

    async def ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/ask 问题 — the way to ask in a group."""
        question = " ".join(context.args or [])
        if not question.strip():
            example = self.engine.responder.examples()[0]
            await self._reply(update, "请在 /ask 后面写上问题，例如：/ask " + html.escape(example))
            return
        await self._answer(update, context, question)

    async def _answer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str
    ) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None:
            return
        if update.edited_message is not None and not self._asks_anew(chat.id, update, question):
            return  # an edit that did not change what is asked (a typo fixed, a space)
        if not await self._metered(update):
            return
        try:
            await context.bot.send_chat_action(chat.id, ChatAction.TYPING)
        except NetworkError:  # only the typing indicator is lost
            log.info("could not show the typing indicator in chat %s", chat.id)
        leaning = self._context(update, context)
        answer = await asyncio.to_thread(self.engine.ask, question, None, leaning)
        if answer.intent == "question":
            doubt = self.engine.config.doubtful_confidence
            doubtful = answer.found and answer.confidence < doubt
            self.store.record(question, answer.found, answer.confidence, doubtful)
        message = update.effective_message
        asked_id = message.message_id if message else None
        key = self.store.remember(chat.id, answer, asked_id, question)
        sent = await self._reply(update, answer_html(answer), answer_keyboard(answer, key))
        if sent is not None:
            self.store.sent_as(key, sent.message_id)

    def _asks_anew(self, chat_id: int, update: Update, question: str) -> bool:
        """Whether an edited message asks something other than what was answered."""
        message = update.effective_message
        before = self.store.asked_before(chat_id, message.message_id) if message else None
        return before is None or _gist(before) != _gist(question)

    def _context(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Context | None:
        """What a follow-up leans on: the answer replied to, else the chat's latest one."""
        chat, message = update.effective_chat, update.effective_message
        assert chat is not None
        replied = message.reply_to_message if message else None
        if replied and replied.from_user and replied.from_user.id == context.bot.id:
            return self.store.context_of_message(chat.id, replied.message_id)
        return self.store.latest_context(chat.id, self.context_ttl)

    async def latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/latest [n] — the newest articles."""
        if not await self._metered(update):
            return
        n = _int_arg(context.args, self.engine.config.telegram.latest_count, 1, 20)
        articles = self.engine.index.latest(n)  # worked out once per snapshot
        if not articles:
            await self._reply(update, "新闻库还是空的。")
            return
        await self._reply(
            update, "<b>最新文章</b>\n" + "\n".join(article_line(a) for a in articles)
        )

    async def article(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/article ID (or /article_ID) — one article in full."""
        if not await self._metered(update):
            return
        message = update.effective_message
        raw = " ".join(context.args or [])
        if not raw and message and message.text:
            match = re.match(r"/article_(\S+)", message.text)
            raw = match.group(1).split("@")[0] if match else ""
        if not raw:
            await self._reply(update, "请写上文章编号，例如 /article 编号。/latest 可以看到编号。")
            return
        await self._send_article(update, raw)

    async def _send_article(
        self, update: Update, raw_id: str, shown: bool = False, part: int = 0
    ) -> None:
        """An article in full, a part at a time: the rest follows a 「继续」 button (a long
        article must not flood the chat). ``shown``: the id came from an answer, so a missing
        article was deleted since."""
        article = self._find(raw_id)
        try:
            messages = article_messages(article) if article is not None else None
        except NewsbotError:  # its file was removed by another process a moment ago
            messages = None
        if messages is None or article is None:
            gone = shown or (article is not None)
            text = "该文章已删除。" if gone else f"没有编号为 {html.escape(raw_id[:64])} 的文章。"
            await self._reply(update, text)
            return
        part = min(max(part, 0), len(messages) - 1)
        chunk = messages[part : part + ARTICLE_PARTS]
        after = part + len(chunk)
        for k, text in enumerate(chunk, start=1):
            more = None
            if k == len(chunk) and after < len(messages):
                data, key = callback_key(f"part:{after}", article.id)
                if key:
                    self.keys[key] = article.id
                label = f"继续（{after + 1}/{len(messages)}）"
                more = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])
            await self._reply(update, text, more)

    def _find(self, raw_id: str) -> Article | None:
        """The article a typed id, a command id or a button key stands for."""
        for candidate in ids_from_command(self.keys.get(raw_id, raw_id)):
            try:
                return self.engine.corpus.get(candidate)
            except NewsbotError:
                continue
        return None

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Inline buttons: 原文 N and 更多 of the answer they sit under, and the delete
        confirmation."""
        query = update.callback_query
        if query is None or not query.data:
            return
        action, _, value = query.data.partition(":")
        if action in ("a", "s", "more", "part", "fb") and not await self._metered(update):
            return
        if action == "fb":
            key, _, vote = value.rpartition(":")
            await self.readers.feedback(update, key, vote)
        elif action == "unsub":
            await self.readers.unsubscribe_button(update, value)
        elif action == "post":
            await self.readers.add_post(update, value)
        elif action == "part":
            number, _, raw_id = value.partition(":")
            await query.answer()
            await self._send_article(update, raw_id, part=int(number) if number.isdigit() else 0)
        elif action == "a":
            await query.answer()
            await self._send_article(update, value)
        elif action == "s":
            key, _, number = value.partition(":")
            sent = self.store.get(key)
            if sent is None or not number.isdigit() or int(number) >= len(sent.shown):
                await query.answer("这个按钮已失效，请重新提问。")
                return
            await query.answer()
            await self._send_article(update, sent.shown[int(number)], shown=True)
        elif action == "more":
            sent = self.store.get(value)
            if sent is None:
                await query.answer("这个按钮已失效，请重新提问。")
                return
            await query.answer()
            await self._more(update, sent)
        elif action == "del":
            await self._confirm_delete(update, value)
        elif action == "keep":
            await query.answer("已取消")
            await query.edit_message_text("已取消删除。")
        else:
            await query.answer("这个按钮已失效。")

    async def _more(self, update: Update, sent: Sent) -> None:
        """Further articles for the answer a 「更多」 sits under: the next ones by rank, or the
        next older ones under a list of the newest."""
        if sent.intent == "latest":
            older = self.engine.index.latest(len(self.engine.index.articles))
            ids = [a.id for a in older]
        else:
            ids = self.engine.responder.rank_articles(
                sent.question, k=len(sent.shown) + MORE_ARTICLES
            )
        further = [a for a in map(self._find, ids) if a is not None and a.id not in sent.shown]
        if not further:
            await self._reply(update, "没有更多相关文章了。")
            return
        lines = [article_line(a) for a in further[:MORE_ARTICLES]]
        await self._reply(update, "<b>更多相关文章</b>\n" + "\n".join(lines))

    # --- admins ------------------------------------------------------------------------------

    def _is_admin(self, update: Update) -> bool:
        """Admin rights come from the sender's user id only, checked on every call."""
        user = update.effective_user
        return user is not None and user.id in self.admin_ids

    def _log_refusal(self, update: Update, what: str) -> None:
        user = update.effective_user
        log.warning("refused %s for non-admin user %s", what, user.id if user else None)

    async def _refuse(self, update: Update, what: str) -> bool:
        """Refuse a non-admin politely and log it; True when refused."""
        if self._is_admin(update):
            return False
        self._log_refusal(update, what)
        await self._reply(update, "抱歉，只有管理员可以使用这个功能。")
        return True

    async def add(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/add — text after the command (first line the title), or as a reply to a message."""
        if await self._refuse(update, "/add"):
            return
        message = update.effective_message
        assert message is not None
        parts = (message.text or "").split(maxsplit=1)
        text = parts[1] if len(parts) == 2 else ""
        if not text.strip() and message.reply_to_message is not None:
            text = message.reply_to_message.text or message.reply_to_message.caption or ""
        if not text.strip():
            await self._reply(
                update,
                "用法：/add 后面第一行写标题，其后写正文；或 /add 网址 导入网页上的文章；"
                "也可以回复一条消息发送 /add，或直接发送文件（.txt .md .jsonl .html）。",
            )
            return
        if is_url(text) and len(text.split()) == 1:
            await self._import_url(update, text.strip())
            return
        name = "message.md" if text.lstrip().startswith("---") else "message.txt"
        await self._import(update, name, text.strip().encode())

    async def _import_url(self, update: Update, url: str) -> None:
        try:
            result, report = await asyncio.to_thread(self.engine.import_url, url)
        except NewsbotError as exc:
            await self._reply(update, f"未导入：{html.escape(str(exc))}")
            return
        await self._reply(update, _import_summary(result, report.errors))

    async def document(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A document sent by an admin is imported with the same importers as the CLI; in a
        group only one addressed to the bot (caption /add or a mention, or a reply to it) — any
        other shared file is none of its business, and it stays silent."""
        message = update.effective_message
        doc = message.document if message else None
        if message is None or doc is None:
            return
        if not self._addressed(update, context, message.caption or ""):
            return
        caption = (message.caption or "").strip()
        if caption and not caption.startswith("/") and not self._is_admin(update):
            await self._answer(update, context, caption)  # a reader's file: its caption asks
            return
        if await self._refuse(update, "document import"):
            return
        if (doc.file_size or 0) > self.max_upload:
            await self._reply(update, self._too_big())
            return
        file = await doc.get_file()
        if (file.file_size or 0) > self.max_upload:
            await self._reply(update, self._too_big())
            return
        data = bytes(await file.download_as_bytearray())
        if len(data) > self.max_upload:  # neither the message nor getFile gave its size
            await self._reply(update, self._too_big())
            return
        await self._import(update, doc.file_name or "upload.txt", data)

    def _too_big(self) -> str:
        return f"文件太大（上限 {self.max_upload / 1_000_000:g} MB），未导入。"

    def _addressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> bool:
        """Whether a message is meant for the bot: always in a private chat; in a group when it
        starts with a command, mentions the bot or replies to one of its messages."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None or chat.type == ChatType.PRIVATE:
            return True
        username = context.bot.username
        replied = message.reply_to_message
        return (
            text.lstrip().startswith("/")
            or bool(username and f"@{username}".lower() in text.lower())
            or bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
        )

    async def _import(self, update: Update, name: str, data: bytes) -> None:
        try:
            result, report = await asyncio.to_thread(self.engine.import_data, name, data)
        except NewsbotError as exc:
            await self._reply(update, f"未导入：{html.escape(str(exc))}")
            return
        await self._reply(update, _import_summary(result, report.errors))

    async def delete(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/delete ID — asks for confirmation with a button."""
        if await self._refuse(update, "/delete"):
            return
        raw = " ".join(context.args or [])
        article = self._find(raw) if raw else None
        if article is None:
            await self._reply(update, "请写上存在的文章编号，例如 /delete 编号（/list 查看编号）。")
            return
        data, key = callback_key("del", article.id)
        if key:
            self.keys[key] = article.id
        buttons = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("确认删除", callback_data=data),
                    InlineKeyboardButton("取消", callback_data="keep"),
                ]
            ]
        )
        await self._reply(update, f"确定删除《{html.escape(article.title)}》吗？", buttons)

    async def _confirm_delete(self, update: Update, value: str) -> None:
        query = update.callback_query
        assert query is not None
        if not self._is_admin(update):
            self._log_refusal(update, "delete")
            await query.answer("只有管理员可以删除文章。", show_alert=True)
            return
        article = self._find(value)
        if article is None:
            await query.answer("文章已不存在。")
            return
        try:
            await asyncio.to_thread(self.engine.delete, article.id)
        except NewsbotError as exc:  # a read-only corpus: a reason, and the article stays
            await query.answer("未删除")
            await query.edit_message_text(f"未删除：{html.escape(str(exc))}")
            return
        await query.answer("已删除")
        await query.edit_message_text(
            f"已删除《{html.escape(article.title)}》。", parse_mode=ParseMode.HTML
        )

    async def list_articles(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/list [page] — all articles, a page at a time."""
        if await self._refuse(update, "/list"):
            return
        size = self.engine.config.telegram.list_page_size
        articles = await asyncio.to_thread(lambda: self.engine.corpus.articles)
        pages = max(1, -(-len(articles) // size))
        page = _int_arg(context.args, 1, 1, pages)
        shown = articles[(page - 1) * size : page * size]
        lines = [f"<b>文章列表</b>（第 {page}/{pages} 页，共 {len(articles)} 篇）"]
        lines += [article_line(a) for a in shown]
        if page < pages:
            lines.append(f"下一页：/list {page + 1}")
        await self._reply(update, "\n".join(lines))

    async def reload(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload — re-read the corpus folder after edits on disk."""
        if await self._refuse(update, "/reload"):
            return
        problems = await asyncio.to_thread(self.engine.reload)
        text = f"已重新读取，共 {len(self.engine.corpus)} 篇文章。"
        if problems:
            text += "\n有问题的文件（已跳过）：\n" + "\n".join(
                html.escape(p) for p in problems[:10]
            )
        await self._reply(update, text)

    async def stats_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/stats — usage, and the unanswered questions worth adding articles for."""
        if await self._refuse(update, "/stats"):
            return
        lines = [f"文章 {len(self.engine.corpus)} 篇，段落 {len(self.engine.index)} 个"]
        lines += await asyncio.to_thread(self.store.report)
        await self._reply(update, html.escape("\n".join(lines)))

    async def feeds(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/feeds — the sources followed, with their state."""
        if await self._refuse(update, "/feeds"):
            return
        feeds = await asyncio.to_thread(self.engine.feeds.load)
        if not feeds:
            await self._reply(update, "还没有跟踪任何订阅源。用 /feed_add 网址 [名称] 添加。")
            return
        lines = ["<b>跟踪的订阅源</b>"]
        for f in feeds:
            kind = "栏目页" if f.kind == "page" else "订阅源"
            state = (
                f"失败 {f.failures} 次：{html.escape(f.last_error[:80])}" if f.failures else "正常"
            )
            lines.append(f"· {html.escape(f.name)}（{kind}，已见 {len(f.seen)} 条，{state}）")
            lines.append(f"  {html.escape(f.url)}")
        await self._reply(update, "\n".join(lines))

    async def feed_add(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/feed_add URL [名称] — follow a feed or a column page (told apart by fetching it)."""
        if await self._refuse(update, "/feed_add"):
            return
        args = context.args or []
        if not args:
            await self._reply(update, "用法：/feed_add 网址 [名称]（RSS/Atom 订阅源或栏目列表页）")
            return
        try:
            feed = await asyncio.to_thread(self.engine.follow, args[0], " ".join(args[1:]) or None)
        except NewsbotError as exc:
            await self._reply(update, f"未添加：{html.escape(str(exc))}")
            return
        kind = "栏目页" if feed.kind == "page" else "订阅源"
        await self._reply(
            update, f"已开始跟踪{kind}：{html.escape(feed.name)}。用 /feed_poll 立即抓取一次。"
        )

    async def feed_remove(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/feed_remove URL|名称"""
        if await self._refuse(update, "/feed_remove"):
            return
        which = " ".join(context.args or [])
        try:
            feed = await asyncio.to_thread(self.engine.feeds.remove, which)
        except NewsbotError as exc:
            await self._reply(update, html.escape(str(exc)) + "（/feeds 查看）")
            return
        await self._reply(update, f"已停止跟踪：{html.escape(feed.name)}")

    async def feed_poll(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/feed_poll — poll the due sources now and say what came in."""
        if await self._refuse(update, "/feed_poll"):
            return
        reports = await asyncio.to_thread(self.engine.poll_feeds)
        await self._reply(update, _poll_summary(reports))

    async def poll_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The scheduled poll of every due source (JobQueue)."""
        reports = await asyncio.to_thread(self.engine.poll_feeds)
        for r in reports:
            if r.added or r.updated:
                log.info("feed %s: %d new, %d updated", r.feed.name, len(r.added), len(r.updated))

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An unknown command, in a private chat."""
        await self._reply(update, "不认识这个命令。/help 查看可用的命令。")

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log any handler error with its traceback; tell the user briefly; keep running."""
        log.error("error while handling an update", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            try:
                await context.bot.send_message(
                    update.effective_chat.id, "抱歉，出错了，请稍后再试。"
                )
            except Exception:  # the error handler must never raise
                log.warning("could not send the error message", exc_info=True)

    # --- helpers -----------------------------------------------------------------------------

    async def _reply(
        self, update: Update, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> Message | None:
        chat = update.effective_chat
        if chat is None:
            return None
        message = update.effective_message
        reply_to = message.message_id if message and chat.type != ChatType.PRIVATE else None
        for attempt, pause in enumerate(SEND_RETRIES):
            try:
                return await update.get_bot().send_message(
                    chat.id,
                    text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    disable_web_page_preview=True,
                    reply_to_message_id=reply_to if not update.callback_query else None,
                )
            except NetworkError as exc:  # a dropped connection: better twice than never
                if isinstance(exc, BadRequest) or attempt == len(SEND_RETRIES) - 1:
                    raise
                log.warning("sending to chat %s failed (%s); retrying", chat.id, exc)
                await asyncio.sleep(pause)
        return None

    async def post_init(self, application: Application) -> None:
        """Set the command menus (readers' for everyone, the full list for each admin) and start
        listening for new articles to push."""
        from telegram import BotCommandScopeChat

        self.application = application
        self.readers.loop = asyncio.get_running_loop()
        self.engine.on_added(self.readers.arrived)
        await application.bot.set_my_commands(READER_COMMANDS)
        for admin in self.admin_ids:
            try:
                await application.bot.set_my_commands(
                    ADMIN_COMMANDS, scope=BotCommandScopeChat(admin)
                )
            except Exception:  # an admin who never talked to the bot has no chat yet
                log.info("could not set admin commands for %s (no chat yet)", admin)
        log.info("bot ready: %d articles, %d admins", len(self.engine.corpus), len(self.admin_ids))

    async def post_shutdown(self, application: Application) -> None:
        """Keep the index for the next run (the state is in the database already)."""
        await asyncio.to_thread(self.engine.save)
        self.store.close()


def _gist(text: str) -> str:
    """A question without spacing, punctuation or case: what an edit must change to be asked
    again."""
    return re.sub(r"[\W_]+", "", normalize(text))


def _int_arg(args: list[str] | None, default: int, low: int, high: int) -> int:
    try:
        value = int(args[0]) if args else default
    except ValueError:
        value = default
    return min(max(value, low), high)


def _import_summary(result: AddResult, errors: tuple[str, ...]) -> str:
    """What an import did, listing at most SUMMARY_ITEMS of each kind (one message holds it)."""
    lines = []
    if result.added:
        lines.append(f"已添加 {len(result.added)} 篇：")
        lines += [
            f"· {_short(a.title)}  {article_command(a.id)}" for a in result.added[:SUMMARY_ITEMS]
        ]
        lines += _more(len(result.added))
        lines.append(f"现在就可以提问，例如：{html.escape(result.added[0].title[:30])}？")
    if result.updated:
        lines.append(f"已更新 {len(result.updated)} 篇：")
        lines += [
            f"· {_short(a.title)}  {article_command(a.id)}" for a in result.updated[:SUMMARY_ITEMS]
        ]
        lines += _more(len(result.updated))
    if result.duplicates:
        lines.append(f"重复，未添加 {len(result.duplicates)} 篇：")
        lines += [
            f"· {_short(article.title)}（已有 {html.escape(existing)}）"
            for article, existing in result.duplicates[:SUMMARY_ITEMS]
        ]
        lines += _more(len(result.duplicates))
    if errors:
        lines.append(f"出错，已跳过 {len(errors)} 处：")
        lines += [f"· {_short(e, 150)}" for e in errors[:SUMMARY_ITEMS]]
        lines += _more(len(errors))
    return "\n".join(lines) or "没有可添加的文章。"


def _poll_summary(reports: list[PollReport]) -> str:
    """What a poll brought, one line per source (and the new titles)."""
    if not reports:
        return "没有到期的订阅源（失败的订阅源会稍后重试）。"
    lines = []
    for r in reports:
        if r.failed:
            lines.append(f"· {_short(r.feed.name)}：抓取失败（{_short(r.failed, 120)}），稍后重试")
            continue
        lines.append(f"· {_short(r.feed.name)}：新增 {len(r.added)} 篇，更新 {len(r.updated)} 篇")
        lines += [f"  {_short(a.title)}  {article_command(a.id)}" for a in r.added[:SUMMARY_ITEMS]]
        if r.waiting:
            lines.append(f"  另有 {r.waiting} 条留待下次抓取")
    return "\n".join(lines)


def _short(text: str, limit: int = 60) -> str:
    """``text`` escaped, cut to ``limit`` characters, so that a summary fits one message."""
    return html.escape(text if len(text) <= limit else text[:limit] + "…")


def _more(total: int) -> list[str]:
    return [f"……另有 {total - SUMMARY_ITEMS} 项未列出"] if total > SUMMARY_ITEMS else []
