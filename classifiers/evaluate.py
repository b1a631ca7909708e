"""Evaluation of a model on labelled data: metrics, a confusion matrix image, an HTML report.

Macro-F1 is the mean F1 of the four support categories (per language or source: of those that
occur in that group); ``other`` (no support need) counts as
a label the model may predict, so a support message predicted ``other`` is a miss and an
``other`` message predicted as a category is a false positive of that category.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from classifiers.corpus_io import LABELS, Example
from triage.models import CATEGORIES

Predictor = Callable[[Sequence[str]], list[str]]


def macro_f1(truth: Sequence[str], predicted: Sequence[str], *, present_only: bool = False
             ) -> float:
    """Return the mean F1 over the four support categories (0.0 when nothing matches).

    ``present_only`` averages over the categories that occur in ``truth`` (for subsets such
    as one source, which may hold only suggestions).
    """
    labels = [c for c in CATEGORIES if not present_only or c in set(truth)]
    if not labels:
        return 0.0
    return float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0))



def macro_f1_by_language(truth: Sequence[str], predicted: Sequence[str],
                         languages: Sequence[str], langs: Sequence[str]) -> dict[str, float]:
    """Return macro-F1 overall (key ``"all"``) and for each language of ``langs`` over the
    messages whose language (``languages``, one per message) is that one, averaged over the
    categories present in its truth (``present_only``)."""
    out = {"all": macro_f1(truth, predicted)}
    for lang in langs:
        ix = [i for i, g in enumerate(languages) if g == lang]
        out[lang] = macro_f1([truth[i] for i in ix], [predicted[i] for i in ix],
                             present_only=True)
    return out

@dataclass
class Report:
    """The result of evaluating one model on one data set."""

    model: str
    n: int
    macro_f1: float
    accuracy: float
    per_label: dict[str, dict[str, float]]
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)
    by_source: dict[str, dict[str, float]] = field(default_factory=dict)
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    confusion: list[list[int]] = field(default_factory=list)
    top_confusions: list[tuple[str, str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Return the report as plain JSON-able data."""
        return dict(self.__dict__)


def _groups(examples: Sequence[Example], truth: list[str], pred: list[str],
            key: Callable[[Example], str]) -> dict[str, dict[str, float]]:
    idx: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        if key(e):
            idx[key(e)].append(i)
    return {g: {"n": len(ix), "macro_f1": round(macro_f1([truth[i] for i in ix],
                                                         [pred[i] for i in ix],
                                                         present_only=True), 4),
                "accuracy": round(sum(truth[i] == pred[i] for i in ix) / len(ix), 4)}
            for g, ix in sorted(idx.items())}


def evaluate(predict: Predictor, examples: Sequence[Example], model_name: str = "") -> Report:
    """Predict ``examples`` with ``predict`` and return the :class:`Report`.

    Raises ValueError when ``examples`` is empty.
    """
    if not examples:
        raise ValueError("no examples to evaluate")
    truth = [e.label for e in examples]
    pred = list(predict([e.text for e in examples]))
    labels = list(LABELS)
    p, r, f, s = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    per_label = {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                       "f1": round(float(f[i]), 4), "support": int(s[i])}
                 for i, lab in enumerate(labels)}
    cm = confusion_matrix(truth, pred, labels=labels)
    pairs = Counter({(labels[i], labels[j]): int(cm[i, j]) for i in range(len(labels))
                     for j in range(len(labels)) if i != j and cm[i, j]})
    return Report(
        model=model_name, n=len(examples), macro_f1=round(macro_f1(truth, pred), 4),
        accuracy=round(sum(a == b for a, b in zip(truth, pred, strict=True)) / len(truth), 4),
        per_label=per_label,
        by_language=_groups(examples, truth, pred, lambda e: e.lang),
        by_source=_groups(examples, truth, pred, lambda e: e.source or e.channel),
        labels=labels, confusion=cm.tolist(),
        top_confusions=[(a, b, n) for (a, b), n in pairs.most_common(6)])


