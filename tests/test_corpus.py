"""The bundled corpus: size per language and category, valid rows, unaccented Vietnamese, few
near-duplicates."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from classifiers.corpus_io import load_corpus
from classifiers.text import fold

MIN_PER_CATEGORY = {"en": 750, "vi": 350, "id": 300, "tl": 300}
MIN_UNACCENTED_VI = 60
"""Rows per category of Vietnamese written without diacritics (customers type them often)."""
CATEGORIES = ("complaint", "request", "suggestion", "technical_issue")
_WORD = re.compile(r"\w+", re.UNICODE)


def test_corpus_covers_every_language_and_category() -> None:
    counts = Counter((e.lang, e.label) for e in load_corpus())
    for lang, minimum in MIN_PER_CATEGORY.items():
        for cat in CATEGORIES:
            assert counts[(lang, cat)] >= minimum, f"{lang}/{cat}: {counts[(lang, cat)]}"
        assert counts[(lang, "other")] >= 50, f"{lang}/other"


def test_vietnamese_without_diacritics_in_every_category() -> None:
    plain = Counter(e.label for e in load_corpus()
                    if e.lang == "vi" and fold(e.text) == e.text.lower())
    for cat in (*CATEGORIES, "other"):
        assert plain[cat] >= MIN_UNACCENTED_VI, f"vi/{cat} without diacritics: {plain[cat]}"


def test_rows_have_valid_channel() -> None:
    assert {e.channel for e in load_corpus()} <= {"email", "social"}


def near_duplicate_share(texts: list[str], threshold: float = 0.7) -> float:
    """Share of rows whose word set has Jaccard >= threshold with another row."""
    sets = [frozenset(_WORD.findall(t.lower())) for t in texts]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for w in s:
            index[w].append(i)
    dup = 0
    for i, s in enumerate(sets):
        if not s:
            continue
        shared: Counter[int] = Counter()
        for w in s:
            if len(index[w]) < 400:  # very common words say little about duplication
                shared.update(index[w])
        shared.pop(i, None)
        for j in shared:
            inter = len(s & sets[j])
            if inter / len(s | sets[j]) >= threshold:
                dup += 1
                break
    return dup / max(1, len(texts))


def test_near_duplicate_share_is_small() -> None:
    texts = [e.text for e in load_corpus()]
    share = near_duplicate_share(texts)
    print(f"near-duplicate share: {share:.2%}")
    assert share < 0.03


def test_near_duplicate_detector_can_fail() -> None:
    texts = ["my order 1 is late again", "my order 2 is late again", "totally different thing"]
    assert near_duplicate_share(texts, 0.6) > 0.5
