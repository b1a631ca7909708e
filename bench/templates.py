"""Benchmark drafting: rendering, fact extraction and ``templates check``.

Run: ``.venv/bin/python bench/templates.py``. Rewrites the ``## Drafting`` section of
docs/benchmarks.md with the numbers and the machine they were measured on.
"""

from __future__ import annotations

import platform
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import machine
from triage.drafting.extract import extract_facts
from triage.drafting.render import DraftRequest, Renderer
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
DUE = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Call ``fn`` ``repeat`` times; return the seconds each call took."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    """Measure and write the ``## Drafting`` section of docs/benchmarks.md."""
    renderer = Renderer(customer_timezone="Asia/Singapore",
                        language_timezones={"vi": "Asia/Ho_Chi_Minh", "id": "Asia/Jakarta",
                                            "tl": "Asia/Manila"})
    reqs = [DraftRequest(category=c, channel=ch, language=lang, subject="Order problem",
                         text=MESSAGES[lang], sender="a@example.com", sender_name="Ann Lee",
                         thread_id=1042, due_at=DUE)
            for lang in LANGUAGES for c in CATEGORIES for ch in ("email", "social")]
    for r in reqs:  # warm the template cache: the daemon compiles each template once
        renderer.render(r)
    rounds = 20
    t = time.perf_counter()
    for _ in range(rounds):
        for r in reqs:
            renderer.render(r)
    per_draft = (time.perf_counter() - t) / (rounds * len(reqs))

    extract = []
    tech = []
    for text in MESSAGES.values():
        extract += timed(lambda text=text: extract_facts(text, "vi"), 50)
        tech += timed(lambda text=text: detect_tech_details(text), 50)
    chars = statistics.mean(len(t) for t in MESSAGES.values())
    check = timed(lambda: check_templates(Renderer()), 3)

    rows = [
        ("render one draft (extraction, context, template), warm cache",
         f"{per_draft * 1000:.2f} ms", f"{1 / per_draft:.0f} drafts/s"),
        (f"extract_facts on a {chars:.0f}-character message (median)",
         f"{statistics.median(extract) * 1000:.2f} ms", ""),
        ("detect_tech_details on the same (median)",
         f"{statistics.median(tech) * 1000:.3f} ms", ""),
        ("`triage templates check` on the 52 packaged templates (median of 3, in-process)",
         f"{statistics.median(check):.2f} s", ""),
    ]
    section = ["## Drafting", "",
               f"`bench/templates.py`, {datetime.now(UTC):%Y-%m-%d}, on {machine()}, "
               f"Python {platform.python_version()}. {len(reqs)} drafts (4 languages x 4 "
               f"categories x 2 channels) rendered {rounds} times.", "",
               "| measure | time | rate |", "|---|---|---|"]
    section += [f"| {a} | {b} | {c} |" for a, b, c in rows]
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
