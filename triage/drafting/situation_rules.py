"""The keyword rules of :func:`triage.drafting.situations.detect_situation`, per language.

Rules run on folded text (lowercase, no diacritics: "không" is "khong"), so Vietnamese written
without accents matches too. Each rule is a regular expression and a weight; a situation's
score is the sum of the weights of its rules that match (each rule counts once). English
rules also run on Vietnamese, Indonesian and Tagalog messages at a lower weight: customers
there write "refund", "login", "error" and "OTP" as often as their own words.

Why rules and not the model: the phrases that mark a situation are few and stable per language
("hoàn tiền", "belum sampai", "hindi maka-login"), agents can read and extend them, and the
fixture set in tests/situations/ measures them (docs/benchmarks.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from triage.drafting.rule_literals import (
    LiteralIndex,
    anchored_at_start,
    required_literals,
    start_literals,
    starts_in,
)
from triage.drafting.situation_patterns import EN, VI, Rules
from triage.drafting.situation_patterns_sea import ID, TL


class _Unmark(dict[int, int | None]):
    """``str.translate`` table that drops combining marks (``unicodedata.combining``),
    filled one character at a time as texts meet them."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_UNMARK = _Unmark()
_MARKS = re.compile("[" + re.escape("".join(
    ch for ch in map(chr, range(0x300, 0x370)) if unicodedata.combining(ch))) + "]+")
"""The combining marks of the Combining Diacritical Marks block (all of it but U+034F, which
does not combine): after NFD they are nearly every mark of Vietnamese and Latin text, and one
regular-expression substitution drops them at C speed (#19: ``translate`` looked each
character of a Vietnamese text up, ~25 us a message; with this ~11)."""


@lru_cache(maxsize=64)  # a draft folds the same subject and text for the rules and the model
def fold(text: str) -> str:
    """Lowercase ``text`` without diacritics (``đ`` -> ``d``), whitespace collapsed, so one
    rule matches "không đăng nhập được" and "khong dang nhap duoc"."""
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    if not t.isascii():  # ASCII has no combining marks
        t = _MARKS.sub("", t)  # the usual marks; translate drops any others
        if not t.isascii():
            t = t.translate(_UNMARK)
    t = t.lower()
    t = t.replace("’", "'").replace("‘", "'")
    return " ".join(t.split())


TOPICAL: frozenset[str] = frozenset({
    "order_status", "refund", "payment_failed", "cancellation", "personal_data", "login",
    "outage", "app_error", "damaged_goods"})
"""Situations about a subject matter (a follow-up chases one of these)."""

# (winner, loser): when the winner scores at least 2.5 the loser is not the situation, e.g. a
# cracked rice cooker with "refund or replacement" is about damaged goods, and "charged twice,
# please refund" is about the double charge.
OVERRIDES: tuple[tuple[str, str], ...] = (
    ("damaged_goods", "refund"), ("payment_failed", "refund"), ("login", "app_error"),
    ("outage", "app_error"), ("personal_data", "login"),
    ("personal_data", "cancellation"), ("payment_failed", "order_status"),
    ("payment_failed", "app_error"), ("damaged_goods", "order_status"),
    ("login", "outage"), ("refund", "order_status"),
)

CATEGORY_BONUS: dict[str, dict[str, float]] = {
    "technical_issue": {"login": 0.5, "outage": 0.5, "app_error": 0.5, "payment_failed": 0.3},
    "complaint": {"order_status": 0.3, "refund": 0.3, "damaged_goods": 0.5, "follow_up": 0.3},
    "request": {"cancellation": 0.3, "personal_data": 0.3, "order_status": 0.2},
}
"""A little extra for the situations that belong to the classified category (close calls)."""

