"""triage's classifiers: corpus, features, training, evaluation and model files.

The shipped model learns only from ``classifiers/corpus/``, which the team wrote.
``TriageClassifier`` and ``train`` are imported on first access, so importing a submodule
(e.g. ``classifiers.runtime`` in the daemon) does not import scikit-learn.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TriageClassifier", "train"]


def __getattr__(name: str) -> Any:
    if name == "TriageClassifier":
        from classifiers.model import TriageClassifier

        return TriageClassifier
    if name == "train":
        from classifiers.training import train

        return train
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
