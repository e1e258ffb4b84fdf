"""Bulk import/export (bot.admin): validation by line number, all-or-nothing, exact round trips, undo."""

from __future__ import annotations

import json

import pytest
from admin_support import counts, engine_on

from bot import admin
from bot.config import Settings, open_engine
from bot.pipeline.engine import Engine

FORMATS = ["jsonl", "csv", "yaml"]

# Scripts with content that trips naive writers: commas, quotes, YAML-looking text, emoji, Traditional
# characters, a leading dash, "yes"/"null", a backslash.
SCRIPTS = [
    {"type": "agent_surrender", "text": "专业团队代办全额退保，\"不成功不收费\"，先交定金，再签委托书", "note": "测试,带逗号"},
    {"type": "fake_claim_fee", "text": "- 理赔款已冻结: 需先缴纳解冻费 #3 才能到账 \\ 请勿告知他人", "note": "yes"},
    {"type": "phishing_link", "text": "您的保單積分即將清零🎁點擊連結 http://e-life.cn.vip-jf.top/a?b=1&c=2 兌換現金", "note": "null"},
    {"type": "fake_policy_loan", "text": "保单贷款秒批，无需审核，放款前先交十分之一的保证金验证还款能力", "note": "",
     "status": "pending"},
]
NUMBERS = [
    {"number": "17012345678", "type": "fake_customer_service", "note": "自称平安客服, 说\"退保\"", "reports": 3,
     "first_reported": "2025-01-02", "last_reported": "2025-03-04"},
    {"number": "+86 400 123 4567", "type": "agent_surrender,fake_claim_fee", "note": "", "reports": 1},
    {"number": "021-5555 6666", "type": "fake_regulator", "note": "冒充银保监局"},
]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Engine:
    e = open_engine(Settings(db_path=str(tmp_path_factory.mktemp("bulk") / "base.db")))
    yield e
    e.close()


