"""What one API worker process holds: the engine, the key ring, the rate limiter, the
use counts, and the loop that keeps them in step with the database.

Why the engine runs on the event loop's own thread (and not, as in the Telegram face, on a thread of
its own): analysis is CPU work under the GIL, so no second thread analyses faster, and here there is no
polling loop to keep free — the worker only answers requests. Handing each call to another thread and
back cost about 2 ms per request on this machine (measured: an analysis of 0.8 ms took 2.9 ms through
``run_in_executor``), more than the analysis itself. So a worker answers one request's analysis at a
time (up to ~40 ms for 5,000 characters), the engine's sqlite connection is used by one thread, and
throughput comes from processes: ``serve --workers N`` runs N of these, one per core.

Why a sync loop: an admin change made through the bot or the CLI bumps the change counter in ``meta``
(``bot.store.ChangeTracker``); every ``BOT_API_SYNC_SECONDS`` each worker reads it (one primary-key
read) and rebuilds its script index when it moved — the same ``reload_if_changed`` the bot's job queue
calls — and adds its use counts to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from bot.config import Settings
from bot.faces.api.keys import KeyRing
from bot.pipeline.engine import Engine
from bot.store import Store, apikeys, today

T = TypeVar("T")
log = logging.getLogger("policyguard.api")


class RateLimiter:
    """Requests per minute per key, as a token bucket: a key may burst up to its minute's worth, then
    gets one more request every ``60 / per_minute`` seconds. ``per_minute`` 0: no limit.

    The buckets live in this process: with N workers (or machines) a key gets up to N times the rate
    (see the README's deployment section)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key name → (tokens, when)

    def take(self, name: str) -> float:
        """Take one request for ``name``: 0 when allowed, else the seconds until the next one is."""
        if self.per_minute <= 0:
            return 0.0
        now = self._clock()
        rate = self.per_minute / 60.0
        tokens, then = self._buckets.get(name, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - then) * rate)
        if tokens >= 1.0:
            self._buckets[name] = (tokens - 1.0, now)
            return 0.0
        self._buckets[name] = (tokens, now)
        return (1.0 - tokens) / rate


def retry_after(seconds: float) -> str:
    """The Retry-After header's value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


class Usage:
    """Requests per key, day and endpoint, counted in memory and added to ``api_usage`` by the sync loop."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str]] = Counter()

    def count(self, name: str, endpoint: str) -> None:
        self._counts[(name, today(), endpoint)] += 1

    def take(self) -> list[tuple[str, str, str, int]]:
        counts, self._counts = self._counts, Counter()
        return [(k, d, e, n) for (k, d, e), n in counts.items()]

    def give_back(self, rows: list[tuple[str, str, str, int]]) -> None:
        """Counts that could not be written: kept for the next round."""
        for k, d, e, n in rows:
            self._counts[(k, d, e)] += n


class Runtime:
    """The worker's engine, keys, limiter and use counts; :meth:`start` and :meth:`stop` are the app's
    lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine: Engine | None = None
        self.keys: KeyRing | None = None
        self.limiter = RateLimiter(settings.api_rate_per_minute)
        self.usage = Usage()
        self._key_db: Store | None = None
        self._sync: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self.engine is not None

    async def start(self) -> None:
        """Open the engine, the key ring's own connection, and start the sync loop."""
        from bot.config import open_engine
        from bot.store import connect

        self.engine = open_engine(self.settings)
        await self.call(_seen_changes)  # the index was just built: only later changes call for a reload
        self._key_db = connect(self.settings.db_path)
        self.keys = KeyRing(self._key_db, ttl=self.settings.api_sync_seconds)
        self._sync = asyncio.create_task(self._sync_loop(), name="policyguard-api-sync")

    async def stop(self) -> None:
        """Stop the loop, add the last use counts, close both connections."""
        if self._sync is not None:
            self._sync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync
        if self.engine is not None:
            with contextlib.suppress(Exception):
                await self.call(_add_usage, self.usage.take())
            self.engine.close()
            self.engine = None
        if self._key_db is not None:
            self._key_db.close()
            self._key_db = None

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(engine, *args, **kwargs)``, on this thread (see the module docstring for why)."""
        if self.engine is None:
            raise RuntimeError("the engine is not open")
        return fn(self.engine, *args, **kwargs)

    async def sync(self) -> None:
        """One round: reload the scripts if an admin changed them elsewhere, and add the use counts."""
        from bot import admin

        if await self.call(admin.reload_if_changed):
            log.info("scripts or numbers changed elsewhere: index reloaded")
        rows = self.usage.take()
        try:
            await self.call(_add_usage, rows)
        except Exception:
            self.usage.give_back(rows)
            raise

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.api_sync_seconds)
            try:
                await self.sync()
            except Exception as e:  # a locked or briefly unreadable database: try again next round
                log.warning("sync failed: %s", type(e).__name__)


def _add_usage(engine: Engine, counts: list[tuple[str, str, str, int]]) -> None:
    apikeys.add_usage(engine.store, counts)


def _seen_changes(engine: Engine) -> None:
    engine.store.changes.poll()