def write_confusion_png(report: Report, path: Path) -> Path:
    """Draw the confusion matrix (rows: true label, columns: predicted) as a PNG; return path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5.5), dpi=100)
    ax.imshow(report.confusion, cmap="Blues")
    ax.set_xticks(range(len(report.labels)), report.labels, rotation=35, ha="right")
    ax.set_yticks(range(len(report.labels)), report.labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = max(max(r) for r in report.confusion) or 1
    for i, row in enumerate(report.confusion):
        for j, n in enumerate(row):
            ax.text(j, i, str(n), ha="center", va="center",
                    color="white" if n > top / 2 else "black")
    ax.set_title(f"{report.model}: macro-F1 {report.macro_f1:.3f} (n={report.n})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _table(title: str, rows: dict[str, dict[str, float]], cols: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr><th>" + html.escape(k) + "</th>"
        + "".join(f"<td>{v.get(c, '')}</td>" for c in cols) + "</tr>"
        for k, v in rows.items())
    return (f"<h2>{html.escape(title)}</h2><table><tr><th></th>{head}</tr>{body}</table>")


def write_html(report: Report, path: Path, png_name: str | None = None,
               extra_html: str = "") -> Path:
    """Write a self-contained HTML report (links the confusion PNG if given, ends with
    ``extra_html``, e.g. the abstention section); return path."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>triage evaluation: {html.escape(report.model)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>",
        f"<h1>Model {html.escape(report.model)}</h1>",
        f"<p>{report.n} messages; macro-F1 (four categories) <b>{report.macro_f1:.4f}</b>; "
        f"accuracy {report.accuracy:.4f}.</p>",
        _table("Per category", report.per_label, ["precision", "recall", "f1", "support"]),
        _table("Per language", report.by_language, ["n", "macro_f1", "accuracy"]),
        _table("Per source", report.by_source, ["n", "macro_f1", "accuracy"]),
        "<h2>Most frequent confusions (true → predicted)</h2><ul>",
        *(f"<li>{html.escape(a)} → {html.escape(b)}: {n}</li>"
          for a, b, n in report.top_confusions),
        "</ul>",
    ]
    if png_name:
        parts.append(f"<h2>Confusion matrix</h2><img src='{html.escape(png_name)}' "
                     "alt='confusion matrix'>")
    if extra_html:
        parts.append(extra_html)
    parts.append("</body></html>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def format_text(report: Report) -> str:
    """Return the report as plain-text tables for the terminal."""
    lines = [f"model {report.model}: {report.n} messages, macro-F1 {report.macro_f1:.4f}, "
             f"accuracy {report.accuracy:.4f}", "",
             f"{'label':<16}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for lab, m in report.per_label.items():
        lines.append(f"{lab:<16}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}"
                     f"{m['support']:>9}")
    for title, groups in (("language", report.by_language), ("source", report.by_source)):
        if groups:
            lines += ["", f"{title:<24}{'n':>6}{'macro-F1':>10}{'accuracy':>10}"]
            lines += [f"{g:<24}{m['n']:>6}{m['macro_f1']:>10.3f}{m['accuracy']:>10.3f}"
                      for g, m in groups.items()]
    if report.top_confusions:
        lines += ["", "most frequent confusions (true -> predicted):"]
        lines += [f"  {a} -> {b}: {n}" for a, b, n in report.top_confusions]
    return "\n".join(lines)


def suggest_thresholds(categories: Sequence[str], confidences: Sequence[float],
                       truth: Sequence[str], target_precision: float = 0.9
                       ) -> dict[str, dict[str, float]]:
    """Suggest a ``category_thresholds`` value per category from labelled data.

    For each category, among the messages predicted as it, return the lowest confidence
    threshold at which the messages at or above it reach ``target_precision``, and the share
    of that category's predictions that would then skip review (``auto_share``). A category
    that never reaches the target gets threshold 1.0 (always reviewed).
    """
    out: dict[str, dict[str, float]] = {}
    for cat in CATEGORIES:
        rows = sorted(((c, t == cat) for p, c, t in zip(categories, confidences, truth,
                                                        strict=True) if p == cat),
                      key=lambda r: -r[0])
        best_t, best_n, hits = 1.0, 0, 0
        for n, (conf, ok) in enumerate(rows, start=1):
            hits += ok
            if hits / n >= target_precision:
                best_t, best_n = conf, n
        out[cat] = {"threshold": round(best_t, 4), "predicted": len(rows),
                    "auto_share": round(best_n / len(rows), 4) if rows else 0.0}
    return out
