"""Language detection for the languages triage supports, with lingua.

lingua is restricted to English, Vietnamese, Indonesian and Tagalog: a closed set is both
faster and more accurate on short, mixed and unaccented messages than open detection.
"""

from __future__ import annotations

from collections.abc import Sequence

from lingua import Language, LanguageDetectorBuilder

_LANGS = {
    Language.ENGLISH: "en",
    Language.VIETNAMESE: "vi",
    Language.INDONESIAN: "id",
    Language.TAGALOG: "tl",
}


class LanguageDetector:
    """Detects ISO 639-1 codes among en, vi, id, tl; built once, reused for every batch."""

    def __init__(self, default: str = "en") -> None:
        self.default = default
        self._detector = (LanguageDetectorBuilder.from_languages(*_LANGS)
                          .with_preloaded_language_models().build())

    def detect(self, texts: Sequence[str]) -> list[str]:
        """Return one language code per text (``default`` when nothing is detected)."""
        found = self._detector.detect_languages_in_parallel_of(list(texts))
        return [_LANGS.get(lang, self.default) if lang is not None else self.default
                for lang in found]
