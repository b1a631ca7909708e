"""The runtime model: a fitted triage model as plain numpy arrays, with no scikit-learn.

The daemon only predicts, and prediction is a few array operations: hash the analyser's terms
to columns (MurmurHash3, like sklearn's ``HashingVectorizer`` with ``alternate_sign=False``),
count them, apply sublinear TF, IDF and L2 normalisation (like ``TfidfTransformer``), multiply
by the SVM coefficients and apply the sigmoid calibration (like ``CalibratedClassifierCV`` with
``ensemble=False``). Loading those arrays instead of the skops pipeline keeps scikit-learn,
scipy and skops out of the daemon (about 150 MB of resident memory).

:meth:`RuntimeModel.from_pipeline` takes the arrays out of a fitted pipeline;
``tests/test_runtime_model.py`` proves the hashing equals sklearn's and the probabilities equal
the pipeline's to 1e-9. The arrays are stored in ``<name>.runtime.npz`` (read with
``allow_pickle=False``, so the file cannot run code) and described by ``<name>.runtime.json``,
which carries the SHA-256 of the ``.npz`` and of the ``.skops`` file it was made from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mmh3
import numpy as np

from classifiers.text import analyse

RUNTIME_FORMAT = 1
"""Version of the runtime file layout; a file of another version is rebuilt from the skops."""

_ARRAYS = ("idf", "coef", "intercept", "sig_a", "sig_b", "lang_coef", "lang_intercept")


def runtime_paths(model_path: Path) -> tuple[Path, Path]:
    """Return ``(<name>.runtime.npz, <name>.runtime.json)`` for model file ``model_path``."""
    model_path = Path(model_path)
    return (model_path.with_suffix(".runtime.npz"), model_path.with_suffix(".runtime.json"))


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file (read in 1 MiB chunks)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def term_columns(terms: Sequence[str], n_features: int) -> np.ndarray:
    """Return the hashed column of each term, exactly as ``HashingVectorizer`` computes it.

    sklearn takes the signed 32-bit MurmurHash3 (seed 0) of the UTF-8 bytes and uses
    ``abs(h) % n_features``; for ``h == -2**31`` it uses ``2**31 % n_features``, which is what
    ``abs`` gives in int64 too.
    """
    hashes = np.fromiter(map(mmh3.hash, terms), dtype=np.int64, count=len(terms))
    return np.abs(hashes) % n_features


@dataclass(frozen=True)
class Features:
    """A batch's TF-IDF matrix in coordinate form: ``data[i]`` at ``(rows[i], cols[i])``.

    Entries are sorted by row, then column, with no duplicates; rows are L2-normalised.
    """

    n_rows: int
    rows: np.ndarray
    cols: np.ndarray
    data: np.ndarray

    def select(self, rows: Sequence[int]) -> Features:
        """Return the features of ``rows`` (distinct, ascending), renumbered from 0."""
        new_id = np.full(self.n_rows, -1, dtype=np.int64)
        new_id[np.asarray(rows, dtype=np.int64)] = np.arange(len(rows))
        keep = new_id[self.rows] >= 0
        return Features(len(rows), new_id[self.rows[keep]], self.cols[keep], self.data[keep])


class RuntimeModel:
    """The fitted arrays of a category model (and optional language model)."""

    def __init__(self, *, n_features: int, sublinear: bool, classes: Sequence[str],
                 idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 sig_a: np.ndarray, sig_b: np.ndarray, lang_classes: Sequence[str] = (),
                 lang_coef: np.ndarray | None = None,
                 lang_intercept: np.ndarray | None = None) -> None:
        self.n_features = int(n_features)
        self.sublinear = bool(sublinear)
        self.classes = [str(c) for c in classes]
        self.idf = np.asarray(idf, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.sig_a = np.asarray(sig_a, dtype=np.float64)
        self.sig_b = np.asarray(sig_b, dtype=np.float64)
        self.lang_classes = [str(c) for c in lang_classes]
        k = len(self.lang_classes)
        coef = np.asarray(coef, dtype=np.float64)
        lang = np.asarray(lang_coef if lang_coef is not None else np.zeros((self.n_features, k)),
                          dtype=np.float64)
        self.lang_intercept = np.asarray(
            lang_intercept if lang_intercept is not None else np.zeros(k), dtype=np.float64)
        if self.idf.shape != (self.n_features,) or coef.shape != (
                self.n_features, len(self.classes)) or lang.shape != (self.n_features, k):
            raise ValueError("runtime model arrays do not match n_features/classes")
        # Most hashed columns have no weight in either model (the L1/L2 SVMs leave ~two
        # thirds of 2**18 rows zero): keep only the rows with a weight, with row 0 the zero
        # row, and a column -> row map. Same float64 values, so the same results to the bit,
        # in ~7 MB instead of ~18 MB per process (docs/benchmarks.md, soak).
        used = np.flatnonzero(np.any(coef != 0, axis=1) | np.any(lang != 0, axis=1))
        self._row_of = np.zeros(self.n_features, dtype=np.int32)
        self._row_of[used] = np.arange(1, len(used) + 1, dtype=np.int32)
        # Both models' rows side by side, so a batch is scored for categories and languages
        # in one pass (:meth:`scores`); the two tables are views of it, not copies.
        self._table = np.concatenate([np.zeros((1, coef.shape[1] + k)),
                                      np.concatenate([coef[used], lang[used]], axis=1)])
        self._coef = self._table[:, :coef.shape[1]]
        self._lang_coef = self._table[:, coef.shape[1]:]
        self._used = used

    def _dense(self, table: np.ndarray) -> np.ndarray:
        out = np.zeros((self.n_features, table.shape[1]), dtype=np.float64)
        out[self._used] = table[1:]
        return out

    @property
    def coef(self) -> np.ndarray:
        """The SVM coefficients as one dense ``(n_features, classes)`` array (a new array,
        built on each call: for saving; use :meth:`coef_of` to read a few columns)."""
        return self._dense(self._coef)

    @property
    def lang_coef(self) -> np.ndarray:
        """The language model's coefficients as a dense ``(n_features, languages)`` array
        (a new array on each call, like :attr:`coef`)."""
        return self._dense(self._lang_coef)

    def coef_of(self, cols: np.ndarray | Sequence[int]) -> np.ndarray:
        """Return the SVM coefficient rows of the hashed columns ``cols``."""
        return self._coef[self._row_of[np.asarray(cols, dtype=np.int64)]]

    @property
    def nbytes(self) -> int:
        """Bytes held by the model's arrays."""
        return sum(a.nbytes for a in (self.idf, self.intercept, self.sig_a, self.sig_b,
                                      self.lang_intercept, self._row_of, self._table,
                                      self._used))

    @classmethod
    def from_pipeline(cls, pipeline: Any, language_model: Any = None) -> RuntimeModel:
        """Take the arrays out of a fitted triage pipeline (see ``classifiers.training``).

        Raises ValueError when the pipeline was not calibrated with ``ensemble=False``.
        """
        hasher, tfidf = (s for _, s in pipeline.named_steps["features"].steps)
        clf = pipeline.named_steps["clf"]
        calibrated = clf.calibrated_classifiers_
        if len(calibrated) != 1:
            raise ValueError("the runtime model needs a model calibrated with ensemble=False")
        cal = calibrated[0]
        svm = cal.estimator
        lang: dict[str, Any] = {}
        if language_model is not None:
            lang = {"lang_classes": [str(c) for c in language_model.classes_],
                    "lang_coef": language_model.coef_.T,
                    "lang_intercept": language_model.intercept_}
        return cls(n_features=int(hasher.n_features), sublinear=bool(tfidf.sublinear_tf),
                   classes=[str(c) for c in clf.classes_], idf=tfidf.idf_, coef=svm.coef_.T,
                   intercept=svm.intercept_,
                   sig_a=np.array([c.a_ for c in cal.calibrators], dtype=np.float64),
                   sig_b=np.array([c.b_ for c in cal.calibrators], dtype=np.float64), **lang)

    def term_index(self, term: str) -> int:
        """Return the hashed column of ``term`` (as HashingVectorizer computes it)."""
        return int(term_columns([term], self.n_features)[0])

    def features(self, texts: Sequence[str]) -> Features:
        """Return the TF-IDF features (rows L2-normalised) of ``texts``."""
        per_text = [analyse(t) for t in texts]
        counts = np.fromiter(map(len, per_text), dtype=np.int64, count=len(per_text))
        terms = [term for ts in per_text for term in ts]
        cols = term_columns(terms, self.n_features)
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
        # One key per (row, column): unique() sorts them and counts the repeats (term counts).
        keys, tf = np.unique(rows * self.n_features + cols, return_counts=True)
        rows, cols = np.divmod(keys, self.n_features)
        data = tf.astype(np.float64)
        if self.sublinear:
            data = np.log(data) + 1.0
        data *= self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(texts)))
        norms[norms == 0] = 1.0
        data /= norms[rows]
        return Features(len(texts), rows, cols, data)

    def _product(self, x: Features, table: np.ndarray) -> np.ndarray:
        """``x`` times ``table`` (its rows by hashed column): one sum per (row, column).

        One ``bincount`` over (row, column) keys instead of one per column: each sum still
        adds its row's terms in the order of ``x``, starting from zero, so the values are
        those of a per-column ``bincount`` to the bit (tests/test_classify_fastpath.py)."""
        k = table.shape[1]
        contrib = table[self._row_of[x.cols]] * x.data[:, None]
        keys = (x.rows[:, None] * k + np.arange(k)).ravel()
        sums = np.bincount(keys, weights=contrib.ravel(), minlength=x.n_rows * k)
        # (an empty batch of terms gives integer zeros)
        return sums.astype(np.float64, copy=False).reshape(x.n_rows, k)

    def scores(self, x: Features) -> tuple[np.ndarray, np.ndarray]:
        """Return the SVM decision values and the language model's decision values of ``x``
        in one pass: what :meth:`decision` and :meth:`language_scores` return."""
        n = len(self.classes)
        out = self._product(x, self._table)
        return out[:, :n] + self.intercept, out[:, n:] + self.lang_intercept

    def decision(self, x: Features) -> np.ndarray:
        """Return the SVM decision values (columns = ``classes``)."""
        return self._product(x, self._coef) + self.intercept

    def proba(self, x: Features) -> np.ndarray:
        """Return calibrated class probabilities (columns = ``classes``)."""
        return self.calibrate(self.decision(x))

    def calibrate(self, dec: np.ndarray) -> np.ndarray:
        """Return the calibrated class probabilities of decision values ``dec``."""
        p = 1.0 / (1.0 + np.exp(self.sig_a * dec + self.sig_b))
        if len(self.classes) == 2:
            return np.column_stack([1.0 - p[:, 1], p[:, 1]])
        den = p.sum(axis=1, keepdims=True)
        uniform = np.full_like(p, 1.0 / p.shape[1])
        return np.divide(p, den, out=uniform, where=den != 0)

    def language_scores(self, x: Features) -> np.ndarray:
        """Return the language model's decision values (columns = ``lang_classes``)."""
        return self._product(x, self._lang_coef) + self.lang_intercept

    def save(self, model_path: Path, skops_sha256: str) -> Path:
        """Write the runtime files next to ``model_path``; return the ``.npz`` path.

        ``skops_sha256`` binds them to the model file they were made from.
        """
        npz, side = runtime_paths(model_path)
        tmp = npz.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **{name: getattr(self, name) for name in _ARRAYS})
        tmp.replace(npz)
        meta = {"runtime_format": RUNTIME_FORMAT, "n_features": self.n_features,
                "sublinear": self.sublinear, "classes": self.classes,
                "lang_classes": self.lang_classes, "sha256": file_sha256(npz),
                "skops_sha256": skops_sha256}
        side_tmp = side.with_suffix(".json.tmp")
        side_tmp.write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        side_tmp.replace(side)
        return npz


