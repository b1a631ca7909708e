"""Helpers shared by the benchmarks: machine description, results section in
docs/benchmarks.md, seeding Maildirs, sampling a process's memory, and scratch folders that
are removed when the benchmark ends."""

from __future__ import annotations

import atexit
import mailbox
import os
import platform
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

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


KEEP_ENV = "TRIAGE_BENCH_KEEP"


def scratch_dir(prefix: str) -> Path:
    """Return a new private temporary folder that is removed, with everything in it, when the
    benchmark's process exits (a burst leaves ~250 MB of store and Maildirs behind otherwise).
    Set ``TRIAGE_BENCH_KEEP=1`` to keep it for a look afterwards; its path is then printed."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if os.environ.get(KEEP_ENV, "") not in ("", "0"):
        print(f"{KEEP_ENV}: keeping {path}", flush=True)
    else:
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


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


CATEGORIES = ("complaint", "request", "suggestion", "technical_issue")


def seed_conversations(app: Any, start: int, stop: int, n_open: int, *, now: Any, step: Any,
                       senders: int, due_in: Any) -> None:
    """Write conversations ``start`` to ``stop`` in bulk (bench/web.py and bench/scale.py):
    the first ``n_open`` still open, the rest answered (deadline met, draft sent); every
    tenth has a customer follow-up. ``step`` spaces the received times, ``senders`` bounds
    the distinct customers, ``due_in`` sets the deadlines. Message ids are ``2 * thread + k``,
    unique across slices. The rows bypass the store's writers: call
    ``store.summary.rebuild()`` once after the last slice."""
    from sqlalchemy import insert

    from triage.store import schema as s

    threads, msgs, cls, dls, drs = [], [], [], [], []
    for i in range(start, stop):
        tid, open_ = i + 1, i < n_open
        sender = f"c{i % senders}@example.com"
        threads.append(dict(id=tid, subject=f"Order {i}", channel="email", customer=sender,
                            created_at=now, last_message_at=now))
        for k in range(2 if i % 10 == 0 else 1):
            mid = tid * 2 + k
            msgs.append(dict(
                id=mid, source="inbox", external_id=str(mid), message_id=f"<m{mid}@example.com>",
                channel="email", thread_id=tid, received_at=now - step * (i - k),
                ingested_at=now, sender=sender, sender_name=f"Customer {i}",
                recipients=["support@example.com"], cc=[], defects=[],
                subject=f"Order {i} is late", text=f"Where is order {i}?",
                full_text=f"Where is order {i}?", references=[], attachments=[],
                status="processed", raw_sha256=""))
            cls.append(dict(message_id=mid, category=CATEGORIES[i % 4], confidence=0.8,
                            language=("en", "vi", "id", "tl")[i % 4], model_version="bench",
                            needs_review=i % 5 == 0, scores={}, created_at=now, current=True))
            dls.append(dict(message_id=mid, kind="next_response" if k else "first_response",
                            policy="email/default", priority="normal",
                            due_at=now + due_in - step * i,
                            state="ok" if open_ else "met", warnings_sent=[],
                            met_at=None if open_ else now - step * (i // 2),
                            met_by=None if open_ else "ann"))
            drs.append(dict(message_id=mid, status="pending_review" if open_ else "sent",
                            subject=f"Re: Order {i} [#T-{tid}]", text="Hello,\n\nWe are on it.\n",
                            template="en/request.email.j2", language="en", created_at=now,
                            updated_at=now, updated_by="triage"))
    with app.store.engine.begin() as c:
        for table, rows in ((s.threads, threads), (s.messages, msgs),
                            (s.classifications, cls), (s.deadlines, dls), (s.drafts, drs)):
            for at in range(0, len(rows), 5000):
                c.execute(insert(table), rows[at:at + 5000])
