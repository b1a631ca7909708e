"""Benchmark drafting: situation accuracy, rendering, fact extraction and ``templates check``.

Run: ``.venv/bin/python bench/templates.py``. Rewrites the ``## Drafting`` section of
docs/benchmarks.md with the numbers and the machine they were measured on (``--no-write``:
print only). With ``--errors``
it only prints the blend's accuracy per round and language and every misdetected fixture
(expected, found, text), and writes nothing.

Situation accuracy is measured on the held-out fixtures in tests/situations/ (never trained or
tuned on; see its README), three ways: the keyword rules alone, the model alone, and the blend
triage uses; with the category the fixture states and with the category the real classifier
gives (the daemon's case).
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine, scratch_dir
from tests.situation_fixtures import NOW, SEA_ZONES, load_fixtures, request_for, thread_of
from triage.drafting.extract import extract_facts
from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.situation_model import (
    load_corpus,
    message_features,
    packaged_model,
    probabilities,
    train,
)
from triage.drafting.situations import SITUATIONS, detect_situation
from triage.drafting.style import lint_draft
from triage.drafting.techdetails import detect_tech_details
from triage.drafting.template_check import check_templates
from triage.models import CATEGORIES, LANGUAGES

MESSAGES = {
    "en": ("Hi, my order #55501 arrived broken. I paid $45.00 on 12/11/2026. The app (version "
           "4.2.1) on my iPhone 13 says \"Payment failed\". Call me on +65 9123 4567 or write "
           "to ann@example.com. " * 3),
    "vi": ("Đơn hàng DH12345 của tôi giao trễ, đã trả 350.000đ ngày 12/11. App báo lỗi "
           "'Không kết nối được' trên Samsung Galaxy A52. SĐT 0912 345 678. " * 3),
    "id": ("Nomor pesanan saya 2311230XYZ9 belum sampai, sudah bayar Rp 50.000 tgl 12 Agustus "
           "2026. Aplikasi versi 3.10 di Android 12 muncul \"Terjadi kesalahan\". WA "
           "0812-3456-7890. " * 3),
    "tl": ("Yung order ko #889911 hindi pa dumating, nagbayad ako ng ₱1,299 noong Nobyembre 12. "
           "Lumalabas ERR_CONNECTION_REFUSED sa Chrome 119. Call me 0917 123 4567. " * 3),
}


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Call ``fn`` ``repeat`` times; return the seconds each call took."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def classifier_categories(fixtures: list[dict]) -> list[str]:
    """Return the category the real (bundled) classifier gives each fixture."""
    from classifiers.model import model_input
    from classifiers.modelfile import load_model
    from triage.modelstore import ensure_bundled_model

    model = load_model(ensure_bundled_model(scratch_dir("bench-templates-")))
    preds = model.predict([model_input(m["text"], m.get("subject", "")) for m in fixtures],
                          languages=[m["language"] for m in fixtures])
    return [p.category for p in preds]


def round_of(m: dict) -> str:
    """Return the fixture's round from its id's letter (``-rNN`` 2, ``-sNN`` 3, ``-tNN`` 4,
    ``-uNN`` 5, and on: a later round gets the next letter)."""
    kind = m["id"].split("-", 1)[1][0]
    return f"round {ord(kind) - ord('r') + 2}"


ROUNDS = tuple(sorted({round_of(m) for m in load_fixtures()}, key=lambda r: int(r.split()[1])))
"""Every fixture round present, in order."""
CLEAN = ROUNDS[-1] if len(ROUNDS) > 4 else ""
"""The round written after this benchmark's settings were chosen (round 6 on), if present."""


def round_by_language(fixtures: list[dict], name: str = "round 5") -> str:
    """Return the blend's accuracy on one round per language, e.g. ``en 16/18, vi 18/18``."""
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for m in fixtures:
        if round_of(m) != name:
            continue
        found = detect_situation(m["text"], m.get("subject", ""), m["language"], m["category"],
                                 thread=thread_of(m),
                                 attachment_types=m.get("attachments", [])).situation
        total[m["language"]] += 1
        right[m["language"]] += found == m["situation"]
    return ", ".join(f"{lang} {right[lang]}/{total[lang]}" for lang in LANGUAGES if total[lang])


