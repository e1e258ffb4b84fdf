"""The dry-run / mass-check (bot.masscheck) and its use by admin.add_pattern."""

from __future__ import annotations

import json

import pytest
from admin_support import counts

from bot import admin
from bot.admin import masscheck

GOOD = "您名下保单已被纳入养老金并轨计划，并轨后每月多领八百元，需本人到指定网点签署并轨协议并缴纳工本费"


def test_known_legit_set_is_bundled_and_broad():
    kl = masscheck.known_legit()
    assert len(kl) >= 60
    kinds = {s.type for s in kl}
    for kind in ("renewal", "visit", "claim_paid", "surrender_paid", "antifraud_insurer", "antifraud_police",
                 "family_chat", "news", "bank_code"):
        assert kind in kinds
    assert len({s.ref for s in kl}) == len(kl)  # ids are unique
    assert all(s.label == "legit" for s in kl)


@pytest.mark.parametrize("text", ["您好，尊敬的客户", "退保理财保本保息", "保险客服通知您办理退保", "中国人寿平安人寿太平洋保险客服"])
def test_too_short_or_generic_is_refused_with_the_figures(engine, text):
    before = counts(engine)
    with pytest.raises(admin.AdminError) as e:
        admin.add_pattern(engine, "fake_customer_service", text, actor="t")
    msg = str(e.value)
    assert "太短" in msg or "太笼统" in msg
    assert "已知正常消息" in msg and "新增误报" in msg and "--force" in msg  # the dry-run figures
    assert counts(engine) == before


def test_dry_run_reports_and_changes_nothing(engine):
    before = counts(engine)
    index_before = set(engine.index.scripts)
    r = admin.add_pattern(engine, "fake_customer_service", GOOD, actor="t", dry_run=True)
    assert r.dry_run and r.id is None and not r.refused
    rep = r.report
    assert rep["known_legit"]["total"] >= 60 and rep["known_legit"]["newly_flagged"] == 0
    assert rep["corpus_legit"]["total"] > 0 or rep["corpus_missing"]
    assert "养老金" in rep["content_words"]
    assert "结论：✅ 可以上线" in r.summary and "试运行" in r.summary
    json.dumps(rep, ensure_ascii=False)  # JSON-ready
    assert counts(engine) == before
    assert set(engine.index.scripts) == index_before  # the live index was not touched


def test_pattern_that_flags_known_legit_messages_is_refused_unless_forced(engine):
    # a wording lifted from an insurer's real notice (one the engine does not flag by itself)
    sample = next(s for s in masscheck.known_legit() if not engine.analyze(s.text).is_scam)
    text = sample.text[:60]
    r = admin.add_pattern(engine, "fake_customer_service", text, actor="t", dry_run=True)
    assert r.refused and r.report["known_legit"]["newly_flagged"] >= 1
    assert sample.ref in [x["ref"] for x in r.report["known_legit"]["examples"]]
    assert "会新增误报的正常消息" in r.summary
    with pytest.raises(admin.AdminError, match="误判为诈骗"):
        admin.add_pattern(engine, "fake_customer_service", text, actor="t")
    forced = admin.add_pattern(engine, "fake_customer_service", text, actor="t", force=True)
    assert forced.id and forced.forced
    h = admin.history(engine, limit=1)[0]
    assert h["action"] == "add_pattern" and h["after"]["forced"]  # the audit row says it was forced
    admin.revert(engine, forced.audit_id, actor="t")


# Wording with no scam signal at all, so that only the candidate script can change a verdict.
NEUTRAL = "老年大学书法班结业典礼安排在周五下午三点，地点在二楼多功能厅，请各位学员带上作品准时到场"
NEUTRAL_VARIANT = "老年大学书法班的结业典礼在周五下午三点，地点二楼多功能厅，请学员带作品准时到场"


def test_newly_caught_scams_are_counted(engine):
    samples = [masscheck.Sample(NEUTRAL_VARIANT, "scam", "corpus", "x1"),
               masscheck.Sample("妈，养老金今天到账了，每月八百多，够您买菜的", "legit", "corpus", "x2")]
    assert not engine.analyze(NEUTRAL_VARIANT).is_scam  # precondition: the engine alone does not flag it
    rep = masscheck.dry_run(engine, "other_scam", NEUTRAL, samples=samples)
    assert [s.ref for s in rep.caught] == ["x1"]
    assert rep.hits["corpus_scam"] == 1 and not rep.flagged_corpus
    assert rep.corpus_scam_total == 1 and rep.corpus_legit_total == 1


def test_corpus_share_threshold(engine):
    legit = [masscheck.Sample(NEUTRAL_VARIANT + "。" * i, "legit", "corpus", f"L{i}") for i in range(2)] \
        + [masscheck.Sample(f"正常消息第{i}条，今天天气很好", "legit", "corpus", f"N{i}") for i in range(98)]
    rep = masscheck.dry_run(engine, "other_scam", NEUTRAL, samples=legit)
    assert len(rep.flagged_corpus) == 2 and rep.corpus_legit_share == pytest.approx(0.02)
    assert rep.refused and any("1%" in p for p in rep.problems)


def test_missing_corpus_is_handled(engine, tmp_path):
    rep = masscheck.dry_run(engine, "fake_customer_service", GOOD, corpus_path=tmp_path / "none.jsonl")
    assert rep.corpus_missing and rep.corpus_legit_total == 0 and rep.known_legit_total >= 60
    assert "不存在" in rep.format() and not rep.refused


def test_rule_hits(engine):
    rows = masscheck.rule_hits(engine, samples=masscheck.known_legit()[:10] + masscheck.corpus()[:20])
    assert all({"id", "legit_hits", "scam_hits", "text"} <= set(r) for r in rows)


# --- issue 15 (10): a genuine notice is not a scam script ---------------------------------------------------

GENUINE = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"


@pytest.mark.parametrize("text", [
    GENUINE,
    "【中国平安】尊敬的客户，您的保单已续保成功，保单详情可登录官网 https://www.pingan.com 查询，如有疑问请致电95511。",
    "【中国人寿】温馨提示：您的保单续期保费将于本月25日从尾号8888的账户扣缴，请保持余额充足。详询95519。",
])
def test_a_genuine_notice_is_refused_unless_forced(engine, text):
    before = counts(engine)
    dry = masscheck.dry_run(engine, "other_scam", text)
    assert dry.refused and any("正规通知" in p for p in dry.problems), dry.problems
    assert "❌" in dry.format()
    with pytest.raises(admin.AdminError, match="正规通知"):
        admin.add_pattern(engine, "other_scam", text, actor="t")
    assert counts(engine) == before
    forced = admin.add_pattern(engine, "other_scam", text, actor="t", force=True)
    assert forced.forced and forced.id is not None
    admin.del_pattern(engine, forced.id, actor="t")


def test_scam_scripts_that_quote_an_official_number_still_pass(engine):
    text = "您好，这里是12378热线，您之前的投诉已经受理，保险公司同意退还全部保费，但需要您先缴纳3%的手续费和税费到指定个人账户"
    dry = masscheck.dry_run(engine, "fake_regulator", text)
    assert not any("正规通知" in p for p in dry.problems), dry.problems
    assert not masscheck.dry_run(engine, "fake_customer_service", GOOD).refused


def test_every_seeded_script_reads_as_a_scam(engine):
    """The check must not refuse what the project itself holds as scam scripts."""
    refused = [s.text for s in engine.scripts().values() if masscheck.genuine_notice_problems(engine, s.text)]
    assert refused == []
