"""The command line: ``main(argv)`` in the test process for what it prints and returns, and a few
subprocess smoke tests for what only a real process shows (the entry points ``run.py`` and
``python -m bot``, the interpreter's exit status, nothing else on stderr, stdin read as bytes)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import Ran, run_cli

from bot.faces.cli import COMMANDS
from bot.faces.cli.admin import ADMIN_COMMANDS

ROOT = Path(__file__).resolve().parents[2]
SCAM = "【某某人寿】尊敬的客户，您的保单收益过低，可提前退保转购我司内部理财产品，年化10%保本保息，详询13912345678"
LEGIT = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli") / "c.db"


@pytest.fixture(scope="module")
def env(db: Path) -> dict[str, str]:
    """The environment of the subprocess smoke tests."""
    e = dict(os.environ, BOT_DB_PATH=str(db), PYTHONIOENCODING="utf-8")
    e.pop("TELEGRAM_BOT_TOKEN", None)
    return e


def run(db: Path, *args: str, stdin: bytes = b"") -> Ran:
    """``python run.py *args``, in this process."""
    return run_cli(list(args), db, stdin=stdin)


def run_process(env: dict[str, str], *args: str, stdin: bytes | None = None,
                module: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "bot", *args] if module else [sys.executable, "run.py", *args]
    return subprocess.run(cmd, input=stdin, env=env, cwd=ROOT, capture_output=True, timeout=120)


def out(p: Ran) -> str:
    return p.stdout


def test_check_text_shows_badge_evidence_notice_and_advice(db) -> None:
    p = run(db, "check", SCAM)
    assert p.returncode == 0, p.stderr
    text = out(p)
    assert text.startswith(("🔴 高风险", "🟠 中风险"))
    short, _, details = text.partition("\n\n")  # the short answer, a blank line, the details
    assert "👉 " in short and len(short) <= 300
    assert "«" in details and "»" in details  # evidence marked in the user's own text, never with 【】
    assert "官方风险提示" in details and "更多建议" in details
    assert "Traceback" not in p.stderr and p.stderr == ""


def test_check_short_prints_only_the_short_answer(db) -> None:
    full, short = out(run(db, "check", SCAM)), out(run(db, "check", "--short", SCAM))
    assert full.startswith(short.rstrip("\n")) and len(short) <= 300
    assert "官方风险提示" not in short and "👉 " in short


def test_check_json_has_the_contract_fields(db) -> None:
    p = run(db, "check", "--json", SCAM)
    v = json.loads(out(p))
    for key in ("risk", "score", "scam_types", "matches", "signals", "numbers", "urls", "notices", "advice"):
        assert key in v
    assert v["risk"] in ("high", "medium")
    assert "surrender_for_investment" in v["scam_types"]
    assert v["notices"] and {"id", "title", "issuer", "date", "url"} <= set(v["notices"][0])
    assert v["numbers"][0]["normalized"] == "+8613912345678"
    assert "text" not in v  # the message itself is not echoed back into machine output


def test_legit_reminder_is_not_a_scam(db) -> None:
    v = json.loads(out(run(db, "check", "--json", LEGIT)))
    assert v["risk"] in ("none", "low")
    assert v["numbers"][0]["status"] == "official"


def test_check_reads_stdin(db) -> None:
    v = json.loads(out(run(db, "check", "--json", stdin=SCAM.encode())))
    assert v["risk"] in ("high", "medium")


JSONL = [json.dumps({"text": SCAM}, ensure_ascii=False), json.dumps(LEGIT, ensure_ascii=False), "纯文本一行",
         json.dumps({"text": ""}), "[1, 2]", "{not json"]


def test_jsonl_one_verdict_per_line_in_order(db) -> None:
    p = run(db, "check", "--jsonl", stdin=("\n".join(JSONL) + "\n").encode())
    rows = [json.loads(x) for x in out(p).splitlines() if x.strip()]
    assert p.returncode == 0 and len(rows) == len(JSONL)
    assert rows[0]["risk"] in ("high", "medium") and rows[1]["risk"] in ("none", "low")


def test_jsonl_through_a_pipe_is_the_same(db, env) -> None:
    """Smoke test: stdin read as bytes by a real process (CRLF, a blank line, bytes that are not UTF-8),
    one verdict per line, the same as in-process."""
    data = ("\r\n".join(JSONL) + "\r\n\r\n").encode() + b"\xff\xfe\n"
    p = run_process(env, "check", "--jsonl", stdin=data)
    assert p.returncode == 0 and p.stderr == b""
    assert p.stdout.decode("utf-8") == run(db, "check", "--jsonl", stdin=data).stdout
    assert len(p.stdout.decode("utf-8").splitlines()) == len(JSONL) + 2  # the blank line is answered too


@pytest.mark.parametrize(
    "payload",
    [b"", b"   \n", "😀😀😀".encode(), bytes(range(256)) * 4, b"\xff\xfe\x00garbage\x00", ("退保" * 500_000).encode()],
    ids=["empty", "blank", "emoji", "binary", "bad-utf8", "1MB"],
)
def test_bad_input_gives_a_result_not_a_traceback(db, payload: bytes) -> None:
    p = run(db, "check", "--json", stdin=payload)
    assert p.returncode == 0
    assert "Traceback" not in p.stderr
    v = json.loads(out(p))
    assert v["risk"] in ("high", "medium", "low", "none")
    if len(payload) > 100_000:
        assert v["truncated"] is True


def test_empty_message_says_so(db) -> None:
    p = run(db, "check", stdin=b"")
    assert p.returncode == 0 and "没有收到可分析的文字" in out(p)


@pytest.mark.parametrize(
    "number, status, word",
    [("95519", "official", "中国人寿"), ("+86 955 19", "official", "中国人寿"), ("９５５１９", "official", "中国人寿"),
     ("95591", "lookalike", "不是"), ("139-1234-5678", "unknown", "未收录"), ("abc", "invalid", "无效"),
     ("", "invalid", "无效")],
)
def test_lookup(db, number: str, status: str, word: str) -> None:
    lk = json.loads(out(run(db, "lookup", number, "--json")))
    assert lk["status"] == status
    for key in ("input", "normalized", "status", "insurer", "reports", "scam_types", "similar_to"):
        assert key in lk
    assert word in out(run(db, "lookup", number))


def test_python_dash_m_bot_is_the_same(env) -> None:
    a = run_process(env, "lookup", "95519", "--json")
    b = run_process(env, "lookup", "95519", "--json", module=True)
    assert a.returncode == b.returncode == 0
    assert json.loads(a.stdout.decode("utf-8")) == json.loads(b.stdout.decode("utf-8"))
    assert a.stdout == b.stdout and a.stderr == b.stderr == b""


def test_no_token_exits_2_with_one_clear_line(env) -> None:
    p = run_process(env)
    err = (p.stdout + p.stderr).decode()
    assert p.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in err and "chat" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_no_token_in_process_too(db) -> None:
    p = run(db)
    assert p.returncode == 2 and p.stdout == "" and len(p.stderr.strip().splitlines()) == 1
    assert p.stderr == run(db, "run").stderr


def test_usage_error_exits_2(db) -> None:
    for args in (["lookup"], ["frobnicate"], ["admin"], ["admin", "nope"], ["check", "--nope"]):
        p = run(db, *args)
        assert p.returncode == 2 and p.stderr.startswith("usage: run.py") and p.stdout == "", args


def test_eval_reports_precision_recall_fpr(db, tmp_path: Path) -> None:
    f = tmp_path / "mini.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"text": SCAM, "label": "scam", "type": "surrender_for_investment"},
        {"text": LEGIT, "label": "legit"},
        {"text": "今晚一起吃饭吗", "label": "legit"},
    ]), encoding="utf-8")
    p = run(db, "eval", str(f), "--json")
    m = json.loads(out(p))["metrics"]
    assert m["all"]["recall"] == 1.0 and m["all"]["fpr"] == 0.0 and m["all"]["precision"] == 1.0
    assert m["type:surrender_for_investment"]["scam"] == 1
    human = out(run(db, "eval", str(f)))
    assert "recall" in human and "FPR" in human


def test_eval_missing_file_fails_cleanly(db) -> None:
    p = run(db, "eval", "/nonexistent/file.jsonl")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr == "文件不存在：/nonexistent/file.jsonl\n"


def test_chat_answers_like_the_bot(db) -> None:
    p = run(db, "chat", stdin=f"/lookup 95519\n{SCAM}\n/addpattern other_scam | 测试话术测试话术测试\n".encode())
    text = out(p)
    assert p.returncode == 0
    assert "✅ 官方号码" in text and ("🔴" in text or "🟠" in text)
    assert "无权限" in text  # not started with --admin


# --- every sub-command is in --help and in the README -------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Sub-commands the README does not name yet (as ``python run.py NAME`` / ``python run.py admin NAME``).
#: Each is an expected failure that turns into a test failure once the README names it: then take it out
#: of this set.
NOT_IN_README: set[str] = set()
ALL_COMMANDS = [c.name for c in COMMANDS] + [f"admin {c.name}" for c in ADMIN_COMMANDS]


def _help(db: Path, *args: str) -> str:
    p = run(db, *args, "--help")
    assert p.returncode == 0 and p.stderr == "", (args, p.stderr)
    return p.stdout


class _Options:
    """Stands in for a parser: records the options a command's options function adds."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def add_argument(self, *names: str, **kw: object) -> None:
        self.names.append(names[0] if names[0].startswith("-") else str(kw.get("metavar") or names[0]))


