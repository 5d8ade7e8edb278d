"""The bot's durable state in one SQLite file under data/: each answer sent (what its buttons and
a reply to it act on) and each chat's latest answer (what a follow-up leans on)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from newsbot.responder import Answer
from newsbot.responder.followup import Context, context_of

# Answers kept for their buttons; the oldest are dropped past this.
ANSWERS_KEPT = 20_000
_SCHEMA = """
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
    chat_id INTEGER PRIMARY KEY,
    answer_key TEXT,
    at REAL NOT NULL
);
"""


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
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def remember(self, chat_id: int, answer: Answer) -> str:
        """Record an answer about to be sent; returns the short key its buttons carry."""
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
        )
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO answers (key, chat_id, created, intent, question, shown, context)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
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

    def _prune(self) -> None:
        count = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        if count > ANSWERS_KEPT * 1.1:
            self._db.execute(
                "DELETE FROM answers WHERE key IN (SELECT key FROM answers ORDER BY created"
                " LIMIT ?)",
                (count - ANSWERS_KEPT,),
            )


def _context(data: str) -> Context:
    fields = json.loads(data)
    return Context(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
