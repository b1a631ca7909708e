"""The fast paths of situation detection give exactly what the plain evaluation gives.

Rules skip their search when none of their required strings occurs (one Aho-Corasick scan,
:mod:`triage.drafting.rule_literals`); the model reads each word's term indexes from a cache;
a draft's detection leaves out the reasons (:func:`~triage.drafting.situations.
situation_and_topic`).
Compared here with the plain per-rule ``re.search`` and the plain term counting, on every
held-out fixture (tests/situations) and every corpus message.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from tests.situation_fixtures import load_fixtures, thread_of
from triage.drafting import situation_model, situation_rules
from triage.drafting.rule_literals import (
    LiteralIndex,
    anchored_at_start,
    prefix_literals,
    required_literals,
    start_literals,
)
from triage.drafting.situation_model import (
    load_corpus,
    message_features,
    packaged_model,
    term_counts,
)
from triage.drafting.situation_rules import RULES, TABLES, Rule, RuleTable, fold
from triage.drafting.situations import ThreadFacts, detect_situation, situation_and_topic

FIXTURES = load_fixtures()
CORPUS = load_corpus()
MESSAGES: list[dict[str, Any]] = [*FIXTURES, *({"language": "en", "category": "request", **m}
                                               for m in CORPUS)]


def _texts() -> list[str]:
    """Every message as the rules see it (folded subject and text)."""
    return [f"{fold(m.get('subject', ''))}\n{fold(m['text'])}" for m in MESSAGES]


def test_every_rule_answers_like_its_plain_search_on_every_message() -> None:
    texts = _texts()
    checked = matched = 0
    for lang, table in RULES.items():
        for name, rules in table.items():
            for rule, _weight in rules:
                for text in texts:
                    fast, plain = rule.search(text), rule.search_plain(text)
                    assert (fast and fast.span()) == (plain and plain.span()), \
                        (lang, name, rule.pattern, text[:80])
                    checked += 1
                    matched += plain is not None
    assert checked > 100_000 and matched > 500  # the comparison covers hits and misses


def _detect(m: dict[str, Any]) -> Any:
    return detect_situation(m["text"], m.get("subject", ""), m["language"], m["category"],
                            thread_of(m), m.get("attachments", []))


def test_each_rule_table_names_the_rules_the_plain_searches_name() -> None:
    texts = _texts()
    woken = 0
    for table in TABLES.values():
        for text in texts:
            fast = list(table.matches(text))
            assert fast == list(table.matches_plain(text)), text[:80]
            woken += len(fast)
    assert woken > 500


def test_detection_with_the_fast_path_equals_the_plain_rules(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [_detect(m) for m in MESSAGES]
    monkeypatch.setattr(RuleTable, "matches", RuleTable.matches_plain)
    monkeypatch.setattr(Rule, "search", Rule.search_plain)
    plain = [_detect(m) for m in MESSAGES]
    assert fast == plain
    assert len({d.situation for d in fast}) >= 10


def test_situation_and_topic_without_reasons_equal_the_detection() -> None:
    """The draft's detection (no reasons, scores not rounded) names what the full one names,
    also with the thread facts and attachments that add to the scores."""
    shapes = [None, ThreadFacts(replied_before=True), ThreadFacts(True, 2)]
    checked = set()
    for n, m in enumerate(MESSAGES):
        thread = shapes[n % 3] or thread_of(m)
        images = ["image/png"] if n % 5 == 0 else m.get("attachments", [])
        for category in (m["category"], "suggestion", "technical_issue")[:1 + n % 3]:
            args = (m["text"], m.get("subject", ""), m["language"], category, thread, images)
            full = detect_situation(*args)
            assert situation_and_topic(*args) == (full.situation, full.topic), m["text"][:80]
            assert situation_and_topic(*args, model=None) == (
                detect_situation(*args, model=None).situation,
                detect_situation(*args, model=None).topic)
            checked.add((full.situation, bool(full.topic)))
    assert len(checked) >= 15  # every situation, some with a topic


def _plain_scores(feature_text: str, model: Any = None) -> dict[str, float]:
    """The model's scores computed from :func:`term_counts` (the strings themselves)."""
    model = model or packaged_model()
    index, idf, matrix = model._arrays
    counted = term_counts(feature_text)
    known = [(index[t], k) for t, k in counted.items() if t in index]
    if not known:
        return dict.fromkeys(model.classes, 0.0)
    rows = np.array([i for i, _ in known], dtype=np.int64)
    counts = np.array([k for _, k in known], dtype=float)
    weights = (1 + np.log(counts)) * idf[rows]
    values = (weights / np.sqrt(weights @ weights)) @ matrix[rows]
    return dict(zip(model.classes, values.tolist(), strict=True))


