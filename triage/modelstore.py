"""Which model the daemon uses: an explicit file, the active registered version, or the model
trained from the bundled corpus (trained once, cached in ``data_dir/models``)."""

from __future__ import annotations

import logging
from pathlib import Path

from classifiers.corpus_io import examples_hash, load_corpus
from classifiers.model import FORMAT_VERSION, TriageClassifier, train
from classifiers.modelfile import load_model, save_model
from triage.config import Settings

log = logging.getLogger(__name__)


def bundled_model_path(models_dir: Path) -> Path:
    """Return where the model trained from the current bundled corpus is cached."""
    return models_dir / f"bundled-v{FORMAT_VERSION}-{examples_hash(load_corpus())[:16]}.skops"


def ensure_bundled_model(models_dir: Path) -> Path:
    """Train the bundled-corpus model unless it is cached; return its path."""
    path = bundled_model_path(models_dir)
    if not path.exists():
        log.info("training the bundled model (first use) into %s", path)
        examples = load_corpus()
        model = train(examples, version=f"bundled-{examples_hash(examples)[:12]}")
        save_model(model, path)
    return path


def load_classifier(settings: Settings, model_path: str | None = None,
                    active: tuple[str, str] | None = None) -> TriageClassifier:
    """Load the classifier the settings ask for.

    ``model_path`` (CLI ``--model``) wins, then ``classifier.model_path``, then ``active``
    (path, sha256 of the active registered version), then the bundled model.
    """
    c = settings.classifier
    kwargs = dict(review_threshold=c.review_threshold, category_thresholds=c.category_thresholds,
                  lingua_margin=c.lingua_margin)
    if model_path:
        return load_model(Path(model_path), **kwargs)  # type: ignore[arg-type]
    if c.model_path:
        return load_model(settings.resolve_path(c.model_path), **kwargs)  # type: ignore[arg-type]
    if active is not None:
        return load_model(Path(active[0]), expected_sha256=active[1], **kwargs)  # type: ignore
    path = ensure_bundled_model(settings.data_path / "models")
    return load_model(path, **kwargs)  # type: ignore[arg-type]


def active_model(settings: Settings, store: object,
                 model_path: str | None = None) -> tuple[str, str] | None:
    """Return (path, sha256) of the registry's active version, unless a file is configured."""
    if model_path or settings.classifier.model_path:
        return None
    from classifiers.registry import ModelRegistry

    return ModelRegistry(store, settings.data_path / "models").active()  # type: ignore[arg-type]
