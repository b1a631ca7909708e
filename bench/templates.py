"""Benchmark drafting: situation accuracy, rendering, fact extraction and ``templates check``.

Run: ``.venv/bin/python bench/templates.py``. Rewrites the ``## Drafting`` section of
docs/benchmarks.md with the numbers and the machine they were measured on. With ``--errors``
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
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine
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

    model = load_model(ensure_bundled_model(Path(tempfile.mkdtemp())))
    preds = model.predict([model_input(m["text"], m.get("subject", "")) for m in fixtures],
                          languages=[m["language"] for m in fixtures])
    return [p.category for p in preds]


ROUNDS = ("round 2", "round 3", "round 4", "round 5")


def round_of(m: dict) -> str:
    """Return the fixture's round from its id (``-rNN`` 2, ``-sNN`` 3, ``-tNN`` 4, ``-uNN`` 5)."""
    kind = m["id"].split("-", 1)[1][0]
    return {"r": "round 2", "s": "round 3", "t": "round 4", "u": "round 5"}[kind]


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
        f"{len(fixtures)} held-out fixtures in `tests/situations/` (en, vi, id, tl; every "
        "detected situation and `general`), never trained on: round 2 was written after the "
        "first rules were frozen and chose the rule weight and the model's temperature; round "
        "3 was written after that was frozen. After rounds 2 and 3 had been measured, the "
        "corpus grew by 80 colloquial messages (login, app errors, follow-ups, customers "
        "sending what we asked for; round c) with rules for them, a chasing phrase now decides "
        "alone and `closing` needs a closing phrase: rounds 2 and 3 are therefore no longer "
        "clean. Round 4 was written after that was frozen (commit f99a41e) and measured once "
        "(88 %); then the errors of rounds 2-4 were read to add phrase families and corpus "
        "messages (round d), so none of rounds 2-4 is clean any more. Round 5 was written by "
        "someone who had seen neither the rules, nor the corpus, nor the model, and measured "
        "once after round d was frozen: it is the clean figure. The model learns from "
        f"{len(load_corpus())} other messages in `triage/drafting/situation_corpus/`, on "
        "which the rules were tuned (there, the rules alone score 99 %: that figure says "
        "nothing about new messages).", "",
        "| method | all | en | vi | id | tl | " + " | ".join(ROUNDS) + " |",
        "|---|---|---|---|---|---|" + "---|" * len(ROUNDS)]
    section += ["| " + " | ".join(r) + " |" for r in rows]
    blend5 = rows[2][2 + len(LANGUAGES) + ROUNDS.index("round 5")]
    model5 = rows[1][2 + len(LANGUAGES) + ROUNDS.index("round 5")]
    section += [
        "", f"Round 5, the only clean figure, is {blend5}"
        f" ({round_by_language(fixtures)}); the model alone scores {model5} there. The 90 % "
        "target is not met on new messages: the figures on rounds 2-4 (up to 100 %) only "
        "show that the rules now know those messages' phrasing. Before round d the same "
        "round 5 gave 82 % with the blend and 88 % with the model alone (measured once, "
        "afterwards, on the code of commit 265052b): on unseen phrasing the keyword rules cost "
        "more than they bring, while the blend wins on every round the rules have seen. The "
        "next gains: weigh the rules less where they are unsure (to be chosen on a new round, "
        "not on round 5), agents' situation switches (stored in `drafts.situation`) as "
        "training data, and Indonesian, whose round-5 misses are chat phrasings of order "
        "status, login and closing.",
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
    doc = ROOT / "docs" / "benchmarks.md"
    old = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Drafting\n.*?(?=^## |\Z)", re.M | re.S)
    new = pattern.sub(text + "\n", old) if pattern.search(old) else \
        old.rstrip("\n") + "\n\n" + text
    doc.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
