"""What the Telegram callbacks share, and how they reach the engine without blocking the event loop.

Why one engine thread: the engine's analysis is CPU work (about 2-40 ms per message, measured: 14 ms
for a typical SMS, 35 ms for 5,000 characters) and its number registry, checks log and admin changes
go through ONE sqlite3 connection. Running every engine call on a single worker thread keeps the event
loop free (polling, other users' replies, button answers never wait on jieba) and keeps the sqlite
connection single-threaded, so transactions from different updates never interleave. A thread pool
would not analyse faster anyway (the GIL), and asyncio.to_thread's shared pool would let two updates
use the connection at once.

Why per-user ordering: python-telegram-bot's ConversationHandler (the admins' guided form) needs one
user's updates handled one after another, but users must not wait for each other. The update
processor below serialises updates per user and runs different users concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import BaseUpdateProcessor, ContextTypes

from bot.config import Settings
from bot.faces.tg.throttle import DailyCounter, Throttle
from bot.pipeline.engine import Engine

T = TypeVar("T")
GROUP_CAPACITY = 30
GROUP_PERIOD = 60.0
#: A group's 🚩 举报 is confirmed by a second press within this many seconds, at least MIN_CONFIRM_GAP apart.
CONFIRM_WINDOW = 60.0
MIN_CONFIRM_GAP = 1.0


class EngineWorker:
    """Runs engine calls on one dedicated thread (see the module docstring for why)."""

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policyguard-engine")

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the engine thread, awaited without blocking the event loop."""
        self.start()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


@dataclass
class Services:
    """Everything the callbacks share; stored in ``application.bot_data["services"]``."""

    settings: Settings
    engine: Engine | None = None
    owns_engine: bool = False  # opened in post_init (and so closed in post_shutdown), or given by the caller
    worker: EngineWorker = field(default_factory=EngineWorker)
    throttle: Throttle = field(default_factory=Throttle)
    #: Per group chat: at most GROUP_CAPACITY analyses per GROUP_PERIOD seconds, then silence in that group
    #: (a busy or hostile group must not eat the engine thread that answers private chats).
    group_throttle: Throttle = field(default_factory=lambda: Throttle(GROUP_CAPACITY, GROUP_PERIOD))
    #: error kind → monotonic time of the last admin notification (one per kind per ADMIN_NOTICE_EVERY)
    notified: dict[str, float] = field(default_factory=dict)
    #: Reports filed today per anonymous key: the daily cap, kept across /forgetme.
    reports_today: DailyCounter = field(default_factory=DailyCounter)
    #: The key of :meth:`anon`, made per process and never stored: the limits' keys can't be turned back
    #: into user ids, and mean nothing after a restart.
    limits_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    #: /forgetme requests that found the database locked, retried by a job (user ids, in memory only
    #: until done), and whether a finished one left traces in the WAL for lack of a complete checkpoint.
    forget_later: set[int] = field(default_factory=set)
    traces_left: bool = False
    #: First presses of 🚩 举报 in groups, awaiting the confirming second press: anonymous key + data →
    #: monotonic time (bounded: old entries go on every press).
    first_presses: dict[str, float] = field(default_factory=dict)

    def second_press(self, key: str, window: float = CONFIRM_WINDOW) -> bool:
        """Whether this press confirms one made within ``window`` seconds (and at least a second ago:
        a double tap is not a confirmation); otherwise it is remembered as the first."""
        now = time.monotonic()
        self.first_presses = {k: t for k, t in self.first_presses.items() if now - t <= window}
        first = self.first_presses.get(key)
        if first is not None and now - first >= MIN_CONFIRM_GAP:
            del self.first_presses[key]
            return True
        if first is None:
            self.first_presses[key] = now
        return False

    def anon(self, user_id: int) -> str:
        """The anonymous key the limits count under: a keyed hash of the user id. /forgetme leaves these
        counters alone — they say nothing about who anyone is — so it can't be used to reset a limit."""
        return hmac.new(self.limits_key, str(user_id).encode(), hashlib.sha256).hexdigest()[:32]

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Call ``fn(engine, *args, **kwargs)`` on the engine thread."""
        if self.engine is None:
            raise RuntimeError("the engine is not open yet (post_init has not run)")
        return await self.worker.call(fn, self.engine, *args, **kwargs)

    def should_notify(self, kind: str, every: float) -> bool:
        now = time.monotonic()
        last = self.notified.get(kind)
        if last is not None and now - last < every:
            return False
        self.notified[kind] = now
        return True


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services of the running application."""
    return context.application.bot_data["services"]


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across users, in order within one user (see the module docstring).

    A flood from one user queues only on that user's lock — and the throttle, the first handler,
    drops flood messages within microseconds — so other users' updates go straight through. The
    concurrency bound is generous because waiting on a user's lock holds a slot."""

    def __init__(self, max_concurrent_updates: int = 1024):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    @staticmethod
    def key(update: object) -> int | None:
        if not isinstance(update, Update):
            return None
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = self.key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # nobody else queued: forget the lock, memory stays bounded
                del self._waiting[key]
                with contextlib.suppress(KeyError):
                    del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
