"""Language detection for the languages triage supports, with lingua.

lingua is restricted to English, Vietnamese, Indonesian and Tagalog: a closed set is both
faster and more accurate on short, mixed and unaccented messages than open detection.
lingua is imported when the first detector is built, not with this module: its language models
take ~100 MB and the daemon asks lingua only when its own language model is unsure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_LANGS = {"ENGLISH": "en", "VIETNAMESE": "vi", "INDONESIAN": "id", "TAGALOG": "tl"}


class LanguageDetector:
    """Detects ISO 639-1 codes among en, vi, id, tl; built once, reused for every batch."""

    def __init__(self, default: str = "en") -> None:
        from lingua import Language, LanguageDetectorBuilder

        self.default = default
        self._codes: dict[Any, str] = {getattr(Language, n): c for n, c in _LANGS.items()}
        self._detector = (LanguageDetectorBuilder.from_languages(*self._codes)
                          .with_preloaded_language_models().build())

    def detect(self, texts: Sequence[str]) -> list[str]:
        """Return one language code per text (``default`` when nothing is detected)."""
        found = self._detector.detect_languages_in_parallel_of(list(texts))
        return [self._codes.get(lang, self.default) if lang is not None else self.default
                for lang in found]
