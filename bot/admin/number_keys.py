"""Registry keys of phone numbers at bulk-import speed.

Canonical mobile keys are the bulk of large number files; ``phonenumbers`` costs ~70 µs a number, and an
11-digit CN mobile's validity depends only on its first 5 digits (the metadata's mobile pattern is
``1(?:610\\d|740[0-5])\\d{6}|1(?:[38]\\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\\d{8}``), so the verdict
is cached per 5-digit prefix (tests check the cache against a full parse).
Landlines are cached the same way, per area code and first subscriber digits (7 digits) and length.
"""

from __future__ import annotations

import re

from bot.pipeline.numbers import parse as parse_number

_MOBILE = re.compile(r"^(?:\+86)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^\+86([2-9]\d{8,10}|10\d{8})$")
_prefix_valid: dict[tuple[str, int], bool] = {}


def fast_number_key(raw: str) -> str | None:
    """The same key as ``bot.pipeline.numbers.parse(raw).normalized`` (None when not a number),
    answered from the prefix cache when the number's prefix has been parsed before."""
    s = raw.strip()
    m = _MOBILE.match(s) or _LANDLINE.match(s)
    if m:
        national = m.group(1)
        key = (national[:5] if national[0] == "1" and national[1] != "0" else national[:7], len(national))
        ok = _prefix_valid.get(key)
        if ok is True:
            return "+86" + national
        p = parse_number(s)
        if ok is None:
            _prefix_valid[key] = bool(p and p.kind in ("mobile", "landline") and p.normalized == "+86" + national)
        return p.normalized if p else None
    p = parse_number(s)
    return p.normalized if p else None
