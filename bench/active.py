"""Active learning on the real dev data: does the "help the model" list pick better questions
than chance?

    .venv/bin/python bench/active.py [--dev ../shared/data/realworld-dev.csv] [--seeds 1 2 3]
                                     [--sizes 50 200]

The dev data is split in halves, stratified by language and label (as ``bench/selftrain.py``).
One half plays the inbox: the model trained on the corpus picks K of its messages, and the
agents' answers for exactly those K are simulated with their dev labels (an agent confirming
or correcting them); the model is retrained on the corpus plus these K and macro-F1 is
measured on the other half. *Margin* picks as the queue page does (``classifiers.uncertainty``:
smallest margin between the two best probabilities, languages taking turns); *random* picks K
at random (what an agent correcting whatever they happen to open gives). Results replace the
``## Active learning`` section of docs/benchmarks.md. The shipped model never learns the dev
data.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine, write_section
from bench.classifier import DEV_DEFAULT
from bench.selftrain import LANGS, split
from classifiers.corpus_io import Example, load_corpus, read_examples
from classifiers.evaluate import macro_f1_by_language
from classifiers.model import TriageClassifier
from classifiers.training import train
from classifiers.uncertainty import pick


def scores(model: TriageClassifier, held: Sequence[Example]) -> dict[str, float]:
    """Macro-F1 per language (categories present) and overall on ``held``."""
    labels = model.predict_labels([e.text for e in held])
    return macro_f1_by_language([e.label for e in held], labels, [e.lang for e in held], LANGS)


def margin_pick(model: TriageClassifier, inbox: Sequence[Example], k: int) -> list[Example]:
    """The K inbox messages the queue page would propose (by the model's scores only)."""
    probs = model.probabilities([e.text for e in inbox])
    langs = model.detect_languages([e.text for e in inbox])
    rows = [{"id": i, "language": lang, "category": "", "text": e.text,
             "scores": dict(zip(model.meta.labels, p.tolist(), strict=True))}
            for i, (e, p, lang) in enumerate(zip(inbox, probs, langs, strict=True))]
    return [inbox[u.message_id] for u in pick(rows, k)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=DEV_DEFAULT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    corpus, dev = load_corpus(), read_examples(args.dev)
    runs: dict[str, list[dict[str, float]]] = {}
    picked_langs: dict[int, list[dict[str, int]]] = {k: [] for k in args.sizes}
    base = train(corpus, version="base", targets=None)
    for seed in args.seeds:
        inbox, held = split(dev, seed)
        runs.setdefault("none", []).append(scores(base, held))
        for k in args.sizes:
            chosen = margin_pick(base, inbox, k)
            picked_langs[k].append({lang: sum(e.lang == lang for e in chosen) for lang in LANGS})
            rnd = random.Random(seed * 1000 + k).sample(inbox, k)
            for name, extra in ((f"margin {k}", chosen), (f"random {k}", rnd)):
                model = train([*corpus, *extra], version=name, targets=None)
                runs.setdefault(name, []).append(scores(model, held))
            print(seed, k, {n: round(r[-1]["all"], 4) for n, r in runs.items()}, flush=True)
    head = ["run", *LANGS, "all"]
    lines = [f"Run on {machine()}, load average {load:.1f} at start, "
             f"{time.perf_counter() - t0:.0f} s. `realworld-dev.csv` split in halves stratified "
             "by language and label (seeds " + ", ".join(map(str, args.seeds)) + "; means). The "
             "model trained on the corpus picks K messages of the *inbox* half; their dev labels "
             "stand in for the agents' confirmations and corrections; the model is retrained on "
             "the corpus plus those K and measured on the other half (macro-F1; per language of "
             "the categories present). *margin*: the queue page's *Help the model* choice "
             "(`classifiers/uncertainty.py`); *random*: K messages at random.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, rs in runs.items():
        cells = [f"{np.mean([r[c] for r in rs]):.3f}" for c in (*LANGS, "all")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Languages of the messages the margin picked (mean per seed): " + "; ".join(
        f"K={k}: " + ", ".join(f"{lang} {np.mean([p[lang] for p in ps]):.0f}" for lang in LANGS)
        for k, ps in picked_langs.items()) + "."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("Active learning (`bench/active.py`)", body)


if __name__ == "__main__":
    main()
