"""A small model of situations: character n-grams and a linear SVM (scikit-learn).

Keyword rules (:mod:`triage.drafting.situation_rules`) are exact where customers use the
expected words, and blind to everything else: "no sign of my order", "ke-debet dobel", "wala
pong signal". Character n-grams of the folded text (no diacritics, lowercase) catch those
near-misses across all four languages, so :func:`triage.drafting.situations.detect_situation`
blends this model's probabilities with the rules' scores.

The model learns from the corpus the team wrote, ``situation_corpus/<lang>.toml`` (packaged
with triage, never customer data). It is trained on first use in a process (under a second)
and kept: training is deterministic, so every process gets the same model. The fixtures in
tests/situations/ are a separate, held-out set the model never sees.

A linear SVM rather than logistic regression: the same held-out accuracy, trained about
twenty times faster. Its decision values become probabilities through a softmax with
temperature :data:`TEMPERATURE`.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from triage.drafting.situation_rules import fold

CORPUS_DIR = Path(__file__).parent / "situation_corpus"
TEMPERATURE = 0.5
"""Softmax temperature turning SVM decision values into probabilities."""


def load_corpus(directory: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    """Return every ``[[message]]`` of the corpus files in ``directory``, file by file."""
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            out += tomllib.load(fh)["message"]
    return out


def features(text: str, subject: str = "", replied_before: bool = False,
             unanswered: int = 1, attachment_types: Sequence[str] = ()) -> str:
    """Return the model's input: folded subject and text plus tokens for the thread facts
    (``zzreplied``, ``zzchase``) and attachments (``zzimage``, ``zzfile``)."""
    extra = []
    if replied_before:
        extra.append("zzreplied")
    if unanswered >= 2:
        extra.append("zzchase")
    if any(t.lower().startswith("image/") for t in attachment_types):
        extra.append("zzimage")
    elif attachment_types:
        extra.append("zzfile")
    if subject.strip().lower().startswith("re:"):
        extra.append("zzre")
    return f"{fold(subject)}\n{fold(text)} {' '.join(extra)}".strip()


def message_features(m: dict[str, Any]) -> str:
    """Return :func:`features` for a corpus or fixture message (a TOML table)."""
    return features(m["text"], m.get("subject", ""), bool(m.get("replied_before", False)),
                    int(m.get("unanswered", 1)), m.get("attachments", []))


@dataclass(frozen=True)
class SituationModel:
    """A fitted vectoriser and linear SVM; :func:`probabilities` reads it."""

    vectorizer: Any
    svm: Any

    @property
    def classes(self) -> list[str]:
        """The situations the model knows, in the SVM's order."""
        return [str(c) for c in self.svm.classes_]


def train(messages: Sequence[dict[str, Any]]) -> SituationModel:
    """Return a model fitted on ``messages`` (corpus tables with ``situation``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union
    from sklearn.svm import LinearSVC

    vectorizer = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True))
    x = vectorizer.fit_transform([message_features(m) for m in messages])
    svm = LinearSVC(C=1.0, random_state=0).fit(x, [m["situation"] for m in messages])
    return SituationModel(vectorizer, svm)


@lru_cache(maxsize=1)
def packaged_model() -> SituationModel:
    """Return the model trained on the packaged corpus (trained once per process)."""
    return train(load_corpus())


def probabilities(model: SituationModel, feature_text: str) -> dict[str, float]:
    """Return a probability for each situation the model knows, for one input."""
    scores = model.svm.decision_function(model.vectorizer.transform([feature_text]))[0]
    top = max(scores)
    exp = [math.exp((float(v) - top) / TEMPERATURE) for v in scores]
    total = sum(exp)
    return {c: e / total for c, e in zip(model.classes, exp, strict=True)}
