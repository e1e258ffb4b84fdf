"""/stats: the admins' statistics, from counts and pattern ids only (the checks log never holds text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine
from bot.store import today

RISK_LABELS = {"high": "🔴 高", "medium": "🟠 中", "low": "🟡 低", "none": "🟢 无"}
FACE_LABELS = {"telegram": "私聊", "telegram_group": "群组"}


def stats(engine: Engine, days: int = 7, top: int = 5) -> dict[str, Any]:
    """The admins' statistics, from counts and pattern ids only (the checks log never holds text)."""
    db = engine.db
    since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()

    def one(sql: str, params: list[Any] | None = None) -> int:
        return int(list(db.query(sql, params or []))[0]["n"] or 0)

    per_day = {r["day"]: r["n"] for r in db.query(
        "select day, count(*) n from checks where day >= ? group by day order by day desc", [since])}
    return {
        "total": one("select count(*) n from checks"),
        "today": one("select count(*) n from checks where day = ?", [today()]),
        "per_day": per_day,
        "by_risk": {r["risk"]: r["n"] for r in db.query("select risk, count(*) n from checks group by risk")},
        "by_face": {r["face"]: r["n"] for r in db.query("select face, count(*) n from checks group by face")},
        "feedback": {r["vote"]: r["n"] for r in db.query("select vote, count(*) n from feedback group by vote")},
        "top_patterns": [dict(r) for r in db.query(
            """select p.value pid, count(*) n,
                      sum(exists(select 1 from feedback f where f.check_id = c.id and f.vote = 'fp')) fp,
                      (select scam_type from patterns where id = p.value) scam_type
               from checks c, json_each(c.pattern_ids) p
               group by p.value order by n desc, p.value limit ?""", [top])],
        "patterns": one("select count(*) n from patterns where status = 'active'"),
        "numbers": one("select count(*) n from numbers where status = 'active'"),
    }


def stats_text(engine: Engine, days: int = 7) -> str:
    s = stats(engine, days=days)
    lines = ["📊 统计", f"检查总数：{s['total']}（今天 {s['today']}）"]
    if s["per_day"]:
        lines.append(f"最近 {days} 天每日检查：" + "，".join(f"{d[5:]} {n}" for d, n in s["per_day"].items()))
    lines.append("风险分布：" + "，".join(f"{label} {s['by_risk'].get(k, 0)}" for k, label in RISK_LABELS.items()))
    if s["by_face"]:
        lines.append("来源：" + "，".join(f"{FACE_LABELS.get(k, k)} {n}" for k, n in s["by_face"].items()))
    fb = s["feedback"]
    lines.append(f"用户反馈：有帮助 {fb.get('up', 0)}，误报 {fb.get('fp', 0)}")
    if s["top_patterns"]:
        lines.append("命中最多的话术：")
        for r in s["top_patterns"]:
            name = SCAM_TYPES.get(r["scam_type"] or "", r["scam_type"] or "已删除")
            lines.append(f"• #{r['pid']}（{name}）命中 {r['n']} 次，误报 {r['fp'] or 0} 次")
    lines.append(f"有效话术：{s['patterns']}；举报号码：{s['numbers']}")
    return "\n".join(lines)
