"""The command line, run as a subprocess exactly as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCAM = "【某某人寿】尊敬的客户，您的保单收益过低，可提前退保转购我司内部理财产品，年化10%保本保息，详询13912345678"
LEGIT = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    e = dict(os.environ, BOT_DB_PATH=str(tmp_path_factory.mktemp("cli") / "c.db"), PYTHONIOENCODING="utf-8")
    e.pop("TELEGRAM_BOT_TOKEN", None)
    return e


def run(env: dict[str, str], *args: str, stdin: bytes | None = None, module: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "bot", *args] if module else [sys.executable, "run.py", *args]
    return subprocess.run(cmd, input=stdin, env=env, cwd=ROOT, capture_output=True, timeout=120)


def out(p: subprocess.CompletedProcess) -> str:
    return p.stdout.decode("utf-8")


def test_check_text_shows_badge_evidence_notice_and_advice(env) -> None:
    p = run(env, "check", SCAM)
    assert p.returncode == 0, p.stderr
    text = out(p)
    assert text.startswith(("🔴 高风险", "🟠 中风险"))
    assert "【" in text and "】" in text  # evidence highlighted in the user's own text
    assert "官方风险提示" in text and "建议" in text
    assert "Traceback" not in p.stderr.decode()


def test_check_json_has_the_contract_fields(env) -> None:
    p = run(env, "check", "--json", SCAM)
    v = json.loads(out(p))
    for key in ("risk", "score", "scam_types", "matches", "signals", "numbers", "urls", "notices", "advice"):
        assert key in v
    assert v["risk"] in ("high", "medium")
    assert "surrender_for_investment" in v["scam_types"]
    assert v["notices"] and {"id", "title", "issuer", "date", "url"} <= set(v["notices"][0])
    assert v["numbers"][0]["normalized"] == "+8613912345678"
    assert "text" not in v  # the message itself is not echoed back into machine output


def test_legit_reminder_is_not_a_scam(env) -> None:
    v = json.loads(out(run(env, "check", "--json", LEGIT)))
    assert v["risk"] in ("none", "low")
    assert v["numbers"][0]["status"] == "official"


def test_check_reads_stdin(env) -> None:
    v = json.loads(out(run(env, "check", "--json", stdin=SCAM.encode())))
    assert v["risk"] in ("high", "medium")


def test_jsonl_one_verdict_per_line_in_order(env) -> None:
    lines = [json.dumps({"text": SCAM}, ensure_ascii=False), json.dumps(LEGIT, ensure_ascii=False), "纯文本一行",
             json.dumps({"text": ""}), "[1, 2]", "{not json"]
    p = run(env, "check", "--jsonl", stdin=("\n".join(lines) + "\n").encode())
    rows = [json.loads(x) for x in out(p).splitlines() if x.strip()]
    assert p.returncode == 0 and len(rows) == len(lines)
    assert rows[0]["risk"] in ("high", "medium") and rows[1]["risk"] in ("none", "low")


@pytest.mark.parametrize(
    "payload",
    [b"", b"   \n", "😀😀😀".encode(), bytes(range(256)) * 4, b"\xff\xfe\x00garbage\x00", ("退保" * 500_000).encode()],
    ids=["empty", "blank", "emoji", "binary", "bad-utf8", "1MB"],
)
def test_bad_input_gives_a_result_not_a_traceback(env, payload: bytes) -> None:
    p = run(env, "check", "--json", stdin=payload)
    assert p.returncode == 0
    assert "Traceback" not in p.stderr.decode("utf-8", "replace")
    v = json.loads(out(p))
    assert v["risk"] in ("high", "medium", "low", "none")
    if len(payload) > 100_000:
        assert v["truncated"] is True


def test_empty_message_says_so(env) -> None:
    p = run(env, "check", stdin=b"")
    assert p.returncode == 0 and "没有收到可分析的文字" in out(p)


@pytest.mark.parametrize(
    "number, status, word",
    [("95519", "official", "中国人寿"), ("+86 955 19", "official", "中国人寿"), ("９５５１９", "official", "中国人寿"),
     ("95591", "lookalike", "不是"), ("139-1234-5678", "unknown", "未收录"), ("abc", "invalid", "无效"),
     ("", "invalid", "无效")],
)
def test_lookup(env, number: str, status: str, word: str) -> None:
    lk = json.loads(out(run(env, "lookup", number, "--json")))
    assert lk["status"] == status
    for key in ("input", "normalized", "status", "insurer", "reports", "scam_types", "similar_to"):
        assert key in lk
    assert word in out(run(env, "lookup", number))


def test_python_dash_m_bot_is_the_same(env) -> None:
    a = json.loads(out(run(env, "lookup", "95519", "--json")))
    b = json.loads(out(run(env, "lookup", "95519", "--json", module=True)))
    assert a == b


def test_no_token_exits_2_with_one_clear_line(env) -> None:
    p = run(env)
    err = (p.stdout + p.stderr).decode()
    assert p.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in err and "chat" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_usage_error_exits_2(env) -> None:
    assert run(env, "lookup").returncode == 2
    assert run(env, "frobnicate").returncode == 2


def test_eval_reports_precision_recall_fpr(env, tmp_path: Path) -> None:
    f = tmp_path / "mini.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": SCAM, "label": "scam", "type": "surrender_for_investment"},
        {"text": LEGIT, "label": "legit"},
        {"text": "今晚一起吃饭吗", "label": "legit"},
    ]), encoding="utf-8")
    p = run(env, "eval", str(f), "--json")
    m = json.loads(out(p))["metrics"]
    assert m["all"]["recall"] == 1.0 and m["all"]["fpr"] == 0.0 and m["all"]["precision"] == 1.0
    assert m["type:surrender_for_investment"]["scam"] == 1
    human = out(run(env, "eval", str(f)))
    assert "recall" in human and "FPR" in human


def test_eval_missing_file_fails_cleanly(env) -> None:
    p = run(env, "eval", "/nonexistent/file.jsonl")
    assert p.returncode == 1 and "Traceback" not in p.stderr.decode()


def test_chat_answers_like_the_bot(env) -> None:
    p = run(env, "chat", stdin=f"/lookup 95519\n{SCAM}\n/addpattern other_scam | 测试话术测试话术测试\n".encode())
    text = out(p)
    assert p.returncode == 0
    assert "✅ 官方号码" in text and ("🔴" in text or "🟠" in text)
    assert "无权限" in text  # not started with --admin
