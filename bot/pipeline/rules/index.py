"""A rule pre-filter for :class:`bot.pipeline.rules.signals.SignalSet` (speed only: the same signals fire, in the same order).

``SignalSet.evaluate`` asks every rule whether it fires, and each rule looks up every term of every group
and every ``unless`` term: thousands of dictionary reads per message, most for rules that share no word
with it. A rule fires only when each of its groups has a hit, so here every (term or ``@feature``) knows
the groups it belongs to, and a message's hits mark those groups; only rules with all groups marked are
handed back to ``SignalSet.evaluate`` through ``candidates`` (its own logic — negation, ``unless``, ``near`` — decides the rest).
The filter only has to be conservative: it uses all hits (negated ones too) and every feature present,
and counts a feature the engine does not compute itself (``SignalSet.evaluate`` derives some, such as
``@phone_line``) as present. ``tests/pipeline/test_speed_equivalence.py`` checks that both give the same signals.
"""

from __future__ import annotations

from collections import defaultdict

from bot.pipeline.rules.signals import Rule, SignalSet, Span

#: features ``Engine._features`` computes; any other ``@feature`` may be derived inside ``SignalSet.evaluate``
ENGINE_FEATURES = frozenset(
    {"percent_high", "mobile", "non_official_number", "official_number", "url", "unofficial_url", "insurer", "regulator",
     "amount", "warned_number", "contact_handle", "lookalike_url", "shortener_url", "ip_url"}
)


class IndexedSignalSet(SignalSet):
    """``SignalSet`` that evaluates only the rules whose every group has some hit in the message."""

    def __init__(self, rules: list[Rule]):
        super().__init__(rules)
        self._build()

    def _build(self) -> None:
        # key (term or "@feature") → [(rule position, group bit)]; a rule is a candidate when all its bits are set
        self._by_key: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._full: list[int] = []
        self._always: dict[int, int] = {}  # groups satisfied by a feature computed elsewhere
        for ri, rule in enumerate(self.rules):
            for gi, group in enumerate(rule.groups):
                for t in dict.fromkeys(group):
                    self._by_key[t].append((ri, 1 << gi))
                    if t.startswith("@") and t[1:] not in ENGINE_FEATURES:
                        self._always[ri] = self._always.get(ri, 0) | 1 << gi
            self._full.append((1 << len(rule.groups)) - 1 if rule.groups else -1)
        self._by_key = dict(self._by_key)
        self._n_rules = len(self.rules)

    def candidates(self, hits: dict[str, list[Span]], features: dict[str, list[Span]]) -> list[Rule]:
        """The rules that might fire (in their order): every group has a term hit or a present feature."""
        if self._n_rules != len(self.rules):  # rules replaced after construction
            self._build()
        marks: dict[int, int] = dict(self._always)
        by_key = self._by_key
        for keys in (hits, (f"@{k}" for k, v in features.items() if v)):
            for k in keys:
                for ri, bit in by_key.get(k, ()):
                    marks[ri] = marks.get(ri, 0) | bit
        full = self._full
        return [self.rules[ri] for ri in sorted(marks) if marks[ri] == full[ri]]
