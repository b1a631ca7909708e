"""A newer customer message in a conversation supersedes the older message's open draft.

Demo #18 (tl) kept a pending draft asking for the order number and photo that the customer's
later message #31 in the same thread had already sent. The store contract runs on SQLite and
PostgreSQL (``any_store``); the pages and commands run on the demo inbox.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import NOW, make_email
from tests.test_conversations_web import ADMIN, client_for, demo, follow_up  # noqa: F401
from triage.cli.ops import status_report
from triage.deadlines.states import counts
from triage.errors import ReviewError
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import Classification, Draft
from triage.services import App
from triage.store import Ingest, Processed, Store
from triage.store import schema as s
from triage.store.audit_log import AuditFilter

CL = Classification("request", 0.9, "en", "v1", False, {"request": 0.9})
DRAFT = Draft("Re: x", "Hello", "request.email.j2", "en")


def _thread(store: Store, n: int = 2, senders: tuple[str, ...] = ()) -> list[int]:
    """``n`` messages of one thread, an hour apart, ingested (not processed)."""
    store.ensure_source("inbox", "maildir")
    items = []
    for i in range(n):
        who = {"sender": senders[i]} if senders else {}
        raw = make_email(msgid=f"<m{i}@x>", subject="Order late" if i == 0 else "Re: Order late",
                         **who,
                         when=NOW + timedelta(hours=i),
                         **({"In_Reply_To": f"<m{i - 1}@x>", "References": "<m0@x>"}
                            if i else {}))
        items.append(Ingest(str(i), raw, parse_email(raw, fallback_received=NOW)))
    ids = store.add_items("inbox", items, {}, threader=assign_threads)
    assert len({store.message(i)["thread_id"] for i in ids}) == 1
    return ids


def _statuses(store: Store, mid: int) -> list[str]:
    d = s.drafts
    with store.engine.connect() as c:
        return [r[0] for r in c.execute(select(d.c.status).where(d.c.message_id == mid)
                                        .order_by(d.c.id))]


def test_a_newer_message_supersedes_the_older_open_draft(any_store: Store) -> None:
    old, new = _thread(any_store)
    any_store.save_processing(old, CL, NOW, "p", DRAFT)
    assert any_store.drafts.superseded_by(old) is None
    any_store.save_processing(new, CL, NOW, "p", DRAFT)
    assert _statuses(any_store, old) == ["superseded"]  # kept, not deleted
    assert _statuses(any_store, new) == ["pending_review"]
    assert any_store.drafts.current(old) is None
    stale = any_store.drafts.superseded_by(old)
    assert stale is not None and stale[1] == new and stale[0]["text"] == "Hello"
    (line,) = any_store.audit_log.page(AuditFilter(action="supersede_draft"))
    assert line["message_id"] == old and line["actor"] == "triage"
    assert line["detail"]["by_message"] == new


def test_one_batch_and_out_of_order_processing_leave_only_the_newest(any_store: Store) -> None:
    a, b, c = _thread(any_store, 3)
    # the newest first (a backfill), then the two older ones in one batch
    any_store.save_processing(c, CL, NOW, "p", DRAFT)
    any_store.save_processing_many([Processed(a, CL, NOW, "p", DRAFT),
                                    Processed(b, CL, NOW, "p", DRAFT)])
    assert [_statuses(any_store, m) for m in (a, b, c)] == [
        ["superseded"], ["superseded"], ["pending_review"]]
    assert {any_store.drafts.superseded_by(m)[1] for m in (a, b)} == {c}  # type: ignore[index]


def test_someone_elses_message_in_the_thread_supersedes_nothing(any_store: Store) -> None:
    """A colleague in Cc (or another user in a public X thread) gets a draft addressed to
    them; the first customer's draft is still owed."""
    a, b = _thread(any_store, 2, senders=("ann@example.com", "bob@example.com"))
    any_store.save_processing(a, CL, NOW, "p", DRAFT)
    any_store.save_processing(b, CL, NOW, "p", DRAFT)
    assert [_statuses(any_store, m) for m in (a, b)] == [["pending_review"]] * 2
    assert any_store.drafts.superseded_by(a) is None


