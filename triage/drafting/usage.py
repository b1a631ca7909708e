"""Learn from use: how much agents change each template's drafts, and how often they discard them.

Pure functions over what the store keeps (the draft as triage wrote it, the text as sent, the
draft's final status); the store query and the dashboard are wired elsewhere
(docs/templates.md, "Learning from use").

* :func:`edit_ratio`: the share of the draft's own words (placeholders aside: filling them in
  is expected) that the agent removed or replaced before sending; 0.0 sent as drafted, 1.0
  rewritten. Words the agent added are reported separately (:func:`added_ratio`): filling a
  placeholder adds words without the template being wrong.
* :func:`usage_report` groups outcomes per template and language, worst first;
  :func:`format_usage_report` prints it for ``triage report`` and the dashboard.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from triage.drafting.placeholders import MARKER

_WORD = re.compile(r"\w+", re.UNICODE)
SENT_STATUSES = frozenset({"sent", "approved"})
"""Draft statuses that mean the agent sent it (approved drafts are in the outbox)."""
DISCARDED = "discarded"
UNTOUCHED = 0.02
"""An edit ratio up to this counts as "sent as drafted" (a typo fixed, a name added)."""


def _words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def _kept(draft: str, sent: str) -> tuple[int, int, int]:
    """Return (draft words outside placeholders, of those kept in order, sent words)."""
    fixed = _words(MARKER.sub(" ", draft or ""))
    out = _words(sent)
    if not fixed:
        return 0, 0, len(out)
    matcher = SequenceMatcher(None, fixed, out, autojunk=False)
    kept = sum(b.size for b in matcher.get_matching_blocks())
    return len(fixed), kept, len(out)


def edit_ratio(draft: str, sent: str) -> float:
    """Return the share (0.0 to 1.0) of the draft's words, placeholders aside, that the agent
    removed or replaced in ``sent``. An empty draft counts 0.0 when nothing was sent, else 1.0.
    """
    total, kept, sent_words = _kept(draft, sent)
    if not total:
        return 0.0 if not sent_words else 1.0
    return round(1.0 - kept / total, 4)


def added_ratio(draft: str, sent: str) -> float:
    """Return the words ``sent`` has beyond those kept from the draft, relative to the draft's
    own words (placeholder fillings included); 0.0 when nothing was added."""
    total, kept, sent_words = _kept(draft, sent)
    return round(max(0, sent_words - kept) / max(total, 1), 4)


@dataclass(frozen=True)
class DraftOutcome:
    """What became of one draft: its template, language and status, the text triage drafted
    and, when it was sent, the text as sent."""

    template: str
    language: str
    status: str
    draft_text: str
    sent_text: str | None = None
    situation: str = ""


def outcomes_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[DraftOutcome]:
    """Return :class:`DraftOutcome` for rows of ``Drafts.outcomes`` (template, language,
    situation, status, drafted_text, text): a sent or approved draft's final text is the text
    as sent; a row without ``drafted_text`` (stored before drafts kept it) counts in the
    sent and discarded figures but not in the edit figures."""
    out = []
    for r in rows:
        drafted = r.get("drafted_text")
        sent = str(r.get("text") or "") if (r["status"] in SENT_STATUSES
                                            and drafted is not None) else None
        out.append(DraftOutcome(template=str(r.get("template") or ""),
                                language=str(r.get("language") or ""), status=str(r["status"]),
                                draft_text=str(drafted or ""), sent_text=sent,
                                situation=str(r.get("situation") or "")))
    return out


@dataclass(frozen=True)
class TemplateUsage:
    """How one template did in one language."""

    template: str
    language: str
    drafted: int
    sent: int
    discarded: int
    mean_edit: float
    median_edit: float
    untouched: float
    """Share of sent drafts sent as drafted (edit ratio up to :data:`UNTOUCHED`)."""
    mean_added: float
    situation: str = ""
    """The situation the template is for (``general``: a category template; '' unknown)."""

    @property
    def discard_rate(self) -> float:
        """Discarded drafts among those an agent decided on (sent or discarded)."""
        decided = self.sent + self.discarded
        return round(self.discarded / decided, 4) if decided else 0.0

    @property
    def attention(self) -> float:
        """A single "look at this template" score: discard rate plus mean edit ratio."""
        return self.discard_rate + self.mean_edit


def usage_report(outcomes: Iterable[DraftOutcome]) -> list[TemplateUsage]:
    """Return one :class:`TemplateUsage` per (template, language), worst first.

    Sent drafts without a sent text (an old row) count as sent but not in the edit figures;
    drafts still pending, superseded by a re-draft or in any other status count as drafted.
    """
    groups: dict[tuple[str, str], list[DraftOutcome]] = {}
    for o in outcomes:
        groups.setdefault((o.template, o.language), []).append(o)
    rows = []
    for (template, language), items in groups.items():
        situation = next((o.situation for o in items if o.situation), "")
        sent = [o for o in items if o.status in SENT_STATUSES]
        edits = [edit_ratio(o.draft_text, o.sent_text) for o in sent if o.sent_text is not None]
        adds = [added_ratio(o.draft_text, o.sent_text) for o in sent if o.sent_text is not None]
        rows.append(TemplateUsage(
            template=template, language=language, drafted=len(items), sent=len(sent),
            discarded=sum(1 for o in items if o.status == DISCARDED),
            mean_edit=round(statistics.fmean(edits), 4) if edits else 0.0,
            median_edit=round(statistics.median(edits), 4) if edits else 0.0,
            untouched=round(sum(1 for e in edits if e <= UNTOUCHED) / len(edits), 4)
            if edits else 0.0,
            mean_added=round(statistics.fmean(adds), 4) if adds else 0.0,
            situation=situation))
    return sorted(rows, key=lambda r: (-r.attention, -r.drafted, r.template, r.language))


def usage_dict(row: TemplateUsage) -> dict[str, Any]:
    """Return one report row as a plain dict (for JSON and CSV), discard rate included."""
    return {"template": row.template, "language": row.language, "situation": row.situation,
            "drafted": row.drafted, "sent": row.sent, "discarded": row.discarded,
            "discard_rate": row.discard_rate, "mean_edit": row.mean_edit,
            "median_edit": row.median_edit, "untouched": row.untouched,
            "mean_added": row.mean_added}


def format_usage_report(rows: Iterable[TemplateUsage], min_drafts: int = 1) -> str:
    """Return the report as a plain-text table (templates with fewer than ``min_drafts``
    drafts left out), worst first, with a line saying how to read it."""
    shown = [r for r in rows if r.drafted >= min_drafts]
    if not shown:
        return "Templates: no drafts sent or discarded yet.\n"
    head = (f"{'template':<40} {'lang':<4} {'drafts':>6} {'sent':>5} {'disc.':>5} "
            f"{'discard':>7} {'edit':>5} {'median':>6} {'as is':>5}")
    lines = ["Templates, worst first (edit: share of the draft's words agents changed; "
             "as is: sent without real changes)", head, "-" * len(head)]
    for r in shown:
        lines.append(f"{r.template[:40]:<40} {r.language:<4} {r.drafted:>6} {r.sent:>5} "
                     f"{r.discarded:>5} {r.discard_rate:>7.0%} {r.mean_edit:>5.0%} "
                     f"{r.median_edit:>6.0%} {r.untouched:>5.0%}")
    return "\n".join(lines) + "\n"