def _options(command) -> list[str]:
    rec = _Options()
    command.options(rec)
    return rec.names


def test_the_tables_are_the_parser(db) -> None:
    """Dispatch and --help come from the same tables: every sub-command is offered, once, in table order."""
    top, admin = _help(db), _help(db, "admin")
    assert "{" + ",".join(c.name for c in COMMANDS) + "}" in top
    assert "{" + ",".join(c.name for c in ADMIN_COMMANDS) + "}" in admin
    assert len(set(ALL_COMMANDS)) == len(ALL_COMMANDS)


def test_every_command_is_in_the_help(db) -> None:
    top, admin = _help(db), _help(db, "admin")
    for c in COMMANDS:
        assert re.search(rf"^\s+{re.escape(c.name)}\s+{re.escape(c.help)}$", top, re.M), c.name
    for c in ADMIN_COMMANDS:
        assert re.search(rf"^\s+{re.escape(c.name)}\s+{re.escape(c.help)}$", admin, re.M), c.name


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.name != "admin"] + [*ADMIN_COMMANDS],
                         ids=lambda c: c.name)
def test_each_command_help_lists_its_options(db, command) -> None:
    name = command.name if command in COMMANDS else f"admin {command.name}"
    text = _help(db, *name.split())
    assert text.startswith(f"usage: run.py {name}")
    for opt in _options(command):
        assert opt in text, (name, opt)