def test_approved_and_discarded_drafts_are_left_alone(any_store: Store) -> None:
    a, b, c = _thread(any_store, 3)
    any_store.save_processing(a, CL, NOW, "p", DRAFT)
    any_store.drafts.approve(any_store.drafts.current(a)["id"], "Re: x", "Hi", "ann")  # type: ignore[index]
    any_store.save_processing(b, CL, NOW, "p", DRAFT)
    any_store.drafts.discard(any_store.drafts.current(b)["id"], "ann")  # type: ignore[index]
    any_store.save_processing(c, CL, NOW, "p", DRAFT)
    assert [_statuses(any_store, m) for m in (a, b, c)] == [
        ["approved"], ["discarded"], ["pending_review"]]


def test_the_demo_follow_up_supersedes_the_first_draft(demo: App) -> None:  # noqa: F811
    fid = follow_up(demo)
    first = _first(demo, fid)
    assert demo.store.drafts.current(first) is None
    assert demo.store.drafts.current(fid)["status"] == "pending_review"  # type: ignore[index]
    client = client_for(demo)
    html = client.get(f"/messages/{first}").text
    assert 'id="superseded"' in html and f'href="/messages/{fid}"' in html
    assert 'id="approve"' not in html  # no button sends the stale draft
    assert 'id="superseded-draft"' in html  # still readable
    api = client.get(f"/api/messages/{first}").json()
    assert api["superseded_by"] == fid and api["draft"] == {}
    r = client.post(f"/api/messages/{first}/approve", json={"subject": "Re", "text": "Hi"},
                    headers={"X-CSRF-Token": _api_token(client)})
    assert r.status_code == 409 and f"message {fid} has the draft to send" in r.json()["detail"]
    try:
        demo.review.approve(first, "ann")
    except ReviewError as exc:
        assert f"Open message {fid}" in str(exc)
    else:
        raise AssertionError("the superseded draft was approved")
    newer = client.get(f"/messages/{fid}").text
    assert 'id="superseded"' not in newer and 'id="approve"' in newer


def test_counts_agree_after_superseding(demo: App) -> None:  # noqa: F811
    want = counts(demo.store, demo.deadlines, NOW).as_dict()
    assert status_report(demo)["deadlines"] == want
    client = client_for(demo, ADMIN)
    queue = client.get("/queue").text
    assert int(re.search(r'id="count-open">(\d+)<', queue)[1]) == want["open"]  # type: ignore[index]
    dash = client.get("/admin").text
    assert f'id="total-waiting">{want["waiting"]}<' in dash
    # the conversation's row shows the newest message's open draft, not the superseded one
    fid = follow_up(demo)
    row = next(r for r in client.get("/api/queue").json() if r["id"] == fid)
    assert row["draft_status"] == "pending_review"


def _first(app: App, fid: int) -> int:
    """The customer's first message of the follow-up's thread (demo #18)."""
    tid = app.store.message(fid)["thread_id"]
    return min(int(r["id"]) for r in app.store.export_rows()
               if r["thread_id"] == tid and not r["is_auto"])


def _api_token(client: TestClient) -> str:
    from tests.test_web import csrf_of

    return csrf_of(client.get("/queue").text)


def test_reclassifying_the_older_message_keeps_its_draft_superseded(demo: App) -> None:  # noqa: F811
    fid = follow_up(demo)
    first = _first(demo, fid)
    demo.review.reclassify(first, "complaint", "ann")
    assert demo.store.drafts.classification(first)["category"] == "complaint"  # type: ignore[index]
    assert demo.store.drafts.current(first) is None  # no stale draft comes back
    try:
        demo.review.switch_situation(first, "general", "ann")
    except ReviewError as exc:
        assert f"message {fid} has the draft to send" in str(exc)
    else:
        raise AssertionError("a draft was written again for the superseded message")
