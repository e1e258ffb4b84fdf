"""Number parsing and classification: official / reported / lookalike / unknown / invalid."""

import pytest

from bot.pipeline import numbers
from bot.pipeline.knowledge import Knowledge


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


@pytest.mark.parametrize(
    "raw",
    ["95519", "９５５１９", "955 19", "955-19", " 95519 ", "0755-95519", "(95519)"],
)
def test_official_in_any_format(kb: Knowledge, raw: str) -> None:
    lk = numbers.lookup(raw, kb)
    assert lk.status == "official"
    assert lk.insurer and "人寿" in lk.insurer


def test_regulator_number_is_official(kb: Knowledge) -> None:
    lk = numbers.lookup("12378", kb)
    assert lk.status == "official" and lk.org_kind == "regulator"


@pytest.mark.parametrize(
    "raw, how",
    [("95591", "两位数字对调"), ("95529", "一位数字不同"), ("955190", "加了数字"), ("+1 95519", "境外前缀"),
     ("+95519", "境外前缀"), ("12387", "两位数字对调")],
)
def test_lookalikes_say_whose_number_they_resemble(kb: Knowledge, raw: str, how: str) -> None:
    lk = numbers.lookup(raw, kb)
    assert lk.status == "lookalike", lk
    assert lk.similar_to and how in lk.similar_to[0]["how"]
    assert lk.insurer


@pytest.mark.parametrize("raw", ["+86 139 1234 5678", "0086-139-1234-5678", "13912345678", "１３９１２３４５６７８"])
def test_mobile_numbers_normalize_to_one_key(kb: Knowledge, raw: str) -> None:
    lk = numbers.lookup(raw, kb)
    assert lk.status == "unknown" and lk.normalized == "+8613912345678" and lk.kind == "mobile"


@pytest.mark.parametrize("raw", ["", "abc", "123", "1" * 30, "95519abc", "\x00", "☎️", "+", "--"])
def test_garbage_is_invalid_not_a_crash(kb: Knowledge, raw: str) -> None:
    assert numbers.lookup(raw, kb).status == "invalid"


def test_reported_numbers_come_from_the_registry(kb: Knowledge) -> None:
    rows = {"+8613912345678": {"reports": 3, "scam_type": "fake_regulator", "first_reported": "2026-01-01"}}
    lk = numbers.lookup("139 1234 5678", kb, rows.get)
    assert lk.status == "reported" and lk.reports == 3 and lk.scam_types == ["fake_regulator"]


def test_find_numbers_in_text_skips_amounts_codes_and_dates() -> None:
    text = "请拨打 139-1234-5678 或 95519，验证码 123456，金额 5000元，2024年，卡号6222021234567890123"
    found = [p.normalized for _, _, p in numbers.find(text)]
    assert found == ["+8613912345678", "95519"]
