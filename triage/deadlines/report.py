"""The numbers a support lead reads: response times, deadlines kept, breaches, volume and
backlog, per agent where known; as a table, CSV or JSON, and PNG charts (matplotlib).

Built from deadline rows (``DeadlineStore.report_rows``); a pure function of those rows, the
window and ``now``.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np


def _hours(values: Sequence[timedelta]) -> list[float]:
    return [v.total_seconds() / 3600 for v in values]


def _stats(values: Sequence[timedelta]) -> dict[str, Any]:
    hrs = _hours(values)
    if not hrs:
        return {"count": 0, "median_hours": None, "p90_hours": None}
    return {"count": len(hrs), "median_hours": round(float(np.percentile(hrs, 50)), 3),
            "p90_hours": round(float(np.percentile(hrs, 90)), 3)}


def _in(t: datetime | None, since: datetime | None, until: datetime) -> bool:
    return t is not None and (since is None or t >= since) and t < until


def first_response_times(rows: Sequence[dict[str, Any]], since: datetime | None,
                         until: datetime) -> list[timedelta]:
    """Return the first response times of messages received in the window and answered."""
    return [r["met_at"] - r["received_at"] for r in rows
            if r["kind"] == "first_response" and r["met_at"] is not None
            and _in(r["received_at"], since, until)]


def build_report(rows: Sequence[dict[str, Any]], since: datetime | None, until: datetime,
                 now: datetime) -> dict[str, Any]:
    """Return the report for deadlines of messages received in ``[since, until)``.

    A deadline counts as decided when it was met, or when it was due before the end of the
    window (``min(until, now)``); it is kept when met no later than due. Response times are
    wall-clock hours from receipt to the first reply.
    """
    end = min(until, now)
    resolutions = [r for r in rows if r["kind"] == "resolution"
                   and _in(r["received_at"], since, until)]
    rows = [r for r in rows if r["kind"] != "resolution"]
    received = [r for r in rows if _in(r["received_at"], since, until)]
    frt = first_response_times(rows, since, until)
    nrt = [r["met_at"] - r["received_at"] for r in received
           if r["kind"] == "next_response" and r["met_at"] is not None]
    decided = [r for r in received if r["met_at"] is not None or r["due_at"] <= end]
    kept = [r for r in decided if r["met_at"] is not None and r["met_at"] <= r["due_at"]]
    breached = [r for r in decided if r not in kept]
    outflow = [r for r in rows if _in(r["met_at"], since, until)]
    open_at_end = [r for r in rows if r["received_at"] < until
                   and (r["met_at"] is None or r["met_at"] >= until)]
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for r in received:
        days[r["received_at"].date()][0] += 1
    for r in outflow:
        days[r["met_at"].date()][1] += 1
    agents: dict[str, list[timedelta]] = defaultdict(list)
    for r in received:
        if r["met_at"] is not None:
            agents[r.get("met_by") or "(unknown)"].append(r["met_at"] - r["received_at"])
    return {
        "window": {"since": since.isoformat() if since else None, "until": until.isoformat(),
                   "generated_at": now.isoformat()},
        "messages": len(received),
        "first_response": _stats(frt),
        "next_response": _stats(nrt),
        "resolution": {
            **_stats([r["met_at"] - r["received_at"] for r in resolutions if r["met_at"]]),
            "open": sum(1 for r in resolutions if r["met_at"] is None),
            "late": sum(1 for r in resolutions if (r["met_at"] or end) > r["due_at"]
                        and (r["met_at"] is not None or r["due_at"] <= end)),
        },
        "deadlines": {
            "decided": len(decided), "kept": len(kept), "breached": len(breached),
            "open": sum(1 for r in received if r["met_at"] is None and r["due_at"] > end),
            "share_within_deadline": round(len(kept) / len(decided), 4) if decided else None,
        },
        "volume": {
            "category": dict(Counter(r.get("category") or "unclassified" for r in received)),
            "channel": dict(Counter(r["channel"] for r in received)),
            "language": dict(Counter(r.get("language") or "unknown" for r in received)),
            "priority": dict(Counter(r.get("priority") or "normal" for r in received)),
        },
        "backlog": {
            "inflow": len(received), "outflow": len(outflow),
            "ratio_out_in": round(len(outflow) / len(received), 4) if received else None,
            "open_at_end": len(open_at_end),
            "by_day": [{"day": d.isoformat(), "inflow": v[0], "outflow": v[1]}
                       for d, v in sorted(days.items())],
        },
        "agents": {name: {"replies": len(v), **{k: s for k, s in _stats(v).items()
                                                if k != "count"}}
                   for name, v in sorted(agents.items())},
    }


PERCENT = frozenset({"share_within_deadline", "discard_rate", "mean_edit", "median_edit"})
"""Metrics the table prints as percentages."""


def _flat(report: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """Flatten the report to (section, key, metric, value) rows."""
    out: list[tuple[str, str, str, Any]] = [("summary", "", "messages", report["messages"])]
    for k, v in (report.get("now") or {}).items():  # conversations as of now (all views)
        out.append(("now", "", k, v))
    for kind in ("first_response", "next_response", "resolution"):
        for k, v in report[kind].items():
            out.append((kind, "", k, v))
    for k, v in report["deadlines"].items():
        out.append(("deadlines", "", k, v))
    for dim, counts in report["volume"].items():
        for key, n in sorted(counts.items()):
            out.append((f"volume_{dim}", key, "messages", n))
    for k in ("inflow", "outflow", "ratio_out_in", "open_at_end"):
        out.append(("backlog", "", k, report["backlog"][k]))
    for day in report["backlog"]["by_day"]:
        out.append(("backlog_day", day["day"], "inflow", day["inflow"]))
        out.append(("backlog_day", day["day"], "outflow", day["outflow"]))
    for name, stats in report["agents"].items():
        for k, v in stats.items():
            out.append(("agent", name, k, v))
    for row in report.get("templates") or []:  # learn from use (triage.drafting.usage)
        key = f"{row['template']} {row['language']}"
        for k in ("drafted", "sent", "discarded", "discard_rate", "mean_edit", "median_edit"):
            out.append(("template", key, k, row[k]))
    return out


def render(report: dict[str, Any], fmt: str) -> str:
    """Return the report as ``table``, ``csv`` or ``json`` text."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    rows = _flat(report)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["section", "key", "metric", "value"])
        w.writerows(["" if v is None else v for v in r] for r in rows)
        return buf.getvalue()
    w0 = report["window"]
    lines = [f"triage report {w0['since'] or 'beginning'} .. {w0['until']}", ""]
    width = max(len(f"{s} {k}".strip()) for s, k, _, _ in rows)
    section = None
    for s, k, metric, v in rows:
        if s != section:
            lines.append(f"[{s}]")
            section = s
        shown = "-" if v is None else (f"{v:.1%}" if metric in PERCENT else v)
        lines.append(f"  {(k + ' ' if k else '') + metric:<{width + 12}} {shown}")
    return "\n".join(lines) + "\n"


