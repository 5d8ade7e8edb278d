"""Per-bot state that outlives one update: rate limits and usage statistics."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from newsbot.corpus.store import atomic_write

log = logging.getLogger(__name__)

MISSING_KEPT = 500
# Refusals and doubtful answers kept for /stats, newest last.
RECENT_KEPT = 50


@dataclass
class RateLimiter:
    """At most ``per_minute`` requests per user in any sliding minute; of the refusals in one
    such minute only the first is said (a flood of refusals would be a flood of its own)."""

    per_minute: int
    _times: dict[int, deque[float]] = field(default_factory=dict)
    _refused_at: dict[int, float] = field(default_factory=dict)

    def allow(self, user_id: int, now: float | None = None) -> bool:
        """Record a request and say whether it is within the limit."""
        now = time.monotonic() if now is None else now
        times = self._times.setdefault(user_id, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return False
        times.append(now)
        return True

    def should_say(self, user_id: int, now: float | None = None) -> bool:
        """Whether to tell this user they were refused (once a minute at most)."""
        now = time.monotonic() if now is None else now
        if now - self._refused_at.get(user_id, -60.0) < 60:
            return False
        self._refused_at[user_id] = now
        return True


@dataclass
class Stats:
    """What readers asked: totals, the unanswered questions worth adding articles for, and the
    latest refusals and doubtful (low-confidence) answers with their confidence."""

    asked: int = 0
    unanswered: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    refused: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=RECENT_KEPT))
    doubtful: deque[tuple[str, float]] = field(default_factory=lambda: deque(maxlen=RECENT_KEPT))

    def record(
        self, question: str, found: bool, confidence: float = 1.0, doubt: float = 0.0
    ) -> None:
        """Count one question: refused, answered below the ``doubt`` confidence, or answered."""
        self.asked += 1
        asked = question.strip()[:60]
        if not found:
            self.unanswered += 1
            self.missing[asked] += 1
            self.refused.append((asked, round(confidence, 2)))
            if len(self.missing) > 2 * MISSING_KEPT:
                self.missing = Counter(dict(self.missing.most_common(MISSING_KEPT)))
        elif confidence < doubt:
            self.doubtful.append((asked, round(confidence, 2)))

    def save(self, path: Path) -> None:
        """Write the statistics atomically, readable by the owner only (they hold questions)."""
        data = {
            "asked": self.asked,
            "unanswered": self.unanswered,
            "missing": self.missing,
            "refused": list(self.refused),
            "doubtful": list(self.doubtful),
        }
        atomic_write(path, json.dumps(data, ensure_ascii=False), mode=0o600)

    @classmethod
    def load(cls, path: Path) -> Stats:
        """Statistics saved by an earlier run; a missing or damaged file starts afresh."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            recent = {
                key: deque(((str(q), float(c)) for q, c in data.get(key, [])), maxlen=RECENT_KEPT)
                for key in ("refused", "doubtful")
            }
            return cls(
                int(data["asked"]), int(data["unanswered"]), Counter(data["missing"]), **recent
            )
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, KeyError, TypeError):
            kept = path.with_name(f"{path.name}.damaged-{int(time.time())}")
            try:
                path.replace(kept)
                log.warning(
                    "statistics file %s is damaged: kept as %s, starting afresh", path, kept
                )
            except OSError:
                log.warning("statistics file %s is damaged and could not be moved aside", path)
            return cls()
