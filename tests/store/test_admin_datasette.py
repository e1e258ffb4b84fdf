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


# --- issue 15 (15): `python run.py browse` protects the database whatever its file is called -----------------


def _served(path: Path, meta: dict) -> dict[str, int]:
    from datasette.app import Datasette

    name = path.stem

    async def go() -> dict[str, int]:
        ds = Datasette([str(path)], metadata=meta)
        await ds.invoke_startup()
        return {
            "patterns": (await ds.client.get(f"/{name}/patterns")).status_code,
            "meta": (await ds.client.get(f"/{name}/meta.json")).status_code,
            "meta_sql": (await ds.client.get(f"/{name}.json?sql=select+value+from+meta")).status_code,
            "canned": (await ds.client.get(f"/{name}/pending_reports.json")).status_code,
        }

    return asyncio.run(go())


@pytest.mark.parametrize("name", ["pg-2026-01-01.db", "backup.sqlite", "policyguard.db"])
def test_generated_metadata_closes_meta_and_sql_for_any_file_name(tmp_path, name):
    pytest.importorskip("datasette")
    from bot.faces.cli.browse import metadata_for

    path = tmp_path / name
    db = connect(path)
    user_hash(db, 1)
    db.close()
    assert _served(path, metadata_for(path)) == {"patterns": 200, "meta": 403, "meta_sql": 403, "canned": 200}


def test_browse_command_listens_on_loopback_only():
    from bot.faces.cli.browse import datasette_command

    cmd = datasette_command("/x/pg-1.db", "/tmp/m.json", 8123, root=False)
    cmd = cmd[cmd.index("serve"):]
    assert cmd[cmd.index("-h") + 1] == "127.0.0.1" and "0.0.0.0" not in cmd
    assert cmd[cmd.index("-m") + 1] == "/tmp/m.json" and cmd[cmd.index("-p") + 1] == "8123"


def test_python_run_py_browse_serves_the_database_of_bot_db_path(tmp_path):
    """End to end: the real command, a backup-style file name, a free port on 127.0.0.1."""
    pytest.importorskip("datasette")
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    path = tmp_path / "pg-backup.db"
    db = connect(path)
    user_hash(db, 1)
    db.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, BOT_DB_PATH=str(path), NO_PROXY="127.0.0.1,localhost")
    proc = subprocess.Popen([sys.executable, "run.py", "browse", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def status(url: str) -> int:
        try:
            return opener.open(f"http://127.0.0.1:{port}{url}", timeout=5).status
        except urllib.error.HTTPError as e:
            return e.code

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                up = status("/pg-backup/patterns")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode() if proc.poll() else ""
                time.sleep(0.3)
        assert up == 200
        assert status("/pg-backup/meta.json") == 403
        assert status("/pg-backup.json?sql=select+value+from+meta") == 403
    finally:
        proc.terminate()
        proc.wait(20)


def test_browse_refuses_a_missing_database(tmp_path):
    from cli_support import run_cli

    p = run_cli(["browse"], tmp_path / "nope.db")
    assert p.returncode == 1 and "不存在" in p.stderr and not (tmp_path / "nope.db").exists()
