"""Signals (scam_patterns/signals/): every rule's own examples, negation scope, and end-to-end verdicts.

The rules are data; their ``examples.fire`` / ``examples.no_fire`` are the contract each rule keeps. These
tests hold every rule to it, and check a few whole verdicts per scam type and per kind of legitimate
message that is full of scam words (warnings, paid-out surrenders, 回访, family chat).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import Settings, open_engine
from bot.pipeline.engine import Engine
from bot.pipeline.normalize import Normalizer
from bot.pipeline.rules.signals import RULES_DIR, load_rules, negated_from, rule_files

ROOT = Path(__file__).resolve().parents[2]
RULES = load_rules(Normalizer().canonical)


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    return open_engine(Settings(db_path=str(tmp_path_factory.mktemp("db") / "signals.db")))


def _fired(engine: Engine, text: str) -> set[str]:
    return {s.name for s in engine.analyze(text).signals}


CONTEXTS = {r.name for r in RULES if r.context}


def _holds(engine: Engine, name: str, text: str) -> bool:
    """Whether signal ``name`` fires, or context ``name`` holds, for ``text``."""
    return name in (engine.contexts(text) if name in CONTEXTS else _fired(engine, text))


def _examples(kind: str) -> list[tuple[str, str]]:
    out = []
    for r in RULES:
        for x in r.examples_fire if kind == "fire" else r.examples_no_fire:
            out.append((r.name, x))
    return out


def test_every_rule_has_examples_both_ways() -> None:
    assert len(RULES) >= 60
    for r in RULES:
        assert len(r.examples_fire) >= 2, r.name
        assert len(r.examples_no_fire) >= 2, r.name
    assert len({r.name for r in RULES}) == len(RULES), "rule names must be unique"


@pytest.mark.parametrize("name, text", _examples("fire"), ids=lambda x: x[:24] if isinstance(x, str) else None)
def test_fire_examples_fire(engine: Engine, name: str, text: str) -> None:
    assert _holds(engine, name, text)


@pytest.mark.parametrize("name, text", _examples("no_fire"), ids=lambda x: x[:24] if isinstance(x, str) else None)
def test_no_fire_examples_do_not_fire(engine: Engine, name: str, text: str) -> None:
    assert not _holds(engine, name, text)


# --- negation scope ------------------------------------------------------------------------------------


def test_a_negated_demand_is_a_warning(engine: Engine) -> None:
    assert "surrender_to_invest" not in _fired(engine, "我司不会要求您退保购买理财")
    assert "surrender_to_invest" in _fired(engine, "建议您退保购买我们的理财，收益更高")


def test_a_trailing_cue_negates_the_clause_before_it() -> None:
    text = "自称客服要求您提供验证码，均为诈骗"
    neg = negated_from(text)
    assert neg[text.index("验证码")]
    assert not negated_from("请提供验证码。我们马上处理")[2]


def test_a_conditional_warning_is_not_a_demand(engine: Engine) -> None:
    assert "asks_verification_code" not in _fired(engine, "如有人要求您把验证码告诉他，请立即挂断电话")
    assert "asks_verification_code" in _fired(engine, "请把验证码告诉我，马上帮您办理")


def test_the_warning_clause_does_not_spill_over() -> None:
    text = "请勿轻信陌生来电。请把验证码告诉我"
    neg = negated_from(text)
    assert neg[text.index("轻信")] and not neg[text.index("验证码")]


# --- evasions reach the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, rule",
    [
        ("nin de baodan shouyi tai di le, keyi tuibao zhuan dao women de licai", "surrender_to_invest"),
        ("quane tuibao, bu chenggong bu shoufei", "full_refund_promise"),
        ("您的理陪款已到帐，需先交手绪费才能提现", "upfront_fee"),
        ("Please surrender your policy and move the money to our wealth management product.", "surrender_to_invest"),
        ("阿婆，你份保險唔好再交，退咗佢，啲錢放喺我哋度，每年俾你利息", "release_policy_money_to_us"),
        ("年化1 0 %，保本保息", "high_yearly_return"),
    ],
)
def test_evasions_reach_the_rules(engine: Engine, text: str, rule: str) -> None:
    assert rule in _fired(engine, text)


# --- end-to-end verdicts --------------------------------------------------------------------------------

SCAMS = {
    "surrender_for_investment": "您好，您那份保险放着不划算，把它退了，钱交给我们公司打理，每年给您9个点的利息，退保损失我们补。",
    "agent_surrender": "我们团队能帮您把交过的保费一分不少要回来，不成功不收费，事成后按退回金额收两成。",
    "fake_claim_fee": "您的理赔款已审批通过，需要先转500元验证金到指定账户，验证后和赔款一起返还。",
    "fake_policy_loan": "凭您的寿险保单可以借出20万，放款前需要先交2000元工本费开通额度。",
    "fake_customer_service": "您好，我是客服，您多交的保费可以退给您，请下载会议软件开启屏幕共享，我在后台帮您操作退款。",
    "fake_regulator": "这里是金融监管局，您投保的公司快破产了，您得先把保单里的钱转到我们指定的监管账户才安全。",
    "phishing_link": "【人寿】您的保单需要实名认证，逾期将失效，请点击 http://rs-rz.top 填写银行卡号及收到的验证码。",
    "medical_insurance_card": "【医保中心】您的医保卡涉嫌违规使用已被冻结，请回电 021-31120000 处理，逾期将追究法律责任。",
    "other_scam": "我是公安局的，你的身份证涉嫌洗钱，现在需要把资金转到安全账户配合调查，不要告诉家人。",
}


@pytest.mark.parametrize("scam_type, text", sorted(SCAMS.items()))
def test_a_clear_scam_of_each_type_is_flagged(engine: Engine, scam_type: str, text: str) -> None:
    v = engine.analyze(text)
    assert v.risk in ("medium", "high"), (v.score, [s.name for s in v.signals])


LEGIT = [
    # an insurer's anti-fraud warning, naming every scam step
    "【中国人寿】风险提示：我司不会以保单升级、红利补偿为由要求您退保购买理财，也不会索要验证码。"
    "凡要求您向个人账户转账的均为诈骗，请致电95519核实。",
    # a police warning that quotes the scammer
    "民警提醒：近期有人冒充保险公司客服，称保单收益低，劝老人退保转投年化10%的“保本理财”，请勿轻信。",
    # a surrender the customer asked for, paid out
    "【平安人寿】您申请的退保已办理完成，退保金35,210.00元已转入您尾号6621的银行卡，请注意查收。客服95511。",
    # a 回访 SMS quoting the insurer's hotline
    "【中国人寿】尊敬的客户，我们是回访专员，将于近日致电核实您新购保单的投保情况，如有疑问请拨打95519。",
    # family chat about surrendering
    "妈，那份分红险要不要退保啊？收益是低了点，要不我们先问问保险公司能退多少再商量。",
    # news about the scheme
    "据报道，警方破获一起代理退保案件，犯罪团伙以“全额退保、不成功不收费”为诱饵，按退回金额收取三成手续费。",
]


@pytest.mark.parametrize("text", LEGIT)
def test_legitimate_messages_full_of_scam_words_are_not_flagged(engine: Engine, text: str) -> None:
    v = engine.analyze(text)
    assert v.risk in ("none", "low"), (v.score, [s.name for s in v.signals])


# --- the data files themselves --------------------------------------------------------------------------


RULE_FILES = [f.relative_to(ROOT).as_posix() for f in rule_files()]


@pytest.mark.parametrize("path", [*RULE_FILES, "knowledge/normalization.yaml"])
def test_data_files_have_no_duplicate_keys(path: str) -> None:
    """YAML keeps only the last of two equal keys, silently dropping the first entry's spellings."""
    from collections import Counter

    dups: list[str] = []

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=True) for k, _ in node.value]
        dups.extend(str(k) for k, n in Counter(keys).items() if n > 1)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load((ROOT / path).read_text(encoding="utf-8"), Loader=Loader)
    assert not dups, dups