@pytest.mark.parametrize("name", [
    pytest.param(n, marks=pytest.mark.xfail(strict=True, reason="not in the README yet")) if n in NOT_IN_README else n
    for n in ALL_COMMANDS])
def test_every_command_is_in_the_readme(name: str) -> None:
    assert re.search(rf"run\.py {re.escape(name)}(?![\w-])", README), f"`python run.py {name}` is not in README.md"


def test_eval_modes_are_the_evaluators_and_an_unknown_one_is_refused(engine) -> None:
    """The CLI lists the modes itself (so --help does not import the engine); they must stay the
    evaluator's."""
    from bot.admin.evaluate import MODES, evaluate
    from bot.faces.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    mode = next(a for a in sub.choices["eval"]._actions if a.dest == "mode")
    assert tuple(mode.choices) == MODES
    with pytest.raises(ValueError, match="unknown mode"):
        evaluate(engine, [], mode="both-ish")


@pytest.mark.parametrize("target, status, org", [("pingan-lipei.cc", "lookalike", "中国平安"),
                                                 ("https://u.pingan.com/x", "official", "中国平安"),
                                                 ("t.cn/Ab3xYz", "shortener", None)])
def test_lookup_takes_a_url_or_a_bare_domain(db, target: str, status: str, org: str | None) -> None:
    d = json.loads(out(run(db, "lookup", target, "--json")))
    assert (d["status"], d["org"]) == (status, org) and d["host"] in target.lower()


