"""Status, history and undo (bot.admin): every change writes one audit row; revert restores behaviour."""

from __future__ import annotations

import pytest
from admin_support import engine_on

from bot import admin
from bot.pipeline.engine import Engine

SCRIPT = "保单养老金并轨专员通知：并轨后每月多领八百元，到指定网点签署并轨协议前先缴纳工本费"
VARIANT = "您的保单已被纳入养老金并轨计划，并轨后每月可多领800元，请到指定网点签协议，交一下工本费就行"


def _audit_n(e: Engine) -> int:
    return e.db["audit"].count


def _caught(e: Engine, pid: int) -> bool:
    return pid in [m.pattern_id for m in e.analyze(VARIANT).matches]


def test_add_retire_revert_each_writes_one_audit_row_and_changes_behaviour(engine):
    base_score = engine.analyze(VARIANT).score
    n = _audit_n(engine)
    r = admin.add_pattern(engine, "fake_customer_service", SCRIPT, actor="alice")
    assert _audit_n(engine) == n + 1 and _caught(engine, r.id)
    row = engine.db["patterns"].get(r.id)
    assert row["status"] == "active" and row["created_by"] == "alice" and row["created_at"]
    with pytest.raises(admin.AdminError, match="已存在"):
        admin.add_pattern(engine, "fake_customer_service", SCRIPT, actor="alice")

    admin.del_pattern(engine, r.id, actor="bob")
    assert _audit_n(engine) == n + 2 and not _caught(engine, r.id)
    last = admin.history(engine, limit=1)[0]
    assert (last["action"], last["actor"], last["target"]) == ("retire_pattern", "bob", f"pattern:{r.id}")
    assert last["before"] == {"status": "active"} and last["after"] == {"status": "retired"}

    rv = admin.revert(engine, last["id"], actor="carol")  # undo the retirement
    assert _audit_n(engine) == n + 3 and _caught(engine, r.id)
    assert admin.history(engine, limit=1)[0]["action"] == "revert"
    assert engine.db["audit"].get(last["id"])["reverted_by"] == rv.audit_id
    with pytest.raises(admin.AdminError, match="撤销过"):
        admin.revert(engine, last["id"], actor="carol")

    admin.revert(engine, r.audit_id, actor="carol")  # undo the addition: the previous behaviour is back
    assert not _caught(engine, r.id)
    assert engine.analyze(VARIANT).score == pytest.approx(base_score)
    assert engine.db["patterns"].get(r.id)["status"] == "retired"

    text = admin.format_history(admin.history(engine, limit=10, target=f"pattern:{r.id}"))
    assert "添加话术" in text and "停用话术" in text and "撤销" in text and "↩" in text


def test_revert_by_target_and_seeded_scripts(engine):
    seeded = next(iter(engine.db.query("select id from patterns where source = 'seed' and status = 'active' limit 1")))["id"]
    r = admin.revert(engine, f"pattern:{seeded}", actor="alice")  # no history: retire it
    assert engine.db["patterns"].get(seeded)["status"] == "retired" and seeded not in engine.index.scripts
    assert r.reverted is None
    admin.revert(engine, f"pattern:{seeded}", actor="alice")  # the latest change of that target: undone
    assert engine.db["patterns"].get(seeded)["status"] == "active" and seeded in engine.index.scripts
    with pytest.raises(admin.AdminError):
        admin.revert(engine, "pattern:999999", actor="alice")
    with pytest.raises(admin.AdminError):
        admin.revert(engine, "nonsense", actor="alice")
    with pytest.raises(admin.AdminError):
        admin.revert(engine, 999999, actor="alice")