def test_unless_terms_count_inside_a_negated_clause(engine: Engine) -> None:
    # "这是诈骗" negates its own clause; as an `unless` context it must still count
    text = "有人来电称“保单快失效了，要先支付手续费才能激活”，这是诈骗。请拨官方热线核实。"
    assert "upfront_fee" not in _fired(engine, text)


def test_an_official_domain_followed_by_a_comma_is_official(engine: Engine) -> None:
    text = "中国人寿提醒：请勿点击陌生链接领取保单返还，我司官网为www.e-chinalife.com，其他网址均不是官方渠道。"
    fired = _fired(engine, text)
    assert "insurer_unofficial_link" not in fired
    assert not engine.analyze(text).is_scam
    assert "insurer_unofficial_link" in _fired(engine, "【中国人寿】保单返还待领取，请登录www.e-chinalife-vip.com，逾期作废。")


# --- the rules folder: one definition of every shared list ----------------------------------------------


def _raw_rules() -> list[tuple[str, dict]]:
    """(file name, rule as written) for every context and signal, before references are resolved."""
    out = []
    for f in rule_files():
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        out += [(f.name, r) for r in [*(data.get("contexts") or []), *(data.get("signals") or [])]]
    return out


def _classes() -> dict[str, list[str]]:
    return {k: [str(t) for t in v] for k, v in (yaml.safe_load((RULES_DIR / "classes.yaml").read_text(encoding="utf-8"))["classes"]).items()}