def test_lookup_of_a_bank_line_prints_the_bank(db) -> None:
    text = out(run(db, "lookup", "95588"))
    assert text.startswith("✅ 官方号码 95588：中国工商银行的官方号码")
    d = json.loads(out(run(db, "lookup", "+852 9123 4567", "--json")))
    assert d["status"] == "unknown" and any("香港" in w for w in d["warnings"]) and d["display"] == "+852 9123 4567"


def test_eval_lookups_prints_accuracy_per_kind(db, tmp_path) -> None:
    f = tmp_path / "l.jsonl"
    f.write_text('{"input": "95588", "kind": "bank", "expect": {"status": "official", "org_kind": "bank"}}\n'
                 '{"input": "pingan-lipei.cc", "kind": "lookalike", "expect": {"status": "lookalike"}}\n'
                 '{"input": "95591", "kind": "wrong_on_purpose", "expect": {"status": "official"}}\n', encoding="utf-8")
    r = run(db, "eval-lookups", str(f), "--errors", "5")
    text = out(r)
    assert r.returncode == 0 and "查询准确率：66.7%（2/3）" in text
    assert re.search(r"bank\s+100\.0%\s+1/1", text) and re.search(r"wrong_on_purpose\s+0\.0%\s+0/1", text)
    assert "✗ [wrong_on_purpose] '95591'" in text


def test_eval_lookups_refuses_a_bad_file(db, tmp_path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"input": "95588"}\n', encoding="utf-8")
    r = run(db, "eval-lookups", str(f))
    assert r.returncode == 1 and "第 1 行" in r.stderr
    assert run(db, "eval-lookups", str(tmp_path / "missing.jsonl")).returncode == 1


# --- issue 15 (12): check --jsonl answers every line -------------------------------------------------------


def test_jsonl_answers_every_line_with_errors_ids_and_blank_lines(db) -> None:
    lines = [
        '{"id": "a1", "text": "\\ud800退保转购年化10%保本理财，详询13912345678"}',  # a lone surrogate first
        '{"id": 7, "text": "' + LEGIT + '"}',
        "",  # a blank line gets an answer too
        "{not json",
        "[1, 2]",
        '{"id": "x", "text": 5}',
        '"\\udfff"',
        "纯文本 \udcff 一行".encode("utf-8", "surrogateescape").decode("utf-8", "replace"),
        '{"text": "' + SCAM + '"}',
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8") + b"\xff\xfe raw bytes\n"
    p = run(db, "check", "--jsonl", stdin=data)
    rows = [json.loads(x) for x in out(p).split("\n")[:-1]]
    assert p.returncode == 0 and len(rows) == len(lines) + 1, out(p)
    assert rows[0]["id"] == "a1" and rows[0]["risk"] in ("high", "medium")
    assert rows[1]["id"] == 7 and rows[1]["risk"] in ("none", "low")
    assert rows[2]["risk"] == "none" and "error" not in rows[2]
    for i in (3, 4, 5):
        assert set(rows[i]["error"]) == {"line", "message"} and rows[i]["error"]["line"] == i + 1
        assert "risk" not in rows[i]
    assert rows[5]["id"] == "x"
    assert rows[6]["risk"] == "none" and rows[7]["risk"] in ("none", "low")
    assert rows[8]["risk"] in ("high", "medium") and "id" not in rows[8]
    assert rows[9]["risk"] in ("none", "low")


def test_check_text_argument_with_undecodable_bytes(db) -> None:
    p = run(db, "check", "退保\udcff转购理财")  # how sys.argv holds bytes that are not UTF-8
    assert p.returncode == 0 and p.stderr == ""
    p = run(db, "lookup", "\ud800", "--json")
    assert p.returncode == 0 and json.loads(out(p))["status"] == "invalid"


def test_chat_survives_bytes_that_are_not_utf8_and_lone_surrogates(db) -> None:
    p = run(db, "chat", stdin=b"\xff\xfe\x00\n" + b'"\\ud800"' + b"\n/lookup 95519\n")
    assert p.returncode == 0, p.stderr
    assert "✅ 官方号码" in out(p) and p.stderr == ""
