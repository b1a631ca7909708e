"""Helpers of the chat channel tests: an app with chat sources on a temp store and the real
model, the rows a source stored, and the customer texts in the four languages."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.services import App

TEXTS = {
    "vi": "Đơn hàng 4521 của tôi bị giao trễ một tuần rồi, làm ơn kiểm tra giúp tôi",
    "en": "My order 4521 has not arrived after a week, please check what happened",
    "id": "Aplikasi error terus waktu saya mau bayar, tolong dibantu ya",
    "tl": "Pwede po bang palitan ang address ng order ko? Mali po ang nailagay ko",
}


def real_now() -> FrozenClock:
    """A frozen clock at the real time (rate-limit resets and webhook times look real)."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


def make_app(tmp_path: Path, model_path: Path, clock: FrozenClock,
             sources: list[dict[str, Any]], environ: dict[str, str], **extra: Any) -> App:
    """An App on a SQLite store in ``tmp_path`` with ``sources`` and the real model."""
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"), "classifier": {"model_path": str(model_path)},
        "sources": sources, **extra})
    return App(settings, clock=clock, environ=environ)


def stored(app: App, source: str) -> list[dict[str, Any]]:
    """Every message of ``source`` with its classification, deadline and draft."""
    return [r for r in app.store.export_rows() if r["source"] == source]
