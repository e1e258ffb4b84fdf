"""The users' report queue (bot.reports): submit → pending → approve/reject, redaction, repeats, caps."""

from __future__ import annotations

import json

import pytest

from bot import admin
from bot.admin import reports
from bot.conversation.texts import report_outcome  # /myreports' wording of each outcome

# A scheme the seed scripts do not know: a fake "pension merger" of the policy with a fee.
REPORTED = ("尊敬的王建国先生，您名下保单已被纳入养老金并轨计划，并轨后每月多领八百元，需本人到指定网点签署并轨协议"
            "并缴纳工本费，请回复身份证号110105198806154317及收款银行卡6222 0212 3456 7890 123登记，"
            "我的手机13900001111已备案，详询专员 138 1627 4409")
VARIANT = "您的保单已被纳入养老金并轨计划，并轨后每月可多领800元，请到指定网点签协议，交一下工本费就行"
REPORTER_PHONE = "139-0000-1111"


def test_report_flows_to_a_live_pattern_that_catches_a_variant(engine):
    before = engine.analyze(VARIANT)
    res = reports.submit_report(engine, 1001, text=REPORTED, reporter_phone=REPORTER_PHONE)
    assert res.status == "created" and res.ok and res.report_id
    assert "感谢举报" in res.message and "身份证号" in res.message

    stored = engine.db["reports"].get(res.report_id)
    # redacted before storage: ID number, bank card, the reporter's own number and the name are gone
    for secret in ("110105198806154317", "3456 7890", "13900001111", "王建国"):
        assert secret not in stored["text"]
    assert "138 1627 4409" in stored["text"]  # the scammer's contact number is kept as evidence
    assert json.loads(stored["masked"]) == {"id_number": 1, "bank_card": 1, "own_phone": 1, "name": 1}
    assert stored["reporter_hash"] != "1001" and len(stored["reporter_hash"]) == 64
    assert stored["number"] == "+8613816274409"

    queue = reports.pending(engine)
    assert [q["id"] for q in queue] == [res.report_id]
    assert queue[0]["actions"][:2] == [("✅ 通过", "approve"), ("❌ 驳回", "reject")]
    assert "reporter_hash" not in queue[0]
    assert f"#{res.report_id}" in reports.format_pending(engine)

    ok = reports.approve(engine, res.report_id, actor="admin:7", as_type="fake_customer_service")
    assert ok.outcome.startswith("pattern:") and ok.pattern is not None
    pid = ok.pattern.id
    row = engine.db["patterns"].get(pid)
    assert row["status"] == "active" and row["source"] == "report" and row["created_by"] == "admin:7"
    assert "[" not in row["text"]  # masks are not part of the script

    after = engine.analyze(VARIANT)
    assert pid in [m.pattern_id for m in after.matches]
    assert after.score > before.score and after.is_scam
    assert reports.pending(engine) == []

    mine = reports.my_reports(engine, 1001)
    assert mine[0]["id"] == res.report_id and mine[0]["status"] == "approved"
    assert "已加入诈骗话术库" in report_outcome(mine[0]) and mine[0]["outcome_state"] == "pattern_live"
    actions = [r["action"] for r in admin.history(engine, limit=5)]
    assert actions[:2] == ["approve_report", "add_pattern"]

    # undo the approval: the script is retired, the report is back in the queue, the variant is no longer caught
    rv = admin.revert(engine, ok.audit_id, actor="admin:7")
    assert engine.db["patterns"].get(pid)["status"] == "retired"
    assert engine.db["reports"].get(res.report_id)["status"] == "pending"
    assert pid not in [m.pattern_id for m in engine.analyze(VARIANT).matches]
    assert engine.analyze(VARIANT).score == pytest.approx(before.score)
    assert "曾加入" not in report_outcome(reports.my_reports(engine, 1001)[0])
    # …and redo it
    admin.revert(engine, rv.audit_id, actor="admin:7")
    assert engine.db["patterns"].get(pid)["status"] == "active"
    assert engine.db["reports"].get(res.report_id)["status"] == "approved"
    assert pid in [m.pattern_id for m in engine.analyze(VARIANT).matches]