def without_word_boundaries(pattern: str) -> str:
    """Return ``pattern`` without its ``\\b`` assertions (outside character classes): it
    matches wherever ``pattern`` matches, and more."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            pair = pattern[i:i + 2]
            if in_class or pair != r"\b":
                out.append(pair)
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            rest = pattern[i + 1:]
            lead = "^]" if rest.startswith("^]") else "^" if rest.startswith("^") else \
                "]" if rest.startswith("]") else ""
            out.append(ch + lead)
            i += 1 + len(lead)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


LITERALS = LiteralIndex()
"""The required strings of every :class:`Rule` made (one scan of a text finds them all)."""


class Rule:
    """One compiled rule. :meth:`search` first asks :data:`LITERALS` whether a string the
    pattern cannot match without occurs in the text (:func:`~triage.drafting.rule_literals.
    required_literals`: one Aho-Corasick scan per text for all rules), then tries the
    pattern without its leading and inner ``\\b`` (a superset: where it finds nothing, the
    rule cannot match), which the regular-expression engine scans for much faster (a ``\\b``
    in front hides the literal prefix it skips ahead with); most rules match no message, so
    most searches stop at the first step. A rule whose matches all start with one of a few
    strings (:func:`~triage.drafting.rule_literals.start_literals`) is tried only where they
    occur instead, and one anchored with ``^`` at the start only. The answer is always the
    pattern's own."""

    def __init__(self, pattern: str) -> None:
        self.compiled = re.compile(pattern)
        self.pattern = pattern
        loose = without_word_boundaries(pattern)
        self.gate = re.compile(loose) if loose != pattern else None
        self.prefixes = start_literals(self.compiled)
        """Strings one of which every match starts with (None: not known)."""
        self.anchored = anchored_at_start(self.compiled)
        """Every match starts at the beginning of the text (``^``): only there is it tried."""
        self.literals = required_literals(self.compiled) or self.prefixes
        for words in (self.literals, self.prefixes):
            if words is not None:
                LITERALS.add(words)

    def search(self, text: str) -> re.Match[str] | None:
        """``re.search`` of the rule's pattern in ``text``."""
        if self.literals is not None and self.literals.isdisjoint(LITERALS.present(text)):
            return None
        return self.search_present(text)

    def search_present(self, text: str) -> re.Match[str] | None:
        """:meth:`search` for a rule one of whose required strings is known to occur in
        ``text`` (or that has none). A rule whose matches start with one of its
        :attr:`prefixes` is tried only where those occur (``match`` at each, leftmost first:
        the match ``search`` finds); any other rule is searched through its gate."""
        if self.anchored:
            return self.compiled.match(text)
        if self.prefixes is not None:
            present = LITERALS.present(text)
            starts = [p for word in self.prefixes if word in present
                      for p in LITERALS.starts(text, word)]
            for start in sorted(starts):
                found = self.compiled.match(text, start)
                if found is not None:
                    return found
            return None
        if self.gate is not None and self.gate.search(text) is None:
            return None
        return self.compiled.search(text)

    def occurs(self, text: str, present: frozenset[str], starts: dict[str, list[int]]
               ) -> bool:
        """Whether the rule matches ``text``, for a rule one of whose required strings is
        known to occur in it (or that has none); ``present`` and ``starts`` are
        :meth:`~triage.drafting.rule_literals.LiteralIndex.scanned` of ``text``, asked once
        for all the rules of a message. As :meth:`search_present`, but any start will do:
        where the match starts does not matter."""
        if self.anchored:
            return self.compiled.match(text) is not None
        if self.prefixes is None:
            return self.search_present(text) is not None
        match = self.compiled.match
        for word in self.prefixes:
            if word in present:
                at = starts.get(word)
                for start in at if at is not None else starts_in(text, word, starts):
                    if match(text, start) is not None:
                        return True
        return False

    def search_plain(self, text: str) -> re.Match[str] | None:
        """``re.search`` of the pattern alone, without the shortcuts (for tests)."""
        return self.compiled.search(text)


def _compile(rules: Rules) -> dict[str, list[tuple[Rule, float]]]:
    return {name: [(Rule(p), w) for p, w in items] for name, items in rules.items()}


RULES: dict[str, dict[str, list[tuple[Rule, float]]]] = {
    "en": _compile(EN), "vi": _compile(VI), "id": _compile(ID), "tl": _compile(TL)}
"""Compiled rules per language and situation."""


class RuleTable:
    """One language's rules in their order, indexed by their required strings.

    :meth:`matches` gives the rules that match a text, in the order of :data:`RULES`, and
    looks only at the rules that can: those one of whose required strings the text contains
    (one :data:`LITERALS` scan names them) and the few without such strings. A message meets
    ~135 rules and wakes about a tenth of them, so most are never even asked.
    """

    def __init__(self, rules: dict[str, list[tuple[Rule, float]]]) -> None:
        self.entries: list[tuple[str, Rule, float]] = [
            (name, rule, weight) for name, items in rules.items() for rule, weight in items]
        self.always: frozenset[int] = frozenset(
            i for i, (_n, rule, _w) in enumerate(self.entries) if rule.literals is None)
        woken: dict[str, set[int]] = {}
        for i, (_name, rule, _weight) in enumerate(self.entries):
            for word in rule.literals or ():
                woken.setdefault(word, set()).add(i)
        self.woken = {word: frozenset(found) for word, found in woken.items()}
        self.words: frozenset[str] = frozenset(self.woken)
        """Every required string of the table's rules."""

    def matches(self, text: str) -> Iterator[tuple[str, Rule, float]]:
        """The ``(situation, rule, weight)`` entries whose rule matches ``text``, in order
        (:meth:`Rule.occurs`, the text's required strings and their starts looked up once
        for all rules: #19, the rules of a message asked the index again for each rule)."""
        present, starts = LITERALS.scanned(text)
        woken = self.woken
        candidates = self.always.union(*map(woken.__getitem__, present & self.words))
        for i in sorted(candidates):
            entry = self.entries[i]
            if entry[1].occurs(text, present, starts):
                yield entry

    def matches_plain(self, text: str) -> Iterator[tuple[str, Rule, float]]:
        """:meth:`matches` by the plain ``re.search`` of every rule (for tests)."""
        return (e for e in self.entries if e[1].search_plain(text) is not None)


TABLES: dict[str, RuleTable] = {lang: RuleTable(rules) for lang, rules in RULES.items()}
""":class:`RuleTable` per language, over the rules of :data:`RULES`."""
