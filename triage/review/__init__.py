"""The review service: one :class:`ReviewService` the review page, its JSON API and
``triage review`` share. Its actions are in :mod:`triage.review.service`, its reads (help the
model, explanations, promises, a local LLM's second opinion) in :mod:`triage.review.reads`.
"""

from triage.review.reads import Explanation, ReviewReads, SecondOpinion
from triage.review.service import (
    Approved,
    Assigned,
    Reclassified,
    Resolved,
    ReviewService,
    Saved,
    Switched,
    clean_subject,
    ensure_sendable,
)

__all__ = [
    "Approved",
    "Assigned",
    "Explanation",
    "Reclassified",
    "Resolved",
    "ReviewReads",
    "ReviewService",
    "Saved",
    "SecondOpinion",
    "Switched",
    "clean_subject",
    "ensure_sendable",
]
