"""Text every encoder accepts: lone UTF-16 surrogates replaced by U+FFFD (issue 15).

A Python ``str`` can hold code points no encoder writes: lone surrogates, which ``json.loads`` makes of
an escape like ``"\\ud800"`` and ``sys.argv`` of bytes that are not UTF-8 (surrogateescape). They crash
whatever encodes them later (OpenCC, SQLite, stdout, Telegram's JSON), far from where they came in. So
every face calls :func:`safe_text` on what it receives, and the engine again at its entry.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def safe_text(text: str) -> str:
    """``text`` unchanged (the same object) when it encodes as UTF-8; else with each valid surrogate pair
    joined into its character and each lone surrogate replaced by U+FFFD. (A search, no copy, for the
    ordinary case: a 10 MB message costs a few milliseconds.)"""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
