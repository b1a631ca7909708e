"""Explain a prediction by its strongest terms.

Features are hashed, so the model has no vocabulary to print. Instead the input text is
analysed again with the same analyser, each term is hashed to its column, and the term's
contribution is its TF-IDF weight in this text times the linear model's coefficient for the
predicted category (terms that collide on one column share it equally).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from classifiers.function_words import is_function_phrase
from classifiers.model import TriageClassifier
from classifiers.text import _TOKEN, AFFIX, analyse, fold, normalise

MARKS = {"?": "a question mark", "!": "an exclamation mark"}
"""The punctuation the analyser reads as words (``classifiers.text``), named as an agent
reads them: a bare "?" in a list of words looked like a display error."""


@dataclass(frozen=True)
class Term:
    """One term of a message and how much it pushed the score of a category."""

    term: str
    weight: float


def explain(model: TriageClassifier, text: str, category: str | None = None,
            top: int = 8) -> list[Term]:
    """Return the ``top`` terms of ``text`` that most support ``category``.

    ``category`` defaults to the predicted label. Raises ValueError for an unknown category.
    Weights are positive when the term pushes towards the category, strongest first.
    """
    c = model.compiled
    if category is None:
        category = model.predict_labels([text])[0]
    if category not in c.classes:
        raise ValueError(f"unknown category {category!r}; use one of {', '.join(c.classes)}")
    k = c.classes.index(category)
    row = c.features([text])
    value = dict(zip(row.cols.tolist(), row.data.tolist(), strict=True))
    by_col: dict[int, list[str]] = defaultdict(list)
    for term in dict.fromkeys(analyse(text)):
        by_col[c.term_index(term)].append(term)
    weights = dict(zip(by_col, c.coef_of(list(by_col))[:, k].tolist(), strict=True))
    terms: list[Term] = []
    for col, names in by_col.items():
        share = value.get(col, 0.0) * weights[col] / len(names)
        terms.extend(Term(n, share) for n in names)
    terms.sort(key=lambda t: t.weight, reverse=True)
    return [t for t in terms[:top] if t.weight > 0]


def explain_words(model: TriageClassifier, text: str, category: str | None = None,
                  top: int = 8, lang: str | None = None) -> list[Term]:
    """Like :func:`explain`, in words a person reads: the weight of each word-start and
    word-end fragment goes to the whole words of ``text`` it comes from, so the result holds
    only words and two-word phrases, strongest first, spelt as the customer wrote them
    (diacritics kept: "thất vọng", not the folded "that vong" the model reads); terms with the
    analyser's number placeholder are left out (the customer wrote "500", the analyser reads
    "0"). With ``lang``, words and phrases made only of that language's function words
    ("the", "tôi", "yang", "ko po") are left out (``classifiers.function_words``). The
    question and exclamation marks, which the model reads as words, are named in words
    (:data:`MARKS`: "a question mark"). With the subject joined as ``model_input`` joins it,
    no term spans the subject and the body."""
    every = explain(model, text, category, top=10**6)
    words = _TOKEN.findall(normalise(text))
    long = [w for w in dict.fromkeys(words) if len(w) > AFFIX]
    out: dict[str, float] = defaultdict(float)
    for t in every:
        if t.term.startswith("<"):
            owners = [w for w in long if w.startswith(t.term[1:])]
        elif t.term.endswith(">"):
            owners = [w for w in long if w.endswith(t.term[:-1])]
        elif any(part.isdigit() for part in t.term.split()):
            owners = []  # the analyser's number placeholder ("error 0"): not what was written
        elif " " in t.term and any(part in MARKS for part in t.term.split()):
            owners = t.term.split()  # "help ?": the word and the mark, each on its own
        else:
            owners = [t.term]
        for w in owners:
            out[w] += t.weight / len(owners)
    ranked = sorted(out.items(), key=lambda kv: kv[1], reverse=True)
    spelt = spellings(text)
    shown = (Term(MARKS.get(term) or " ".join(spelt.get(w, w) for w in term.split()), v)
             for term, v in ranked if v > 0)
    return [t for t in shown
            if t.term in MARKS.values() or not is_function_phrase(t.term, lang)][:top]


def spellings(text: str) -> dict[str, str]:
    """Map each word as the model reads it (folded: "that") to the word as ``text`` spells
    it, lower-cased ("thất"), so an agent reads the customer's own words; the first spelling
    wins when several fold to one word."""
    out: dict[str, str] = {}
    for word in _TOKEN.findall(unicodedata.normalize("NFC", text).lower()):
        folded = fold(word)
        if folded != word and folded not in out:
            out[folded] = word
    return out
