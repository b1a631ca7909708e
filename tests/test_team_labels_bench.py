"""The chance figures of ``bench/team_labels.py``: the bootstrap interval of a language's
macro-F1 must be a point when every prediction is right, must be wide where a category has a
single message, and the gap to English must be measured on the same resamples."""

from __future__ import annotations

from bench.team_labels import LANGS, bootstrap, per_language
from classifiers.corpus_io import Example

CATS = ("complaint", "request", "suggestion", "technical_issue")


def rows(lang: str, counts: dict[str, int]) -> list[Example]:
    """``counts[label]`` messages of ``lang`` with that label."""
    return [Example(f"{lang} {lab} {i}", lab, lang) for lab, n in counts.items()
            for i in range(n)]


def test_perfect_predictions_give_a_point_interval_and_no_gap() -> None:
    dev = [e for lang in LANGS for e in rows(lang, dict.fromkeys(CATS, 20))]
    ci = bootstrap(dev, [e.label for e in dev], 200)
    for lang in LANGS:
        assert ci[lang] == (1.0, 1.0, 0.0, 0.0)
    assert per_language(dev, [e.label for e in dev]) == dict.fromkeys(("all", *LANGS), 1.0)


def test_a_single_message_category_makes_the_interval_wide() -> None:
    dev = [e for lang in LANGS for e in rows(lang, dict.fromkeys(CATS, 50))]
    # Tagalog: 100 complaints and one suggestion; the suggestion is missed and two complaints
    # are called suggestions, so suggestion F1 is 0 whenever the resample holds them
    tl = rows("tl", {"complaint": 100, "suggestion": 1})
    dev = [e for e in dev if e.lang != "tl"] + tl
    pred = [e.label for e in dev]
    first_tl = len(dev) - len(tl)
    pred[first_tl] = pred[first_tl + 1] = "suggestion"
    pred[-1] = "complaint"
    figures = per_language(dev, pred)
    assert figures["tl"] < 0.5 < figures["en"] == 1.0
    lo, hi, glo, ghi = bootstrap(dev, pred, 400)["tl"]
    assert lo < hi
    assert glo == lo - 1.0 and ghi == hi - 1.0   # English is perfect on every resample
