"""What readers ask for beyond answers: topic subscriptions pushed as articles arrive (or as a
daily digest), 👍 / 👎 on answers, inline queries, and the replies to other kinds of message."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from typing import TYPE_CHECKING

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from newsbot.corpus import Article
from newsbot.responder.topics import matches
from newsbot.telegram.format import answer_html, callback_key
from newsbot.telegram.store import DOWN, UP

if TYPE_CHECKING:
    from newsbot.telegram.handlers import Bot

log = logging.getLogger(__name__)

MAX_TOPIC_CHARS = 20
MAX_TOPICS_PER_CHAT = 20
INLINE_HEADLINES = 5
DAILY = "每日"
HINT = "我只读文字。请用文字提问，例如：「最近有什么新闻？」"


class Readers:
    """Subscriptions, feedback, inline mode and other inputs; shares the Bot's engine and store."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.loop: asyncio.AbstractEventLoop | None = None

    # --- subscriptions -------------------------------------------------------------------------

    async def subscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/subscribe 主题 [每日]"""
        if not await self.bot._metered(update):
            return
        args = list(context.args or [])
        daily = bool(args) and args[-1] == DAILY
        topic = " ".join(args[:-1] if daily else args).strip()
        chat = update.effective_chat
        if chat is None:
            return
        if not topic:
            await self.bot._reply(
                update,
                "用法：/subscribe 主题（如 /subscribe 垃圾分类），加“每日”改为每天汇总一次。",
            )
            return
        if len(topic) > MAX_TOPIC_CHARS:
            await self.bot._reply(update, f"主题太长了（最多 {MAX_TOPIC_CHARS} 个字）。")
            return
        store = self.bot.store
        known = {s.topic for s in store.subscriptions(chat.id)}
        if topic not in known and len(known) >= MAX_TOPICS_PER_CHAT:
            await self.bot._reply(update, f"最多订阅 {MAX_TOPICS_PER_CHAT} 个主题。")
            return
        changed = store.subscribe(chat.id, topic, daily)
        how = "每天汇总一次" if daily else "有相关新文章时立即通知"
        text = f"已订阅“{topic}”：{how}。" if changed else f"已经订阅过“{topic}”了。"
        await self.bot._reply(update, html.escape(text), self._unsubscribe_buttons([topic]))

    async def subscriptions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/subscriptions — the chat's topics, each with a button to cancel it."""
        if not await self.bot._metered(update):
            return
        chat = update.effective_chat
        subs = self.bot.store.subscriptions(chat.id) if chat else []
        if not subs:
            await self.bot._reply(
                update, "还没有订阅。用 /subscribe 主题 订阅，例如 /subscribe 工会"
            )
            return
        lines = ["<b>我的订阅</b>"]
        lines += [f"· {html.escape(s.topic)}（{'每日汇总' if s.daily else '即时'}）" for s in subs]
        markup = self._unsubscribe_buttons([s.topic for s in subs])
        await self.bot._reply(update, "\n".join(lines), markup)

    async def unsubscribe(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/unsubscribe 主题"""
        if not await self.bot._metered(update):
            return
        topic = " ".join(context.args or []).strip()
        chat = update.effective_chat
        if chat is None:
            return
        if not topic:
            await self.bot._reply(
                update, "用法：/unsubscribe 主题（/subscriptions 查看已订阅的主题）"
            )
            return
        gone = self.bot.store.unsubscribe(chat.id, topic)
        text = f"已取消订阅“{topic}”。" if gone else f"没有订阅“{topic}”。"
        await self.bot._reply(update, html.escape(text))

    async def unsubscribe_button(self, update: Update, topic: str) -> None:
        query = update.callback_query
        chat = update.effective_chat
        assert query is not None
        gone = self.bot.store.unsubscribe(chat.id, topic) if chat else 0
        await query.answer("已取消订阅" if gone else "没有这个订阅")
        if gone:
            await self.bot._reply(update, html.escape(f"已取消订阅“{topic}”。"))

    @staticmethod
    def _unsubscribe_buttons(topics: list[str]) -> InlineKeyboardMarkup:
        buttons = [
            InlineKeyboardButton(f"取消“{t}”", callback_data=f"unsub:{t}")
            for t in topics
            if len(f"unsub:{t}".encode()) <= 64
        ]
        return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])

    def arrived(self, articles: list[Article]) -> None:
        """The engine's listener (any thread): push the new articles from the event loop."""
        if self.loop is not None and not self.loop.is_closed():
            asyncio.run_coroutine_threadsafe(self.push(articles), self.loop)

    async def push(self, articles: list[Article]) -> None:
        """Tell each subscriber of a matching topic about each new article, once."""
        subs = await asyncio.to_thread(self.bot.store.subscriptions)
        if not subs:
            return
        topics = {s.topic for s in subs}
        engine = self.bot.engine
        min_score = engine.config.topic_min_score
        for article in articles:
            found = await asyncio.to_thread(matches, engine.index, article, topics, min_score)
            by_topic = {m.topic: m for m in found}
            for sub in subs:
                match = by_topic.get(sub.topic)
                if match is None:
                    continue
                if not self.bot.store.claim_push(
                    sub.chat_id, article.id, sub.topic, match.sentence
                ):
                    continue  # told already (another topic matched, or an earlier push)
                if not sub.daily:
                    await self._notify(sub.chat_id, article, sub.topic, match.sentence)

    async def _notify(self, chat_id: int, article: Article, topic: str, sentence: str) -> None:
        date = f"（{article.date}）" if article.date else ""
        text = (
            f"🔔 订阅“{html.escape(topic)}”有新文章：\n<b>{html.escape(article.title)}</b>{date}\n"
            f"{html.escape(sentence[:200])}"
        )
        data, key = callback_key("a", article.id)
        if key:
            self.bot.keys[key] = article.id
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("原文", callback_data=data)]])
        await self._send(chat_id, text, markup)
        self.bot.store.mark_sent(chat_id, [article.id])  # tried: a failed push is not retried

    async def _send(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        """Send a push; a reader who blocked the bot loses their subscriptions."""
        try:
            await self.bot.application.bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
            return True
        except Forbidden:
            removed = self.bot.store.unsubscribe(chat_id)
            log.info("chat %s blocked the bot: %d subscriptions removed", chat_id, removed)
        except BadRequest as exc:
            log.warning("could not push to chat %s: %s", chat_id, exc)
        return False

    async def digest(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The daily digest (JobQueue): each chat's pushes held back, in one message."""
        for chat_id, items in (await asyncio.to_thread(self.bot.store.unsent)).items():
            lines = ["<b>📰 订阅日报</b>"]
            for article_id, topic, sentence in items[:20]:
                article = self.bot._find(article_id)
                if article is None:
                    continue
                lines.append(
                    f"· [{html.escape(topic)}] <b>{html.escape(article.title)}</b>"
                    f"（{article.date or '日期不详'}）/article_{article.id.replace('-', '_')}\n"
                    f"  {html.escape(sentence[:120])}"
                )
            if len(lines) > 1:
                await self._send(chat_id, "\n".join(lines), None)
            self.bot.store.mark_sent(chat_id, [a for a, _, _ in items])

    # --- feedback ------------------------------------------------------------------------------

    async def feedback(self, update: Update, key: str, vote: str) -> None:
        """A 👍 / 👎 press: stored with the answer, acknowledged, the keyboard marked."""
        query, user = update.callback_query, update.effective_user
        assert query is not None
        value = UP if vote == "1" else DOWN
        if user is None or not self.bot.store.vote(key, user.id, value):
            await query.answer("这个回答已过期。")
            return
        await query.answer("谢谢反馈！" if value == UP else "谢谢反馈，我们会改进。")
        markup = query.message.reply_markup if query.message else None
        if markup is None:
            return
        rows = [
            [
                InlineKeyboardButton(
                    _marked(b.text, b.callback_data, key, vote), callback_data=b.callback_data
                )
                for b in row
            ]
            for row in markup.inline_keyboard
        ]
        with contextlib.suppress(BadRequest):  # unchanged (the same button pressed twice)
            await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))

    # --- inline mode ---------------------------------------------------------------------------

    async def inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """@bot 问题 in any chat: the answer and its source; else the newest headlines."""
        query = update.inline_query
        if query is None:
            return
        text = query.query.strip()
        results = []
        if text:
            answer = await asyncio.to_thread(self.bot.engine.ask, text)
            if answer.found and answer.intent == "question":
                title = answer.short_answer or answer.answer[:30]
                source = answer.sources[0]
                results.append(
                    InlineQueryResultArticle(
                        id="answer",
                        title=f"答：{title}",
                        description=f"{answer.answer[:80]} —《{source.title}》",
                        input_message_content=InputTextMessageContent(
                            answer_html(answer), parse_mode=ParseMode.HTML
                        ),
                    )
                )
        for n, article in enumerate(self.bot.engine.index.latest(INLINE_HEADLINES)):
            results.append(
                InlineQueryResultArticle(
                    id=f"latest{n}",
                    title=article.title[:60],
                    description=f"{article.date or '日期不详'} · 最新报道",
                    input_message_content=InputTextMessageContent(
                        f"<b>{html.escape(article.title)}</b>（{article.date or '日期不详'}）",
                        parse_mode=ParseMode.HTML,
                    ),
                )
            )
        await query.answer(results[:10], cache_time=30, is_personal=False)

    # --- other inputs --------------------------------------------------------------------------

    async def caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo or video (or a reader's document) with a caption: the caption is the
        question, asked as a text message would be."""
        message = update.effective_message
        text = (message.caption or "").strip() if message else ""
        if not text:
            if update.effective_chat and update.effective_chat.type == "private":
                await self.bot._reply(update, HINT)
            return
        if not self.bot._addressed(update, context, text) and update.effective_chat:
            return
        await self.bot._answer(update, context, text)

    async def hint(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A sticker, voice message or location: one line saying what the bot reads."""
        if update.effective_chat and update.effective_chat.type == "private":
            await self.bot._reply(update, HINT)

    async def forwarded(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """An admin's forwarded channel post: offered for adding instead of searched. True when
        it was one."""
        message = update.effective_message
        origin = getattr(message, "forward_origin", None) if message else None
        if message is None or origin is None or getattr(origin, "type", "") != "channel":
            return False
        if not self.bot._is_admin(update):
            return False
        text = message.text or message.caption or ""
        key = self.bot.store.keep_post(text)
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton("添加为文章", callback_data=f"post:{key}")]]
        )
        await self.bot._reply(
            update, "这是转发的频道消息，要把它添加为文章吗？（第一行作标题）", markup
        )
        return True

    async def add_post(self, update: Update, key: str) -> None:
        query = update.callback_query
        assert query is not None
        if not self.bot._is_admin(update):
            await query.answer("只有管理员可以添加文章。", show_alert=True)
            return
        text = self.bot.store.post(key)
        if text is None:
            await query.answer("这条消息已过期。")
            return
        await query.answer()
        await self.bot._import(update, "post.txt", text.strip().encode())


def _marked(label: str, data: str | None, key: str, vote: str) -> str:
    """A feedback button's label after a press: the chosen one ticked, the other plain."""
    if not data or not data.startswith(f"fb:{key}:"):
        return label
    base = label.rstrip(" ✓")
    return f"{base} ✓" if data.endswith(f":{vote}") else base