def _literals(items: list) -> list[str]:
    return [str(t) for t in items or [] if not str(t).startswith(("$", "-"))]


@pytest.mark.parametrize("path", RULE_FILES)
def test_rule_files_use_no_yaml_aliases(path: str) -> None:
    """An alias cannot reach another file, and is invisible to the copy checks: share a list as ``$class``."""
    events = yaml.parse((ROOT / path).read_text(encoding="utf-8"))
    assert not [e for e in events if isinstance(e, yaml.AliasEvent) or getattr(e, "anchor", None)]


def test_every_reference_resolves() -> None:
    """Every ``$class`` names a class, every ``-term`` removes a term, every ``@name`` is a feature or a context."""
    from bot.pipeline.rules.signals import FEATURES

    assert RULES, "the rules folder loaded"
    known = set(FEATURES) | {r.name for r in RULES if r.context}
    for r in RULES:
        for t in [*(t for g in r.groups for t in g), *r.unless]:
            assert not t.startswith("$"), (r.name, t)
            if t.startswith("@"):
                assert t[1:] in known, (r.name, t)
    used = {str(t)[1:] for _, r in _raw_rules() for t in [*(x for g in r.get("all") or [] for x in g), *(r.get("unless") or [])]
            if str(t).startswith("$")}
    assert used <= set(_classes()), used - set(_classes())
    assert set(_classes()) <= used, f"classes nobody uses: {set(_classes()) - used}"


