"""read_labeled: every corpus format the eval command takes, read as data."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.admin.evaluate import read_labeled

ROOT = Path(__file__).resolve().parents[2]


def test_known_legit_yaml_is_read_as_its_messages_not_its_lines() -> None:
    path = ROOT / "scam_patterns" / "known_legit.yaml"
    rows = list(read_labeled(path))
    messages = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
    assert [r["text"] for r in rows] == [m["text"] for m in messages]
    assert {r["label"] for r in rows} == {"legit"}
    assert not any(r["text"].lstrip().startswith(("#", "- id:", "kind:")) for r in rows)


def test_a_scripts_yaml_is_scam_rows_of_its_type(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("type: agent_surrender\nscripts:\n  - id: a\n    text: 全额退保不成功不收费\n  - id: b\n", encoding="utf-8")
    assert list(read_labeled(f)) == [{"text": "全额退保不成功不收费", "label": "scam", "type": "agent_surrender"}]


def test_a_yaml_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("- just\n- a list\n", encoding="utf-8")
    try:
        list(read_labeled(f))
    except ValueError as e:
        assert "messages" in str(e)
    else:
        raise AssertionError("a list yaml was read")


def test_a_yaml_that_does_not_parse_is_a_value_error(tmp_path: Path) -> None:
    """The eval command reports a ValueError as one "cannot read" line instead of a crash."""
    f = tmp_path / "broken.yaml"
    f.write_text("messages: [unclosed\n", encoding="utf-8")
    try:
        list(read_labeled(f))
    except ValueError as e:
        assert "not valid YAML" in str(e)
    else:
        raise AssertionError("a broken yaml was read")
