"""The abstention part of an evaluation: per language, accuracy against share flagged.

For labelled messages classified by a model, :func:`selective_report` gives each language's
selective-accuracy curve (:mod:`classifiers.selective`), the point the model actually works at
(its ``needs_review`` flags: the thresholds in its file or the configured ones) and the
threshold the labelled data suggest. ``triage evaluate`` prints it, draws it
(:func:`write_selective_png`) and puts it in the HTML report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.corpus_io import Example
from classifiers.selective import (
    CURVE_GRID,
    DEFAULT_TARGETS,
    AbstainTargets,
    choose_threshold,
    curve,
)
from triage.models import Classification


def _forced(c: Classification) -> bool:
    scores = c.scores or {}
    return bool(scores) and scores.get("other", -1.0) >= max(scores.values())


def selective_report(examples: Sequence[Example], predictions: Sequence[Classification],
                     targets: AbstainTargets = DEFAULT_TARGETS) -> dict[str, dict[str, Any]]:
    """Return, per language (the example's ``lang``, else the detected one) and ``all``:
    ``n``, ``flagged`` and ``accuracy`` of the unflagged at the model's own flags, the
    ``curve`` on the threshold grid as ``[threshold, flagged, accuracy]`` rows, and
    ``suggested`` (threshold, flagged, accuracy, met) for ``targets``.
    """
    langs = np.array([e.lang or p.language for e, p in zip(examples, predictions, strict=True)],
                     dtype=object)
    conf = np.array([p.confidence for p in predictions], dtype=np.float64)
    forced = np.array([_forced(p) for p in predictions], dtype=bool)
    correct = np.array([p.category == e.label for e, p in zip(examples, predictions,
                                                               strict=True)], dtype=bool)
    flagged = np.array([p.needs_review for p in predictions], dtype=bool)
    out: dict[str, dict[str, Any]] = {}
    for lang in [*sorted(set(langs.tolist())), "all"]:
        ix = np.ones(len(langs), dtype=bool) if lang == "all" else langs == lang
        n = int(ix.sum())
        kept = ix & ~flagged
        choice = choose_threshold(curve(conf[ix], forced[ix], correct[ix]), n,
                                  targets.target_accuracy, targets.max_flagged)
        out[lang] = {
            "n": n, "flagged": round(float(flagged[ix].mean()), 4),
            "accuracy": round(float(correct[kept].mean()), 4) if kept.any() else 1.0,
            "curve": [[p.threshold, p.flagged, p.accuracy]
                      for p in curve(conf[ix], forced[ix], correct[ix], CURVE_GRID)],
            "suggested": choice.as_dict()}
    return out


def format_selective(report: dict[str, dict[str, Any]], targets: AbstainTargets) -> str:
    """Return the report as terminal text, ending with a ``language_thresholds`` line."""
    lines = [f"abstention (flagged = needs_review; target: unflagged right >= "
             f"{targets.target_accuracy:.0%} with <= {targets.max_flagged:.0%} flagged)",
             f"{'language':<10}{'n':>6}{'flagged':>9}{'unflagged acc':>15}"
             f"{'suggested':>11}{'-> flagged':>11}{'acc':>7}  target"]
    for lang, r in report.items():
        s = r["suggested"]
        lines.append(f"{lang:<10}{r['n']:>6}{r['flagged']:>9.1%}{r['accuracy']:>15.3f}"
                     f"{s['threshold']:>11.2f}{s['flagged']:>11.1%}{s['accuracy']:>7.3f}  "
                     f"{'met' if s['met'] else 'not reachable: best within the flag budget'}")
    lines += ["", "curve (threshold: share flagged / accuracy of the unflagged):"]
    for lang, r in report.items():
        pts = "  ".join(f"{t:.2f}:{f:.0%}/{a:.2f}" for t, f, a in r["curve"][::2])
        lines.append(f"  {lang:<6} {pts}")
    inline = ", ".join(f"{lang} = {r['suggested']['threshold']:.2f}"
                       for lang, r in report.items() if lang != "all")
    lines.append(f"  language_thresholds = {{ {inline} }}")
    return "\n".join(lines)


def write_selective_png(report: dict[str, dict[str, Any]], path: Path,
                        targets: AbstainTargets = DEFAULT_TARGETS) -> Path:
    """Draw accuracy of the unflagged against share flagged, one line per language; return
    ``path``. The dot on each line is where the model works now."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5), dpi=100)
    for lang, r in report.items():
        pts = np.array(r["curve"])
        line, = ax.plot(pts[:, 1], pts[:, 2], label=f"{lang} (n={r['n']})",
                        linestyle="--" if lang == "all" else "-")
        ax.plot([r["flagged"]], [r["accuracy"]], "o", color=line.get_color())
    ax.axhline(targets.target_accuracy, color="grey", linewidth=0.8)
    ax.axvline(targets.max_flagged, color="grey", linewidth=0.8)
    ax.set_xlabel("share of messages flagged for review")
    ax.set_ylabel("accuracy of the messages not flagged")
    ax.set_xlim(0, 1)
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("selective accuracy per language (dot: the model's thresholds)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def selective_html(report: dict[str, dict[str, Any]], png_name: str | None = None) -> str:
    """Return the HTML section of the report (a table, the curve image, the curve rows)."""
    rows = "".join(
        f"<tr><th>{html.escape(lang)}</th><td>{r['n']}</td><td>{r['flagged']:.1%}</td>"
        f"<td>{r['accuracy']:.3f}</td><td>{r['suggested']['threshold']:.2f}</td>"
        f"<td>{r['suggested']['flagged']:.1%}</td><td>{r['suggested']['accuracy']:.3f}</td>"
        f"<td>{'met' if r['suggested']['met'] else 'best trade-off'}</td></tr>"
        for lang, r in report.items())
    parts = ["<h2>Abstention per language</h2><table><tr><th></th><th>n</th><th>flagged</th>"
             "<th>unflagged accuracy</th><th>suggested threshold</th><th>flagged</th>"
             f"<th>accuracy</th><th>target</th></tr>{rows}</table>"]
    if png_name:
        parts.append(f"<img src='{html.escape(png_name)}' alt='selective accuracy curves'>")
    head = "".join(f"<th>{t:.2f}</th>" for t in CURVE_GRID)
    body = "".join(
        f"<tr><th>{html.escape(lang)}</th>"
        + "".join(f"<td>{f:.0%} / {a:.2f}</td>" for _, f, a in r["curve"]) + "</tr>"
        for lang, r in report.items())
    parts.append("<h3>Curve: share flagged / accuracy of the unflagged, per threshold</h3>"
                 f"<table><tr><th></th>{head}</tr>{body}</table>")
    return "\n".join(parts)
