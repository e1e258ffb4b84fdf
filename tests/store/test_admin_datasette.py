"""The database browses with Datasette out of the box: every table labelled in Chinese, the salt not exposed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.store import connect, user_hash

ROOT = Path(__file__).resolve().parents[2]
METADATA = ROOT / "datasette.metadata.json"


def test_metadata_labels_every_table_and_column(tmp_path):
    meta = json.loads(METADATA.read_text(encoding="utf-8"))
    tables = meta["databases"]["policyguard"]["tables"]
    db = connect(tmp_path / "policyguard.db")
    for name in db.table_names():
        assert name in tables, f"table {name} has no Datasette label"
        assert tables[name].get("title")
        if tables[name].get("hidden"):
            continue
        assert tables[name].get("description")
        missing = set(db[name].columns_dict) - set(tables[name].get("columns", {}))
        assert not missing, f"{name}: columns without a description: {missing}"


def test_datasette_serves_it_and_hides_the_salt(tmp_path):
    pytest.importorskip("datasette")
    from datasette.app import Datasette

    path = tmp_path / "policyguard.db"
    db = connect(path)
    user_hash(db, 1)  # creates the salt
    db.close()

    async def go() -> dict[str, int | bool]:
        ds = Datasette([str(path)], metadata=json.loads(METADATA.read_text(encoding="utf-8")))
        await ds.invoke_startup()
        page = await ds.client.get("/policyguard/patterns")
        return {
            "patterns": page.status_code, "labelled": "诈骗话术" in page.text and "规范化后的文本" in page.text,
            "meta": (await ds.client.get("/policyguard/meta.json")).status_code,
            "sql": (await ds.client.get("/policyguard.json?sql=select+value+from+meta")).status_code,
            "canned": (await ds.client.get("/policyguard/pending_reports.json")).status_code,
        }

    r = asyncio.run(go())
    assert r == {"patterns": 200, "labelled": True, "meta": 403, "sql": 403, "canned": 200}