def test_numbers_add_update_retire_and_revert_restore_previous_values(engine):
    first = admin.add_number(engine, "170 2222 3333", "fake_regulator", "冒充监管", actor="alice")
    assert engine.lookup("17022223333").status == "reported"
    second = admin.add_number(engine, "+86-170-2222-3333", "agent_surrender", "", actor="bob")
    row = engine.db["numbers"].get("+8617022223333")
    assert row["reports"] == 2 and row["scam_type"] == "fake_regulator,agent_surrender"
    admin.revert(engine, second["audit_id"], actor="alice")  # previous values restored
    row = engine.db["numbers"].get("+8617022223333")
    assert row["reports"] == 1 and row["scam_type"] == "fake_regulator" and row["note"] == "冒充监管"
    admin.del_number(engine, "17022223333", actor="alice")
    assert engine.lookup("17022223333").status != "reported"
    admin.revert(engine, "number:17022223333", actor="alice")  # latest change of the number: the retirement
    assert engine.lookup("17022223333").status == "reported"
    admin.revert(engine, first["audit_id"], actor="alice")  # the original addition
    assert engine.db["numbers"].get("+8617022223333")["status"] == "retired"
    with pytest.raises(admin.AdminError, match="官方号码"):
        admin.add_number(engine, "95519", "fake_customer_service", actor="alice")
    with pytest.raises(admin.AdminError, match="有效"):
        admin.add_number(engine, "12ab", "fake_customer_service", actor="alice")


def test_undo_last_walks_back_this_actors_changes(engine):
    a = admin.add_pattern(engine, "other_scam", "网店客服说快递丢件双倍理赔，先开通备用金借款再退还给对方账户", actor="dave")
    admin.add_number(engine, "17055556666", "other_scam", actor="dave")
    admin.add_number(engine, "17055557777", "other_scam", actor="erin")  # someone else's change
    r1 = admin.undo_last(engine, "dave")
    assert r1.target == "number:+8617055556666"
    assert engine.db["numbers"].get("+8617055556666")["status"] == "retired"
    assert engine.db["numbers"].get("+8617055557777")["status"] == "active"
    r2 = admin.undo_last(engine, "dave")
    assert r2.target == f"pattern:{a.id}" and a.id not in engine.index.scripts
    with pytest.raises(admin.AdminError, match="没有可以撤销"):
        admin.undo_last(engine, "nobody")


def test_hits_false_positives_and_noisy_patterns(engine):
    r = admin.add_pattern(engine, "other_scam", "兼职刷单日结三百，先垫付货款做任务，完成后返还本金加佣金", actor="t")
    admin.record_hits(engine, [r.id, r.id, "junk"], numbers=["+8617055557777"])
    assert engine.db["patterns"].get(r.id)["hits"] == 1
    assert engine.db["numbers"].get("+8617055557777")["hits"] == 1
    assert admin.flag_noisy_patterns(engine, threshold=2) == [] or r.id not in [p["id"] for p in admin.flag_noisy_patterns(engine, 2)]
    assert admin.record_feedback_fp(engine, [r.id]) == []
    assert admin.record_feedback_fp(engine, [r.id]) == []
    just = admin.record_feedback_fp(engine, [r.id])  # the third 误报 reaches the threshold: tell admins once
    assert [p["id"] for p in just] == [r.id]
    assert admin.record_feedback_fp(engine, [r.id]) == []
    noisy = admin.flag_noisy_patterns(engine, threshold=3)
    assert r.id in [p["id"] for p in noisy] and noisy[0]["false_positives"] >= 4


def test_other_process_changes_are_picked_up(engine, tmp_path):
    path = tmp_path / "shared.db"
    bot_side = engine_on(engine, path)
    cli_side = engine_on(engine, path)
    assert admin.reload_if_changed(bot_side) is False  # first look: remembers the version
    r = admin.add_pattern(cli_side, "fake_customer_service", SCRIPT, actor="cli")
    assert r.id not in bot_side.index.scripts
    assert admin.reload_if_changed(bot_side) is True
    assert r.id in bot_side.index.scripts
    assert admin.reload_if_changed(bot_side) is False
