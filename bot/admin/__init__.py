"""Admin operations shared by the chat commands and the command line: changes to the data and the live
script index.

* :mod:`~bot.admin.validation`: what an admin typed (types, script text, ids, numbers); :class:`AdminError`;
* :mod:`~bot.admin.lifecycle`: add and retire scripts and numbers, hit and 误报 counters;
* :mod:`~bot.admin.history`: the audit log and undo (:func:`revert`, :func:`undo_last`);
* :mod:`~bot.admin.bulk`: import and export files;
* :mod:`~bot.admin.changes`: what every change does (audit row, version mark, index sync);
* :mod:`~bot.admin.masscheck`: the dry run a new script gets; :mod:`~bot.admin.reports`: users' reports.

The public names are re-exported here, so ``admin.add_pattern(...)`` keeps working for every caller.
"""

from __future__ import annotations

from bot.admin.bulk import (
    CSV_FIELDS,
    MAX_LISTED_ERRORS,
    NUMBER_FIELDS,
    SCRIPT_FIELDS,
    ImportResult,
    export_file,
    export_rows,
    import_file,
    validate,
)
from bot.admin.changes import audit, reload_if_changed
from bot.admin.history import ACTION_LABELS, RevertResult, format_history, history, revert, undo_last
from bot.admin.lifecycle import (
    NOISY_THRESHOLD,
    PatternResult,
    add_number,
    add_pattern,
    del_number,
    del_pattern,
    flag_noisy_patterns,
    record_feedback_fp,
    record_hits,
    set_pattern_status,
)
from bot.admin.number_keys import fast_number_key
from bot.admin.validation import (
    MAX_PATTERN_CHARS,
    MIN_PATTERN_CHARS,
    TYPE_ALIASES,
    AdminError,
    check_pattern_text,
    check_type,
    check_types,
)
from bot.store.schema import STATUSES

__all__ = [
    "ACTION_LABELS", "CSV_FIELDS", "MAX_LISTED_ERRORS", "MAX_PATTERN_CHARS", "MIN_PATTERN_CHARS", "NOISY_THRESHOLD",
    "NUMBER_FIELDS", "SCRIPT_FIELDS", "STATUSES", "TYPE_ALIASES", "AdminError", "ImportResult", "PatternResult",
    "RevertResult", "add_number", "add_pattern", "audit", "check_pattern_text", "check_type", "check_types",
    "del_number", "del_pattern", "export_file", "export_rows", "fast_number_key", "flag_noisy_patterns",
    "format_history", "history", "import_file", "record_feedback_fp", "record_hits", "reload_if_changed", "revert",
    "set_pattern_status", "undo_last", "validate",
]
