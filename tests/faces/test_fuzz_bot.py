"""Property-based tests at the Telegram-handler level and for admin arguments (issue 6, bad input).

tests/test_fuzz_engine.py covers engine.analyze / lookup / conversation.respond for non-admins. Here:

* messages and commands of every kind (arbitrary Unicode, control characters, SQL- and HTML-looking
  text, malformed numbers and commands) go through the RUNNING bot (Bot API emulator, real handlers):
  every private message gets exactly one reply, valid Telegram HTML within 4,096 characters; no
  handler raises (the error handler would tell the admin, and log an error); the guarded tables don't
  change (reports only through /report);
* malformed arguments to every admin command, from an admin: a clear ❌ message, nothing changes;
* arbitrary callback data from admins and non-admins: answered, nothing changes;
* admin scripts are literal text, not regular expressions;
* long input: cut at config.MAX_TEXT_CHARS with a note; over 20,000 characters refused without analysis;
  files over the OCR limit refused from their reported size, before any download.

Fixed seed, derandomized, budgets sized for CI. The number of inputs tried is printed (``-s``)."""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path

import pytest
from conftest import TG_ADMIN_ID, TgRunningBot, tables_digest, telegram_html_problems
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from bot import admin, conversation
from bot.config import MAX_TEXT_CHARS
from bot.faces.tg.handlers import ERROR_REPLY, MAX_UPDATE_CHARS, TOO_LONG
from bot.pipeline.engine import Engine

PIECES = st.sampled_from([
    "退保", "理财", "年化10%", "保本保息", "95519", "+86 139 1234 5678", "１３９", "\u200b", "\ufeff", "\x00", "\x1b[31m",
    "'; DROP TABLE patterns; --", "\" OR 1=1 --", "<b>", "</a>", "<script>alert(1)</script>", "&amp;", "&", "<", ">",
    "😀", "\n", " ", "*", "/", "|", "#", "@PolicyGuardTestBot", "http://x.cn/a?b=<c>&d=e", "¥300", "保單", "tui保",
    "\ud7ff", "\U0010ffff", "\u202e", "身份证号110105198806154317", "6222021234567890123", "rv:1:approve", "%s%s%n",
    "{0}", "${jndi:x}", "\\", "'", "\"", "13800138000", "400-820-9555", "0000000000000000000000",
])
TEXT = st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=30).map("".join),
                 st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=120))
COMMANDS = sorted(conversation.COMMANDS | {"start", "help", "frobnicate", "report@PolicyGuardTestBot", "lookup@OtherBot"})
COMMAND = st.builds(lambda c, sep, arg: f"/{c}{sep}{arg}", st.sampled_from(COMMANDS), st.sampled_from([" ", "", "\n", "  "]),
                    TEXT)
MESSAGE = st.one_of(TEXT, COMMAND, st.builds(lambda p, t: p + t, st.sampled_from(["/", "//", "/ ", "/@", "/report "]), TEXT))

#: How many inputs each property saw (printed at the end of the module).
TRIED: dict[str, int] = {}
_users = itertools.count(800_001)


def _tried(name: str) -> None:
    TRIED[name] = TRIED.get(name, 0) + 1


FUZZ_BOT = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FUZZ_FAST = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CHANGE_TABLES = ("patterns", "numbers", "audit", "audit_items")
REPORT_TABLES = ("reports", "report_reporters")


def check_reply_html(text: str, parse_mode: str | None) -> None:
    assert len(text) <= 4096
    if (parse_mode or "").upper() == "HTML":
        assert telegram_html_problems(text) == [], (telegram_html_problems(text), text[:300])


# --- through the running bot ---------------------------------------------------------------------------------


@seed(20261128)
@FUZZ_BOT
@given(text=MESSAGE, where=st.sampled_from(["private", "private", "forwarded", "group"]))
def test_any_message_through_the_bot(tg_module_bot: TgRunningBot, text: str, where: str) -> None:
    api, db = tg_module_bot.api, tg_module_bot.db_path
    _tried("bot")
    user = next(_users)
    before = tables_digest(db, CHANGE_TABLES + REPORT_TABLES)
    if where == "group":
        api.message(user, text, chat_type="supergroup", chat_id=-user)
        api.message(user, "/help")  # the same user's updates are handled in order: when this is answered,
        api.wait_replies(user, 1, timeout=30)  # the group message has been handled too
        for r in api.replies(-user):
            check_reply_html(r.text, r.parse_mode)
    else:
        api.message(user, text, forwarded=where == "forwarded")
        [reply] = api.wait_replies(user, 1, timeout=30)
        check_reply_html(reply.text, reply.parse_mode)
        assert reply.plain != ERROR_REPLY, text
        assert all(len(d.encode()) <= 64 for _, d in reply.buttons)
    after = tables_digest(db, CHANGE_TABLES + REPORT_TABLES)
    changed = {t for t in after if after[t] != before[t]}
    may_report = text.lstrip().startswith("/report")  # the one change a user may make: their own report
    assert changed <= (set(REPORT_TABLES) if may_report else set()), (changed, text[:100])


