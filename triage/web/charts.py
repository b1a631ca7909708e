"""The report's charts on the dashboard: ``triage report --charts`` for the last 7 days,
drawn on request and kept for a minute (matplotlib takes a while per chart)."""

from __future__ import annotations

import tempfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from triage.deadlines.report import build_report, first_response_times, write_charts
from triage.errors import NotFound

CHARTS = ("volume.png", "first_response.png", "backlog.png")
WINDOW = timedelta(days=7)
_lock = threading.Lock()
_cache: dict[tuple[int, str], dict[str, bytes]] = {}


def chart(p: Any, name: str) -> bytes:
    """Return chart ``name`` (one of :data:`CHARTS`) as PNG bytes; raises NotFound."""
    if name not in CHARTS:
        raise NotFound(f"there is no chart {name!r}")
    now = p.clock.now()
    key = (id(p.store), now.strftime("%Y%m%d%H%M"))
    with _lock:
        if key not in _cache:
            rows = p.review.deadline_store.report_rows(now - WINDOW, now)
            rep = build_report(rows, now - WINDOW, now, now)
            with tempfile.TemporaryDirectory() as tmp:
                paths = write_charts(rep, first_response_times(rows, now - WINDOW, now),
                                     Path(tmp))
                _cache.clear()
                _cache[key] = {q.name: q.read_bytes() for q in paths}
        return _cache[key].get(name, b"")