def accuracy_rows(fixtures: list[dict]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Return the accuracy table (per method and language) and the per-situation recall."""
    model = packaged_model()
    real = classifier_categories(fixtures)
    methods: dict[str, list[bool]] = {"rules alone": [], "model alone": [], "blend (triage)": [],
                                      "blend, classifier's category": []}
    per_situation: Counter[str] = Counter()
    right_situation: Counter[str] = Counter()
    for m, category in zip(fixtures, real, strict=True):
        args = (m["text"], m.get("subject", ""), m["language"])
        kw = {"thread": thread_of(m), "attachment_types": m.get("attachments", [])}
        expected = m["situation"]
        methods["rules alone"].append(
            detect_situation(*args, m["category"], model=None, **kw).situation == expected)
        probs = probabilities(model, message_features(m))
        methods["model alone"].append(max(probs, key=lambda k: probs[k]) == expected)
        blend = detect_situation(*args, m["category"], **kw).situation
        methods["blend (triage)"].append(blend == expected)
        methods["blend, classifier's category"].append(
            detect_situation(*args, category, **kw).situation == expected)
        per_situation[expected] += 1
        right_situation[expected] += blend == expected
    rows = []
    langs = [m["language"] for m in fixtures]
    rounds = [round_of(m) for m in fixtures]
    for name, hits in methods.items():
        row = [name, f"{sum(hits) / len(hits):.1%} ({sum(hits)}/{len(hits)})"]
        for lang in LANGUAGES:
            sel = [h for h, x in zip(hits, langs, strict=True) if x == lang]
            row.append(f"{sum(sel) / len(sel):.0%}")
        for r in ROUNDS:
            sel = [h for h, x in zip(hits, rounds, strict=True) if x == r]
            row.append(f"{sum(sel) / len(sel):.0%}")
        rows.append(tuple(row))
    recall = [(s, f"{right_situation[s]}/{per_situation[s]}")
              for s in [*SITUATIONS, "general"] if per_situation[s]]
    return rows, recall


def cross_validation_rows() -> list[tuple[str, ...]]:
    """Return the leave-one-round-out table of ``bench/situations_cv.py --small`` over rounds
    2-5, for the rules as of each round (``asof=True``) and for the rules as of each round
    with today's corpus (``asof="rules"``)."""
    import numpy as np

    from bench.situations_cv import BEFORE, Prepared, small_grid
    from bench.situations_cv import round_of as cv_round

    known = [m for m in load_fixtures() if m["id"].split("-", 1)[1][0] in "rstu"]
    configs = list(small_grid())
    rows = []
    for asof, label in ((True, "rules and corpus as of each round"),
                        ("rules", "rules as of each round, today's corpus")):
        prep = Prepared(known, "corpus", asof)
        rounds = np.array([cv_round(m) for m in known])
        names = sorted(set(rounds))
        hits = np.array([prep.predict(w, t) == prep.expected for w, t in configs])
        per = np.array([[h[rounds == r].mean() for r in names] for h in hits])
        held = np.zeros(len(known), dtype=bool)
        for j, r in enumerate(names):
            others = [i for i in range(len(names)) if i != j]
            best = int(np.argmax(per[:, others].mean(axis=1) + 1e-3 * per[:, others].min(axis=1)))
            held[rounds == r] = hits[best][rounds == r]
        before = next(i for i, (w, _t) in enumerate(configs) if w == BEFORE)
        for method, h in (("model alone", prep.model_alone() == prep.expected),
                          ("blend, weights before", hits[before]),
                          ("blend, shipped weights", hits[0]),
                          ("blend, weights chosen on the other rounds", held)):
            rows.append((label, method, f"{h.mean():.1%}",
                         *(f"{h[rounds == r].mean():.0%}" for r in names)))
    return rows


def print_errors(fixtures: list[dict]) -> None:
    """Print the blend's accuracy per round and language and each misdetected fixture."""
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    errors = []
    for m in fixtures:
        found = detect_situation(m["text"], m.get("subject", ""), m["language"], m["category"],
                                 thread=thread_of(m),
                                 attachment_types=m.get("attachments", [])).situation
        key = (round_of(m), m["language"])
        total[key] += 1
        right[key] += found == m["situation"]
        if found != m["situation"]:
            errors.append((m["situation"], m["language"], m["id"], found, m["text"]))
    for r in (*ROUNDS, "all"):
        cells = []
        for lang in (*LANGUAGES, "all"):
            keys = [k for k in total if r in ("all", k[0]) and lang in ("all", k[1])]
            n, ok = sum(total[k] for k in keys), sum(right[k] for k in keys)
            cells.append(f"{lang} {ok}/{n} ({ok / n:.1%})" if n else f"{lang} -")
        print(f"{r:8} " + ", ".join(cells))
    for expected, _lang, fid, found, text in sorted(errors):
        print(f"{fid:8} expected {expected:15} found {found:15} {text[:140]!r}")


def main() -> None:
    """Measure and write the ``## Drafting`` section of docs/benchmarks.md."""
    if "--errors" in sys.argv[1:]:
        print_errors(load_fixtures())
        return
    fixtures = load_fixtures()
    train(load_corpus())  # imports scikit-learn (the daemon has it loaded for the classifier)
    train_s = statistics.median(timed(lambda: train(load_corpus()), 3))
    rows, recall = accuracy_rows(fixtures)

    renderer = Renderer(customer_timezone="Asia/Singapore", language_timezones=SEA_ZONES)
    reqs = [DraftRequest(category=c, channel=ch, language=lang, subject="Order problem",
                         text=MESSAGES[lang], sender="a@example.com", sender_name="Ann Lee",
                         thread_id=1042, due_at=None, now=NOW, situation="general")
            for lang in LANGUAGES for c in CATEGORIES for ch in ("email", "social")]
    detected = [request_for(m) for m in fixtures]
    for r in reqs + detected:  # warm the template cache and the model
        renderer.render(r)
    rounds = 10
    t = time.perf_counter()
    for _ in range(rounds):
        for r in reqs:
            renderer.render(r)
    per_draft = (time.perf_counter() - t) / (rounds * len(reqs))
    t = time.perf_counter()
    drafts = [renderer.render(r) for r in detected]
    per_detected = (time.perf_counter() - t) / len(detected)
    lint = sum(len(lint_draft(d.text, language=m["language"], channel=m["channel"]))
               for d, m in zip(drafts, fixtures, strict=True))

    extract = []
    tech = []
    for text in MESSAGES.values():
        extract += timed(lambda text=text: extract_facts(text, "vi"), 50)
        tech += timed(lambda text=text: detect_tech_details(text), 50)
    chars = statistics.mean(len(t) for t in MESSAGES.values())
    check_renderer = Renderer(language_timezones=SEA_ZONES)
    check = timed(lambda: check_templates(check_renderer), 3)
    templates = check_templates(check_renderer)[1]

    section = [
        "## Drafting", "",
        f"`bench/templates.py`, {datetime.now(UTC):%Y-%m-%d}, on {machine()}.", "",
        "### Situation accuracy (target 90 %)", "",
        f"{len(fixtures)} fixtures in `tests/situations/` (en, vi, id, tl; every detected "
        "situation and `general`), never trained on, in rounds: round 2 chose the first rule "
        "weight and the model's temperature; round 3 was written after that; then the corpus "
        "grew by colloquial messages with rules for them (round c). Round 4 was written after "
        "that freeze (commit f99a41e) and measured once (88 %); its errors and those of rounds "
        "2-3 were read to add phrase families (round d). Round 5 was written blind (by someone "
        "who had seen neither the rules, the corpus nor the model) and measured once: 84 % "
        "(en 17/20, vi 19/20, id 13/20, tl 18/20; the model alone 86 %). Then round 5 was read "
        "too (branch situ3): 94 corpus messages of our own for the families it showed missing "
        "(round e), 53 more for `general` and short replies carrying what we asked for, the "
        "model's weakest situations over rounds 2-5 (round f), 48 more phrasings of every "
        "situation (round g; no fixture text copied, a test "
        "rejects any corpus message sharing 60 % of its words with a fixture), and blend "
        "weights chosen by cross-validation over rounds 2-5 (below). **No round up to 5 is "
        "clean any more**: their figures show what the "
        "detector knows, not how it does on new messages"
        + (f"; {CLEAN}, written blind after this, is the clean figure: "
           f"{rows[2][2 + len(LANGUAGES) + ROUNDS.index(CLEAN)]} "
           f"({round_by_language(fixtures, CLEAN)})." if CLEAN else
           "; the next clean figure is round 6, measured once by the lead.")
        + f" The model learns from {len(load_corpus())} other messages in "
        "`triage/drafting/situation_corpus/`, on which the rules were tuned.", "",
        "| method | all | en | vi | id | tl | " + " | ".join(ROUNDS) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(ROUNDS)]
    section += ["| " + " | ".join(r) + " |" for r in rows]
    section += [
        "", "#### Leave one round out (`bench/situations_cv.py`)", "",
        "The blend (`triage/drafting/situation_blend.py`) adds to the model's probability of "
        "each situation the rules scored `weight * min(score, cap) / cap`, with one weight "
        "for a situation named by an exact phrase (a rule of weight 3 or more) and another for "
        "broad keywords, a bonus for `general` when no rule fires, and `closing` only with a "
        "closing phrase or from a model probability. Today's rules have read rounds 2-5, so on "
        "them any weighting that trusts the rules looks right; the weights were therefore "
        "chosen with the rules of the commits that had not read each round (rounds 2-3: "
        "bb9551f, round 4: f99a41e, round 5: today's, which no one tuned on it) and today's "
        "corpus (the shipped model; it was written after reading rounds 2-5, without copying "
        "them, so these figures are still optimistic), over a small grid (exact and broad "
        "0.2/0.3, cap 4/6, general 0/0.05/0.1/0.15, closing from 0.5/0.7/never; a grid of "
        "20,000 settings overfits: chosen on the other rounds it scored below the old "
        "weights). *Chosen on the other rounds* picks the weights on three rounds and scores "
        "the fourth: the honest estimate of choosing them this way. Every fold chose exact "
        "phrases 0.2, broad keywords 0.2, cap 4, `general` 0.05 and `closing` without a "
        "phrase from a model probability of 0.5 (before: 0.3, 0.3, 6, 0.15, never). "
        "Telling exact phrases from broad keywords, and doubting a rule the model rejects, "
        "changed nothing measurable: a fired "
        "rule adds 0.1-0.2 whatever its weight, the model decides and a rule tips close calls. "
        "Weights depend on the model: with the older, smaller corpora (first rows) the model "
        "knows `general` less and the old `general` bonus suits it better (their round-5 "
        "column uses today's corpus: there is no older one that had not read it). The model is "
        "trained on the corpus only, as shipped (agents' switches, which the daemon also "
        "learns from, are not in these figures).", "",
        "| rules | method | all | " + " | ".join(ROUNDS[:4]) + " |",
        "|---|---|---|" + "---|" * 4]
    section += ["| " + " | ".join(r) + " |" for r in cross_validation_rows()]
    section += [
        "", "Recall per situation (blend): " + ", ".join(f"{s} {v}" for s, v in recall) + ".",
        "", "### Speed", "",
        "| measure | time | rate |", "|---|---|---|",
        f"| train the situation model ({len(load_corpus())} messages; once per process; "
        "median of 3) | "
        f"{train_s:.2f} s | |",
        f"| render one draft, situation given (extraction, context, template), warm cache | "
        f"{per_draft * 1000:.2f} ms | {1 / per_draft:.0f} drafts/s |",
        f"| render one draft with situation detection (rules + model), warm | "
        f"{per_detected * 1000:.2f} ms | {1 / per_detected:.0f} drafts/s |",
        f"| extract_facts on a {chars:.0f}-character message (median) | "
        f"{statistics.median(extract) * 1000:.2f} ms | |",
        f"| detect_tech_details on the same (median) | "
        f"{statistics.median(tech) * 1000:.3f} ms | |",
        f"| `triage templates check` on the {templates} packaged templates, style lint "
        f"included (median of 3, in-process) | {statistics.median(check):.2f} s | |",
        "", f"Style-lint problems in the {len(drafts)} fixture drafts: {lint}.",
    ]
    text = "\n".join(section) + "\n"
    print(text)
    if "--no-write" in sys.argv[1:]:  # as the other benches: print only
        return
    doc = ROOT / "docs" / "benchmarks.md"
    old = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Drafting\n.*?(?=^## |\Z)", re.M | re.S)
    new = pattern.sub(text + "\n", old) if pattern.search(old) else \
        old.rstrip("\n") + "\n\n" + text
    doc.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