# --- admin arguments (dialog level: the same code the bot's admin commands run) ---------------------------------


def _db(engine: Engine) -> Path:
    return Path(engine.db.conn.execute("PRAGMA database_list").fetchone()[2])


NOT_A_TYPE = TEXT.filter(lambda t: t.strip() not in admin.TYPE_ALIASES)
NO_DIGITS = TEXT.filter(lambda t: not any(c.isdigit() for c in t))
BAD_ADMIN = st.one_of(
    st.builds(lambda t, body: f"/addpattern {t} | {body}", NOT_A_TYPE, TEXT),  # unknown type
    st.builds(lambda body: f"/addpattern {body}", NO_DIGITS.filter(lambda t: "|" not in t)),  # no "|"
    st.builds(lambda t: f"/addpattern other_scam | {t}", st.text(max_size=3)),  # empty / too short
    st.builds(lambda n, t: f"/addnumber {n} {t}", NO_DIGITS.filter(lambda t: t.strip() and " " not in t.strip()),
              st.sampled_from(["other_scam", "fake_regulator"])),  # not a number
    st.builds(lambda t: f"/addnumber 13912345678 {t}", NOT_A_TYPE.filter(lambda t: t.strip() and " " not in t.strip())),
    st.just("/addnumber"), st.just("/addpattern"), st.just("/delpattern"), st.just("/delnumber"),
    st.builds(lambda t: f"/delpattern {t}", NO_DIGITS.filter(lambda t: t.strip())),
    st.builds(lambda i: f"/delpattern {i}", st.integers(min_value=10_000_000, max_value=10**30)),
    st.builds(lambda t: f"/delnumber {t}", st.one_of(NO_DIGITS.filter(lambda t: t.strip()),
                                                      st.from_regex(r"1[3-9]\d{9}", fullmatch=True).map(lambda n: "+1 " + n))),
    st.just("/undo"), st.builds(lambda t: f"/undo {t}", TEXT),
)


@seed(20261128)
@FUZZ_FAST
@given(cmd=BAD_ADMIN)
def test_malformed_admin_arguments_get_a_clear_refusal_and_change_nothing(engine: Engine, cmd: str) -> None:
    _tried("admin-args")
    before = tables_digest(_db(engine), CHANGE_TABLES + REPORT_TABLES)
    reply = conversation.respond(engine, cmd, user_id="fuzz-admin", is_admin=True)  # this admin has no history: /undo refuses
    assert reply.text.startswith("❌"), (cmd, reply.text)
    assert len(reply.text) < 2000
    check_reply_html(reply.html, "HTML")
    assert tables_digest(_db(engine), CHANGE_TABLES + REPORT_TABLES) == before


DATA = st.one_of(st.text(max_size=64), st.builds(lambda p, t: p + t, st.sampled_from(
    ["fb:", "rp:", "rv:", "np:", "np:t:", "rv:1:", "rv:99999999:approve", "fb:1:", "rn:", "rv:12345678:"]), TEXT))


@seed(20261128)
@FUZZ_FAST
@given(data=DATA, is_admin=st.booleans(), source=st.one_of(st.none(), TEXT))
def test_any_callback_data_is_answered_and_changes_nothing(engine: Engine, data: str, is_admin: bool,
                                                           source: str | None) -> None:
    _tried("callback-data")
    before = tables_digest(_db(engine), CHANGE_TABLES + REPORT_TABLES)
    ans = conversation.on_button(engine, data, user_id=next(_users), is_admin=is_admin, source_text=source)
    assert ans.notice and len(ans.notice) <= 200
    for r in (ans.reply, ans.edit):
        if r is not None:
            check_reply_html(r.html, "HTML")
    after = tables_digest(_db(engine), CHANGE_TABLES + REPORT_TABLES)
    changed = {t for t in after if after[t] != before[t]}
    # a user's own report (🚩 with its message's text, or a number's 举报 button) is the one change allowed
    allowed = set(REPORT_TABLES) if data.startswith(("rn:", "rp:")) else set()
    assert changed <= allowed, (data, changed)
    if data.startswith("rv:") and not is_admin:
        assert "无权限" in ans.notice and ans.refused


