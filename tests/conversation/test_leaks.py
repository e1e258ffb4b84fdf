"""The leak question and the admins' table (bot/conversation/leaks.py): when it is asked, what a press
counts (and that it counts nothing else), the buttons left, forged data, and the minimum-count rule."""

from __future__ import annotations

from bot.conversation import leaks, on_button
from bot.conversation.buttons import LEAK, kind_of
from bot.store import leaks as leak_rows
from bot.store.leaks import this_month

SCAM_LIFE = "【中国人寿】尊敬的客户，您的保单收益太低，可提前退保转购年化10%保本理财，详询王经理13912345678"


def items(engine, insurer: str, month: str | None = None) -> dict[str, int]:
    return {r["item"]: r["count"] for r in leak_rows.counts(engine.store, month or this_month())
            if r["insurer"] == insurer}


def test_asked_only_after_a_scam_naming_an_insurer(engine):
    q = leaks.question_for_verdict(engine.knowledge, engine.analyze(SCAM_LIFE))
    assert q is not None and "中国人寿" in q.text and q.text.startswith("对方知道您的哪些信息？")
    assert [label for row in q.buttons for label, _ in row] == [label for _, label in leaks.ITEMS]
    assert all(kind_of(data) is LEAK and len(data.encode()) <= 64 for row in q.buttons for _, data in row)
    legit = "【中国人寿】尊敬的客户，您的保单将于下月到期，请按时缴纳续期保费。如有疑问请拨打95519。"
    assert leaks.question_for_verdict(engine.knowledge, engine.analyze(legit)) is None
    no_insurer = "【保单服务中心】您的保单收益过低，现可办理退保转入内部理财产品，年化10%保本保息，详询13912345678"
    assert leaks.question_for_verdict(engine.knowledge, engine.analyze(no_insurer)) is None
    # the regulator is named, not an insurer: nothing to ask about a leak
    assert leaks.insurer_named(engine.knowledge, ["国家金融监督管理总局"]) is None


def test_report_question_from_the_text_or_a_lookalike_number(engine):
    assert leaks.question_for_report(engine, "自称平安客服，让我退保") is not None
    assert leaks.question_for_report(engine, "955190 打来的，说要退保") is not None  # 中国人寿's number + a digit
    assert leaks.question_for_report(engine, "陌生人让我转账") is None
    assert leaks.question_for_report(engine, "") is None


def test_press_counts_one_item_and_leaves_the_others(engine):
    before = items(engine, "cpic")
    ans = on_button(engine, LEAK.data("cpic", "payment", 0), user_id=1)
    assert "缴费金额或日期" in ans.notice and ans.remove_buttons
    left = [label for row in ans.keep_buttons for label, _ in row]
    assert "缴费金额或日期" not in left and "都不知道" not in left and len(left) == len(leaks.ITEMS) - 2
    mask = leaks.BIT["payment"]
    assert all(data.endswith(f":{mask}") for row in ans.keep_buttons for _, data in row)
    on_button(engine, LEAK.data("cpic", "name", mask), user_id=1)
    after = items(engine, "cpic")
    assert after["payment"] == before.get("payment", 0) + 1 and after["name"] == before.get("name", 0) + 1


def test_repeated_or_forged_presses_count_nothing(engine):
    before = leak_rows.counts(engine.store)
    for data in (LEAK.data("cpic", "payment", leaks.BIT["payment"]),  # already chosen
                 LEAK.data("cpic", "none", 1),  # "都不知道" after something was chosen
                 LEAK.data("nfra", "name", 0),  # not an insurer
                 LEAK.data("no-such-insurer", "name", 0), "lk:cpic:password:0", "lk:cpic:name:999", "lk:cpic"):
        ans = on_button(engine, data, user_id=2)
        assert ans.notice
    assert leak_rows.counts(engine.store) == before


def test_table_hides_cells_below_the_minimum_and_shows_no_totals(engine):
    for _ in range(7):
        leak_rows.add(engine.store, "taikang", "policy_no", "2019-05")
    for _ in range(4):
        leak_rows.add(engine.store, "taikang", "name", "2019-05")
    [row] = leaks.leak_table(engine, "2019-05")
    assert row.insurer == "泰康人寿" or "泰康" in row.insurer
    assert row.cells["policy_no"] == 7 and row.cells["name"] is None and row.cells["address"] is None
    text = leaks.leak_table_text([row], month="2019-05")
    assert "保单号 7" in text and "姓名 <5" in text and "合计" in text.split("\n")[0] and "11" not in text
    assert leaks.leak_table(engine, "2019-05", min_count=3)[0].cells["name"] == 4
    assert leaks.leaks_command(engine, "2019-5") == leaks.BAD_MONTH
    assert leaks.leaks_command(engine, "1999-01") == leaks.NO_DATA_MONTH.format(month="1999-01")
