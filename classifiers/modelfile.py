"""Model files: skops format (no arbitrary pickle), with metadata and a checksum.

A model file is ``<name>.skops``; next to it ``<name>.json`` holds the metadata and the
SHA-256 of the model file. Loading refuses a file whose checksum does not match, and skops
refuses any type outside the allow-list below, so a planted file cannot run code.

Saving also writes the runtime files ``<name>.runtime.npz`` / ``<name>.runtime.json``
(:mod:`classifiers.runtime`): the same model as numpy arrays. Loading uses them when they were
made from this very ``.skops`` file (checked by SHA-256), so the daemon does not import
scikit-learn or skops; the fitted pipeline is read from the ``.skops`` file only if someone asks
for it. A model file without (current) runtime files is loaded from the ``.skops`` file and the
runtime files are written next to it, so the next load is the lean one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from classifiers.model import FORMAT_VERSION, ModelMeta, TriageClassifier
from classifiers.runtime import RuntimeFileStale, file_sha256, load_runtime
from triage.errors import ModelFileError

log = logging.getLogger(__name__)

# Types a triage model may contain beyond skops' defaults.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "classifiers.text.")
TRUSTED_EXTRA = {"builtins.function", "functools.partial"}


def save_model(model: TriageClassifier, path: Path) -> Path:
    """Write ``model`` to ``path`` (``.skops``) and its metadata next to it; return path."""
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".skops.tmp")
    sio.dump({"pipeline": model.pipeline, "language": model.language_model}, tmp)
    tmp.replace(path)
    meta = dict(model.meta.__dict__)
    meta["sha256"] = file_sha256(path)
    side = path.with_suffix(".json")
    side_tmp = side.with_suffix(".json.tmp")
    side_tmp.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
    side_tmp.replace(side)
    model.compiled.save(path, meta["sha256"])
    return path


def write_runtime(path: Path, *, expected_sha256: str | None = None) -> Path:
    """Make sure the model file ``path`` has current runtime files; return the ``.npz`` path.

    Loads the model like :func:`load_model` (which writes missing or stale runtime files).
    Raises ModelFileError when the model cannot be loaded or its runtime files not written.
    """
    path = Path(path)
    load_model(path, expected_sha256=expected_sha256)
    try:
        load_runtime(path, file_sha256(path))
    except RuntimeFileStale as exc:
        raise ModelFileError(f"{path}: cannot write its runtime file ({exc}); make the "
                             "directory writable for the triage user") from exc
    return path.with_suffix(".runtime.npz")


def read_meta(path: Path) -> dict[str, object]:
    """Return the metadata stored next to model file ``path``; raises ModelFileError."""
    side = Path(path).with_suffix(".json")
    try:
        return json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(
            f"{side}: metadata file missing; retrain with 'triage train'") from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{side}: unreadable metadata ({exc}); retrain the model") from exc


def load_model(path: Path, *, expected_sha256: str | None = None,
               review_threshold: float = 0.55,
               category_thresholds: dict[str, float] | None = None,
               lingua_margin: float = 0.0,
               language_thresholds: dict[str, float] | None = None) -> TriageClassifier:
    """Load a model written by :func:`save_model`.

    Raises ModelFileError when the file is missing, altered (checksum), of an unknown format,
    or contains types outside the allow-list. The thresholds given here are the configured
    overrides; the per-language thresholds stored in the file apply where they do not.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found; run 'triage train' or fix the path")
    meta = read_meta(path)
    actual = file_sha256(path)
    want = expected_sha256 or str(meta.get("sha256", ""))
    if actual != want:
        raise ModelFileError(f"{path}: checksum mismatch (file changed since it was written); "
                             "refusing to load it. Retrain or restore the file.")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: model format {meta.get('format_version')!r} is not "
                             f"{FORMAT_VERSION} (written by another triage version); retrain "
                             "it with 'triage train'")
    fields = {k: meta[k] for k in ModelMeta.__dataclass_fields__ if k in meta}
    model_meta = ModelMeta(**fields)  # type: ignore[arg-type]
    options: dict[str, Any] = dict(review_threshold=review_threshold,
                                   category_thresholds=category_thresholds,
                                   lingua_margin=lingua_margin,
                                   language_thresholds=language_thresholds)
    try:
        runtime = load_runtime(path, actual)
    except RuntimeFileStale as why:
        log.info("%s: loading the fitted pipeline, since the runtime file is not usable (%s)",
                 path, why)
    else:
        return TriageClassifier(None, model_meta, runtime=runtime,
                                loader=lambda: _load_fitted(path, actual), **options)
    pipeline, language = _load_fitted(path, actual)
    model = TriageClassifier(pipeline, model_meta, language_model=language, **options)
    try:
        model.compiled.save(path, actual)
    except OSError as exc:
        log.warning("%s: cannot write its runtime file (%s); every load will read the .skops "
                    "file and import scikit-learn until the directory is writable", path, exc)
    return model


def _load_fitted(path: Path, sha256: str) -> tuple[Any, Any]:
    """Return ``(pipeline, language_model)`` from the skops file ``path``.

    Raises ModelFileError when the file no longer has checksum ``sha256`` or is not a triage
    model of trusted types.
    """
    import skops.io as sio

    if file_sha256(path) != sha256:
        raise ModelFileError(f"{path}: checksum mismatch (file changed since it was loaded); "
                             "restart triage to load the new file")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelFileError(f"{path}: not a skops model file ({exc})") from exc
    bad = [t for t in untrusted
           if not t.startswith(TRUSTED_PREFIXES) and t not in TRUSTED_EXTRA]
    if bad:
        raise ModelFileError(f"{path}: contains types triage does not trust: {bad[:5]}")
    loaded = sio.load(path, trusted=untrusted)
    if not isinstance(loaded, dict) or "pipeline" not in loaded:
        raise ModelFileError(f"{path}: not a triage model bundle; retrain with 'triage train'")
    return loaded["pipeline"], loaded.get("language")