def test_repeats_are_counted_not_duplicated(engine):
    text = "【保单中心】尊敬的李秀英女士，您的旧保单可参加保单贴息升级，升级后年化收益百分之九，名额仅剩3个，速联系 15811112222"
    first = reports.submit_report(engine, 2001, text=text)
    # the same SMS sent to someone else: another name, another seat count
    other = text.replace("李秀英", "张伟").replace("名额仅剩3个", "名额仅剩5个")
    second = reports.submit_report(engine, 2002, text=other)
    again = reports.submit_report(engine, 2001, text=text)
    assert first.status == "created"
    assert second.status == "repeat" and second.report_id == first.report_id and second.count == 2
    assert again.status == "already" and again.report_id == first.report_id
    row = engine.db["reports"].get(first.report_id)
    assert row["count"] == 2
    assert engine.db["report_reporters"].count_where("report_id = ?", [first.report_id]) == 2
    # a near-identical wording (one word changed) also counts on the same report
    near = reports.submit_report(engine, 2003, text=text.replace("速联系", "请联系"))
    assert near.status == "repeat" and near.report_id == first.report_id
    # both reporters see the report as theirs
    assert reports.my_reports(engine, 2002)[0]["id"] == first.report_id


def test_number_reports_and_refusals(engine):
    r1 = reports.submit_report(engine, 3001, number="+86 170 1234 5678", text="自称平安客服，让我退保买理财")
    r2 = reports.submit_report(engine, 3002, text="170-1234-5678")  # a number alone
    assert r1.status == "created" and r2.status == "repeat" and r2.report_id == r1.report_id
    item = reports.get_report(engine, r1.report_id)
    assert item["kind"] == "number" and item["number"] == "+8617012345678" and item["count"] == 2
    assert ("📝 改为话术", "as_pattern") in item["actions"]

    official = reports.submit_report(engine, 3001, number="95519")
    assert official.status == "refused" and "官方号码" in official.message
    assert reports.submit_report(engine, 3001, number="12").status == "refused"
    assert reports.submit_report(engine, 3001).status == "refused"
    assert reports.submit_report(engine, 3001, text="   ").status == "refused"

    ok = reports.approve(engine, r1.report_id, actor="admin:7", as_type="fake_customer_service")
    assert ok.outcome == "number:+8617012345678"
    assert engine.lookup("17012345678").status == "reported"
    assert "号码已登记" in report_outcome(reports.my_reports(engine, 3002)[0])
    with pytest.raises(admin.AdminError):
        reports.approve(engine, r1.report_id, actor="admin:7")  # already approved


def test_reject_and_its_audit_row(engine):
    r = reports.submit_report(engine, 4001, text="这个人说可以帮我把保险全退回来，只收两成手续费，不知道是不是真的")
    done = reports.reject(engine, r.report_id, actor="admin:8", reason="信息不足")
    assert done["status"] == "rejected"
    h = admin.history(engine, limit=1)[0]
    assert h["action"] == "reject_report" and h["target"] == f"report:{r.report_id}" and h["actor"] == "admin:8"
    assert h["before"]["status"] == "pending" and h["after"]["status"] == "rejected"
    assert "未采纳" in report_outcome(reports.my_reports(engine, 4001)[0])
    with pytest.raises(admin.AdminError):
        reports.reject(engine, r.report_id, actor="admin:8")
    admin.revert(engine, h["id"], actor="admin:8")
    assert engine.db["reports"].get(r.report_id)["status"] == "pending"


