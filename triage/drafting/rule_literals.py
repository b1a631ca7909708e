"""Which words a keyword rule cannot match without, so most rules are skipped unsearched.

:func:`required_literals` reads a regular expression's syntax tree and returns strings of which
every match must contain at least one (``\\brefund(?:s|ed)?\\b`` needs "refund";
``\\bmoney back\\b|\\breimburse`` needs "money back" or "reimburse"), or None when it cannot
tell. :class:`LiteralIndex` finds all of those strings in a text in one pass (an Aho-Corasick
automaton, ``pyahocorasick``); a rule none of whose strings occurs cannot match, and
:class:`triage.drafting.situation_rules.Rule` then answers without searching. Rules whose
strings occur are searched as before, so the answers are the regular expressions' own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from operator import itemgetter
from re import _parser as sre_parse  # the parser behind re.compile (Python >= 3.11)
from typing import Any

import ahocorasick

_C = sre_parse  # opcodes and constants live beside the parser
_WORD_OF = itemgetter(1)  # of an automaton hit (end index, word)
MIN_LENGTH = 2
"""Strings shorter than this say too little about a text: such a rule is always searched."""

Literals = frozenset[str]


def _better(a: Literals | None, b: Literals | None) -> Literals | None:
    """The more selective of two candidate sets (longest shortest string, then fewest)."""
    if a is None:
        return b
    if b is None:
        return a
    ka = (min(map(len, a)), -len(a))
    kb = (min(map(len, b)), -len(b))
    return a if ka >= kb else b


def _sequence(items: Any, flags: int) -> Literals | None:
    """The best required set of a sequence of nodes: one of its literal runs, or the
    required set of one of its nodes (every node of a sequence takes part in a match)."""
    best: Literals | None = None
    run: list[str] = []

    def close() -> None:
        nonlocal best
        if run:
            best = _better(best, frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        if op is _C.LITERAL:
            run.append(chr(av))
            continue
        close()
        best = _better(best, _node(op, av, flags))
    close()
    return best


def _node(op: Any, av: Any, flags: int) -> Literals | None:
    """The required set of one node other than a literal, or None."""
    if op is _C.SUBPATTERN:
        _group, add, _delete, body = av
        if (flags | add) & re.IGNORECASE:
            return None
        return _sequence(body, flags | add)
    if op is _C.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _sequence(branch, flags)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
        low, _high, body = av
        return _sequence(body, flags) if low >= 1 else None
    if op is _C.ATOMIC_GROUP:
        return _sequence(av, flags)
    if op is _C.ASSERT:
        direction, body = av
        return _sequence(body, flags) if direction == 1 else None
    return None  # classes, anchors, ANY, negative assertions, references: nothing required


def _parsed(pattern: str | re.Pattern[str]) -> tuple[Any, int] | None:
    """The syntax tree and flags of ``pattern``; None when it is case-insensitive or the
    parser rejects it."""
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = pattern.flags if isinstance(pattern, re.Pattern) else 0
    if not isinstance(source, str) or flags & re.IGNORECASE:
        return None
    try:
        tree = sre_parse.parse(source, flags)
    except Exception:  # whatever the parser rejects, re.compile rejects too
        return None
    if tree.state.flags & re.IGNORECASE:
        return None
    return tree, tree.state.flags


def required_literals(pattern: str | re.Pattern[str]) -> Literals | None:
    """Return strings of which every match of ``pattern`` contains at least one, or None
    when the pattern's form gives none (case-insensitive patterns, or too short strings)."""
    parsed = _parsed(pattern)
    if parsed is None:
        return None
    found = _sequence(*parsed)
    if found is None or not found or min(map(len, found)) < MIN_LENGTH:
        return None
    return found


