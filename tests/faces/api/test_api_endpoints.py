"""Every endpoint of the HTTP API through the real app (FastAPI's TestClient runs its lifespan: engine,
key ring, sync loop): what each answers, that it is what the command line answers, and its errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from api_support import api_db_fixture, api_factory_fixture, make_key, module_api_fixture
from fastapi.testclient import TestClient

from bot import render

SCAM = "【某某人寿】尊敬的客户，您的保单收益过低，可提前退保转购我司内部理财产品，年化10%保本保息，详询13912345678"
LEGIT = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"
TRADITIONAL = "【國泰人壽】您的保單收益太低，建議立即解約，轉購年化12%保本理財，請加LINE客服辦理"

api_db = pytest.fixture(api_db_fixture)
api_factory = pytest.fixture(api_factory_fixture)
module_api = pytest.fixture(module_api_fixture, scope="module")


@pytest.fixture(scope="module")
def api(module_api: tuple[TestClient, Path]) -> TestClient:
    return module_api[0]


@pytest.fixture(scope="module")
def db(module_api: tuple[TestClient, Path]) -> Path:
    return module_api[1]


@pytest.fixture(scope="module")
def key(db: Path) -> dict[str, str]:
    """Headers with a key that has every scope."""
    return {"Authorization": "Bearer " + make_key(db, "all-scopes")}


def engine_of(api: TestClient):
    return api.app.state.runtime.engine


# --- /v1/check -------------------------------------------------------------------------------------------


def test_check_answers_the_verdict_json_of_check_json(api: TestClient, key: dict[str, str]) -> None:
    r = api.post("/v1/check", json={"text": SCAM}, headers=key)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body == json.loads(render.verdict_json(engine_of(api).analyze(SCAM)))
    assert body["risk"] == "high" and "surrender_for_investment" in body["scam_types"]
    assert body["summary"] and body["action"]  # the short answer is in it


def test_check_of_a_legitimate_message_is_not_a_scam(api: TestClient, key: dict[str, str]) -> None:
    body = api.post("/v1/check", json={"text": LEGIT}, headers=key).json()
    assert body["risk"] in ("low", "none")
    assert body["numbers"][0]["status"] == "official"


def test_lang_gives_the_readers_traditional_forms(api: TestClient, key: dict[str, str]) -> None:
    plain = api.post("/v1/check", json={"text": TRADITIONAL}, headers=key).json()
    tw = api.post("/v1/check", json={"text": TRADITIONAL, "lang": "zh-TW"}, headers=key).json()
    assert plain["risk"] == tw["risk"] and plain["score"] == tw["score"]
    assert tw["summary"] == render.to_traditional(plain["summary"], "TW") != plain["summary"]
    assert tw["advice"] == [render.to_traditional(a, "TW") for a in plain["advice"]]
    hk = api.post("/v1/check", json={"text": TRADITIONAL, "lang": "zh-HK"}, headers=key).json()
    assert hk["summary"] == render.to_traditional(plain["summary"], "HK")
    en = api.post("/v1/check", json={"text": TRADITIONAL, "lang": "en"}, headers=key).json()
    assert en == plain


def test_whitespace_only_text_is_an_empty_verdict(api: TestClient, key: dict[str, str]) -> None:
    body = api.post("/v1/check", json={"text": "  \n "}, headers=key).json()
    assert body["empty"] is True and body["risk"] == "none"


def test_a_long_text_is_cut_and_says_so(api: TestClient, key: dict[str, str]) -> None:
    body = api.post("/v1/check", json={"text": SCAM * 100}, headers=key).json()  # ~6,000 chars, < 64 KB
    assert body["truncated"] is True and body["risk"] == "high"


# --- /v1/check/batch -------------------------------------------------------------------------------------


def test_batch_answers_in_order_with_the_ids_echoed(api: TestClient, key: dict[str, str]) -> None:
    items = [{"id": "a", "text": SCAM}, {"id": 7, "text": LEGIT}, {"id": "c", "text": "你好"}]
    r = api.post("/v1/check/batch", json={"items": items}, headers=key)
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["id"] for x in results] == ["a", 7, "c"]
    for item, res in zip(items, results, strict=True):
        assert res["verdict"] == json.loads(render.verdict_json(engine_of(api).analyze(item["text"])))


def test_batch_takes_100_and_refuses_101_or_none(api: TestClient, key: dict[str, str]) -> None:
    ok = api.post("/v1/check/batch", json={"items": [{"id": i, "text": "退保"} for i in range(100)]}, headers=key)
    assert ok.status_code == 200 and len(ok.json()["results"]) == 100
    for items in ([{"id": i, "text": "退保"} for i in range(101)], []):
        r = api.post("/v1/check/batch", json={"items": items}, headers=key)
        assert r.status_code == 422, len(items)
        assert r.json()["error"]["code"] == "invalid_request" and "body.items" in r.json()["error"]["message"]


def test_batch_items_need_an_id_of_string_or_integer(api: TestClient, key: dict[str, str]) -> None:
    for item in ({"text": "退保"}, {"id": 1.5, "text": "退保"}, {"id": None, "text": "退保"}, {"id": [1], "text": "x"}):
        r = api.post("/v1/check/batch", json={"items": [item]}, headers=key)
        assert r.status_code == 422, item
        assert "items.0.id" in r.json()["error"]["message"]


# --- /v1/lookup --------------------------------------------------------------------------------------------


def test_lookup_answers_the_lookup_json(api: TestClient, key: dict[str, str]) -> None:
    for q in ("95519", "+1 95519", "13912345678", "12"):
        r = api.get("/v1/lookup", params={"q": q}, headers=key)
        assert r.status_code == 200
        assert r.json() == json.loads(render.lookup_json(engine_of(api).lookup(q)))
    assert api.get("/v1/lookup", params={"q": "95519"}, headers=key).json()["status"] == "official"
    assert api.get("/v1/lookup", params={"q": "+1 95519"}, headers=key).json()["status"] == "lookalike"
    assert api.get("/v1/lookup", params={"q": "12"}, headers=key).json()["status"] == "invalid"


def test_lookup_without_q_or_with_a_huge_one_is_422(api: TestClient, key: dict[str, str]) -> None:
    for params in ({}, {"q": ""}, {"q": "1" * 2049}):
        r = api.get("/v1/lookup", params=params, headers=key)
        assert r.status_code == 422, params
        assert "query.q" in r.json()["error"]["message"]


# --- /v1/reports -------------------------------------------------------------------------------------------


def _report_rows(db: Path) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute("select id, kind, text, number, status, count from reports order by id").fetchall()
    finally:
        con.close()


def test_a_report_is_queued_redacted_as_the_bots(api: TestClient, key: dict[str, str], db: Path) -> None:
    text = "尊敬的张三先生，您的保单可退保转理财，身份证110101199003071234，回电13812345678，年化10%保本"
    r = api.post("/v1/reports", json={"text": text, "reporter": "user-1"}, headers=key)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "created" and body["report_id"] > 0 and body["masked"].get("id_number") == 1
    stored = [row for row in _report_rows(db) if row[0] == body["report_id"]][0]
    assert "110101199003071234" not in stored[2] and stored[4] == "pending"
    from bot.pipeline.redact import redact

    assert stored[2] == redact(text, keep_numbers=()).text  # the bot's /report path, unchanged
    again = api.post("/v1/reports", json={"text": text, "reporter": "user-1"}, headers=key)
    assert again.status_code == 200 and again.json()["status"] == "already"
    other = api.post("/v1/reports", json={"text": text, "reporter": "user-2"}, headers=key)
    assert other.status_code == 200 and other.json()["status"] == "repeat" and other.json()["count"] == 2


def test_a_number_report_and_the_refusals(api: TestClient, key: dict[str, str]) -> None:
    r = api.post("/v1/reports", json={"number": "13700001111", "text": "自称平安客服要我退保"}, headers=key)
    assert r.status_code == 201 and r.json()["status"] == "created"
    for body in ({"number": "95519"}, {"number": "12"}, {"text": "太短"}):
        r = api.post("/v1/reports", json=body, headers=key)
        assert r.status_code == 422, body
        assert r.json()["error"]["code"] == "report_refused" and r.json()["error"]["message"]
    for body in ({}, {"text": "  "}, {"text": 5}, {"number": "138", "extra": 1}):
        r = api.post("/v1/reports", json=body, headers=key)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request", body


def test_reports_need_the_report_scope(api: TestClient, db: Path) -> None:
    headers = {"X-API-Key": make_key(db, "check-only", "check,lookup")}
    before = _report_rows(db)
    r = api.post("/v1/reports", json={"text": SCAM}, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert _report_rows(db) == before


# --- health, schema, docs, unknown paths ---------------------------------------------------------------------


def test_health_and_readiness(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    r = api.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["patterns"] > 100


def test_readyz_is_503_when_the_database_is_gone(api_factory) -> None:
    client = api_factory()
    assert client.get("/readyz").status_code == 200
    runtime = client.app.state.runtime
    store = runtime.engine.store
    real = store.conn
    store.conn = sqlite3.connect(":memory:")  # a database without the meta table: reads fail
    try:
        r = client.get("/readyz")
        assert r.status_code == 503 and r.json()["error"]["code"] == "not_ready"
    finally:
        store.conn.close()
        store.conn = real
    assert client.get("/readyz").status_code == 200


def test_openapi_schema_and_docs(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    assert {"/v1/check", "/v1/check/batch", "/v1/lookup", "/v1/reports", "/healthz", "/readyz"} <= set(schema["paths"])
    components = schema["components"]["schemas"]
    assert {"CheckRequest", "BatchRequest", "ReportRequest", "Verdict", "Lookup", "ErrorResponse"} <= set(components)
    assert set(components["Verdict"]["properties"]) >= {"risk", "score", "scam_types", "matches", "signals", "summary"}
    check = schema["paths"]["/v1/check"]["post"]
    assert check["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Verdict")
    assert {"401", "403", "413", "422", "429"} <= set(check["responses"])
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower() and "/openapi.json" in docs.text


def test_unknown_paths_and_methods_are_json_errors(api: TestClient, key: dict[str, str]) -> None:
    r = api.get("/v2/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = api.get("/v1/check", headers=key)
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