def test_model_scores_from_cached_token_indexes_equal_the_plain_term_counts() -> None:
    model = packaged_model()
    idf = model.idf()  # built from the arrays on each call: once here
    names = list(idf)
    for m in MESSAGES:
        features = message_features(m)
        assert model.scores(features) == _plain_scores(features), m["text"][:80]
        ids = model.term_ids(features)
        # the same terms, the same counts, in the same (first-seen) order
        assert [(names[i], k) for i, k in ids.items()] == \
            [(t, k) for t, k in term_counts(features).items() if t in idf]


@pytest.mark.parametrize("text", [
    "", "   ", "a", "zzimage", "refund refund refund", "w:refund refund",
    "order#123,refund!! (order 123) order", "don hang\x1cchua\u2028giao\u00a0refund",
    "x_y 12 __ a-b a.b.c email@x.com http://a.b/c?d=e", "b:refund please refund please",
    "٣٤٥ ²³ ab_c ǅx đơn hàng ½ x² refund½",
])
def test_model_scores_of_odd_inputs_equal_the_plain_term_counts(text: str) -> None:
    """Words never span whitespace, so a token's words joined in turn are the input's words;
    terms found twice (a ``w:`` term that is also an n-gram) keep their first place."""
    model = packaged_model()
    assert model.scores(text) == _plain_scores(text)
    idf = model.idf()
    names = list(idf)
    assert [(names[i], k) for i, k in model.term_ids(text).items()] == \
        [(t, k) for t, k in term_counts(text).items() if t in idf]


