"""Checking what an admin typed or a file holds before anything is changed: scam types, script text,
script ids and numbers. A refusal is an :class:`AdminError` whose message is shown as is (Chinese)."""

from __future__ import annotations

import re

from bot.model import SCAM_TYPE_ALIASES, SCAM_TYPES
from bot.pipeline.numbers import parse as parse_number
from bot.pipeline.safe_text import safe_text
from bot.store.schema import ACTIVE, PENDING, RETIRED

#: Shortest script the chat form asks for (the mass-check enforces its own, normalized, minimum).
MIN_PATTERN_CHARS = 8
MAX_PATTERN_CHARS = 2000
#: Longest note kept on a script or number.
MAX_NOTE_CHARS = 500
STATUS_LABELS = {ACTIVE: "有效", PENDING: "待定", RETIRED: "停用"}
#: The accepted spellings of a scam type (its key, its Chinese label, or an alias in types.yaml) → its key.
TYPE_ALIASES = SCAM_TYPE_ALIASES


class AdminError(ValueError):
    """A refused admin action; the message is shown to the admin as is (Chinese)."""


def check_type(scam_type: str) -> str:
    """The scam-type key for a key or its Chinese label; AdminError lists the valid ones."""
    t = TYPE_ALIASES.get(scam_type) if isinstance(scam_type, str) else None
    if t is not None:
        return t
    t = TYPE_ALIASES.get(str(scam_type or "").strip(), "")
    if t not in SCAM_TYPES:
        raise AdminError(f"未知的诈骗类型「{str(scam_type)[:40]}」。可用类型：" + "、".join(f"{k}（{v}）" for k, v in SCAM_TYPES.items()))
    return t


def check_types(value: str) -> str:
    """One or more scam types, comma-separated (a number can be reported for several)."""
    if value in SCAM_TYPES:
        return value
    parts = [p for p in re.split(r"[,，、]", str(value or "")) if p.strip()]
    if not parts:
        raise AdminError("缺少诈骗类型（type）")
    return ",".join(dict.fromkeys(check_type(p) for p in parts))


def check_pattern_text(text: str, min_chars: int = 1) -> str:
    """Whitespace collapsed; refuses empty, binary or over-long text. (Length and genericness against
    real messages are the mass-check's business, so that an admin can force an exception.)"""
    text = " ".join(safe_text(str(text or "")).split())
    if "\x00" in text:
        raise AdminError("话术包含无效字符。")
    if len(text) < max(1, min_chars):
        raise AdminError("话术为空。" if not text else f"话术太短（少于 {min_chars} 个字）。")
    if len(text) > MAX_PATTERN_CHARS:
        raise AdminError(f"话术太长（超过 {MAX_PATTERN_CHARS} 字），请只保留诈骗的关键说法。")
    return text


def clean_note(note: object) -> str:
    """A note on one line, cut to :data:`MAX_NOTE_CHARS`."""
    return " ".join(safe_text(str(note or "")).split())[:MAX_NOTE_CHARS]


def pattern_id(ref: int | str) -> int:
    """A script id from ``12``, ``#12`` or ``pattern:12``."""
    try:
        pid = int(str(ref).strip().lstrip("#").removeprefix("pattern:"))
    except ValueError:
        raise AdminError(f"话术编号「{str(ref)[:30]}」无效，应为数字。") from None
    if not 0 <= pid < 2**63:  # SQLite's integer range (a bigger id raised OverflowError: found by fuzzing)
        raise AdminError(f"没有编号为 {str(ref)[:30]} 的话术。")
    return pid


def number_key(raw: str) -> str:
    """The registry key of a phone number; AdminError when it is not one."""
    p = parse_number(str(raw))
    if p is None:
        raise AdminError(f"「{str(raw)[:40]}」不是有效的电话号码。")
    return p.normalized
