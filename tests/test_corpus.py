"""The bundled corpus: size per language and category, valid rows, unaccented Vietnamese, few
near-duplicates (Vietnamese with and without diacritics counts as the same text), and no row that
copies a held-out example of tests/test_taxonomy.py."""

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


def word_set(text: str) -> frozenset[str]:
    """The words of ``text``, lower-cased with diacritics stripped (``không`` == ``khong``)."""
    return frozenset(_WORD.findall(fold(text)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two word sets (0.0 when both are empty)."""
    return len(a & b) / len(a | b) if a or b else 0.0


def near_duplicate_share(texts: list[str], threshold: float = 0.7) -> float:
    """Share of rows whose folded word set has Jaccard >= threshold with another row."""
    sets = [word_set(t) for t in texts]
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
            if jaccard(s, sets[j]) >= threshold:
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


def test_near_duplicate_detector_ignores_diacritics() -> None:
    texts = ["Không vào được app từ sáng nay", "khong vao duoc app tu sang nay", "giao hàng nhanh"]
    assert near_duplicate_share(texts) == 2 / 3


NEAR_COPY = 0.6
"""Folded word-set Jaccard at which a corpus row counts as a copy of a held-out example."""


def near_copies(rows: list[str], held_out: list[str], threshold: float = NEAR_COPY
                ) -> list[tuple[str, str]]:
    """Return (held-out example, corpus row) pairs whose word sets are near-identical."""
    held = [(t, word_set(t)) for t in held_out]
    out = []
    for r in rows:
        words = word_set(r)
        out += [(t, r) for t, s in held if jaccard(s, words) >= threshold]
    return out


def test_no_corpus_row_is_a_near_copy_of_a_held_out_example() -> None:
    from tests.test_taxonomy import EXAMPLES

    copies = near_copies([e.text for e in load_corpus()], [t for _, t, _ in EXAMPLES])
    assert not copies, copies[:10]


def test_near_copy_check_can_fail() -> None:
    found = near_copies(["Ok noted po", "the parcel is late"], ["ok po, noted"])
    assert found == [("ok po, noted", "Ok noted po")]
