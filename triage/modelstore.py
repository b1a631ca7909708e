"""Which model the daemon uses: an explicit file, the active registered version, or the model
trained from the bundled corpus (trained once, cached in ``data_dir/models``).

Whatever needs scikit-learn runs in a child process (``python -m triage.modelstore``): training
the bundled model on first use, and writing the runtime file of a model file that has none
(an older file). scikit-learn does not give its memory back, so the daemon itself only ever
loads the numpy runtime model (``classifiers.runtime``).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from classifiers.corpus_io import examples_hash, load_corpus
from classifiers.model import FORMAT_VERSION, TriageClassifier
from classifiers.modelfile import load_model
from classifiers.runtime import file_sha256, runtime_is_current
from triage.config import Settings
from triage.errors import ModelFileError

log = logging.getLogger(__name__)


BUNDLED_RECIPE = 2
"""Raised when the bundled model is trained differently (2: with per-language thresholds), so
a model cached by an older triage is trained again."""


def bundled_model_path(models_dir: Path) -> Path:
    """Return where the model trained from the current bundled corpus is cached."""
    return models_dir / (f"bundled-v{FORMAT_VERSION}r{BUNDLED_RECIPE}-"
                         f"{examples_hash(load_corpus())[:16]}.skops")


def _in_child(*args: str) -> None:
    """Run ``python -m triage.modelstore ARGS`` and wait; raises ModelFileError on failure."""
    proc = subprocess.run([sys.executable, "-m", "triage.modelstore", *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise ModelFileError(f"'{' '.join(args)}' failed in a child process "
                             f"(exit {proc.returncode}): {tail}")


def train_bundled(path: Path) -> Path:
    """Train the bundled-corpus model in this process and save it to ``path``; return it."""
    from classifiers.modelfile import save_model
    from classifiers.training import train

    examples = load_corpus()
    chash = examples_hash(examples)
    data = {"corpus_hash": chash, "n_corpus": len(examples), "n_corrections": 0, "n_pseudo": 0,
            "self_training": "off"}
    save_model(train(examples, version=f"bundled-{chash[:12]}", data=data), path)
    return path


def ensure_bundled_model(models_dir: Path) -> Path:
    """Train the bundled-corpus model (in a child process) unless it is cached; return its path.

    Raises ModelFileError when the child process fails.
    """
    path = bundled_model_path(models_dir)
    if not path.exists():
        log.info("training the bundled model (first use) into %s", path)
        path.parent.mkdir(parents=True, exist_ok=True)
        _in_child("train-bundled", str(path))
    return path


def ensure_runtime(path: Path, expected_sha256: str | None = None) -> None:
    """Write the runtime file of model file ``path`` in a child process when it has none.

    Failures are logged, not raised: :func:`load_model` then loads the ``.skops`` file itself
    and reports what is wrong with it.
    """
    if not path.is_file():
        return
    if runtime_is_current(path, expected_sha256 or file_sha256(path)):
        return
    log.info("writing the runtime file of %s (a child process loads the .skops file)", path)
    args = ["write-runtime", str(path)] + ([expected_sha256] if expected_sha256 else [])
    try:
        _in_child(*args)
    except ModelFileError as exc:
        log.warning("%s", exc)


def _load(path: Path, expected_sha256: str | None = None, **kwargs: object
          ) -> TriageClassifier:
    ensure_runtime(path, expected_sha256)
    return load_model(path, expected_sha256=expected_sha256, **kwargs)  # type: ignore[arg-type]


def load_classifier(settings: Settings, model_path: str | None = None,
                    active: tuple[str, str] | None = None) -> TriageClassifier:
    """Load the classifier the settings ask for.

    ``model_path`` (CLI ``--model``) wins, then ``classifier.model_path``, then ``active``
    (path, sha256 of the active registered version), then the bundled model.
    """
    c = settings.classifier
    kwargs = dict(review_threshold=c.review_threshold, category_thresholds=c.category_thresholds,
                  lingua_margin=c.lingua_margin, language_thresholds=c.language_thresholds)
    if model_path:
        return _load(Path(model_path), **kwargs)
    if c.model_path:
        return _load(settings.resolve_path(c.model_path), **kwargs)
    if active is not None:
        return _load(Path(active[0]), active[1], **kwargs)
    return _load(ensure_bundled_model(settings.data_path / "models"), **kwargs)


def active_model(settings: Settings, store: object,
                 model_path: str | None = None) -> tuple[str, str] | None:
    """Return (path, sha256) of the registry's active version, unless a file is configured."""
    if model_path or settings.classifier.model_path:
        return None
    from classifiers.registry import ModelRegistry

    return ModelRegistry(store, settings.data_path / "models").active()  # type: ignore[arg-type]


class LiveClassifier:
    """The registry's active model, swapped in as soon as an admin activates another
    version: each use asks the registry which version is active (one small query) and loads
    the new one when it changed. Everything else is the loaded model's (``predict``,
    ``compiled``, ``version``...)."""

    def __init__(self, load: Callable[[tuple[str, str] | None], TriageClassifier],
                 active: Callable[[], tuple[str, str] | None]) -> None:
        self._load, self._active = load, active
        self._key = active()
        self._model = load(self._key)

    def current(self) -> TriageClassifier:
        """Return the model of the active version, loading it when it changed."""
        key = self._active()
        if key != self._key:
            model = self._load(key)  # raises: the old model stays in use
            log.info("model version changed: now %s", key[0] if key else "the bundled model")
            self._model, self._key = model, key
        return self._model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)


def main(argv: list[str]) -> int:
    """Child-process entry: ``train-bundled PATH`` or ``write-runtime PATH [SHA256]``."""
    from classifiers.modelfile import write_runtime

    if len(argv) >= 2 and argv[0] == "train-bundled":
        train_bundled(Path(argv[1]))
        return 0
    if len(argv) >= 2 and argv[0] == "write-runtime":
        write_runtime(Path(argv[1]), expected_sha256=argv[2] if len(argv) > 2 else None)
        return 0
    print("usage: python -m triage.modelstore train-bundled PATH | write-runtime PATH [SHA256]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
