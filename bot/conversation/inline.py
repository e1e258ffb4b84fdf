"""Inline mode: ``@bot 对方说…`` typed in any chat offers the short answer as a result the user can send
into that chat (so a daughter can answer her mother's family group with the verdict).

Why only the short answer: what is sent lands in someone else's chat, in front of people who did not
ask; the badge, the one sentence and the one thing to do are what they need, and nothing of the
message beyond what the user typed (the details quote the user's text — those stay in a private chat
with the bot). A query that is only a number gets a lookup result instead; a query with a number in it
gets the verdict and the number's lookup.

Nothing here is recorded: no checks-log row, no log line with the query. Telegram caps a query at 256
characters; a longer one (a forged update) is not analysed.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass

from bot import render
from bot.conversation.check import looks_like_number, reader_region
from bot.model import Lookup, Verdict
from bot.pipeline.engine import Engine

#: Telegram's own limit on an inline query (characters); longer queries are refused unanalysed.
MAX_QUERY = 256
#: Lookups offered besides the verdict, for the numbers the query contains.
MAX_LOOKUPS = 2
FOOTER = "—— 保单卫士检查结果，仅供参考"
EMPTY_BUTTON = "输入对方说的话或号码，检查是否诈骗"
TOO_LONG_TITLE = "📏 内容太长，无法在这里检查"
TOO_LONG_TEXT = "内容太长（超过 256 字），请私聊保单卫士，把整条消息转发给它检查。"
LOOKUP_TITLE = "查询号码 {number}"
SMALLTALK_TITLE = "输入对方说的话或号码"
SMALLTALK_TEXT = "把可疑短信、对方说的话或号码发给{bot}，它会告诉您是不是骗局、该怎么做。"


@dataclass(frozen=True)
class InlineResult:
    """One inline result: what the list shows (title, description) and the message sent if chosen
    (HTML). ``id`` is derived from the content, so Telegram's client cache works across queries."""

    id: str
    title: str
    description: str
    html: str


@dataclass(frozen=True)
class InlineAnswer:
    """The results, or — for an empty query — none and a button that opens a private chat with the bot."""

    results: tuple[InlineResult, ...] = ()
    button: str | None = None


def _id(kind: str, body: str) -> str:
    return kind + ":" + hashlib.sha256(body.encode()).hexdigest()[:24]


def verdict_result(v: Verdict, region: str = "") -> InlineResult:
    """The short answer (badge, one sentence, the one thing to do) and a footer saying where it came from."""
    body = render.verdict_short_html(v, region) + "\n" + html.escape(render.to_reader(FOOTER, v, region))
    plain = render.verdict_short_text(v, region).split("\n")
    return InlineResult(_id("v", body), plain[0], " ".join(plain[1:])[:120], body)


def lookup_result(lk: Lookup, region: str = "") -> InlineResult:
    """A number's lookup line (✅ 官方号码 / ⛔ 已被举报 / …)."""
    body = render.lookup_html(lk)
    text = render.lookup_text(lk)
    if region:
        body, text = render.to_traditional(body, region), render.to_traditional(text, region)
    title = render.to_traditional(LOOKUP_TITLE.format(number=lk.normalized or lk.input), region) if region else \
        LOOKUP_TITLE.format(number=lk.normalized or lk.input)
    return InlineResult(_id("n", body), title, text.split("\n", 1)[0][:120], body)


def hint(bot_name: str = "") -> InlineAnswer:
    """For a greeting or a query with nothing to analyse: what the bot is for."""
    text = SMALLTALK_TEXT.format(bot=f"保单卫士 @{bot_name}" if bot_name else "保单卫士")
    return InlineAnswer((InlineResult("hint", SMALLTALK_TITLE, text, html.escape(text)),))


def inline_answer(engine: Engine, query: str, *, traditional: bool = False, region: str = "",
                  bot_name: str = "") -> InlineAnswer:
    """The results for one inline query. Never raises for bad input; records nothing."""
    query = (query if isinstance(query, str) else "").strip()
    region = reader_region(traditional, region)
    if not query:
        return InlineAnswer(button=EMPTY_BUTTON)
    if len(query) > MAX_QUERY:
        return InlineAnswer((InlineResult("long", TOO_LONG_TITLE, TOO_LONG_TEXT, html.escape(TOO_LONG_TEXT)),))
    if looks_like_number(query):
        return InlineAnswer((lookup_result(engine.lookup(query), region),))
    if engine.knowledge.is_smalltalk(query):
        return hint(bot_name)
    v = engine.analyze(query)
    if v.empty:
        return hint(bot_name)
    results = [verdict_result(v, region)]
    results += [lookup_result(lk, region) for lk in v.numbers[:MAX_LOOKUPS] if lk.normalized]
    return InlineAnswer(tuple(results))
