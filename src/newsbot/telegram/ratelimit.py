"""The per-user rate limit of the bot (the durable state is in store.py)."""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


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