# --- literal scripts, long input, oversized files ------------------------------------------------------------


def test_admin_scripts_are_literal_text_not_regular_expressions(engine: Engine) -> None:
    """A script full of regex metacharacters is stored and matched as the characters themselves: a
    ".*" would match every message if it were a pattern; "(a+)+$" would take exponential time."""
    meta = "您的保单.*可以升级(a+)+$为年化百分之十二[^x]{1,99}的养老分红|请添加专员\\d+微信.*办理"
    r = admin.add_pattern(engine, "other_scam", meta, actor="t", force=True)
    assert engine.db["patterns"].get(r.id)["text"] == meta
    for benign in ("今天天气很好，我们去公园散步吧。", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
                   "周末一起吃饭吗？12345"):
        t = time.perf_counter()
        v = engine.analyze(benign)
        assert time.perf_counter() - t < 2
        assert r.id not in [m.pattern_id for m in v.matches], benign
    assert r.id in [m.pattern_id for m in engine.analyze(meta).matches]  # the literal text itself matches
    admin.del_pattern(engine, r.id, actor="t")


def test_long_input_is_cut_and_oversized_input_refused_through_the_bot(tg_module_bot: TgRunningBot,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    api = tg_module_bot.api
    scam = "您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，详询13912345678。"
    api.message(810_001, (scam * 400)[: MAX_TEXT_CHARS + 1000])
    cut = api.wait_replies(810_001, 1, timeout=30)[0]
    assert "消息过长，只分析了前面的部分" in cut.plain and cut.plain.startswith(("🔴", "🟠"))
    api.message(810_002, "退" * (MAX_UPDATE_CHARS + 1))
    assert api.wait_replies(810_002, 1)[0].plain == TOO_LONG
    api.message(810_005, "退保理财" * 262_144)  # 1 MB of text
    assert api.wait_replies(810_005, 1)[0].plain == TOO_LONG
    api.message(810_003, "退" * (MAX_UPDATE_CHARS + 1), chat_type="supergroup", chat_id=-810_003)
    api.message(810_003, "/help")
    api.wait_replies(810_003, 1)
    assert api.replies(-810_003) == []  # in a group: silent
    assert any("oversized" in r.getMessage() for r in caplog.records)
    # a 30 MB file is refused from the size Telegram reports, before anything is downloaded
    n = len(api.calls_of("getFile"))
    api.message(810_004, document=b"\x89PNG small", mime_type="image/png", file_name="big.png", file_size=30_000_000)
    assert "太大" in api.wait_replies(810_004, 1)[0].plain
    assert len(api.calls_of("getFile")) == n


def test_group_throttle_keeps_the_bot_silent_in_a_flooding_group(tg_module_bot: TgRunningBot,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    """30 analyses per 60 s per group; beyond that the bot says nothing in that group, even to a
    high-risk message (many members, each under their own limit), while private chats are answered."""
    caplog.set_level(logging.INFO, logger="bot")
    api = tg_module_bot.api
    group = -820_000
    for i in range(30):  # harmless chatter: analysed silently, and counted
        api.message(820_001 + i, f"今晚第{i}次聚餐，大家几点到？", chat_type="supergroup", chat_id=group)
    scam = "您的保单收益过低，现可办理退保转入我司内部理财产品，年化10%保本保息，详询13912345678"
    for i in range(5):  # would each get a warning, but the group is over its limit
        api.message(820_050 + i, scam, chat_type="supergroup", chat_id=group)
    for i in range(5):
        api.message(820_050 + i, "/lookup 95519")
        api.wait_replies(820_050 + i, 1, timeout=30)  # private chats still answered (and the group handled)
    time.sleep(0.3)
    assert api.replies(group) == []
    assert sum("group over its limit" in r.getMessage() for r in caplog.records) == 5


def test_zz_the_bot_never_errored_during_the_fuzz(tg_module_bot: TgRunningBot, caplog: pytest.LogCaptureFixture):
    """Runs last (file order): during the fuzz and the tests above no handler raised — the error handler would have told the
    admin (and logged an error) — and the emulator saw no malformed request."""
    api = tg_module_bot.api
    assert not [r.plain for r in api.replies(TG_ADMIN_ID) if "出错" in r.plain]
    assert api.errors == [] and tg_module_bot.alive
    print(f"\nfuzz inputs tried: {TRIED}")
