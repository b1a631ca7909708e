"""Helpers shared by the benchmarks: machine description, results section in
docs/benchmarks.md, seeding Maildirs, and sampling a process's memory."""

from __future__ import annotations

import mailbox
import os
import platform
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_MD = ROOT / "docs" / "benchmarks.md"

BODIES = [
    "The app crashes with error 500 when I open the settings page.",
    "Where is my refund? I returned the shoes three weeks ago.",
    "How do I change the billing address on my account?",
    "Please add an export to CSV button to the reports.",
    "Ứng dụng bị lỗi khi tôi đăng nhập, xin hãy giúp.",
    "Pesanan saya belum sampai sudah dua minggu.",
    "Hindi gumagana ang app kapag nagbabayad ako.",
]


def machine() -> str:
    """Return ``nproc, CPU model, RAM, Python`` of this machine as one line."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem = int(m.group(1)) // 1024 if m else 0
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs (nproc), {cpu}, {mem / 1024:.1f} GiB RAM, "
            f"Python {platform.python_version()}")


def write_section(title: str, body: str) -> None:
    """Replace (or append) the ``## title`` section of docs/benchmarks.md."""
    text = BENCH_MD.read_text(encoding="utf-8") if BENCH_MD.exists() else "# Benchmarks\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    BENCH_MD.write_text(text, encoding="utf-8")


def replace_section(text: str) -> None:
    """Write ``text``, a whole section starting with ``## Title``, into docs/benchmarks.md."""
    title, _, body = text.strip().partition("\n")
    write_section(title.removeprefix("## ").strip(), body)


def seed_maildir(path: Path, n: int, tag: str) -> None:
    """Write ``n`` realistic messages into the Maildir at ``path`` (fast: bytes from a
    template, written straight into ``new/`` under unique names as a delivery agent would)."""
    mailbox.Maildir(str(path), create=True).close()
    new = path / "new"
    for i in range(n):
        body = f"{BODIES[i % len(BODIES)]} (order {tag}-{i})\n\n-- \nSent from my phone\n"
        raw = (f"From: Customer {i} <c{i}.{tag}@example.net>\r\n"
               "To: support@example.com\r\n"
               f"Subject: Case {tag}-{i}\r\n"
               "Date: Fri, 20 Nov 2026 08:00:00 +0000\r\n"
               f"Message-ID: <{tag}-{i}@example.net>\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n" + body.replace("\n", "\r\n"))
        (new / f"{int(time.time())}.{tag}_{i}.bench").write_bytes(raw.encode("utf-8"))


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (0 when it is gone)."""
    try:
        m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0.0
    return int(m.group(1)) / 1024 if m else 0.0
