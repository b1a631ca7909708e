"""Build the sentence-encoder head (``classifiers/encoder_head.npz``) from the corpus only.

    pip install -e '.[encoder]'
    python -m classifiers.encoder_build [--max-rows N] [--cache DIR] [--out PATH]

Embedding is slow (about 5 messages per second per core), so embeddings are cached by the
text's SHA-1 under ``--cache`` (64 per file, resumable): a run embeds the corpus rows not cached
yet in an order stratified by language and label, up to ``--max-rows`` rows in all, then fits a
logistic regression (scikit-learn, balanced classes) on every embedded corpus row and writes the
head with what it saw (package and version, corpus hash and rows, date) in its metadata. The
head is a few tens of kB; commit it when it changes. Never trained on anything but the corpus.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from classifiers.corpus_io import Example, examples_hash, load_corpus
from classifiers.encoder import HEAD_PATH, PACKAGE, PACKAGE_VERSION, EncoderHead, load_encoder

CACHE = Path("/tmp/triage-bench-encoder/bytext")


def text_key(text: str) -> str:
    """Return the cache key of ``text``."""
    return hashlib.sha1(text.encode()).hexdigest()


def cached(cache: Path = CACHE) -> dict[str, np.ndarray]:
    """Return every cached embedding by text key (files being written, named ``.*``, are
    skipped: pathlib's glob matches them, and a run that died leaves one empty)."""
    out: dict[str, np.ndarray] = {}
    for f in sorted(cache.glob("[!.]*.npz")):
        with np.load(f) as z:
            out.update(zip(z["keys"].tolist(), z["x"], strict=True))
    return out


def embed_missing(texts: Sequence[str], limit: int, cache: Path = CACHE) -> int:
    """Embed up to ``limit`` of ``texts`` not cached yet, 64 per file; return how many."""
    have = cached(cache)
    todo = list(dict.fromkeys(t for t in texts if text_key(t) not in have))[:max(limit, 0)]
    if not todo:
        return 0
    enc = load_encoder()
    cache.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d%H%M%S")
    for k in range(0, len(todo), 64):
        chunk = todo[k:k + 64]
        tmp = cache / f".{stamp}-{k:05d}.npz"
        with tmp.open("wb") as fh:
            np.savez(fh, keys=np.array([text_key(t) for t in chunk]),
                     x=np.asarray(enc.encode(chunk), dtype=np.float32))
        tmp.rename(cache / f"{stamp}-{k:05d}.npz")
    return len(todo)


def stratified_order(examples: Sequence[Example], seed: int = 1) -> list[Example]:
    """Return ``examples`` interleaved so that any prefix is stratified by language and label."""
    strata: dict[tuple[str, str], list[Example]] = defaultdict(list)
    for e in examples:
        strata[(e.lang, e.label)].append(e)
    rng = random.Random(seed)
    ranked: list[tuple[float, Example]] = []
    for group in strata.values():
        rng.shuffle(group)
        ranked += [((i + rng.random()) / len(group), e) for i, e in enumerate(group)]
    return [e for _, e in sorted(ranked, key=lambda p: p[0])]


def default_version(rows: Sequence[Example], now: datetime) -> str:
    """Return ``enc-YYYYMMDD-<first 7 hex digits of the rows' hash>``: heads built on the same
    day from different corpora get different versions (every re-scored classification records
    it, so two heads must never share one)."""
    return f"enc-{now.strftime('%Y%m%d')}-{examples_hash(rows)[:7]}"


def fit_head(rows: Sequence[Example], x: np.ndarray, *, version: str,
             corpus_rows: int) -> EncoderHead:
    """Fit the head on embeddings ``x`` of ``rows`` (scikit-learn's logistic regression)."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=10, max_iter=3000, class_weight="balanced")
    clf.fit(x, [e.label for e in rows])
    by_lang: dict[str, int] = defaultdict(int)
    for e in rows:
        by_lang[e.lang] += 1
    meta = {"version": version, "package": PACKAGE, "package_version": PACKAGE_VERSION,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": len(rows), "rows_by_language": dict(sorted(by_lang.items())),
            "corpus_rows": corpus_rows, "rows_hash": examples_hash(rows),
            "data": "bundled corpus only (classifiers/corpus), stratified by language and label"}
    head = EncoderHead(coef=clf.coef_, intercept=clf.intercept_,
                       labels=[str(c) for c in clf.classes_], meta=meta)
    # the runtime's numpy softmax must give scikit-learn's probabilities
    if not np.allclose(head.proba_of_embeddings(x[:256]), clf.predict_proba(x[:256]),
                       atol=1e-6):
        raise RuntimeError("the head's probabilities differ from scikit-learn's")
    return head


def main(argv: Sequence[str] | None = None) -> None:
    """Embed what is missing (up to ``--max-rows``), fit and write the head."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-rows", type=int, default=0,
                    help="corpus rows to have embedded in all (0: every row)")
    ap.add_argument("--cache", type=Path, default=CACHE)
    ap.add_argument("--out", type=Path, default=HEAD_PATH)
    ap.add_argument("--version", default="",
                    help="head version (default: enc-YYYYMMDD-<hash of the rows>)")
    args = ap.parse_args(argv)
    corpus = load_corpus()
    order = stratified_order(corpus)
    want = order[:args.max_rows] if args.max_rows > 0 else order
    have = cached(args.cache)
    missing = [e.text for e in want if text_key(e.text) not in have]
    print(f"embedding {len(missing)} corpus rows (cached: {len(have)})", flush=True)
    embed_missing(missing, len(missing), args.cache)
    have = cached(args.cache)
    rows = list({e.text: e for e in corpus if text_key(e.text) in have}.values())
    x = np.stack([have[text_key(e.text)] for e in rows]).astype(np.float64)
    version = args.version or default_version(rows, datetime.now(UTC))
    head = fit_head(rows, x, version=version, corpus_rows=len(corpus))
    head.save(args.out)
    print(f"wrote {args.out}: {len(rows)} of {len(corpus)} corpus rows, version {version}")


if __name__ == "__main__":
    main()
