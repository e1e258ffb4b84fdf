"""The per-user token bucket (bot.tg.throttle), with a fake clock."""

from __future__ import annotations

import pytest

from bot.faces.tg.throttle import Decision, Throttle


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_ten_at_once_then_one_warning_then_silence():
    clock = Clock()
    th = Throttle(10, 30.0, clock=clock)
    decisions = [th.hit("a") for _ in range(30)]
    assert decisions[:10] == [Decision.ALLOW] * 10
    assert decisions[10] == Decision.WARN
    assert decisions[11:] == [Decision.DROP] * 19


def test_other_users_are_unaffected():
    th = Throttle(10, 30.0, clock=Clock())
    for _ in range(50):
        th.hit("flooder")
    assert th.hit("someone else") is Decision.ALLOW


def test_tokens_come_back_over_time_and_the_warning_rearms():
    clock = Clock()
    th = Throttle(10, 30.0, clock=clock)
    for _ in range(11):
        th.hit("a")
    assert th.hit("a") is Decision.DROP
    assert th.retry_in("a") == pytest.approx(3.0, abs=0.01)
    clock.t += 3.0  # one token (10 per 30 s)
    assert th.hit("a") is Decision.ALLOW
    assert th.hit("a") is Decision.WARN  # a new episode gets its own (single) warning
    clock.t += 30.0
    assert [th.hit("a") for _ in range(10)] == [Decision.ALLOW] * 10


def test_a_steady_conversation_is_never_throttled():
    clock = Clock()
    th = Throttle(10, 30.0, clock=clock)
    for _ in range(200):
        assert th.hit("a") is Decision.ALLOW
        clock.t += 3.0


def test_prune_forgets_idle_users_and_bounds_memory():
    clock = Clock()
    th = Throttle(10, 30.0, clock=clock, max_keys=100)
    for i in range(100):
        th.hit(i)
    clock.t += 31
    th.hit("new")  # at the cap: idle (refilled) buckets are pruned first
    assert len(th) == 1


def test_bad_parameters():
    with pytest.raises(ValueError):
        Throttle(0, 30)
