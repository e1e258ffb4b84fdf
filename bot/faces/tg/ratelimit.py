"""Telegram's flood limits without making every user wait for one chat's 429.

What python-telegram-bot's ``AIORateLimiter`` does (v22, read from its source): every request passes a
global limiter (30 requests/s) and, for a group chat, a per-group one (20/min); on a 429 ("Too Many
Requests", ``retry_after``) it retries up to ``max_retries`` times, and while it sleeps the
``retry_after`` it clears ONE shared event that every other request waits on — so a 429 for one chat
(Telegram's per-chat limit, e.g. a busy group) pauses the replies to every user for that long.

:class:`PerChatRateLimiter` keeps the global and per-group limiters but pauses only the chat the 429 was
about: that chat's later requests wait until its ``retry_after`` has passed, in order, while other
chats go on. Telegram's overall limit is still respected by the global limiter; a request without a
chat (answerCallbackQuery, getMe) sleeps its own ``retry_after`` and retries alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)


class PerChatRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` whose 429 pause covers only the chat concerned (see the module docstring)."""

    def __init__(self, max_retries: int = 3) -> None:
        super().__init__(max_retries=max_retries)
        #: chat id → monotonic time until which requests to it wait (a 429's retry_after)
        self._paused: dict[str, float] = {}

    async def _wait_for(self, key: str | None) -> None:
        while key is not None:
            left = self._paused.get(key, 0.0) - time.monotonic()
            if left <= 0:
                self._paused.pop(key, None)
                return
            await asyncio.sleep(left)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """One request, with the global and per-group limits; on a 429 only its chat waits."""
        max_retries = rate_limit_args or self._max_retries
        chat_id = data.get("chat_id")
        key = None if chat_id is None else str(chat_id)
        group: int | str | bool = False
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
        for attempt in range(max_retries + 1):
            await self._wait_for(key)
            try:
                return await self._run_request(chat=key is not None, group=group,
                                               allow_paid_broadcast=bool(data.get("allow_paid_broadcast", False)),
                                               callback=callback, args=args, kwargs=kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    log.warning("rate limit: %s still refused after %d retries", endpoint, max_retries)
                    raise
                wait = exc._retry_after.total_seconds()  # the timedelta behind PTB's deprecated float
                log.info("rate limit: %s paused for %.1f s (that chat only)", endpoint, wait + 0.1)
                if key is None:
                    await asyncio.sleep(wait + 0.1)
                else:
                    self._paused[key] = max(self._paused.get(key, 0.0), time.monotonic() + wait + 0.1)
        return None
