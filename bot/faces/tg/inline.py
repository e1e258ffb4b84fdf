"""Inline mode's Telegram side: an ``inline_query`` update → one ``answerInlineQuery``.

The results come from :func:`bot.conversation.inline.inline_answer` (the short answer, a number's
lookup); here they become InlineQueryResultArticle objects. Telegram sends a query per pause in typing,
so inline queries get their own, roomier flood limit (:data:`INLINE_CAPACITY` per
:data:`INLINE_PERIOD`) instead of the message limit — over it, the query is left unanswered.

Privacy: the query is analysed and forgotten. The log line carries the update id, how many results
and the time taken — never the query; nothing is written to the database.
"""

from __future__ import annotations

import contextlib
import logging
import time

from telegram import (
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes, InlineQueryHandler

from bot.conversation.inline import InlineAnswer, inline_answer
from bot.faces.tg.handlers import region_of, wants_traditional
from bot.faces.tg.services import services
from bot.faces.tg.throttle import Decision, Throttle

log = logging.getLogger(__name__)

INLINE_CAPACITY = 30
INLINE_PERIOD = 30.0
#: Seconds Telegram may cache one user's results for one query text (scripts change; keep it short).
CACHE_SECONDS = 30
#: The deep link the empty query's button opens: /start inline (answered like /start).
START_PARAMETER = "inline"


def inline_throttle(context: ContextTypes.DEFAULT_TYPE) -> Throttle:
    """The per-user flood limit for inline queries (in memory, beside the message throttle)."""
    return context.application.bot_data.setdefault("inline_throttle", Throttle(INLINE_CAPACITY, INLINE_PERIOD))


def articles(answer: InlineAnswer) -> list[InlineQueryResultArticle]:
    """The conversation's results as Telegram articles; the message sent is the result's HTML."""
    return [InlineQueryResultArticle(
        id=r.id, title=r.title, description=r.description,
        input_message_content=InputTextMessageContent(r.html, parse_mode=ParseMode.HTML,
                                                      link_preview_options=LinkPreviewOptions(is_disabled=True)))
        for r in answer.results]


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``@bot …`` in any chat: the short answer (and a lookup for a number), personal to the user
    (their client's language decides the script), cached briefly."""
    q = update.inline_query
    if q is None:
        return
    if inline_throttle(context).hit(q.from_user.id) is not Decision.ALLOW:
        log.info("update %s: inline query over the limit, not answered", update.update_id)
        return
    started = time.perf_counter()
    ans = await services(context).run(inline_answer, q.query or "", traditional=wants_traditional(q.from_user),
                                      region=region_of(q.from_user), bot_name=context.bot.username or "")
    button = InlineQueryResultsButton(text=ans.button, start_parameter=START_PARAMETER) if ans.button else None
    with contextlib.suppress(BadRequest):  # "query is too old": the user has typed on or left
        await q.answer(articles(ans), cache_time=CACHE_SECONDS, is_personal=True, button=button)
    log.info("update %s: inline query answered (%d results, %.0f ms)", update.update_id, len(ans.results),
             (time.perf_counter() - started) * 1000)


def inline_handler() -> InlineQueryHandler:
    return InlineQueryHandler(on_inline_query)