def test_token_indexes_keep_the_gram_order_across_cache_generations(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a tiny bound, tokens move between the two generations and come back; each
    token's indexes are always its known n-grams in :func:`_grams` order, its known words,
    and the scores those of the plain term counts."""
    from array import array

    monkeypatch.setattr(situation_model, "_WORD_CACHE", 8)
    model = situation_model.train(CORPUS[:200])
    index = model._arrays[0]
    words = ("refund", "x", "đơn", "tran.thi.bich@yahoo.com", "order", "refund", "ab") * 5
    for i, word in enumerate(words):
        grams, word_ids, found = model._tokens[word]
        assert list(array("i", grams)) == [
            k for k in map(index.get, situation_model._grams(word)) if k is not None], word
        assert found == tuple(re.findall(r"\b\w\w+\b", word))
        assert list(array("i", word_ids)) == [index[f"w:{w}"] for w in found
                                               if f"w:{w}" in index]
        assert len(model._tokens) + len(model._tokens.older) <= 8
        text = " ".join(words[:i + 1])
        assert model.scores(text) == _plain_scores(text, model)
    assert model._tokens.older  # the bound was reached: the older generation is in use


def test_scores_leave_the_scratch_arrays_blank() -> None:
    model = packaged_model()
    model.scores("refund please, my order 123 never came")
    _lock, first, count = model._scratch
    assert (first == situation_model._NOT_SEEN).all() and not count.any()


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\brefund(?:s|ed|ing)?\b", {"refund"}),
    (r"\bmoney back\b|\breimburse", {"money back", "reimburse"}),
    (r"\b(?:late|delayed?|overdue)\b", {"late", "delaye", "overdue"}),
    (r"\bwhere(?:'s| is) (?:my|the) (?:order|parcel)", {"where"}),
    (r"\b(?:charged|debited)\b.{0,60}\b(?:failed|no order)", {"charged", "debited"}),
    (r"(?:ab){2,}x", {"ab"}),
    (r"(?=lookahead)\w+", {"lookahead"}),
    (r"[a-z]+ing", {"ing"}),
])
def test_required_literals_of_a_pattern(pattern: str, expected: set[str]) -> None:
    assert required_literals(pattern) == expected


@pytest.mark.parametrize("pattern", [
    r"(?i)refund", r"a(?i:bcd)", r"\d{3}", r"x?y?", r"(?:refund)?", r"\berr|\be\d+",
    r"(?!refund)\w+", r"[a-z]+i",
])
def test_patterns_without_required_literals_are_always_searched(pattern: str) -> None:
    assert required_literals(pattern) is None
    assert required_literals(re.compile(pattern, re.IGNORECASE)) is None


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\brefund(?:s|ed)?\b", {"refund"}),
    (r"\b(?:money back|reimburse)\b|\bchargeback", {"money back", "reimburse", "chargeback"}),
    (r"\bgot (?:my|the) money", {"got "}),
    (r"\b(?:da )?(?:gui|hoi)\b", None),
    (r"(?<!\w)order", None),
    (r"[a-z]+ing", None),
    (r"(?i)refund", None),
    (r"\be\d{3}", None),
])
def test_prefix_literals_of_a_pattern(pattern: str, expected: set[str] | None) -> None:
    assert prefix_literals(pattern) == (frozenset(expected) if expected is not None else None)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\brefund(?:s|ed)?\b", {"refund"}),
    (r"\b(?:da )?(?:gui|hoi)\b", {"da gui", "da hoi", "gui", "hoi"}),
    (r"\b(?:password|passcode|pin code)\b", {"password", "passcode", "pin code"}),
    (r"\b(?:ko|k) (?:the )?vao", {"ko the vao", "ko vao", "k the vao", "k vao"}),
    (r"i(?:'ve| have) attached", {"i've attached", "i have attached"}),
    (r"(?<!na-)(?<![\w-])(?:i-?cancel|cancel)\b", {"i-cancel", "icancel", "cancel"}),
    (r"^(?:ok|yes)[,.!]? it", {"ok", "yes"}),
    (r"\b(?:da|di) \d+", None),  # parsed as d[ai]: a class after one letter
    (r"\be\d{3}", None),
    (r"(?<!\w)x\w+", None),
    (r"(?i)refund", None),
    (r"[a-z]+ing", None),
])
def test_start_literals_of_a_pattern(pattern: str, expected: set[str] | None) -> None:
    assert start_literals(pattern) == (frozenset(expected) if expected is not None else None)


@pytest.mark.parametrize(("pattern", "anchored"), [
    (r"^(?:sure|ok)[,.!]? it", True), (r"\Aok", True), (r"(?m)^ok", False),
    (r"^ok|yes", False), (r"\bok", False), (r"(?:^ok)", True), (r"(^ok)", False),
])
def test_a_pattern_anchored_at_the_start(pattern: str, anchored: bool) -> None:
    assert anchored_at_start(pattern) is anchored


def test_an_anchored_rule_is_tried_at_the_start_only_and_answers_as_search() -> None:
    rule = Rule(r"^(?:sure|ok|okay|yes)[,.!]? (?:it'?s|the number is)\b")
    assert rule.anchored
    for text in ("ok it's 123", "well, ok it's 123", "yes the number is 5", "nope\nok it's"):
        present, starts = situation_rules.LITERALS.scanned(text)
        found = rule.compiled.search(text)
        assert rule.occurs(text, present, starts) is (found is not None)
        assert (rule.search(text) and rule.search(text).span()) == (found and found.span())


def test_rules_with_prefixes_start_every_match_with_one() -> None:
    texts = _texts()
    rules = [r for table in RULES.values() for rs in table.values() for r, _ in rs]
    with_prefixes = [r for r in rules if r.prefixes is not None]
    assert len(with_prefixes) > len(rules) // 2
    hits = 0
    for rule in with_prefixes:
        for text in texts:
            for m in rule.compiled.finditer(text):
                assert any(text.startswith(p, m.start()) for p in rule.prefixes), rule.pattern
                hits += 1
    assert hits > 500


def test_the_index_says_where_a_string_starts_overlaps_included() -> None:
    index = LiteralIndex()
    index.add({"aa", "ab"})
    assert index.starts("aaab aa", "aa") == [0, 1, 5]
    assert index.starts("aaab aa", "ab") == [2]
    assert index.starts("zzz", "aa") == []
    assert index.present("aaab") == {"aa", "ab"}


def test_a_rule_made_after_the_index_was_built_is_found() -> None:
    index = LiteralIndex()
    index.add({"refund"})
    assert index.present("a refund please") == {"refund"}
    index.add({"please", "fund"})
    assert index.present("a refund please") == {"refund", "please", "fund"}
    assert index.present("nothing here") == frozenset()


def test_every_packaged_rule_but_a_few_has_required_strings() -> None:
    rules = [r for table in RULES.values() for rs in table.values() for r, _ in rs]
    assert all(r.literals is None or r.literals <= situation_rules.LITERALS._words
               for r in rules)
    assert sum(r.literals is None for r in rules) <= len(rules) // 10


def _plain_fold(text: str) -> str:
    import unicodedata

    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    t = t.replace("’", "'").replace("‘", "'")
    return " ".join(t.split())


def test_fold_drops_the_marks_the_plain_way() -> None:
    texts = [m[k] for m in MESSAGES for k in ("text", "subject") if m.get(k)]
    texts += ["Ảnh chụp ĐƠN HÀNG ﬁ ǅ Å x’s", "ascii only", "", "e\u0301\u0323 \u20dd",
              "a\u034fb e\u0301\u034f\u0591 x\u036f\u0370", "tiếng Việt", "ệ\u0300\u0358"]
    assert any(not t.isascii() for t in texts)
    for text in texts:
        assert fold.__wrapped__(text) == _plain_fold(text), text[:80]


def test_threads_scoring_at_once_get_the_scores_of_one_thread() -> None:
    """The scratch arrays are lent to one thread at a time: scores made in four threads at
    once equal those made in turn."""
    from concurrent.futures import ThreadPoolExecutor

    model = situation_model.train(CORPUS)
    texts = [message_features(m) for m in MESSAGES] * 3
    alone = [model.scores(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(model.scores, texts))
    assert together == alone
    _lock, first, count = model._scratch
    assert (first == situation_model._NOT_SEEN).all() and not count.any()
