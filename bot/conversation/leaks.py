"""What the caller knew: the optional leak question and the admins' table of answers.

Why: this scheme starts with leaked policy data — the caller knows the name, the insurer, the premium —
and that knowledge is what convinces people. Counted per insurer and month, the answers are evidence an
insurer's security team and the regulator can act on. After a high or medium verdict that names an
insurer (and after a /report that does), the Telegram face sends one optional question with a button per
item; a press adds one to the count of (insurer, month, item) — nothing else is written: not who pressed,
not which check it was, not the message (bot/store/leaks.py).

The buttons carry the insurer's registry id, the item and the items already chosen (a bit mask), so the
question can be answered with several items without the bot remembering anything between presses.

The admins' table (``/leaks``, ``python run.py admin leaks``) hides every cell below a minimum count, so
no single person's answer can be singled out; it shows no totals, which would let a hidden cell be
worked out by subtraction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.buttons import LEAK
from bot.conversation.messages import ButtonAnswer, Buttons, Press, Reply, plain
from bot.model import Verdict
from bot.pipeline.engine import Engine
from bot.pipeline.knowledge import Knowledge, Organization
from bot.store import leaks as leak_rows

#: The items, in the order the buttons show them: (key stored, label). "none" excludes the others.
ITEMS: tuple[tuple[str, str], ...] = (
    ("name", "姓名"), ("id_number", "身份证号"), ("policy_no", "保单号"), ("payment", "缴费金额或日期"),
    ("product", "投保的险种"), ("address", "家庭住址"), ("none", "都不知道"),
)
LABELS = dict(ITEMS)
BIT = {key: 1 << i for i, (key, _) in enumerate(ITEMS)}
NONE = "none"
#: Cells counted fewer times than this are hidden in the admins' table.
MIN_COUNT = 5
BUTTONS_PER_ROW = 3
ASK_RISKS = ("high", "medium")

QUESTION = ("对方知道您的哪些信息？（可选，可多选）\n"
            "只按保险公司和月份统计次数，不记录您是谁、不保存消息，用来提醒{insurer}和监管部门排查信息泄露。")
RECORDED = "已记录：{item}。谢谢！对方还知道别的可以继续点。"
RECORDED_NONE = "已记录：对方不知道您的个人信息。谢谢！"
RECORDED_LAST = "已记录：{item}。谢谢您的反馈！"
GONE = "这个问题已失效，不用再回答了。"
NO_DATA = "还没有用户回答过“对方知道您的哪些信息”。"
NO_DATA_MONTH = "{month} 没有用户回答过“对方知道您的哪些信息”。"
BAD_MONTH = "月份格式应为 YYYY-MM，例如 2026-12。"
TABLE_HEAD = "对方知道的信息（按保险公司、月份统计回答次数；少于 {min} 次的格子显示为 <{min}，不显示合计）："
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def insurer_named(knowledge: Knowledge, names: list[str]) -> Organization | None:
    """The first insurer among the organizations a verdict names (the regulator and police don't count:
    a leak of policy data is an insurer's)."""
    by_name = {o.name: o for o in knowledge.insurers()}
    return next((by_name[n] for n in names if n in by_name), None)


def question_buttons(insurer_id: str, chosen: int = 0) -> Buttons:
    """The items not chosen yet, as lk: buttons; "都不知道" only while nothing is chosen."""
    keys = [k for k, _ in ITEMS if not chosen & BIT[k] and not (chosen and k == NONE)]
    pairs = [(LABELS[k], LEAK.data(insurer_id, k, chosen)) for k in keys]
    return [pairs[i:i + BUTTONS_PER_ROW] for i in range(0, len(pairs), BUTTONS_PER_ROW)]


def question(org: Organization) -> Reply:
    """The question, about one insurer."""
    return plain(QUESTION.format(insurer=org.name), "leak_question", buttons=question_buttons(org.id))


def question_for_verdict(knowledge: Knowledge, v: Verdict | None) -> Reply | None:
    """The question to send after a verdict: only a high or medium one that names an insurer."""
    if v is None or v.risk not in ASK_RISKS:
        return None
    org = insurer_named(knowledge, v.insurers)
    return question(org) if org is not None else None


def question_for_report(engine: Engine, text: str) -> Reply | None:
    """The question after a /report whose text (or number's look-alike) names an insurer; the text is
    analysed for the insurer's name and forgotten."""
    text = text if isinstance(text, str) else ""
    names = engine.analyze(text).insurers if text.strip() else []
    org = insurer_named(engine.knowledge, names)
    if org is None:
        for token in text.split():
            lk = engine.lookup(token) if sum(c.isdigit() for c in token) >= 5 else None
            if lk is not None and lk.status == "lookalike" and lk.insurer:
                org = insurer_named(engine.knowledge, [lk.insurer])
                break
    return question(org) if org is not None else None


def with_question(reply: Reply, question: Reply) -> Reply:
    """A reply (a /report's thanks) with the question and its buttons added under it."""
    return Reply(reply.html + "\n\n" + question.html, reply.text + "\n\n" + question.text, reply.kind,
                 data=reply.data, buttons=reply.buttons + question.buttons)


def leak_pressed(engine: Engine, press: Press) -> ButtonAnswer:
    """A press of the question's buttons: one more count for (insurer, this month, item); the buttons
    left are the items not chosen yet."""
    fields = LEAK.parse(press.data)
    insurers = {o.id for o in engine.knowledge.insurers()}
    if fields is None or fields[0] not in insurers or fields[1] not in BIT or int(str(fields[2])) >= 1 << len(ITEMS):
        return ButtonAnswer(GONE, remove_buttons=True)
    insurer_id, item, chosen = str(fields[0]), str(fields[1]), int(str(fields[2]))
    if chosen & BIT[item] or (item == NONE and chosen):
        return ButtonAnswer(RECORDED_LAST.format(item=LABELS[item]), remove_buttons=True,
                            keep_buttons=question_buttons(insurer_id, chosen))
    leak_rows.add(engine.store, insurer_id, item)
    if item == NONE:
        return ButtonAnswer(RECORDED_NONE, remove_buttons=True)
    left = question_buttons(insurer_id, chosen | BIT[item])
    notice = RECORDED.format(item=LABELS[item]) if left else RECORDED_LAST.format(item=LABELS[item])
    return ButtonAnswer(notice, remove_buttons=True, keep_buttons=left)


# --- the admins' table ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakRow:
    """One insurer's answers in one month: item → count, or None where the count is hidden."""

    insurer_id: str
    insurer: str
    month: str
    cells: dict[str, int | None]


def valid_month(month: str | None) -> bool:
    return month is None or bool(_MONTH.match(month))


def leak_table(engine: Engine, month: str | None = None, min_count: int = MIN_COUNT) -> list[LeakRow]:
    """The counts per insurer and month (one month, or every month), each cell below ``min_count``
    hidden (None). Rows whose every cell is hidden are still listed, so an admin sees that answers came."""
    names = {o.id: o.name for o in engine.knowledge.organizations}
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    for r in leak_rows.counts(engine.store, month):
        grouped.setdefault((r["insurer"], r["month"]), {})[r["item"]] = int(r["count"])
    out = []
    for (insurer_id, m), cells in sorted(grouped.items()):
        shown = {k: (cells.get(k, 0) if cells.get(k, 0) >= min_count else None) for k, _ in ITEMS}
        out.append(LeakRow(insurer_id, names.get(insurer_id, insurer_id), m, shown))
    return out


def cell_text(value: int | None, min_count: int) -> str:
    return f"<{min_count}" if value is None else str(value)


def leak_table_text(rows: list[LeakRow], min_count: int = MIN_COUNT, month: str | None = None) -> str:
    """The table as text, one block per insurer, one line per month."""
    if not rows:
        return NO_DATA_MONTH.format(month=month) if month else NO_DATA
    lines = [TABLE_HEAD.format(min=min_count)]
    insurer = None
    for r in rows:
        if r.insurer != insurer:
            insurer = r.insurer
            lines.append(f"\n{r.insurer}")
        lines.append(f"  {r.month}：" + " · ".join(f"{LABELS[k]} {cell_text(r.cells[k], min_count)}" for k, _ in ITEMS))
    return "\n".join(lines)


def leaks_command(engine: Engine, arg: str) -> str:
    """/leaks [YYYY-MM]: the admins' table in chat."""
    month = (arg or "").split()[0] if (arg or "").strip() else None
    if not valid_month(month):
        return BAD_MONTH
    return leak_table_text(leak_table(engine, month), MIN_COUNT, month)
