"""The bundled corpus: size per language and category, valid rows, unaccented Vietnamese, few
near-duplicates (Vietnamese with and without diacritics counts as the same text), and no row that
copies a held-out example of tests/test_taxonomy.py."""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from pathlib import Path

from classifiers.corpus_io import Example, load_corpus
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


@functools.cache
def _scenario_pairs() -> tuple[tuple[str, Example, Example, float], ...]:
    """The corpus's scenario pairs at the test threshold (computed once for the tests below)."""
    from classifiers.scenario import corpus_pairs

    return tuple(corpus_pairs(load_corpus()))


def test_no_new_scenario_duplicates() -> None:
    """A row that retells another row's scenario (same product, fault and ask in other words)
    fails unless the pair is allow-listed with a reason in classifiers/corpus/scenario_allowed.tsv.
    """
    from classifiers.scenario import load_allowed, row_key

    allowed = load_allowed()
    found = [p for p in _scenario_pairs()
             if frozenset((row_key(p[1].text), row_key(p[2].text))) not in allowed]
    shown = [f"{lang} {s:.2f} {row_key(a.text)} {row_key(b.text)}: {a.text[:60]!r} ~ "
             f"{b.text[:60]!r}" for lang, a, b, s in found[:10]]
    assert not found, f"{len(found)} rows retell another row's scenario:\n" + "\n".join(shown)


def test_allow_list_names_only_rows_that_exist() -> None:
    """Every allow-listed pair names two rows still in the corpus (lines of a dropped or
    rewritten row are removed). A pair whose score fell under the threshold stays: scores are
    TF-IDF over the whole language, so rows added elsewhere move them (the id-8 rows took two
    listed pairs from 0.55-0.56 to just under), and the line must still hold if they come back."""
    from classifiers.scenario import load_allowed, row_key

    keys = {row_key(e.text) for e in load_corpus()}
    stale = [sorted(k) for k in load_allowed() if not k <= keys]
    assert not stale, stale[:10]


def test_scenario_check_can_fail() -> None:
    """Retellings (the proof-readers' own examples) are found; different scenarios are not."""
    from classifiers.scenario import unexplained_pairs

    base = [e for e in load_corpus() if e.lang == "tl"]
    retold = [  # tl-8 rows rewritten in session 9 because they retold an older row
        Example("natunaw yung chocolate pagdating, wala man lang ice pack. sayang",
                "complaint", "tl", "social"),
        Example("sobrang tagal dumating, 2 weeks. tapos yupi pa yung kahon", "complaint", "tl",
                "social"),
    ]
    different = Example("yung kandila, walang amoy kahit sinindihan na ng isang oras",
                        "complaint", "tl", "social")
    found = unexplained_pairs([*base, *retold, different], {})
    new = {b.text for _, a, b, _ in found} | {a.text for _, a, b, _ in found}
    assert {e.text for e in retold} <= new
    assert different.text not in new


def test_scenario_check_ignores_accents_and_stock_words() -> None:
    from classifiers.scenario import content_words, similarity

    a = "Máy giặt báo lỗi E21, không xả nước được"
    b = "may giat bao loi E21, khong xa nuoc duoc"
    assert content_words(a, "vi") == content_words(b, "vi")
    assert "shop" not in content_words("shop oi giao hang cham qua", "vi")
    sim = similarity([a, b, "Áo mặc một lần đã phai màu"], "vi")
    assert sim[0, 1] > 0.99 and sim[0, 2] < 0.2


def test_allow_list_line_without_reason_is_refused(tmp_path: Path) -> None:
    import pytest

    from classifiers.scenario import load_allowed
    from triage.errors import CorpusError

    good = tmp_path / "ok.tsv"
    good.write_text("# comment\ntl\taaa\tbbb\tdifferent ask\t0.60\tx || y\n", encoding="utf-8")
    assert load_allowed(good) == {frozenset(("aaa", "bbb")): "different ask"}
    bad = tmp_path / "bad.tsv"
    bad.write_text("tl\taaa\tbbb\t \t0.60\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="reason"):
        load_allowed(bad)