CASE_FIXES = str.maketrans(
    "\u0130\u0131\u017f\u0399\u039c\u03a3\u03b9\u03bc\u03c3\u03d0\u03d1\u03d5\u03d6\u03f0"
    "\u03f1\u03f5\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1e9b\u1fbe\u1fd3\u1fe3"
    "\ua64a\ua64b\ufb06",
    "\u0069\u0069\u0073\u0345\u00b5\u03c2\u0345\u00b5\u03c2\u03b2\u03b8\u03c6\u03c0\u03ba"
    "\u03c1\u03b5\u0432\u0434\u043e\u0441\u0442\u0442\u044a\u0463\u1e61\u0345\u0390\u03b0"
    "\u1c88\u1c88\ufb05")
"""The characters whose ``str.lower()`` is not what case-insensitive matching compares them
as (``re`` compares each character's simple lowercase, and treats the members of each of its
extra case groups, ``re._casefix``, as one: "ſ" matches "s", "ı" matches "i"), mapped to the
smallest member of their group; ``Σ``'s lowercase also depends on its neighbours. 31
characters on Python 3.11 (tests/test_draft_gates.py computes the table again over all of
Unicode)."""
_HAS_CASE_FIX = re.compile("[" + "".join(map(chr, CASE_FIXES)) + "]")


def case_view(text: str) -> str:
    """``text`` as case-insensitive matching sees it: each character in the form it is
    compared in. Where a case-insensitive pattern matches ``text``, each of its
    :func:`case_gate_literals` occurs in this view (#19: the gates of technical details and
    order keywords used to skip only ASCII text)."""
    if not text.isascii() and _HAS_CASE_FIX.search(text) is not None:
        text = text.translate(CASE_FIXES)
    return text.lower()


