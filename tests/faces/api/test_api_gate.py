"""What stands before every route: keys (401), scopes (403), the rate limit (429 with Retry-After), the
body's size (413), bad bodies (422, never 500), keyless development mode, the log line, the use counts,
privacy, and admin changes reaching a running worker."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest
from api_support import SYNC_SECONDS, api_db_fixture, api_factory_fixture, make_key
from cli_support import run_cli

from bot.faces.api.gate import MAX_BODY
from bot.faces.api.runtime import RateLimiter, retry_after

api_db = pytest.fixture(api_db_fixture)
api_factory = pytest.fixture(api_factory_fixture)

SCAM = "【某某人寿】尊敬的客户，您的保单收益过低，可提前退保转购我司内部理财产品，年化10%保本保息，详询13912345678"


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["message"]
    assert body["error"]["code"] == code, body
    return body["error"]


# --- keys and scopes -----------------------------------------------------------------------------------


def test_missing_unknown_and_wrongly_sent_keys_are_401(api_factory, api_db: Path) -> None:
    api = api_factory()
    good = make_key(api_db, "k1", "check")
    assert _error(api.post("/v1/check", json={"text": SCAM}), 401, "missing_key")
    r = api.post("/v1/check", json={"text": SCAM})
    assert r.headers["www-authenticate"] == "Bearer"
    for headers in ({"X-API-Key": good + "x"}, {"Authorization": "Bearer pg_nope"}, {"Authorization": "Basic " + good},
                    {"X-API-Key": "k" * 5000}):
        r = api.post("/v1/check", json={"text": SCAM}, headers=headers)
        assert r.status_code == 401, headers
    assert api.post("/v1/check", json={"text": SCAM}, headers={"X-API-Key": good}).status_code == 200
    assert api.post("/v1/check", json={"text": SCAM}, headers={"authorization": "bearer " + good}).status_code == 200


def test_a_keyless_request_gets_401_before_its_body_is_looked_at(api_factory) -> None:
    api = api_factory()
    for content in (b"", b"\xff\xfe", b"{not json", b"x" * (MAX_BODY - 1)):
        assert api.post("/v1/check", content=content, headers={"content-type": "application/json"}).status_code == 401


def test_scopes_are_enforced_per_endpoint(api_factory, api_db: Path) -> None:
    api = api_factory()
    lookup_only = {"X-API-Key": make_key(api_db, "lookups", "lookup")}
    assert api.get("/v1/lookup", params={"q": "95519"}, headers=lookup_only).status_code == 200
    for method, path, kw in (("post", "/v1/check", {"json": {"text": SCAM}}),
                             ("post", "/v1/check/batch", {"json": {"items": [{"id": 1, "text": SCAM}]}}),
                             ("post", "/v1/reports", {"json": {"text": SCAM}})):
        msg = _error(getattr(api, method)(path, headers=lookup_only, **kw), 403, "forbidden")["message"]
        assert "scope" in msg


def test_a_revoked_key_is_refused_within_the_sync_interval(api_factory, api_db: Path) -> None:
    api = api_factory()
    headers = {"X-API-Key": make_key(api_db, "soon-gone", "check")}
    assert api.post("/v1/check", json={"text": SCAM}, headers=headers).status_code == 200
    ran = run_cli(["admin", "api-key", "revoke", "soon-gone"], api_db)  # another process, as an admin would
    assert ran.returncode == 0, ran.stderr
    time.sleep(SYNC_SECONDS * 2)
    _error(api.post("/v1/check", json={"text": SCAM}, headers=headers), 401, "invalid_key")


def test_a_new_key_works_at_once(api_factory, api_db: Path) -> None:
    api = api_factory()
    assert api.post("/v1/check", json={"text": SCAM}, headers={"X-API-Key": "pg_x"}).status_code == 401
    headers = {"X-API-Key": make_key(api_db, "fresh", "check")}
    assert api.post("/v1/check", json={"text": SCAM}, headers=headers).status_code == 200


def test_open_mode_allows_keyless_use_but_not_bad_keys(api_factory) -> None:
    api = api_factory(BOT_API_KEYS_OPEN="1")
    assert api.post("/v1/check", json={"text": SCAM}).json()["risk"] == "high"
    assert api.get("/v1/lookup", params={"q": "95519"}).status_code == 200
    assert api.post("/v1/check", json={"text": SCAM}, headers={"X-API-Key": "pg_wrong"}).status_code == 401


# --- rate limit ------------------------------------------------------------------------------------------


def test_over_the_rate_limit_is_429_with_retry_after_per_key(api_factory, api_db: Path) -> None:
    api = api_factory(BOT_API_RATE_PER_MINUTE="3")
    a = {"X-API-Key": make_key(api_db, "a", "check,lookup")}
    b = {"X-API-Key": make_key(api_db, "b", "check")}
    assert [api.get("/v1/lookup", params={"q": "95519"}, headers=a).status_code for _ in range(3)] == [200] * 3
    r = api.post("/v1/check", json={"text": SCAM}, headers=a)
    _error(r, 429, "rate_limited")
    assert r.headers["retry-after"].isdigit() and 1 <= int(r.headers["retry-after"]) <= 20
    assert api.post("/v1/check", json={"text": SCAM}, headers=b).status_code == 200  # another key is not affected
    assert api.get("/healthz").status_code == 200  # health is never limited


def test_a_flood_gets_429s_never_a_500_and_the_server_keeps_serving(api_factory, api_db: Path) -> None:
    api = api_factory(BOT_API_RATE_PER_MINUTE="30")
    flood = {"X-API-Key": make_key(api_db, "flood", "check")}
    codes = [api.post("/v1/check", json={"text": f"退保理财{i}"}, headers=flood).status_code for i in range(200)]
    assert set(codes) == {200, 429} and codes.count(200) <= 32 and codes[:30] == [200] * 30
    calm = {"X-API-Key": make_key(api_db, "calm", "check")}
    assert api.post("/v1/check", json={"text": SCAM}, headers=calm).json()["risk"] == "high"


def test_the_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.take("k") == 0 for _ in range(60))
    wait = limiter.take("k")
    assert wait == pytest.approx(1.0) and retry_after(wait) == "1"
    now[0] += 0.5
    assert limiter.take("k") == pytest.approx(0.5)
    now[0] += 0.6
    assert limiter.take("k") == 0
    assert RateLimiter(0).take("k") == 0  # 0: no limit


# --- body size and bad bodies ----------------------------------------------------------------------------


def test_bodies_over_64_kb_are_413_whether_announced_or_streamed(api_factory, api_db: Path) -> None:
    api = api_factory()
    headers = {"X-API-Key": make_key(api_db, "big", "check"), "content-type": "application/json"}
    ten_mb = b'{"text": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    _error(api.post("/v1/check", content=ten_mb, headers=headers), 413, "payload_too_large")

    def chunks():
        for _ in range(160):  # 10 MB in 64 KB chunks, without Content-Length
            yield b"a" * 65536

    _error(api.post("/v1/check", content=chunks(), headers=headers), 413, "payload_too_large")
    just_fits = b'{"text": "' + b"a" * (MAX_BODY - 12) + b'"}'
    assert len(just_fits) == MAX_BODY
    assert api.post("/v1/check", content=just_fits, headers=headers).status_code == 200
    assert api.post("/v1/check", content=just_fits + b" ", headers=headers).status_code == 413
    assert api.post("/v1/check", json={"text": SCAM}, headers=headers).status_code == 200  # still serving


BAD_BODIES = [
    (b"", "application/json"),
    (b"\x00\xff\xfe\x89PNG\r\n\x1a\n" * 50, "application/json"),
    (b"\x00\xff\xfe\x89PNG\r\n\x1a\n", "application/octet-stream"),
    (b'{"text": "\xff\xfe"}', "application/json"),
    (b"{not json", "application/json"),
    (b'{"text": "ok"}', "text/plain"),
    (b"[1, 2]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"null", "application/json"),
    (b'{"text": 12}', "application/json"),
    (b'{"text": ["a"]}', "application/json"),
    (b'{"text": {"a": 1}}', "application/json"),
    (b'{"text": null}', "application/json"),
    (b'{"text": ""}', "application/json"),
    (b'{"text": "ok", "extra": 1}', "application/json"),
    (b'{"txt": "ok"}', "application/json"),
    (b'{"text": "ok", "lang": 5}', "application/json"),
    (b'{"text": "ok", "lang": "not a tag!"}', "application/json"),
    (b'{"text": "ok"' + b"}" * 10, "application/json"),
]


@pytest.mark.parametrize("path", ["/v1/check", "/v1/check/batch", "/v1/reports"])
def test_bad_bodies_are_422_with_a_clear_message_never_500(api_factory, api_db: Path, path: str) -> None:
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "bad-input")}
    for content, ctype in BAD_BODIES:
        r = api.post(path, content=content, headers={**key, "content-type": ctype})
        if path == "/v1/reports" and content in (b'{"text": "ok"}', b'{"text": "ok", "extra": 1}'):
            assert r.status_code == 422, (content, r.text)
            continue
        err = _error(r, 422, "invalid_request")
        assert "body" in err["message"], (content, err)
        assert "\ufffd" not in err["message"] and "PNG" not in err["message"]  # the input is not echoed
    assert api.post("/v1/check", json={"text": SCAM}, headers=key).json()["risk"] == "high"


def test_the_422_message_names_the_field_and_the_problem(api_factory, api_db: Path) -> None:
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "msg")}
    cases = {b'{"text": 12}': "body.text: Input should be a valid string", b'{"txt": "a"}': "body.txt: unknown field",
             b"{not json": "not valid JSON", b"[1]": "must be a JSON object", b'{"text": ""}': "body.text"}
    for content, expected in cases.items():
        r = api.post("/v1/check", content=content, headers={**key, "content-type": "application/json"})
        assert expected in r.json()["error"]["message"], (content, r.json())


# --- logs, privacy, use counts ---------------------------------------------------------------------------


def test_the_log_has_method_path_status_key_time_and_risk_never_the_text(
        api_factory, api_db: Path, caplog: pytest.LogCaptureFixture) -> None:
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "logged")}
    marker = "独一无二的标记文字" + SCAM
    with caplog.at_level(logging.DEBUG):
        api.post("/v1/check", json={"text": marker}, headers=key)
        api.get("/v1/lookup", params={"q": "13912345678"}, headers=key)
        api.post("/v1/check", json={"text": marker, "bad": 1}, headers=key)
        api.post("/v1/reports", json={"text": marker}, headers=key)
    lines = [r.getMessage() for r in caplog.records]
    check = [m for m in lines if m.startswith("POST /v1/check 200")]
    assert check and "key=logged" in check[0] and "risk=high" in check[0] and "ms" in check[0]
    assert any(m.startswith("GET /v1/lookup 200 key=logged") and "risk=unknown" in m for m in lines)
    assert any(m.startswith("POST /v1/check 422 key=logged") for m in lines)
    everything = "\n".join(lines) + caplog.text
    assert "独一无二" not in everything and "13912345678" not in everything and "保本" not in everything


def test_check_bodies_are_never_stored(api_factory, api_db: Path) -> None:
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "private", "check,lookup")}
    marker = "隐私标记文字九八七六" + SCAM
    api.post("/v1/check", json={"text": marker}, headers=key)
    api.post("/v1/check/batch", json={"items": [{"id": "x", "text": marker}]}, headers=key)
    api.get("/v1/lookup", params={"q": "13900009999"}, headers=key)
    api.__exit__(None, None, None)  # stop: the last use counts are written
    con = sqlite3.connect(api_db)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for (table,) in con.execute("select name from sqlite_master where type = 'table'").fetchall():
            for row in con.execute(f"select * from [{table}]"):
                assert "隐私标记" not in repr(row) and "13900009999" not in repr(row), table
    finally:
        con.close()
    assert b"\xe9\x9a\x90\xe7\xa7\x81\xe6\xa0\x87\xe8\xae\xb0" not in api_db.read_bytes()  # 隐私标记, anywhere


def test_use_is_counted_per_key_per_day_per_endpoint(api_factory, api_db: Path) -> None:
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "counted", "check,lookup")}
    for _ in range(3):
        api.post("/v1/check", json={"text": SCAM}, headers=key)
    api.get("/v1/lookup", params={"q": "95519"}, headers=key)
    api.post("/v1/reports", json={"text": SCAM}, headers=key)  # 403: not counted as use
    deadline = time.monotonic() + 5
    rows: list = []
    while time.monotonic() < deadline:  # the sync loop adds them within BOT_API_SYNC_SECONDS
        rows = _usage(api_db, "counted")
        if sum(n for _, _, n in rows) >= 4:
            break
        time.sleep(0.1)
    assert {(e, n) for _, e, n in rows} == {("/v1/check", 3), ("/v1/lookup", 1)}
    listed = run_cli(["admin", "api-key", "list"], api_db)
    line = [x for x in listed.stdout.splitlines() if x.startswith("counted\t")][0]
    assert line.endswith("\t4\t4") and "有效" in line


def _usage(db: Path, name: str) -> list[tuple[str, str, int]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("select day, endpoint, requests from api_usage where key_name = ?", [name]).fetchall()
    finally:
        con.close()


# --- live data -----------------------------------------------------------------------------------------------


def test_a_retired_script_stops_matching_within_seconds(api_factory, api_db: Path) -> None:
    """The script index is in memory: a script retired by the CLI (another process) must leave every
    worker's index through the change counter, without a restart."""
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "live-scripts", "check")}
    script = max(api.app.state.runtime.engine.scripts().values(), key=lambda s: len(s.text))
    ids = [m["pattern_id"] for m in api.post("/v1/check", json={"text": script.text}, headers=key).json()["matches"]]
    assert script.id in ids
    ran = run_cli(["admin", "del-pattern", str(script.id)], api_db)
    assert ran.returncode == 0, ran.stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and script.id in ids:
        time.sleep(0.1)
        body = api.post("/v1/check", json={"text": script.text}, headers=key).json()
        ids = [m["pattern_id"] for m in body["matches"]]
    assert script.id not in ids


def test_a_reported_number_shows_at_once(api_factory, api_db: Path) -> None:
    api = api_factory()
    key = {"X-API-Key": make_key(api_db, "live", "lookup")}
    number = "13655551234"
    assert api.get("/v1/lookup", params={"q": number}, headers=key).json()["status"] == "unknown"
    ran = run_cli(["admin", "add-number", number, "--type", "fake_customer_service", "--note", "自称客服"], api_db)
    assert ran.returncode == 0, ran.stderr
    deadline, status = time.monotonic() + 10, ""
    while time.monotonic() < deadline:
        status = api.get("/v1/lookup", params={"q": number}, headers=key).json()["status"]
        if status == "reported":
            break
        time.sleep(0.1)
    assert status == "reported"