def test_no_list_is_copied() -> None:
    """The descriptive exclusion (and every other shared list) is written once, in classes.yaml.

    Before, it was pasted into about forty rules, and the copies drifted (some lacked most of the terms
    added later). No two rules may carry the same long literal list, and no rule may spell out half a class
    instead of naming it (``[$descriptive, -所谓, …]`` says what it leaves out)."""
    seen: dict[tuple[str, ...], str] = {}
    classes = _classes()
    for fname, r in _raw_rules():
        lists = {"unless": r.get("unless") or [], **{f"all[{i}]": g for i, g in enumerate(r.get("all") or [])}}
        for where, items in lists.items():
            lit = _literals(items)
            if len(lit) >= 8:
                key = tuple(sorted(set(lit)))
                assert key not in seen, f"{fname}:{r['name']}.{where} repeats {seen[key]}"
                seen[key] = f"{r['name']}.{where}"
            for cname, terms in classes.items():
                common = set(lit) & set(terms)
                assert len(common) < max(8, len(terms) // 2), f"{r['name']}.{where} copies ${cname}: {sorted(common)}"


def test_references_and_order_are_checked(tmp_path: Path) -> None:
    """A typo in a reference or in order.yaml is an error, not a silently different rule."""
    canonical = Normalizer().canonical
    rule = {"name": "r", "weight": 10, "all": [["$words", "乙"]], "unless": ["$words", "-甲"]}
    f = tmp_path / "a.yaml"
    f.write_text(yaml.safe_dump({"classes": {"words": ["甲", "丙"]}, "signals": [rule]}, allow_unicode=True), encoding="utf-8")
    (r,) = load_rules(canonical, tmp_path)
    assert r.groups == [["甲", "丙", "乙"]] and r.unless == ["丙"]
    for bad in (["$nowords"], ["$words", "-丁"]):
        f.write_text(yaml.safe_dump({"classes": {"words": ["甲"]}, "signals": [{**rule, "unless": bad}]}, allow_unicode=True),
                     encoding="utf-8")
        with pytest.raises(ValueError):
            load_rules(canonical, tmp_path)
    f.write_text(yaml.safe_dump({"classes": {"words": ["甲"]}, "signals": [{**rule, "unless": []}]}, allow_unicode=True), encoding="utf-8")
    (tmp_path / "order.yaml").write_text("order: [r, other]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown"):
        load_rules(canonical, tmp_path)
    (tmp_path / "order.yaml").write_text("order: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not listed"):
        load_rules(canonical, tmp_path)


def test_signals_run_in_the_order_order_yaml_gives() -> None:
    """The order is what a verdict lists (its first six reasons), so it is data, not file layout."""
    order = yaml.safe_load((RULES_DIR / "order.yaml").read_text(encoding="utf-8"))["order"]
    assert [r.name for r in RULES if not r.context] == order


def _negated_reference(text: str) -> list[bool]:
    """negated_from as it was written first: a walk over every character (the reference)."""
    from bot.pipeline.rules.signals import _CLAUSE_END, POST_NEGATION, PRE_NEGATION

    out = [False] * (len(text) + 1)
    pre = {m.end() for m in PRE_NEGATION.finditer(text)}
    post = [m.start() for m in POST_NEGATION.finditer(text)]
    if not pre and not post:
        return out
    on = False
    for i, ch in enumerate(text):
        if ch in _CLAUSE_END:
            on = False
        if i in pre:
            on = True
        out[i] = on
    for p in post:
        j = p - 1
        while j >= 0 and text[j] == " ":
            j -= 1
        if j >= 0 and text[j] in _CLAUSE_END and p - j <= 2:
            j -= 1
        while j >= 0 and text[j] not in _CLAUSE_END:
            out[j] = True
            j -= 1
    return out


def test_negation_scope_equals_the_character_walk(engine):
    import json
    import random

    from bot.config import ROOT
    from bot.pipeline.rules.signals import negated_from

    texts = []
    for path in sorted((ROOT / "tests" / "corpus").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [engine.normalizer(t).text for t in texts]
    r = random.Random(11)
    pieces = ["不会", "要求", "退保", "，", "。", " ", "均为诈骗", "是骗局", "请勿", "转账", "\n", ",", "凡是", "别信", "保单", "；"]
    texts += ["".join(r.choice(pieces) for _ in range(r.randint(0, 25))) for _ in range(3000)]
    texts += ["", "不会", "均为诈骗", "，均为诈骗", "。，均为诈骗", "，   均为诈骗", "请勿，", "退保不会"]
    for t in texts:
        assert negated_from(t) == _negated_reference(t), t
