"""The bot's durable state in one SQLite file under data/: each answer sent (what its buttons and
a reply to it act on), each chat's latest answer (what a follow-up leans on), readers' 👍 / 👎,
topic subscriptions and what was pushed to whom, and forwarded posts offered for adding."""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from newsbot.responder import Answer
from newsbot.responder.followup import Context, context_of

log = logging.getLogger(__name__)

# Answers kept for their buttons; the oldest are dropped past this.
ANSWERS_KEPT = 20_000
# The schema, one step per version: a database of an older version is migrated on start
# (PRAGMA user_version says which steps it has had).
MIGRATIONS = (
    """
    CREATE TABLE IF NOT EXISTS answers (
        key TEXT PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        message_id INTEGER,
        created REAL NOT NULL,
        intent TEXT NOT NULL,
        question TEXT NOT NULL,
        shown TEXT NOT NULL,
        context TEXT
    );
    CREATE INDEX IF NOT EXISTS answers_by_message ON answers (chat_id, message_id);
    CREATE TABLE IF NOT EXISTS chats (
        chat_id INTEGER PRIMARY KEY, answer_key TEXT, at REAL NOT NULL
    );
    """,
    """
    ALTER TABLE answers ADD COLUMN answer TEXT NOT NULL DEFAULT '';
    ALTER TABLE answers ADD COLUMN confidence REAL NOT NULL DEFAULT 0;
    CREATE TABLE feedback (
        key TEXT NOT NULL,
        user_id INTEGER NOT NULL,
        vote INTEGER NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (key, user_id)
    );
    CREATE TABLE subscriptions (
        chat_id INTEGER NOT NULL,
        topic TEXT NOT NULL,
        daily INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        PRIMARY KEY (chat_id, topic)
    );
    CREATE TABLE pushed (
        chat_id INTEGER NOT NULL,
        article_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        sentence TEXT NOT NULL DEFAULT '',
        at REAL NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (chat_id, article_id)
    );
    CREATE TABLE posts (key TEXT PRIMARY KEY, text TEXT NOT NULL, at REAL NOT NULL);
    """,
    """
    CREATE TABLE questions (
        at REAL NOT NULL,
        question TEXT NOT NULL,
        found INTEGER NOT NULL,
        confidence REAL NOT NULL,
        doubtful INTEGER NOT NULL
    );
    CREATE INDEX questions_by_answer ON questions (found, question);
    CREATE TABLE totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """,
    """
    ALTER TABLE answers ADD COLUMN asked_id INTEGER;
    ALTER TABLE answers ADD COLUMN asked TEXT NOT NULL DEFAULT '';
    CREATE INDEX answers_by_question ON answers (chat_id, asked_id);
    """,
)
# Questions kept one by one for /stats; older ones live on in the totals only.
QUESTIONS_KEPT = 100_000
RECENT_SHOWN = 5
UP, DOWN = 1, -1


@dataclass(frozen=True)
class Rated:
    """An answer readers voted on: its question, answer and votes."""

    question: str
    answer: str
    up: int
    down: int


@dataclass(frozen=True)
class Subscription:
    """A chat's topic, pushed as articles arrive or, ``daily``, once a day."""

    chat_id: int
    topic: str
    daily: bool


@dataclass(frozen=True)
class Sent:
    """An answer as its buttons see it: the question it answered (as answered), its intent and
    the articles it showed, in order."""

    key: str
    intent: str
    question: str
    shown: tuple[str, ...]


