"""A per-user token bucket against request floods.

Why a bucket per user: one person pasting 30 messages a second must not slow down anyone else, and a
normal conversation (a few messages, then a pause) must never notice it. Each user may send
``capacity`` messages at once and then one more every ``period / capacity`` seconds (10 messages per
30 s by default). The first message over the limit gets one clear "slow down" reply; further ones are
dropped silently until a token is back, so a flood can't make the bot flood back.

The throttle is pure bookkeeping (no I/O, no awaits), so deciding costs microseconds and cannot delay
other users.
"""

from __future__ import annotations

import datetime as dt
import enum
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass


class Decision(enum.Enum):
    ALLOW = "allow"  # process the message
    WARN = "warn"  # over the limit: tell the user once
    DROP = "drop"  # still over the limit: stay silent


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class Throttle:
    """Token buckets keyed by user id. Not thread-safe by design: it lives on the event loop."""

    def __init__(self, capacity: int = 10, period: float = 30.0, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000):
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be >= 1 and period > 0")
        self.capacity = float(capacity)
        self.rate = capacity / period  # tokens per second
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[Hashable, _Bucket] = {}

    def hit(self, key: Hashable) -> Decision:
        """Count one message from ``key`` and say what to do with it."""
        now = self.clock()
        b = self._buckets.get(key)
        if b is None:
            if len(self._buckets) >= self.max_keys:
                self.prune()
            b = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            b.tokens = min(self.capacity, b.tokens + (now - b.updated) * self.rate)
            b.updated = now
        if b.tokens >= 1.0:
            b.tokens -= 1.0
            b.warned = False
            return Decision.ALLOW
        if b.warned:
            return Decision.DROP
        b.warned = True
        return Decision.WARN

    def retry_in(self, key: Hashable) -> float:
        """Seconds until ``key`` may send again (0 when it may now)."""
        b = self._buckets.get(key)
        if b is None:
            return 0.0
        tokens = min(self.capacity, b.tokens + (self.clock() - b.updated) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def forget(self, key: Hashable) -> bool:
        """Drop ``key``'s bucket (/forgetme: the bot keeps nothing about a user who asked it to forget)."""
        return self._buckets.pop(key, None) is not None

    def prune(self) -> int:
        """Forget users whose bucket has refilled completely (they are indistinguishable from new
        ones), so memory stays bounded by the number of recently active users."""
        now = self.clock()
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]
        return len(full)

    def __len__(self) -> int:
        return len(self._buckets)


class DailyCounter:
    """How many times each key did something today (UTC), in memory: the daily report cap that
    /forgetme cannot reset (the database's own count goes with the user's rows). Keys are anonymous
    (Services.anon); yesterday's counts are dropped on the first use of a new day."""

    def __init__(self, today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date()):
        self.today = today
        self._day: dt.date | None = None
        self._counts: dict[Hashable, int] = {}

    def _roll(self) -> None:
        day = self.today()
        if day != self._day:
            self._day, self._counts = day, {}

    def count(self, key: Hashable) -> int:
        self._roll()
        return self._counts.get(key, 0)

    def add(self, key: Hashable) -> int:
        self._roll()
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]
