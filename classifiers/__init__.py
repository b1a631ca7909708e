"""triage's classifiers: corpus, features, training, evaluation and model files.

The shipped model learns only from ``classifiers/corpus/``, which the team wrote. Import the
submodule you need: ``classifiers.model`` (the classifier the daemon uses, numpy only) and
``classifiers.runtime`` never import scikit-learn; ``classifiers.training`` does.
"""
