"""triage's classifiers: corpus, features, training, evaluation and model files.

The shipped model learns only from ``classifiers/corpus/``, which the team wrote.
"""

from classifiers.model import TriageClassifier, train

__all__ = ["TriageClassifier", "train"]
