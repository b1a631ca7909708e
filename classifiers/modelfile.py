"""Model files: skops format (no arbitrary pickle), with metadata and a checksum.

A model file is ``<name>.skops``; next to it ``<name>.json`` holds the metadata and the
SHA-256 of the model file. Loading refuses a file whose checksum does not match, and skops
refuses any type outside the allow-list below, so a planted file cannot run code.
"""

from __future__ import annotations

import json
from pathlib import Path

import skops.io as sio

from classifiers.model import FORMAT_VERSION, ModelMeta, TriageClassifier, file_sha256
from triage.errors import ModelFileError

# Types a triage model may contain beyond skops' defaults.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "classifiers.text.")
TRUSTED_EXTRA = {"builtins.function", "functools.partial"}


def save_model(model: TriageClassifier, path: Path) -> Path:
    """Write ``model`` to ``path`` (``.skops``) and its metadata next to it; return path."""
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
    return path


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
               lingua_margin: float = 0.0) -> TriageClassifier:
    """Load a model written by :func:`save_model`.

    Raises ModelFileError when the file is missing, altered (checksum), of an unknown format,
    or contains types outside the allow-list.
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
    pipeline, language = loaded["pipeline"], loaded.get("language")
    fields = {k: meta[k] for k in ModelMeta.__dataclass_fields__ if k in meta}
    return TriageClassifier(pipeline, ModelMeta(**fields),  # type: ignore[arg-type]
                            review_threshold=review_threshold,
                            category_thresholds=category_thresholds,
                            language_model=language, lingua_margin=lingua_margin)
