"""The pipeline's narrow read of the claimed messages (``Store.messages_to_process``, #19).

It returns only :data:`~triage.store.messages.PIPELINE_COLUMNS`, decoded its own way (JSON
columns from their text, the dict built directly); these tests hold it to the full rows of
``messages_by_ids`` on SQLite and PostgreSQL, value and type, and check that the pipeline (with
its metrics and acknowledgement observers) reads nothing else and saves the same results
from it as from the full rows.
"""

from __future__ import annotations

import dataclasses
import random
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bench.mailgen import generate
from tests.conftest import NOW, add_to_maildir, make_email
from tests.test_acks import make_app
from triage.clock import FrozenClock
from triage.daemon import Daemon
from triage.drafting.acks import LogOnlySender
from triage.mail.batch import parse_batch
from triage.mail.threads import assign_threads
from triage.services import App
from triage.store import Ingest, Store
from triage.store import schema as s
from triage.store.messages import PIPELINE_COLUMNS


def realistic_items(n: int) -> list[Ingest]:
    """``n`` realistic mails parsed as the daemon parses them, plus one with parse defects
    and unusual JSON lists, one automatic, private backfilled one and one quarantined (no
    parsed message)."""
    raws = generate(n, seed=7)
    jobs = [(f"1:{i + 1}", raw, NOW) for i, raw in enumerate(raws)]
    outcomes, _ = parse_batch(jobs)
    items = [Ingest(ext, raw, None, error=o, received_at=NOW) if isinstance(o, str)
             else Ingest(ext, raw, o, received_at=NOW)
             for (ext, raw, _), o in zip(jobs, outcomes, strict=True)]
    first = next(i.parsed for i in items if i.parsed is not None)
    items.append(Ingest("d:1", b"x", dataclasses.replace(
        first, message_id="<defects@x>", defects=["undecodable \u00e9 part", "[]"],
        references=["<a@x>", "[]", "<\u00e9@x>"])))
    items.append(Ingest("a:1", b"y", dataclasses.replace(
        first, message_id="<auto@x>", is_auto=True, auto_reason="auto-replied", private=True,
        language_hint="vi"), backfill=True))
    items.append(Ingest("q:1", b"garbage", None, error="unparseable", received_at=NOW))
    return items


def test_the_pipeline_columns_exist() -> None:
    assert set(PIPELINE_COLUMNS) <= set(s.messages.c.keys())
    assert PIPELINE_COLUMNS[0] == "id" and len(set(PIPELINE_COLUMNS)) == len(PIPELINE_COLUMNS)


def test_narrow_rows_equal_the_full_rows_projected(any_store: Store) -> None:
    any_store.ensure_source("inbox", "imap")
    items = realistic_items(150)
    ids = any_store.add_items("inbox", items, {}, threader=assign_threads)
    want = list(ids)
    random.Random(3).shuffle(want)
    want += [max(ids) + 1000, want[0]]  # an unknown id is left out, a repeated one repeated
    full = any_store.messages_by_ids(want)
    narrow = any_store.messages_to_process(want)
    assert len(narrow) == len(full) == len(ids) + 1 == 154
    assert [r["id"] for r in narrow] == [r["id"] for r in full]
    for f, n in zip(full, narrow, strict=True):
        assert list(n) == list(PIPELINE_COLUMNS)
        assert n == {k: f[k] for k in PIPELINE_COLUMNS}
        assert {k: type(v) for k, v in n.items()} == {k: type(f[k]) for k in PIPELINE_COLUMNS}
        for k in ("received_at", "ingested_at"):
            assert isinstance(n[k], datetime) and n[k].utcoffset() is not None
    # the values the fast paths meet are all there: empty and non-empty JSON lists (one
    # holding the string "[]"), automatic mail, a quarantined row, private and backfill flags
    assert any(r["attachments"] for r in narrow) and any(not r["attachments"] for r in narrow)
    assert any(r["defects"] == ["undecodable \u00e9 part", "[]"] for r in narrow)
    assert any(r["references"] for r in narrow) and any(r["is_auto"] for r in narrow)
    assert any(r["thread_id"] is None for r in narrow)
    assert any(r["private"] and r["backfill"] and r["auto_reason"] for r in narrow)
    # every row has its own lists: changing one changes no other
    empties = [r["defects"] for r in narrow if r["defects"] == []]
    empties[0].append("x")
    assert all(e == [] for e in empties[1:])
    assert any_store.messages_to_process([]) == []


class Recording(dict):  # type: ignore[type-arg]
    """A row that notes every key read from it."""

    seen: ClassVar[set[str]] = set()

    def __getitem__(self, key: str) -> Any:
        Recording.seen.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        Recording.seen.add(key)
        return super().get(key, default)


def fill(maildir: Path) -> None:
    """Realistic mails, a technical issue and its follow-up (acknowledged, with references)."""
    for raw in generate(40, seed=11):
        add_to_maildir(maildir, raw)
    crash = "The app crashes with error 500 when I log in."
    add_to_maildir(maildir, make_email(msgid="<o@x>", subject="Login broken", body=crash))
    add_to_maildir(maildir, make_email(msgid="<r@x>", subject="Re: Login broken", body=crash,
                                       In_Reply_To="<o@x>", References="<o@x>",
                                       sender="bob@example.com"))
    add_to_maildir(maildir, make_email(msgid="<p@x>", subject="App crash on login", body=crash,
                                       References="<elsewhere@x>", sender="carl@example.com"))


def outcome(app: App) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "id"} for r in app.store.export_rows()]


def test_the_pipeline_reads_only_its_columns_and_saves_the_same(
        tmp_path: Path, model_path: Path, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mails = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (mails / sub).mkdir(parents=True)
    fill(mails)
    results = []
    for narrow in (True, False):
        root = tmp_path / ("narrow" if narrow else "full")
        maildir = root / "Maildir"
        shutil.copytree(mails, maildir)  # the same files: the same external ids and order
        sender = LogOnlySender()
        app = make_app(root, maildir, model_path, FrozenClock(clock.now()), sender,
                       category="technical_issue")
        Recording.seen = set()
        read = app.store.messages_to_process if narrow else app.store.messages_by_ids
        monkeypatch.setattr(app.store, "messages_to_process",
                            lambda ids, read=read: [Recording(r) for r in read(ids)])
        Daemon(app).poll_all()
        seen = set(Recording.seen)
        results.append((outcome(app), [dataclasses.asdict(r) for r in sender.sent]))
        app.store.close()
        assert seen <= set(PIPELINE_COLUMNS), seen - set(PIPELINE_COLUMNS)
        # the observers ran: the metrics read the source, the acknowledgement the references
        assert {"source", "ingested_at", "references", "message_id", "backfill"} <= seen
    (rows, acks), (full_rows, full_acks) = results
    assert len(rows) == 43 and sum(r["draft"] is not None for r in rows) > 30
    assert rows == full_rows
    assert acks == full_acks and acks
