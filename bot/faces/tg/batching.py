"""Forwarded messages that arrive together, answered once (Telegram side of bot/conversation/batching.py).

What users expect, and so what this does:

* A single message gets its answer at once — forwarded or pasted, nothing waits.
* A forward opens a short window (:data:`WINDOW` seconds after the last message). Forwards and pasted
  texts the same user sends within it join the batch and get no reply of their own; when the window
  closes, the first message's reply is replaced (edited) by the verdict of the conversation as a whole,
  saying which message carries the decisive step. So forwarding five messages leaves one answer, not
  five, and a lone forward keeps the answer it got at once.
* Pasted text alone opens no window: people paste one message at a time, seconds apart, and expect
  each to be answered; text typed right after forwards usually belongs to them ("这是真的吗？").

Bounds: :data:`bot.conversation.batching.MAX_MESSAGES` messages and ``MAX_CHARS`` characters per batch
(a message that doesn't fit closes the batch, and starts over on its own). The texts are held in memory
only, for the window and the one analysis after it, then dropped; nothing is logged but counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from telegram import Bot, LinkPreviewOptions, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from bot.conversation import Reply
from bot.conversation.batching import Batch, conversation_reply
from bot.faces.tg.handlers import REPLY_LIMIT, check_and_reply, markup, region_of, send_leak_question
from bot.faces.tg.handlers import on_private_text as handlers_on_private_text
from bot.faces.tg.services import Services
from bot.model import Verdict

log = logging.getLogger(__name__)

#: Seconds after the last message of a batch before it is answered ("a couple of seconds": Telegram
#: delivers a multi-message forward within about a second).
WINDOW = 2.0


@dataclass
class OpenBatch:
    """One user's batch while its window is open: the texts, where the first reply went, the timer."""

    chat_id: int
    first_message_id: int
    first_reply: Message | None
    first_verdict: Verdict | None
    region: str
    batch: Batch = field(default_factory=Batch)
    #: Whose batch it is: the conversation's feedback buttons are signed for them.
    user_id: int = 0
    #: When the window closes (time.monotonic()); each message joining moves it on.
    deadline: float = 0.0


class Batches:
    """The open batches, one per user, on the event loop (no locks: only the loop touches them). Each
    batch has one timer task that sleeps until the batch's deadline — moved on, not restarted, when a
    message joins — and answers the batch if it is still open then."""

    def __init__(self, window: float = WINDOW):
        self.window = window
        self._open: dict[int, OpenBatch] = {}

    def __len__(self) -> int:
        return len(self._open)

    def open(self, app: Application, user_id: int, ob: OpenBatch, text: str) -> None:
        """Start a batch with its first message (already answered)."""
        self.close_now(app, user_id)
        ob.batch.add(text)
        ob.deadline = time.monotonic() + self.window
        self._open[user_id] = ob
        app.create_task(self._after_window(app, user_id, ob), name="conversation-window")

    def join(self, app: Application, user_id: int, text: str) -> bool:
        """Add a message to the user's open batch (its window starts over); False when there is none or
        it is full (then the batch is answered now, and the message is the caller's to answer alone)."""
        ob = self._open.get(user_id)
        if ob is None:
            return False
        if not ob.batch.add(text):
            self.close_now(app, user_id)
            return False
        ob.deadline = time.monotonic() + self.window
        return True

    def forget(self, user_id: int) -> None:
        """Drop a user's open batch unanswered (/forgetme); its timer then finds nothing to answer."""
        self._open.pop(user_id, None)

    def close_now(self, app: Application, user_id: int) -> None:
        """Answer the user's open batch without waiting for its window."""
        ob = self._open.pop(user_id, None)
        if ob is not None:
            app.create_task(self._answer(app, ob), name="conversation-answer")

    async def _after_window(self, app: Application, user_id: int, ob: OpenBatch) -> None:
        while (left := ob.deadline - time.monotonic()) > 0 and self._open.get(user_id) is ob:
            await asyncio.sleep(left)
        if self._open.get(user_id) is ob:
            del self._open[user_id]
            await self._answer(app, ob)

    async def _answer(self, app: Application, ob: OpenBatch) -> None:
        """A batch of two or more: the conversation's verdict replaces the first reply; then the leak
        question when it applies. A lone forward was answered already: only its question is left."""
        svc: Services = app.bot_data["services"]
        texts, ob.batch = ob.batch.texts, Batch()  # the texts go with this call
        try:
            if len(texts) < 2:
                await send_leak_question(app.bot, svc, ob.chat_id, ob.first_verdict, ob.region)
                return
            reply = await svc.run(conversation_reply, texts, face="telegram", limit=REPLY_LIMIT, region=ob.region,
                                user_id=ob.user_id)
            del texts
            await replace_reply(app.bot, ob, reply)
            v = reply.verdict
            log.info("conversation of %d messages → %s score %.0f, decisive %s, check %s", reply.data["messages"],
                     v.risk if v else "-", v.score if v else 0, reply.data.get("decisive"), reply.check_id)
            await send_leak_question(app.bot, svc, ob.chat_id, v, ob.region)
        except TelegramError as e:
            log.warning("could not send a conversation's answer: %s", type(e).__name__)
        except Exception as e:  # outside an update the error handler never sees it: log it here (no text)
            log.error("conversation answer failed: %s", type(e).__name__)


def batches_of(app: Application) -> Batches:
    """The application's open batches (in bot_data, created on first use)."""
    return app.bot_data.setdefault("batches", Batches())


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text, caption or forward in a private chat: joins the user's open batch if there is one (no
    reply of its own); otherwise it is answered at once, and a forward opens a batch."""
    msg, user = update.effective_message, update.effective_user
    if msg is None or user is None:
        return
    batches = batches_of(context.application)
    text = msg.text or msg.caption or ""
    if batches.join(context.application, user.id, text):
        log.info("update %s: joined the conversation being collected", update.update_id)
        return
    if msg.forward_origin is None:
        await handlers_on_private_text(update, context)
        return
    reply, sent = await check_and_reply(update, context)
    ob = OpenBatch(msg.chat_id, msg.message_id, sent, reply.verdict if reply else None, region_of(user),
                   user_id=user.id)
    batches.open(context.application, user.id, ob, text)


async def interrupt(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else the user sends in a private chat (a command, a photo, a sticker) ends the forwards
    being collected: it is answered now, and what follows is a new message, not part of that chat."""
    msg, user = update.message, update.effective_user
    if msg is None or user is None or msg.chat.type != "private":
        return
    if (msg.text or msg.caption or "") and not (msg.text or "").startswith("/"):
        return
    batches = context.application.bot_data.get("batches")
    if batches is not None:
        batches.close_now(context.application, user.id)


async def replace_reply(bot: Bot, ob: OpenBatch, reply: Reply) -> None:
    """Edit the first message's reply into the conversation's; if it can't be edited (gone, or it was
    never sent), send the answer as a new reply to the first message."""
    kwargs = {"parse_mode": ParseMode.HTML, "reply_markup": markup(reply),
              "link_preview_options": LinkPreviewOptions(is_disabled=True)}
    if ob.first_reply is not None:
        with contextlib.suppress(BadRequest):
            await bot.edit_message_text(reply.html, chat_id=ob.chat_id, message_id=ob.first_reply.message_id, **kwargs)
            return
    await bot.send_message(ob.chat_id, reply.html, reply_parameters=ReplyParameters(
        message_id=ob.first_message_id, allow_sending_without_reply=True), **kwargs)