class RuntimeFileStale(Exception):
    """The runtime files are missing, unreadable or not made from the given model file.

    Not a TriageError: the loader answers it by rebuilding them from the ``.skops`` file.
    """


def load_runtime(model_path: Path, skops_sha256: str) -> RuntimeModel:
    """Load the runtime files of ``model_path`` (made from the skops file ``skops_sha256``).

    Raises RuntimeFileStale, with the reason, when they are missing, altered, of another
    format or made from another model file.
    """
    npz, side = runtime_paths(model_path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeFileStale(f"{side} does not exist") from None
    except (OSError, ValueError) as exc:
        raise RuntimeFileStale(f"{side} is unreadable ({exc})") from exc
    if meta.get("runtime_format") != RUNTIME_FORMAT:
        raise RuntimeFileStale(f"{side}: runtime format {meta.get('runtime_format')!r} is "
                               f"not {RUNTIME_FORMAT}")
    if meta.get("skops_sha256") != skops_sha256:
        raise RuntimeFileStale(f"{side} was made from another version of {model_path.name}")
    try:
        actual = file_sha256(npz)
    except OSError as exc:
        raise RuntimeFileStale(f"{npz} is unreadable ({exc})") from exc
    if actual != meta.get("sha256"):
        raise RuntimeFileStale(f"{npz}: checksum mismatch (file changed since it was written)")
    try:
        with np.load(npz, allow_pickle=False) as arrays:
            values = {name: arrays[name] for name in _ARRAYS}
        return RuntimeModel(n_features=meta["n_features"], sublinear=meta["sublinear"],
                            classes=meta["classes"], lang_classes=meta["lang_classes"],
                            **values)
    except (OSError, KeyError, ValueError) as exc:
        raise RuntimeFileStale(f"{npz} is not a triage runtime model ({exc})") from exc


def runtime_is_current(model_path: Path, skops_sha256: str) -> bool:
    """Return True when ``model_path`` has runtime files made from the skops ``skops_sha256``.

    A cheap check (the description file only); :func:`load_runtime` verifies the arrays.
    """
    npz, side = runtime_paths(model_path)
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (npz.is_file() and meta.get("runtime_format") == RUNTIME_FORMAT
            and meta.get("skops_sha256") == skops_sha256)