def case_gate_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Return strings one of which :func:`case_view` of any text holds wherever the
    case-insensitive ``pattern`` matches that text (its :func:`required_literals` as written),
    or None when the pattern gives none or one of them holds a character that is not in the
    form matching compares it as (an upper-case letter, "ſ", "ı")."""
    if pattern.flags & re.VERBOSE:  # its source is read without flags here
        return None
    found = required_literals(pattern.pattern)
    if found is None or any(w != w.lower() or w != w.translate(CASE_FIXES) for w in found):
        return None
    return tuple(sorted(found))


def _literal_run(items: Any) -> Literals:
    """The run of literal characters ``items`` (a parsed sequence) starts with, as a set of
    one string."""
    run = []
    for op, av in items:
        if op is not _C.LITERAL:
            break
        run.append(chr(av))
    return frozenset({"".join(run)})


def _prefixes(items: Any, flags: int) -> Literals | None:
    """The strings one of which every match of the sequence ``items`` starts with (word
    boundaries in front skipped), or None."""
    items = list(items)
    while items and items[0] == (_C.AT, _C.AT_BOUNDARY):
        items = items[1:]
    if not items:
        return None
    op, av = items[0]
    if op is _C.LITERAL:
        return _literal_run(items)
    if op is _C.SUBPATTERN:
        _group, add, _delete, body = av
        return None if (flags | add) & re.IGNORECASE else _prefixes(body, flags | add)
    if op is _C.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _prefixes(branch, flags)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    return None


def prefix_literals(pattern: str | re.Pattern[str]) -> Literals | None:
    """Return strings one of which every match of ``pattern`` starts with
    (``\\b(?:refund|money back)`` -> "refund", "money back"), or None when the pattern's form
    gives none (a class, a repeat or an assertion first; case-insensitive; too short)."""
    parsed = _parsed(pattern)
    if parsed is None:
        return None
    found = _prefixes(*parsed)
    if not found or min(map(len, found)) < MIN_LENGTH:
        return None
    return found


EXTEND_BELOW = 4
""":func:`start_literals` carries a literal run shorter than this on into what follows it."""
MAX_STARTS = 48
"""... as long as that gives at most this many strings."""


def _extended_run(items: list[Any], flags: int) -> Literals:
    """The run of literal characters ``items`` starts with, carried on into the strings one
    of which the rest of ``items`` starts with while the run is shorter than
    :data:`EXTEND_BELOW` (``p(?:assword|in code)`` -> "password", "pin code"; a pattern
    whose matches all start with "p" says little about where)."""
    run = _literal_run(items)
    head = next(iter(run))
    if len(head) >= EXTEND_BELOW or len(head) == len(items):
        return run
    tails = _starts(items[len(head):], flags, extend=True)
    if tails is None or len(tails) > MAX_STARTS:
        return run
    return frozenset(head + tail for tail in tails)


def _starts(items: list[Any], flags: int, extend: bool = False) -> Literals | None:
    """The strings one of which every match of the sequence ``items`` starts with, or None:
    :func:`_prefixes` also through zero-width assertions of position and lookbehinds in
    front, and optional repeats (``(?:app )?version`` -> "app ", "version"); with
    ``extend``, a short literal run is carried on into what follows (:func:`_extended_run`).
    """
    while items and (items[0][0] is _C.AT or (
            items[0][0] in (_C.ASSERT, _C.ASSERT_NOT) and items[0][1][0] == -1)):
        items = items[1:]
    if not items:
        return None
    (op, av), rest = items[0], items[1:]
    if op is _C.LITERAL:
        return _extended_run(items, flags) if extend else _literal_run(items)
    if op is _C.SUBPATTERN:
        _group, add, _delete, body = av
        return None if (flags | add) & re.IGNORECASE else _starts([*body, *rest], flags | add,
                                                                   extend)
    if op is _C.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _starts([*branch, *rest], flags, extend)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
        low, high, body = av
        if high == 0:
            return _starts(rest, flags, extend)
        # the body alone: a run may not go on past it (into a repeat of it), unless it
        # occurs once at most and a run is carried on (then the rest follows it)
        head = _starts([*body, *rest] if extend and high == 1 else list(body), flags, extend)
        if head is None or low >= 1:
            return head
        after = _starts(rest, flags, extend)
        return None if after is None else head | after
    return None


def anchored_at_start(pattern: str | re.Pattern[str]) -> bool:
    """Whether every match of the case-sensitive ``pattern`` starts at the beginning of the
    text (a leading ``^`` or ``\\A``, without MULTILINE): ``search`` then finds what
    ``match`` finds, and needs not try every other position."""
    parsed = _parsed(pattern)
    if parsed is None or parsed[1] & re.MULTILINE or not parsed[0]:
        return False
    op, av = parsed[0][0]
    return op is _C.AT and av in (_C.AT_BEGINNING, _C.AT_BEGINNING_STRING)


def start_literals(pattern: str | re.Pattern[str]) -> Literals | None:
    """Return strings one of which every match of the case-sensitive ``pattern`` starts
    with, or None: :func:`prefix_literals` also through optional groups, assertions of
    position and lookbehinds in front (``\\b(?:da )?gui`` -> "da ", "gui"), with a short
    literal run carried on into what follows (``\\b(?:ko|k) vao`` -> "ko vao", "k vao").
    #19: a rule whose matches start with none of a few known strings was searched through
    the whole text, ~0.01 ms a rule on a realistic mail."""
    parsed = _parsed(pattern)
    if parsed is None:
        return None
    found = _starts(list(parsed[0]), parsed[1], extend=True)
    if not found or min(map(len, found)) < MIN_LENGTH:
        return None
    return found


def case_prefix_literals(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Return strings one of which :func:`case_view` of a text holds where any match of the
    case-insensitive ``pattern`` starts (:func:`_starts`), or None when the pattern's form
    gives none or one of them is not in the form matching compares it as (see
    :func:`case_gate_literals`). Single characters count: :func:`matches_from` only needs
    every start among them."""
    parsed = None if pattern.flags & re.VERBOSE else _parsed(pattern.pattern)
    if parsed is None:
        return None
    found = _starts(list(parsed[0]), parsed[1])
    if not found or any(w != w.lower() or w != w.translate(CASE_FIXES) for w in found):
        return None
    return tuple(sorted(found))


