"""Property: any stored message survives ``triage export`` then ``triage import`` into another
store with its text, sender, subject and Message-ID (and channel, sender name, time received,
automatic flag), and a quarantined one comes back quarantined with its reason.

Stored messages are made the way the daemon makes them: mail (built with arbitrary Unicode in
the subject, name and body, or mutated from the fuzz seeds) through the mail parser, social
posts as a source hands them over, then classified and drafted. Messages that share a
Message-ID are one message to an import (the second is a duplicate), so for those any one of
them must come back.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from tests.fuzzing import FUZZ, MAIL_TOKENS, mutated_bytes, seed_files
from triage.cli.main import main
from triage.clock import FrozenClock
from triage.config import load_settings
from triage.models import FetchResult, ParsedMessage, RawItem
from triage.services import App

MAIL_SEEDS = [p.read_bytes() for p in seed_files("mail", ".eml")]
KEPT = ("message_id", "channel", "sender", "sender_name", "subject", "text", "received_at",
        "is_auto", "status")
_n = itertools.count()


EDGES = [" ", "  ", "\n", "\r\n", "\r", "\t", "\u2028", "\u2029", "\x85", "\x0b", "\x0c",
         "\x1c", "\x00", "\ufeff", "\u200b", "\u202e", "\\", '"', "</script>", "{{ x }}",
         "=?utf-8?b?", "\U0001f600", "Ứ", "ñ", "ß"]


def texts(min_size: int = 0, max_size: int = 80) -> st.SearchStrategy[str]:
    """Any text, with line breaks of every kind, controls and odd marks made likely."""
    return st.lists(st.sampled_from(EDGES) | st.characters(), min_size=min_size,
                    max_size=max_size).map("".join)


def _word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() + "?="


@st.composite
def built_mail(draw: st.DrawFn) -> bytes:
    """A well-formed mail whose subject, sender name and body are any Unicode text."""
    n = next(_n)
    subject, name, body = draw(texts()), draw(texts(max_size=40)), draw(texts(1, 300))
    local = draw(st.from_regex(r"[a-z0-9._+-]{1,20}", fullmatch=True))
    headers = [f"From: {_word(name)} <{local}@example.com>", "To: support@example.com",
               f"Subject: {_word(subject)}", f"Message-ID: <rt{n}.{local}@example.com>",
               "Date: Fri, 20 Nov 2026 08:00:00 +0000", "MIME-Version: 1.0",
               "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + base64.encodebytes(
        body.encode("utf-8", "surrogatepass"))


@st.composite
def social_post(draw: st.DrawFn) -> RawItem:
    """A post as the X or Mastodon source hands it to the pipeline."""
    n = next(_n)
    text = draw(texts(1, 280))
    parsed = ParsedMessage(
        message_id=f"x:{n}", channel="social", sender="@" + draw(texts(max_size=15)),
        sender_name=draw(texts(max_size=50)), subject="", text=text, full_text=text,
        received_at=draw(st.datetimes(min_value=NOW.replace(year=2020, tzinfo=None),
                                      max_value=NOW.replace(tzinfo=None))).replace(
                                          tzinfo=NOW.tzinfo),
        thread_hint=f"x:conv:{draw(st.integers(0, 3))}", is_auto=draw(st.booleans()))
    return RawItem(str(n), json.dumps({"id": n}).encode(), parsed.received_at,
                   meta={"parsed": parsed})


def write_config(directory: Path, model_path: Path) -> Path:
    cfg = directory / "triage.toml"
    cfg.write_text(f"data_dir = 'data'\n[classifier]\nmodel_path = '{model_path}'\n",
                   encoding="utf-8")
    return cfg


def export(runner: CliRunner, cfg: Path) -> list[dict[str, Any]]:
    result = runner.invoke(main, ["export", "--config", str(cfg)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    out = result.stdout_bytes.decode("utf-8")
    lines = out.split("\n")
    assert lines[-1] == ""
    # one record per line for every line reader (splitlines also breaks at U+2028, NEL, ...)
    assert out.splitlines() == lines[:-1]
    return [json.loads(line) for line in lines[:-1]]


def kept(record: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(record[k] for k in KEPT)


@settings(FUZZ, max_examples=15)
@given(mails=st.lists(built_mail() | mutated_bytes(MAIL_SEEDS, MAIL_TOKENS, max_ops=3)
                      | st.binary(max_size=100), max_size=5),
       posts=st.lists(social_post(), max_size=3))
def test_any_stored_message_survives_export_and_import(
        tmp_path_factory: pytest.TempPathFactory, model_path: Path, mails: list[bytes],
        posts: list[RawItem]) -> None:
    first, second = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    cfg_a, cfg_b = write_config(first, model_path), write_config(second, model_path)
    app = App(load_settings(cfg_a, {}), clock=FrozenClock(NOW), environ={})
    try:
        items = [RawItem(f"m{next(_n)}", raw) for raw in mails]
        app.pipeline.ingest("inbox", "email", FetchResult(items, {}))
        app.pipeline.ingest("x-support", "social", FetchResult(posts, {}))
        app.pipeline.process_pending()
    finally:
        app.store.close()
    runner = CliRunner()
    before = export(runner, cfg_a)
    assert len(before) == len(items) + len(posts)
    path = first / "export.jsonl"
    path.write_bytes(runner.invoke(main, ["export", "--config", str(cfg_a)]).stdout_bytes)

    imported = runner.invoke(main, ["import", str(path), "--config", str(cfg_b)],
                             catch_exceptions=False)
    if before:
        assert imported.exit_code == 0, imported.stderr
    after = export(runner, cfg_b)

    by_id: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for r in after:
        by_id[r["message_id"]].append(kept(r))
    for r in before:
        if r["message_id"] is None:  # quarantined before it could be read: reason kept
            continue
        assert kept(r) in by_id[r["message_id"]], (r, by_id[r["message_id"]])
    unread = sorted(r["error"] for r in before if r["message_id"] is None)
    assert sorted(r["error"] for r in after if r["message_id"] is None) == unread
    assert all(r["status"] == "quarantined" for r in after if r["message_id"] is None)
    assert all(r["source"] == "import" for r in after)

    again = runner.invoke(main, ["import", str(path), "--config", str(cfg_b)],
                          catch_exceptions=False)
    if before:  # importing the same export again stores nothing twice
        assert " new 0," in again.stdout, again.stdout
        assert len(export(runner, cfg_b)) == len(after)


def test_a_broken_export_line_is_named(tmp_path: Path, model_path: Path) -> None:
    cfg = write_config(tmp_path, model_path)
    path = tmp_path / "export.jsonl"
    record = {"id": 1, "source": "inbox", "channel": "email", "external_id": "1",
              "message_id": "<a@b>", "sender": "a@b", "subject": "s", "text": "t",
              "status": "processed", "received_at": "2026-11-20T08:00:00Z"}
    path.write_text(json.dumps(record) + "\n" + '{"id": 2, "text": "cut off"\n',
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(path), "--config", str(cfg)])
    assert result.exit_code == 1
    assert f"{path}:2: not a line of `triage export`" in result.stderr