def test_approve_needs_a_type_and_a_good_pattern(engine):
    r = reports.submit_report(engine, 5001, text="您好，我是保险客服，您好，尊敬的客户您好")
    if not engine.db["reports"].get(r.report_id)["scam_type"]:
        with pytest.raises(admin.AdminError, match="类型"):
            reports.approve(engine, r.report_id, actor="a")
    with pytest.raises(admin.AdminError) as e:
        reports.approve(engine, r.report_id, actor="a", as_type="fake_customer_service")
    assert "太笼统" in str(e.value) and "已知正常消息" in str(e.value)  # refused with the dry-run figures
    assert engine.db["reports"].get(r.report_id)["status"] == "pending"
    # 改为话术 with an admin's wording instead
    ok = reports.approve(engine, r.report_id, actor="a", as_type="fake_customer_service",
                         as_pattern_text="保单养老金并轨专员上门收取工本费后办理激活手续")
    assert ok.outcome.startswith("pattern:")


def test_flood_cap(engine, monkeypatch):
    monkeypatch.setattr(reports, "DAILY_CAP", 3)
    texts = ["对方自称医保局工作人员，说我的医保卡在外地被盗刷，要我联系警官做笔录",
             "有人发短信说我中了保险公司周年庆大奖，领奖前要先交个人所得税两千元",
             "网上刷单兼职，先垫付三百元，做完任务返还本金和佣金，客服让我继续充值",
             "自称快递理赔专员，说我的包裹丢了要双倍赔偿，让我开通备用金借款"]
    results = [reports.submit_report(engine, 6001, text=t) for t in texts]
    assert [r.status for r in results] == ["created", "created", "created", "refused"]
    assert "上限" in results[3].message and not results[3].ok
    # the same flood of one identical message never grows the queue either
    assert reports.submit_report(engine, 6001, text=texts[0]).status == "already"
    assert engine.db["reports"].count_where("text = ?", [texts[3]]) == 0


# --- issue 15 (16): near-duplicates found through an index of pending reports, not a scan ---------------------


def test_near_duplicate_lookup_is_an_index_read_with_hundreds_pending(tmp_path):
    import time

    from admin_support import engine_on

    from bot.config import Settings, open_engine
    from bot.store import now
    from bot.store import reports as report_rows

    base = open_engine(Settings(db_path=str(tmp_path / "base.db")))
    e = engine_on(base, tmp_path / "many.db")
    filler = "，".join(f"第{i}段说明" for i in range(120))
    stamp = now()
    for i in range(400):  # 400 long pending reports, each a different scheme
        text = f"冒充第{i}号保险公司客服{i}号专员，说保单第{i}项权益要升级，让我下载{i}号App并缴纳{i}号服务费。{filler}{i}"
        report_rows.insert(e.store, {"kind": "text", "text": text, "dedup_key": f"k{i}", "status": "pending",
                                     "count": 1, "created_at": stamp, "updated_at": stamp, "last_reported_at": stamp})
    old = ("冒充平安人寿客服的专员说我的保单权益要升级成尊享版，需要下载指定App填写银行卡并先缴纳三百元的激活服务费"
           "才能保留原有保障，否则保单作废")
    first = reports.submit_report(e, 9001, text=old)  # the oldest pending one, behind 400 newer ones below
    for i in range(400, 700):
        text = f"冒充第{i}号保险公司客服{i}号专员，说保单第{i}项权益要升级，让我下载{i}号App并缴纳{i}号服务费。{filler}{i}"
        report_rows.insert(e.store, {"kind": "text", "text": text, "dedup_key": f"k{i}", "status": "pending",
                                     "count": 1, "created_at": stamp, "updated_at": stamp, "last_reported_at": stamp})
    reports.submit_report(e, 9002, text="预热：一条无关的举报内容，用来建立待审核举报的索引，冒充客服退保理财")
    near = old.replace("三百元", "五百元").replace("否则", "不然")
    t0 = time.process_time()
    res = reports.submit_report(e, 9003, text=near)
    spent = time.process_time() - t0
    assert res.status == "repeat" and res.report_id == first.report_id  # found though it is not among the newest
    assert spent < 0.15, f"{spent:.3f} s for one report with 700 pending"
    # a pending report that was approved meanwhile (by another process) is no longer a duplicate target
    report_rows.update(e.store, first.report_id, {"status": "rejected"})
    again = reports.submit_report(e, 9004, text=near.replace("作废", "失效"))
    assert again.status == "created" and again.report_id != first.report_id
    e.close()
    base.close()