def matches_from(pattern: re.Pattern[str], text: str, view: str,
                 prefixes: tuple[str, ...]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern every match of which starts with one of
    ``prefixes`` in ``view`` (``case_view(text)``, of the same length: each character's
    view is one character): ``match`` is tried only where one of them starts, leftmost
    first, from the end of the last match on, as ``finditer`` goes."""
    starts = set()
    for word in prefixes:
        at = view.find(word)
        while at >= 0:
            starts.add(at)
            at = view.find(word, at + 1)
    end = 0
    for at in sorted(starts):
        if at < end:
            continue
        found = pattern.match(text, at)
        if found is None:
            continue
        if found.end() == at:  # an empty match: finditer's own rules from here on
            yield from pattern.finditer(text, at)
            return
        yield found
        end = found.end()


class LiteralIndex:
    """The required strings of every registered rule, found in a text in one pass.

    :meth:`present` remembers the last text it scanned (a message is checked against every
    rule in a row). The memo is one tuple, replaced whole, and carries the version of the
    strings it was found with, so threads and rules registered later never see a stale one.
    """

    def __init__(self) -> None:
        self._words: set[str] = set()
        self._automaton: Any = None
        self._version = 0
        self._lock = threading.Lock()
        self._last: tuple[int, str, frozenset[str], dict[str, list[int]]] = (
            -1, "", frozenset(), {})

    def add(self, words: Iterable[str]) -> None:
        """Register the strings of one more rule."""
        new = set(words) - self._words
        if new:
            with self._lock:
                self._words |= new
                self._automaton = None
                self._version += 1

    def _scan(self, text: str) -> tuple[int, str, frozenset[str], dict[str, list[int]]]:
        with self._lock:
            version, automaton = self._version, self._automaton
            if automaton is None and self._words:
                automaton = ahocorasick.Automaton()
                for word in self._words:
                    automaton.add_word(word, word)
                automaton.make_automaton()
                self._automaton = automaton
        found = (frozenset(map(_WORD_OF, automaton.iter(text)))
                 if automaton is not None else frozenset())
        memo: tuple[int, str, frozenset[str], dict[str, list[int]]] = (
            version, text, found, {})
        self._last = memo
        return memo

    def _memo(self, text: str) -> tuple[int, str, frozenset[str], dict[str, list[int]]]:
        """What is known of ``text``: the last scan's when it was of ``text`` (each memo
        holds one text's answers only, so threads scanning others never mix them up)."""
        memo = self._last
        if memo[0] == self._version and memo[1] == text:
            return memo
        return self._scan(text)

    def present(self, text: str) -> frozenset[str]:
        """Return the registered strings that occur in ``text``."""
        return self._memo(text)[2]

    def scanned(self, text: str) -> tuple[frozenset[str], dict[str, list[int]]]:
        """Return :meth:`present` of ``text`` and the starts found in it so far (string ->
        :meth:`starts`; :func:`starts_in` adds one), both from one memo: for all the rules
        of a message."""
        memo = self._memo(text)
        return memo[2], memo[3]

    def starts(self, text: str, word: str) -> list[int]:
        """Return where ``word`` starts in ``text``, overlaps included, ascending (kept with
        the last scanned text: the rules of a message ask again)."""
        starts = self._memo(text)[3]
        found = starts.get(word)
        return found if found is not None else starts_in(text, word, starts)


def starts_in(text: str, word: str, known: dict[str, list[int]]) -> list[int]:
    """Return where ``word`` starts in ``text``, overlaps included, ascending; kept in
    ``known`` (the starts of :meth:`LiteralIndex.scanned`)."""
    found = []
    at = text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    known[word] = found
    return found
