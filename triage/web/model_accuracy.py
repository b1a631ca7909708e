"""The classifier page's record of the model on the agents' labels: accuracy per language, per
category and per week, and the weekly plot as an inline SVG drawn here (no chart library, no
script: the page's Content-Security-Policy allows neither from elsewhere).

The rows come from one store read (``store.learning.labelled_outcomes``): for each message an
agent labelled (reclassified, or confirmed from the "help the model" list), the model's
category and the agent's. Agents label mostly what looks wrong or unsure, so these figures
are lower than the model's accuracy on all mail; they are for following the trend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from triage.models import CATEGORIES

LANG_COLOURS = {"all": "#333333", "en": "#1f77b4", "vi": "#d62728", "id": "#2ca02c",
                "tl": "#9467bd"}
OTHER_COLOUR = "#8c564b"


@dataclass
class Tally:
    """Right and total counts of one group."""

    right: int = 0
    n: int = 0

    @property
    def accuracy(self) -> float | None:
        """Share right, or None when the group is empty."""
        return self.right / self.n if self.n else None

    def add(self, ok: bool) -> None:
        """Count one labelled message."""
        self.n += 1
        self.right += int(ok)


@dataclass
class Accuracy:
    """The model's accuracy on the agents' labels."""

    overall: Tally = field(default_factory=Tally)
    unflagged: Tally = field(default_factory=Tally)
    """Messages the model did not flag for review: what agents are asked to trust."""
    by_language: dict[str, Tally] = field(default_factory=dict)
    by_category: dict[str, Tally] = field(default_factory=dict)
    """By the agent's category: of the messages agents said are X, the share the model
    called X."""
    weeks: list[date] = field(default_factory=list)
    """Monday of each week with labels, oldest first."""
    weekly: dict[str, dict[date, Tally]] = field(default_factory=dict)
    """Per language and ``all``: the week's tally."""


def week_of(at: datetime) -> date:
    """Return the Monday of ``at``'s week (UTC)."""
    d = at.date()
    return d - timedelta(days=d.weekday())


def accuracy(rows: Iterable[Mapping[str, Any]]) -> Accuracy:
    """Tally ``rows`` (``language``, ``model_category``, ``agent_category``,
    ``needs_review``, ``classified_at``) by language, by the agent's category and by the week
    the model labelled the message."""
    out = Accuracy()
    by_lang: dict[str, Tally] = defaultdict(Tally)
    by_cat: dict[str, Tally] = defaultdict(Tally)
    weekly: dict[str, dict[date, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for r in rows:
        ok = r["model_category"] == r["agent_category"]
        lang = str(r["language"] or "?")
        week = week_of(r["classified_at"])
        out.overall.add(ok)
        if not r["needs_review"]:
            out.unflagged.add(ok)
        by_lang[lang].add(ok)
        by_cat[str(r["agent_category"])].add(ok)
        weekly[lang][week].add(ok)
        weekly["all"][week].add(ok)
    out.by_language = dict(sorted(by_lang.items()))
    order = {c: i for i, c in enumerate(CATEGORIES)}
    out.by_category = dict(sorted(by_cat.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))
    out.weeks = sorted(weekly["all"]) if weekly else []
    out.weekly = {k: dict(v) for k, v in weekly.items()}
    return out


def _polyline(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def weekly_svg(acc: Accuracy, width: int = 640, height: int = 260) -> str:
    """Return the weekly accuracy plot as an ``<svg>`` element: one line per language and a
    dashed one for all, a dot per week with labels (its tooltip gives the counts). Empty
    string when nothing was labelled."""
    if not acc.weeks:
        return ""
    left, right, top, bottom = 44, 90, 12, 36
    pw, ph = width - left - right, height - top - bottom
    n = len(acc.weeks)

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - v)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="accuracy-plot" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Accuracy of the model on the agents\' labels per week">']
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     'stroke="#dddddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" '
                     f'text-anchor="end">{v:.0%}</text>')
    step = max(1, n // 8)
    for i, w in enumerate(acc.weeks):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="11" '
                         f'text-anchor="middle">{w:%d %b}</text>')
    legend_y = top + 10
    for lang in ["all", *[k for k in sorted(acc.weekly) if k != "all"]]:
        colour = LANG_COLOURS.get(lang, OTHER_COLOUR)
        pts = [(i, acc.weekly[lang][w]) for i, w in enumerate(acc.weeks)
               if w in acc.weekly[lang]]
        xy = [(x(i), y(t.accuracy or 0.0)) for i, t in pts]
        dash = ' stroke-dasharray="5,3"' if lang == "all" else ""
        if len(xy) > 1:
            parts.append(f'<polyline class="lang-{escape(lang)}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"{dash} points="{_polyline(xy)}"/>')
        for (i, t), (px, py) in zip(pts, xy, strict=True):
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}">'
                         f'<title>{escape(lang)}, week of {acc.weeks[i]:%Y-%m-%d}: '
                         f'{t.right}/{t.n} right</title></circle>')
        parts.append(f'<text x="{left + pw + 12}" y="{legend_y}" font-size="12" '
                     f'fill="{colour}">{escape(lang)}</text>')
        legend_y += 16
    parts.append("</svg>")
    return "".join(parts)