def _write(path, fmt, scripts, numbers):
    rows = scripts + numbers
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "csv":
        import csv

        cols = ["type", "text", "number", "note", "reports", "first_reported", "last_reported", "status"]
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in cols})
    else:
        import yaml

        path.write_text(yaml.safe_dump({"scripts": scripts, "numbers": numbers}, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_import_round_trip_is_byte_identical(base, tmp_path, fmt):
    src = engine_on(base, tmp_path / "a.db")
    _write(tmp_path / f"in.{fmt}", fmt, SCRIPTS, NUMBERS)
    res = admin.import_file(src, tmp_path / f"in.{fmt}", actor="t")
    assert not res.errors and res.imported_scripts == 4 and res.new_numbers == 3
    admin.add_pattern(src, "fake_regulator", "我是金融监管局的，你的保单涉嫌违规，需要把资金转到监管安全账户核查", actor="t",
                      force=True)
    admin.add_number(src, "13698765432", "other_scam", "刷单 客服", actor="t")
    a = tmp_path / f"a.{fmt}"
    b = tmp_path / f"b.{fmt}"
    exported = admin.export_file(src, a)
    assert exported["numbers"] == 4

    dst = engine_on(base, tmp_path / "b.db")
    res2 = admin.import_file(dst, a, actor="t2")
    assert not res2.errors and not res2.aborted
    admin.export_file(dst, b)
    assert a.read_bytes() == b.read_bytes()
    # and once more: importing the same file again changes nothing
    res3 = admin.import_file(dst, a, actor="t2")
    assert res3.imported_scripts == 0 and res3.imported_numbers == 0
    admin.export_file(dst, b, force=True)  # b exists: export keeps a file unless told to replace it
    assert a.read_bytes() == b.read_bytes()
    assert dst.lookup("17012345678").status == "reported"
    assert dst.lookup("17012345678").reports == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_row_is_reported_by_line_and_nothing_is_imported(base, tmp_path, fmt):
    e = engine_on(base, tmp_path / "x.db")
    bad_scripts = SCRIPTS[:2] + [{"type": "no_such_type", "text": "这一行的类型不存在，所以整份文件都不应导入"}]
    bad_numbers = NUMBERS[:1] + [{"number": "12ab", "type": "other_scam", "note": ""}]
    path = tmp_path / f"bad.{fmt}"
    _write(path, fmt, bad_scripts, bad_numbers)
    before = counts(e)
    res = admin.import_file(e, path, actor="t")
    assert res.aborted and len(res.errors) == 2
    lines = {"jsonl": (3, 5), "csv": (4, 6), "yaml": (None, None)}[fmt]
    if lines[0]:
        assert res.errors[0].startswith(f"第 {lines[0]} 行") and "no_such_type" in res.errors[0]
        assert res.errors[1].startswith(f"第 {lines[1]} 行") and "12ab" in res.errors[1]
    else:  # YAML: the line where the item starts
        text = path.read_text(encoding="utf-8").splitlines()
        for err, needle in zip(res.errors, ("no_such_type", "12ab"), strict=True):
            n = int(err.split()[1])
            assert needle in "\n".join(text[n - 1:n + 2])
    assert counts(e) == before  # nothing changed, not even an audit row

    res = admin.import_file(e, path, actor="t", allow_errors=True)
    assert not res.aborted and res.imported_scripts == 2 and res.new_numbers == 1 and len(res.errors) == 2


def test_file_level_errors(base, tmp_path):
    e = engine_on(base, tmp_path / "y.db")
    with pytest.raises(admin.AdminError, match="不支持"):
        admin.import_file(e, _touch(tmp_path / "x.txt", "a"), actor="t")
    with pytest.raises(admin.AdminError, match="不存在"):
        admin.import_file(e, tmp_path / "missing.jsonl", actor="t")
    with pytest.raises(admin.AdminError, match="UTF-8"):
        admin.import_file(e, _touch_bytes(tmp_path / "latin.csv", "type,text\nother_scam,caf\xe9 刷单\n".encode("latin-1", "replace")), actor="t")
    with pytest.raises(admin.AdminError, match="二进制"):
        admin.import_file(e, _touch_bytes(tmp_path / "bin.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00"), actor="t")
    with pytest.raises(admin.AdminError, match="YAML"):
        admin.import_file(e, _touch(tmp_path / "b.yaml", "scripts: [unclosed"), actor="t")
    with pytest.raises(admin.AdminError, match="表头"):
        admin.import_file(e, _touch(tmp_path / "h.csv", "a,b\n1,2\n"), actor="t")
    res = admin.import_file(e, _touch(tmp_path / "n.jsonl", "not json\n[1,2]\n"), actor="t")
    assert res.aborted and res.errors == ["第 1 行：不是 JSON 对象", "第 2 行：不是 JSON 对象"]
    with pytest.raises(admin.AdminError):
        admin.export_file(e, tmp_path / "out.txt")


def _touch_bytes(path, data):
    path.write_bytes(data)
    return path


def _touch(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_import_merges_existing_numbers_and_revert_undoes_it(base, tmp_path):
    e = engine_on(base, tmp_path / "m.db")
    admin.add_number(e, "17012345678", "fake_regulator", "原有备注", actor="t")
    before = dict(e.db["numbers"].get("+8617012345678"))
    path = tmp_path / "m.jsonl"
    _write(path, "jsonl", SCRIPTS[:1], NUMBERS)
    res = admin.import_file(e, path, actor="t")
    assert res.new_numbers == 2 and res.updated_numbers == 1
    merged = e.db["numbers"].get("+8617012345678")
    assert merged["reports"] == 3 and merged["scam_type"] == "fake_regulator,fake_customer_service"
    assert merged["note"] == "原有备注"
    pid = e.db["patterns"].rows_where("batch = ?", [res.audit_id]).__next__()["id"]
    assert pid in e.index.scripts
    h = admin.history(e, limit=1)[0]
    assert h["action"] == "import" and h["after"]["numbers_new"] == 2

    rv = admin.revert(e, res.audit_id, actor="t")
    assert "停用话术 1 条" in rv.message
    restored = e.db["numbers"].get("+8617012345678")
    assert {k: restored[k] for k in ("reports", "scam_type", "note", "status")} == \
        {k: before[k] for k in ("reports", "scam_type", "note", "status")}
    assert e.lookup("+86 400 123 4567").status != "reported"
    assert pid not in e.index.scripts
    with pytest.raises(admin.AdminError):
        admin.revert(e, rv.audit_id, actor="t")  # an import's undo is not redone: re-import the file


def test_generic_scripts_are_refused_and_forced_ones_import_with_a_warning(base, tmp_path):
    e = engine_on(base, tmp_path / "w.db")
    path = _touch(tmp_path / "g.csv", "type,text\nfake_customer_service,您好保险客服\n")
    res = admin.import_file(e, path, actor="t")  # what add-pattern refuses, import refuses (issue 15)
    assert res.aborted and res.errors[0].startswith("第 2 行") and "太" in res.errors[0]
    res = admin.import_file(e, path, actor="t", force=True)
    assert res.imported_scripts == 1 and res.warnings and res.warnings[0].startswith("第 2 行")


def test_larger_file_in_one_transaction(base, tmp_path):
    e = engine_on(base, tmp_path / "big.db")
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(5000):
            fh.write(json.dumps({"number": f"+86139{i:08d}", "type": "other_scam", "note": f"n{i}"}) + "\n")
        for i in range(200):
            fh.write(json.dumps({"type": "other_scam", "text": f"刷单返利第{i}号任务，先垫付{i + 100}元做单，完成后返还本金和佣金"},
                                ensure_ascii=False) + "\n")
    res = admin.import_file(e, path, actor="t", progress=True)
    assert res.new_numbers == 5000 and res.imported_scripts == 200
    assert e.db["audit"].count_where("action = 'import'") == 1
    assert e.lookup("13900004999").status == "reported"


def test_mobile_prefix_cache_agrees_with_a_full_parse():
    import random

    from bot.pipeline.numbers import parse

    r = random.Random(3)
    for _ in range(3000):
        raw = "1" + str(r.randint(3, 9)) + f"{r.randint(0, 999_999_999):09d}"
        full = parse(raw)
        assert admin.fast_number_key(raw) == (full.normalized if full else None), raw
        assert admin.fast_number_key("+86" + raw) == (full.normalized if full else None), raw
    areas = ["10", "21", "20", "22", "23", "24", "25", "27", "28", "29", "311", "351", "371", "431", "451", "471",
             "510", "531", "571", "591", "731", "755", "769", "851", "871", "898", "991"]
    for _ in range(400):  # many numbers per cached prefix, of every length, so the cache is really used
        area = r.choice(areas)
        head = area + str(r.randint(2, 9)) + "".join(str(r.randint(0, 9)) for _ in range(6 - len(area)))
        for _ in range(15):
            raw = "+86" + head + "".join(str(r.randint(0, 9)) for _ in range(r.randint(2, 4)))
            full = parse(raw)
            assert admin.fast_number_key(raw) == (full.normalized if full else None), raw
    for _ in range(300):
        head = "1" + str(r.randint(3, 9)) + f"{r.randint(0, 999):03d}"
        for _ in range(10):
            raw = head + f"{r.randint(0, 999_999):06d}"
            full = parse(raw)
            assert admin.fast_number_key(raw) == (full.normalized if full else None), raw


def test_a_corrupted_line_in_an_exported_yaml_is_reported(base, tmp_path):
    e = engine_on(base, tmp_path / "cy.db")
    admin.add_number(e, "17012345678", "other_scam", actor="t")
    path = tmp_path / "exp.yaml"
    admin.export_file(e, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    n = next(i for i, line in enumerate(lines, 1) if "17012345678" in line)
    lines[n - 1] = lines[n - 1].replace("+8617012345678", "not-a-number")
    lines.insert(n, "- {broken")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fresh = engine_on(base, tmp_path / "cy2.db")
    before = counts(fresh)
    res = admin.import_file(fresh, path, actor="t")
    assert res.aborted and res.errors[0].startswith(f"第 {n} 行") and res.errors[1].startswith(f"第 {n + 1} 行")
    assert counts(fresh) == before


# --- issue 15 (10, 11): import checks every row as add-pattern/add-number do; files are safe to open ------------


def test_import_applies_the_add_pattern_and_add_number_checks(base, tmp_path):
    e = engine_on(base, tmp_path / "checks.db")
    path = _touch(tmp_path / "checks.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"type": "other_scam", "text": "刷"},  # 1 character: add-pattern's mass-check refuses it
        {"number": "95511", "type": "fake_customer_service", "note": "平安的官方号码"},  # add-number refuses it
        {"type": "other_scam", "text": "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"},
        {"type": "other_scam", "text": "刷单返利第1号任务，先垫付100元做单，完成后返还本金和佣金"},
    ]))
    before = counts(e)
    res = admin.import_file(e, path, actor="t")
    assert res.aborted and [x.split("：")[0] for x in res.errors] == ["第 1 行", "第 2 行", "第 3 行"], res.errors
    assert "太短" in res.errors[0] and "官方号码" in res.errors[1] and "正规通知" in res.errors[2]
    assert counts(e) == before
    res = admin.import_file(e, path, actor="t", allow_errors=True)
    assert res.imported_scripts == 1 and res.imported_numbers == 0
    assert e.lookup("95511").status == "official"
    forced = admin.import_file(e, path, actor="t", force=True, allow_errors=True)  # what add-pattern --force allows
    assert forced.imported_scripts == 2 and len(forced.errors) == 1 and "官方号码" in forced.errors[0]


def test_two_imports_at_once_do_not_duplicate(base, tmp_path):
    import threading

    db = tmp_path / "race.db"
    engines = [engine_on(base, db), engine_on(base, db)]
    path = tmp_path / "race.jsonl"
    path.write_text("".join(json.dumps({"type": "other_scam", "text": f"刷单返利第{i}号任务，先垫付{i + 100}元做单，完成后返还本金和佣金"},
                                       ensure_ascii=False) + "\n" for i in range(40)), encoding="utf-8")
    start = threading.Barrier(2)
    results = []

    def run(e):
        start.wait()
        results.append(admin.import_file(e, path, actor="t", force=True))

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(r.imported_scripts for r in results) == [0, 40]
    rows = engines[0].db.execute("select norm, count(*) from patterns group by norm having count(*) > 1").fetchall()
    assert rows == []


def test_csv_export_neutralises_formulas_and_round_trips(base, tmp_path):
    e = engine_on(base, tmp_path / "formula.db")
    texts = ["=HYPERLINK(\"http://evil.cn\",\"点击领取理赔款\")，先交手续费再到账", "+86冒充客服说保单要退，先交手续费再到账",
             "-先交手续费再到账，冒充客服说保单要退", "@冒充客服说保单要退，先交手续费再到账", "'引号开头，冒充客服说保单要退先交手续费"]
    for t in texts:
        admin.add_pattern(e, "fake_claim_fee", t, actor="t", force=True)
    out = tmp_path / "f.csv"
    admin.export_file(e, out)
    import csv

    with out.open(encoding="utf-8", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "a cell a spreadsheet would run"
    assert "'=HYPERLINK(" in out.read_text(encoding="utf-8")
    dst = engine_on(base, tmp_path / "formula2.db")
    res = admin.import_file(dst, out, actor="t", force=True)
    assert not res.errors
    assert {r["text"] for r in admin.export_rows(dst)[0]} >= set(texts)  # the quote is only the file's
    again = tmp_path / "g.csv"
    admin.export_file(dst, again)
    assert again.read_bytes() == out.read_bytes()


def test_export_refuses_an_existing_file_unless_forced(base, tmp_path):
    e = engine_on(base, tmp_path / "ow.db")
    out = tmp_path / "keep.jsonl"
    out.write_text("precious\n", encoding="utf-8")
    with pytest.raises(admin.AdminError, match="已存在"):
        admin.export_file(e, out)
    assert out.read_text(encoding="utf-8") == "precious\n"
    admin.export_file(e, out, force=True)
    assert out.read_text(encoding="utf-8") != "precious\n"


def test_yaml_alias_bomb_is_refused_quickly(base, tmp_path):
    import time

    e = engine_on(base, tmp_path / "bomb.db")
    bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    bomb += "scripts: *i\n"
    path = _touch(tmp_path / "bomb.yaml", bomb)
    t0 = time.perf_counter()
    with pytest.raises(admin.AdminError, match="别名"):
        admin.import_file(e, path, actor="t")
    assert time.perf_counter() - t0 < 2


def test_oversized_files_are_refused_before_reading(base, tmp_path, monkeypatch):
    from bot.admin import bulk

    e = engine_on(base, tmp_path / "size.db")
    monkeypatch.setattr(bulk, "MAX_YAML_BYTES", 1000)
    path = _touch(tmp_path / "big.yaml", "scripts:\n" + "".join(f"- {{type: other_scam, text: 刷单返利第{i}号任务先垫付做单完成后返还本金}}\n"
                                                                 for i in range(100)))
    with pytest.raises(admin.AdminError, match="太大"):
        admin.import_file(e, path, actor="t")
    monkeypatch.setattr(bulk, "MAX_IMPORT_BYTES", 1000)
    path = _touch(tmp_path / "big.jsonl", "".join(json.dumps({"number": f"+86139{i:08d}", "type": "other_scam"}) + "\n"
                                                  for i in range(100)))
    with pytest.raises(admin.AdminError, match="太大"):
        admin.import_file(e, path, actor="t")
