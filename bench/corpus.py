"""Corpus benchmark: the bundled corpus now against the corpus of an earlier git revision, both
trained the same way and measured on the real dev data, per language and per category.

    .venv/bin/python bench/corpus.py [--before 4c09116] [--dev ../shared/data/realworld-dev.csv]

Reports macro-F1 of the four categories overall and per language, F1 per language and category,
the precision of ``other``, and the share of messages flagged ``needs_review`` with the default
thresholds (language given, as the pipeline does for social posts). The dev data is only
measured on, never trained on. Results replace the ``## Classifier corpus`` section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import replace_section
from bench.classifier import DEV_DEFAULT
from classifiers.corpus_io import Example, load_corpus, read_examples
from classifiers.evaluate import macro_f1
from classifiers.training import train
from triage.models import CATEGORIES

LANGS = ("en", "id", "vi", "tl")
DEFAULT_BEFORE = "4c09116"
"""The corpus before issue 17's relabelling and growth."""


def corpus_at(rev: str) -> list[Example]:
    """Return the bundled corpus as it was at git revision ``rev``."""
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "--name-only", rev,
                            "classifiers/corpus/"], capture_output=True, text=True,
                           check=True).stdout.split()
    out: list[Example] = []
    # a private folder per run: two runs at once must not read each other's half-written files
    with tempfile.TemporaryDirectory(prefix="triage-bench-corpus-") as tmp:
        for name in sorted(n for n in names if n.endswith(".csv")):
            data = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"],
                                  capture_output=True, check=True).stdout
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            out.extend(read_examples(path, require_lang=True))
    return out


def f1(truth: Sequence[str], pred: Sequence[str], label: str) -> float:
    """F1 of one label."""
    tp = sum(t == p == label for t, p in zip(truth, pred, strict=True))
    n_pred = sum(p == label for p in pred)
    n_true = sum(t == label for t in truth)
    return 2 * tp / (n_pred + n_true) if n_pred + n_true else 0.0


def measure(corpus: list[Example], dev: list[Example]) -> dict[str, object]:
    """Train on ``corpus`` and return the figures of one column of the report."""
    model = train(corpus, version="bench-corpus")
    texts = [e.text for e in dev]
    truth = [e.label for e in dev]
    pred = model.predict_labels(texts)
    full = model.predict(texts, languages=[e.lang for e in dev])
    unflagged = [(c, e) for c, e in zip(full, dev, strict=True) if not c.needs_review]
    other_pred = sum(p == "other" for p in pred)
    res: dict[str, object] = {
        "rows": len(corpus), "macro": macro_f1(truth, pred),
        "other_precision": (sum(p == t == "other" for p, t in zip(pred, truth, strict=True))
                            / other_pred if other_pred else 0.0),
        "other_predicted": other_pred,
        "flagged": 1 - len(unflagged) / len(dev),
        "unflagged_accuracy": (sum(c.category == e.label for c, e in unflagged)
                               / max(1, len(unflagged))),
        "category": {c: f1(truth, pred, c) for c in CATEGORIES}}
    for lang in LANGS:
        ix = [i for i, e in enumerate(dev) if e.lang == lang]
        t = [truth[i] for i in ix]
        p = [pred[i] for i in ix]
        big = [c for c in CATEGORIES if sum(x == c for x in t) >= 30]
        res[lang] = {"n": len(ix), "macro": macro_f1(t, p, present_only=True),
                     "macro_big": sum(f1(t, p, c) for c in big) / len(big),
                     "big": big,
                     "accuracy": sum(a == b for a, b in zip(t, p, strict=True)) / len(ix),
                     "f1": {c: (f1(t, p, c), sum(x == c for x in t)) for c in CATEGORIES}}
    return res


def report(before: dict, after: dict, rev: str, n_dev: int) -> str:  # type: ignore[type-arg]
    """Return the markdown section."""
    def d(a: float, b: float) -> str:
        return f"{a:.3f} | {b:.3f} | {b - a:+.3f}"

    lines = ["## Classifier corpus", "",
             f"Run `bench/corpus.py`: the shipped model design trained on the corpus at `{rev}` "
             f"({before['rows']} rows) and on the current corpus ({after['rows']} rows), measured "
             f"on `realworld-dev.csv` ({n_dev} real messages, never trained on). Macro-F1 is "
             "the mean F1 of the four categories (per language: of those present in its dev "
             "rows).", "",
             "| figure | before | after | change |", "|---|---|---|---|",
             f"| macro-F1, all | {d(before['macro'], after['macro'])} |"]
    for lang in LANGS:
        lines.append(f"| macro-F1, {lang} (n={after[lang]['n']}) | "
                     f"{d(before[lang]['macro'], after[lang]['macro'])} |")
    for lang in LANGS:
        lines.append(f"| accuracy, {lang} | "
                     f"{d(before[lang]['accuracy'], after[lang]['accuracy'])} |")
    for lang in LANGS:
        big = "/".join(c.split("_")[0] for c in after[lang]["big"])
        lines.append(f"| macro-F1 of categories with >= 30 dev rows, {lang} ({big}) | "
                     f"{d(before[lang]['macro_big'], after[lang]['macro_big'])} |")
    for c in CATEGORIES:
        lines.append(f"| F1 {c}, all | {d(before['category'][c], after['category'][c])} |")
    lines += [f"| `other` precision ({before['other_predicted']} / {after['other_predicted']} "
              f"predicted) | {d(before['other_precision'], after['other_precision'])} |",
              f"| share flagged `needs_review` (default thresholds) | "
              f"{d(before['flagged'], after['flagged'])} |",
              f"| accuracy of the messages not flagged | "
              f"{d(before['unflagged_accuracy'], after['unflagged_accuracy'])} |", "",
              "F1 per language and category, before → after (dev rows in brackets; a "
              "category with a handful of rows moves by a whole point with one message):", "",
              "| language | " + " | ".join(CATEGORIES) + " |",
              "|---|" + "---|" * len(CATEGORIES)]
    for lang in LANGS:
        cells = []
        for c in CATEGORIES:
            (b, n), (a, _) = before[lang]["f1"][c], after[lang]["f1"][c]
            cells.append(f"{b:.2f} → {a:.2f} ({n})" if n else "–")
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=DEFAULT_BEFORE, help="git revision of the old corpus")
    ap.add_argument("--dev", type=Path, default=DEV_DEFAULT)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    dev = read_examples(args.dev)
    section = report(measure(corpus_at(args.before), dev), measure(load_corpus(), dev),
                     args.before, len(dev))
    print(section)
    if not args.no_write:
        replace_section(section)


if __name__ == "__main__":
    main()
