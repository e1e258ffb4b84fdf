"""Reading a bot's database file directly, as an outsider would (the end-to-end tests check what was
stored, and what was not, without going through the store)."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def db_rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()
