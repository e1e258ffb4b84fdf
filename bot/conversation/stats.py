"""/stats: the admins' statistics, from counts and pattern ids only (the checks log never holds text)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.model import SCAM_TYPES
from bot.pipeline.engine import Engine
from bot.store import checks as check_rows

RISK_LABELS = {"high": "🔴 高", "medium": "🟠 中", "low": "🟡 低", "none": "🟢 无"}
FACE_LABELS = {"telegram": "私聊", "telegram_group": "群组"}


def stats(engine: Engine, days: int = 7, top: int = 5) -> dict[str, Any]:
    """The admins' statistics, from counts and pattern ids only (the checks log never holds text)."""
    since = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)).isoformat()
    return check_rows.stats(engine.store, since, top)


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