class BotStore:
    """SQLite in WAL mode; one connection shared by the handlers under a lock (each call is a
    short transaction, so a crash loses at most the answer being recorded)."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA user_version").fetchone()
        except (OSError, sqlite3.Error) as exc:  # answers still come; nothing is kept
            log.warning("bot state cannot be kept in %s (%s): it lasts this run only", path, exc)
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")  # the CLI may hold it a moment
            self._migrate()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._db:
                self._db.execute("BEGIN")
                for statement in filter(str.strip, step.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def remember(
        self, chat_id: int, answer: Answer, asked_id: int | None = None, asked: str = ""
    ) -> str:
        """Record an answer about to be sent (``asked_id``, ``asked``: the reader's message and
        its text); returns the short key its buttons carry."""
        key = secrets.token_urlsafe(6)
        context = context_of(answer)
        row = (
            key,
            chat_id,
            time.time(),
            answer.intent,
            answer.resolved or answer.question,
            json.dumps([s.id for s in answer.sources if not s.closest]),
            json.dumps(context.__dict__, ensure_ascii=False) if context else None,
            answer.answer[:1000],
            answer.confidence,
            asked_id,
            asked[:500],
        )
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO answers (key, chat_id, created, intent, question, shown, context,"
                " answer, confidence, asked_id, asked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            if answer.intent == "question":  # a refusal ends what a follow-up may lean on
                self._db.execute(
                    "INSERT INTO chats (chat_id, answer_key, at) VALUES (?, ?, ?)"
                    " ON CONFLICT (chat_id) DO UPDATE SET answer_key = excluded.answer_key,"
                    " at = excluded.at",
                    (chat_id, key if context else None, time.time()),
                )
            self._prune()
        return key

    def asked_before(self, chat_id: int, asked_id: int) -> str | None:
        """The text of a reader's message as it was when last answered, if it was."""
        with self._lock:
            row = self._db.execute(
                "SELECT asked FROM answers WHERE chat_id = ? AND asked_id = ?"
                " ORDER BY created DESC LIMIT 1",
                (chat_id, asked_id),
            ).fetchone()
        return row[0] if row else None

    def sent_as(self, key: str, message_id: int) -> None:
        """Note the message an answer went out as (a reply to it leans on that answer)."""
        with self._lock, self._db:
            self._db.execute("UPDATE answers SET message_id = ? WHERE key = ?", (message_id, key))

    def get(self, key: str) -> Sent | None:
        """The answer a button's key stands for, if still kept."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, intent, question, shown FROM answers WHERE key = ?", (key,)
            ).fetchone()
        return Sent(row[0], row[1], row[2], tuple(json.loads(row[3]))) if row else None

    def latest_context(self, chat_id: int, ttl: float) -> Context | None:
        """The chat's latest answer to lean on, if no older than ``ttl`` seconds."""
        with self._lock:
            row = self._db.execute(
                "SELECT a.context FROM chats c JOIN answers a ON a.key = c.answer_key"
                " WHERE c.chat_id = ? AND c.at >= ?",
                (chat_id, time.time() - ttl),
            ).fetchone()
        return _context(row[0]) if row and row[0] else None

    def context_of_message(self, chat_id: int, message_id: int) -> Context | None:
        """The answer a bot message in this chat carried (for a reply to it)."""
        with self._lock:
            row = self._db.execute(
                "SELECT context FROM answers WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            ).fetchone()
        return _context(row[0]) if row and row[0] else None

    # --- usage statistics ----------------------------------------------------------------------

    def record(self, question: str, found: bool, confidence: float, doubtful: bool) -> None:
        """Count one question a reader asked: refused, doubtful (answered with low confidence)
        or answered."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO questions (at, question, found, confidence, doubtful)"
                " VALUES (?, ?, ?, ?, ?)",
                (time.time(), question.strip()[:200], int(found), round(confidence, 4),
                 int(doubtful)),
            )  # fmt: skip
            count = self._rows("questions")
            if count > QUESTIONS_KEPT * 1.1:
                self._fold(count - QUESTIONS_KEPT)

    def _fold(self, n: int) -> None:
        """Move the ``n`` oldest questions into the totals."""
        asked, refused = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(found = 0), 0) FROM (SELECT found FROM questions"
            " ORDER BY at LIMIT ?)",
            (n,),
        ).fetchone()
        self._add_totals(asked, refused)
        self._db.execute(
            "DELETE FROM questions WHERE rowid IN (SELECT rowid FROM questions ORDER BY at"
            " LIMIT ?)",
            (n,),
        )

    def _add_totals(self, asked: int, refused: int) -> None:
        for name, value in (("asked", asked), ("refused", refused)):
            self._db.execute(
                "INSERT INTO totals (name, value) VALUES (?, ?) ON CONFLICT (name)"
                " DO UPDATE SET value = value + excluded.value",
                (name, value),
            )

    def import_legacy_stats(self, path: Path) -> None:
        """Take in the counts of a ``stats.json`` written by an older version, once; a damaged
        one is kept aside and reported, never silently dropped."""
        if not path.exists():
            return
        try:
            data = json.loads(path.read_text("utf-8"))
            asked, refused = int(data["asked"]), int(data["unanswered"])
            missing = {str(q): int(n) for q, n in data.get("missing", {}).items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            kept = path.with_name(f"{path.name}.damaged-{int(time.time())}")
            path.replace(kept)
            log.warning("statistics file %s is damaged: kept as %s, not imported", path, kept)
            return
        with self._lock, self._db:
            rows = [(0.0, q, 0, 0.0, 0) for q, n in missing.items() for _ in range(min(n, 1000))]
            self._db.executemany(
                "INSERT INTO questions (at, question, found, confidence, doubtful)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            self._add_totals(max(0, asked - len(rows)), max(0, refused - len(rows)))
        path.replace(path.with_name(path.name + ".imported"))
        log.info("imported the statistics of %s into the bot's database", path)

    def report(self) -> list[str]:
        """What /stats and ``newsbot stats`` show, as plain lines."""
        with self._lock:
            totals = dict(self._db.execute("SELECT name, value FROM totals").fetchall())
            asked, refused = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(found = 0), 0) FROM questions"
            ).fetchone()
            missing = self._db.execute(
                "SELECT question, COUNT(*) FROM questions WHERE found = 0 GROUP BY question"
                " ORDER BY COUNT(*) DESC, MAX(at) DESC LIMIT ?",
                (RECENT_SHOWN,),
            ).fetchall()
            recent = {
                flag: self._db.execute(
                    f"SELECT question, confidence FROM questions WHERE {flag}"
                    " ORDER BY at DESC LIMIT ?",
                    (RECENT_SHOWN,),
                ).fetchall()
                for flag in ("found = 0", "doubtful = 1")
            }
        asked += totals.get("asked", 0)
        refused += totals.get("refused", 0)
        share = refused / asked if asked else 0.0
        lines = [f"已回答问题 {asked} 个，未找到答案 {refused} 个（{share:.0%}）"]
        if missing:
            lines.append("最常见的未回答问题：")
            lines += [f"· {q} ×{n}" for q, n in missing]
        up, down = self.votes()
        if up or down:
            lines.append(f"读者反馈 👍 {up} · 👎 {down}（👎 占 {down / (up + down):.0%}）")
            worst = self.worst_rated(RECENT_SHOWN)
            if worst:
                lines.append("评价最差的回答：")
                lines += [
                    f"· {r.question[:40]} → {r.answer[:40]}（👎{r.down} 👍{r.up}）" for r in worst
                ]
        for title, flag in (
            ("最近拒答的问题", "found = 0"),
            ("最近把握不大的回答", "doubtful = 1"),
        ):
            if recent[flag]:
                lines.append(f"{title}（置信度）：")
                lines += [f"· {q}（{c:.2f}）" for q, c in recent[flag]]
        return lines

    # --- feedback ------------------------------------------------------------------------------

    def vote(self, key: str, user_id: int, vote: int) -> bool:
        """Record (or change) a reader's 👍 / 👎 on an answer; False when it is no longer kept."""
        with self._lock, self._db:
            if self._db.execute("SELECT 1 FROM answers WHERE key = ?", (key,)).fetchone() is None:
                return False
            self._db.execute(
                "INSERT INTO feedback (key, user_id, vote, at) VALUES (?, ?, ?, ?) ON CONFLICT"
                " (key, user_id) DO UPDATE SET vote = excluded.vote, at = excluded.at",
                (key, user_id, vote, time.time()),
            )
        return True

    def votes(self) -> tuple[int, int]:
        """All 👍 and 👎 given."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) FROM feedback"
            ).fetchone()
        return int(row[0]), int(row[1])

    def worst_rated(self, n: int) -> list[Rated]:
        """The answers with the most 👎 (net of 👍), worst first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT a.question, a.answer, SUM(f.vote = 1), SUM(f.vote = -1) FROM feedback f"
                " JOIN answers a ON a.key = f.key GROUP BY f.key HAVING SUM(f.vote = -1) > 0"
                " ORDER BY SUM(f.vote) ASC, MAX(f.at) DESC LIMIT ?",
                (n,),
            ).fetchall()
        return [Rated(q, a, int(up), int(down)) for q, a, up, down in rows]

    # --- subscriptions -------------------------------------------------------------------------

    def subscribe(self, chat_id: int, topic: str, daily: bool) -> bool:
        """Add (or change to daily / instant) a chat's topic; False when it was there as is."""
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT daily FROM subscriptions WHERE chat_id = ? AND topic = ?", (chat_id, topic)
            ).fetchone()
            if row is not None and bool(row[0]) == daily:
                return False
            self._db.execute(
                "INSERT INTO subscriptions (chat_id, topic, daily, created) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (chat_id, topic) DO UPDATE SET daily = excluded.daily",
                (chat_id, topic, int(daily), time.time()),
            )
        return True

    def unsubscribe(self, chat_id: int, topic: str | None = None) -> int:
        """Remove a chat's topic (every topic when None); how many went."""
        with self._lock, self._db:
            if topic is None:
                cursor = self._db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            else:
                cursor = self._db.execute(
                    "DELETE FROM subscriptions WHERE chat_id = ? AND topic = ?", (chat_id, topic)
                )
        return cursor.rowcount

    def subscriptions(self, chat_id: int | None = None) -> list[Subscription]:
        """A chat's topics (every chat's when None), oldest first."""
        query = "SELECT chat_id, topic, daily FROM subscriptions"
        args: tuple[object, ...] = ()
        if chat_id is not None:
            query, args = query + " WHERE chat_id = ?", (chat_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created", args).fetchall()
        return [Subscription(c, t, bool(d)) for c, t, d in rows]

    def claim_push(self, chat_id: int, article_id: str, topic: str, sentence: str) -> bool:
        """Note that a chat is to be told of an article; False when it already was (one article
        is never pushed twice to one chat, whatever topics it matches)."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO pushed (chat_id, article_id, topic, sentence, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (chat_id, article_id, topic, sentence, time.time()),
            )
        return cursor.rowcount == 1

    def mark_sent(self, chat_id: int, article_ids: list[str]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE pushed SET sent = 1 WHERE chat_id = ? AND article_id = ?",
                [(chat_id, a) for a in article_ids],
            )

    def unsent(self) -> dict[int, list[tuple[str, str, str]]]:
        """Claimed pushes not sent yet (a daily digest's), by chat: (article, topic, sentence)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT chat_id, article_id, topic, sentence FROM pushed WHERE sent = 0 ORDER BY at"
            ).fetchall()
        out: dict[int, list[tuple[str, str, str]]] = {}
        for chat_id, article_id, topic, sentence in rows:
            out.setdefault(chat_id, []).append((article_id, topic, sentence))
        return out

    # --- forwarded posts ---------------------------------------------------------------------

    def keep_post(self, text: str) -> str:
        """Keep a forwarded post's text for its 「添加为文章」 button; returns the button's key."""
        key = secrets.token_urlsafe(6)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO posts (key, text, at) VALUES (?, ?, ?)", (key, text, time.time())
            )
        return key

    def post(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM posts WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _rows(self, table: str) -> int:
        """About how many rows ``table`` holds, from its first and last rowid (rows leave from
        the oldest end only): two index lookups, where COUNT(*) reads the table every insert."""
        low, high = self._db.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {table}").fetchone()
        return 0 if high is None else high - low + 1

    def _prune(self) -> None:
        count = self._rows("answers")
        if count > ANSWERS_KEPT * 1.1:
            self._db.execute(
                "DELETE FROM answers WHERE key IN (SELECT key FROM answers ORDER BY created"
                " LIMIT ?)",
                (count - ANSWERS_KEPT,),
            )


def _context(data: str) -> Context:
    fields = json.loads(data)
    return Context(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