def write_charts(report: dict[str, Any], first_response: Sequence[timedelta],
                 directory: Path) -> list[Path]:
    """Write PNG charts into ``directory``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []

    def save(fig: Any, name: str) -> None:
        p = directory / name
        fig.tight_layout()
        fig.savefig(p, dpi=100)
        plt.close(fig)
        out.append(p)

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5))
    for ax, dim in zip(axes, ("category", "channel", "language"), strict=True):
        counts = report["volume"][dim]
        ax.bar(list(counts), list(counts.values()), color="#4a7ab5")
        ax.set_title(f"volume by {dim}")
        ax.tick_params(axis="x", rotation=30)
    save(fig, "volume.png")

    frt = _hours(first_response)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(frt or [0], bins=20, color="#5aa469")
    ax.set_title("first response time (hours)")
    ax.set_xlabel("hours")
    save(fig, "first_response.png")

    days = report["backlog"]["by_day"]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    x = [d["day"] for d in days]
    ax.plot(x, [d["inflow"] for d in days], marker="o", label="inflow")
    ax.plot(x, [d["outflow"] for d in days], marker="o", label="outflow")
    ax.set_title("backlog inflow / outflow per day")
    ax.legend()
    ax.tick_params(axis="x", rotation=30)
    save(fig, "backlog.png")
    return out