def selective_svg(abstain: Mapping[str, Any], width: int = 640, height: int = 280) -> str:
    """Return the model's selective-accuracy curves (``abstain["curves"]``: per language,
    ``[threshold, share flagged, accuracy of the unflagged]`` rows, measured at training) as
    an ``<svg>``: accuracy against share flagged, one line per language, a dot where each
    language's threshold sits, grey lines at the targets. Empty string without curves."""
    curves = abstain.get("curves") or {}
    if not curves:
        return ""
    by_inbox = abstain.get("set_by_inbox_budget") or {}
    chosen = {k: v for k, v in (abstain.get("chosen") or {}).items() if k not in by_inbox}
    left, right, top, bottom = 44, 90, 12, 36
    pw, ph = width - left - right, height - top - bottom
    low = min([0.5, *(p[2] for pts in curves.values() for p in pts)])

    def x(v: float) -> float:
        return left + pw * v

    def y(v: float) -> float:
        return top + ph * (1 - (v - low) / (1 - low))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="selective-plot" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Accuracy of the unflagged messages against the share flagged">']
    for i in range(6):
        v = low + (1 - low) * i / 5
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="#eeeeee"/><text x="{left - 6}" y="{y(v) + 4:.1f}" '
                     f'font-size="11" text-anchor="end">{v:.2f}</text>')
    for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(f'<text x="{x(v):.1f}" y="{height - bottom + 16}" font-size="11" '
                     f'text-anchor="middle">{v:.0%} flagged</text>')
    target = float(abstain.get("target_accuracy") or 0.92)
    budget = float(abstain.get("max_flagged") or 0.2)
    parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(target):.1f}" y2="{y(target):.1f}"'
                 ' stroke="#999999" stroke-dasharray="4,3"/>')
    parts.append(f'<line x1="{x(budget):.1f}" x2="{x(budget):.1f}" y1="{top}" '
                 f'y2="{top + ph}" stroke="#999999" stroke-dasharray="4,3"/>')
    legend_y = top + 10
    for lang in sorted(curves):
        colour = LANG_COLOURS.get(lang, OTHER_COLOUR)
        xy = [(x(float(f)), y(float(a))) for _t, f, a in curves[lang]]
        parts.append(f'<polyline class="lang-{escape(lang)}" fill="none" stroke="{colour}" '
                     f'stroke-width="2" points="{_polyline(xy)}"/>')
        c = chosen.get(lang)
        if c:
            parts.append(f'<circle cx="{x(float(c["flagged"])):.1f}" '
                         f'cy="{y(float(c["accuracy"])):.1f}" r="4" fill="{colour}"><title>'
                         f'{escape(lang)}: threshold {float(c["threshold"]):.2f}, '
                         f'{float(c["flagged"]):.0%} flagged, '
                         f'{float(c["accuracy"]):.3f} right</title></circle>')
        parts.append(f'<text x="{left + pw + 12}" y="{legend_y}" font-size="12" '
                     f'fill="{colour}">{escape(lang)}</text>')
        legend_y += 16
    parts.append("</svg>")
    return "".join(parts)
