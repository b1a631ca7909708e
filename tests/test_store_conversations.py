"""Contract of the conversation queries (queue, counts, notes, saved replies, quarantine),
run on SQLite and PostgreSQL (``any_store``)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import NOW, make_email
from triage.errors import ReviewError
from triage.mail.parse import parse_email
from triage.mail.threads import assign_threads
from triage.models import Classification, Draft
from triage.store import Ingest, Store
from triage.store.conversations import ConversationFilter, StateCut

CL = Classification("request", 0.9, "en", "v1", False, {"request": 0.9})
TECH = Classification("technical_issue", 0.8, "vi", "v1", True, {"technical_issue": 0.8})


def draft() -> Draft:
    return Draft("Re: x", "Hello", "request.email.j2", "en")


def add(store: Store, ext: str, **kw: str) -> int:
    raw = make_email(**kw)
    [mid] = store.add_items("inbox", [Ingest(ext, raw, parse_email(raw, fallback_received=NOW))],
                            {}, threader=assign_threads)
    return mid


def cut(soon: timedelta = timedelta(hours=1)) -> StateCut:
    return StateCut(NOW, {("email", ""): NOW + soon})


def seed(st: Store) -> dict[str, int]:
    """Four conversations: a thread with a customer follow-up (next response), one due soon,
    one ok, one breached and answered (met); plus automatic mail (never counted)."""
    st.ensure_source("inbox", "maildir")
    ids = {
        "first": add(st, "1", msgid="<t1@x>", subject="Order late", sender="a@x.com"),
        "soon": add(st, "2", msgid="<t2@x>", subject="Crash", sender="b@x.com"),
        "ok": add(st, "3", msgid="<t3@x>", subject="Idea", sender="c@x.com"),
        "done": add(st, "4", msgid="<t4@x>", subject="Refund", sender="a@x.com"),
        "auto": add(st, "5", msgid="<t5@x>", subject="Away", sender="d@x.com",
                    Auto_Submitted="auto-replied"),
    }
    ids["follow"] = add(st, "6", msgid="<t6@x>", subject="Re: Order late", sender="a@x.com",
                        In_Reply_To="<t1@x>", References="<t1@x>")
    st.save_processing(ids["first"], CL, NOW - timedelta(hours=3), "p", draft())
    st.save_processing(ids["soon"], TECH, NOW + timedelta(minutes=30), "p", draft())
    st.save_processing(ids["ok"], CL, NOW + timedelta(hours=5), "p", draft())
    st.save_processing(ids["done"], CL, NOW - timedelta(hours=1), "p", draft())
    st.save_processing(ids["auto"], None, None, "", None)
    st.save_processing(ids["follow"], CL, NOW + timedelta(hours=2), "p", draft(),
                       kind="next_response")
    st.mark_met(ids["done"], by="ann")
    return ids


def test_one_row_per_open_conversation_most_urgent_first(any_store: Store) -> None:
    ids = seed(any_store)
    rows, total = any_store.conversations.page(ConversationFilter(), cut())
    assert total == 3
    # the thread of "first" and its follow-up is one conversation, breached by its first
    # message, shown with its newest open message and both messages counted
    assert [r["id"] for r in rows] == [ids["follow"], ids["soon"], ids["ok"]]
    assert [r["state"] for r in rows] == ["breached", "due_soon", "ok"]
    assert rows[0]["messages"] == 2 and rows[0]["due_at"] == NOW - timedelta(hours=3)
    assert rows[0]["snippet"].startswith("Where is my order")
    assert any_store.conversations.counts(cut()).as_dict() == {
        "open": 3, "waiting": 3, "ok": 1, "due_soon": 1, "breached": 1, "met": 1}


def test_filters_sorts_and_assignment(any_store: Store) -> None:
    ids = seed(any_store)
    page = any_store.conversations.page

    def got(**kw: str) -> list[int]:
        return [r["id"] for r in page(ConversationFilter(me="ann", **kw), cut())[0]]

    assert got(state="due_soon") == [ids["soon"]]
    assert got(language="vi") == [ids["soon"]] and got(needs_review="yes") == [ids["soon"]]
    assert got(q="crash") == [ids["soon"]]
    any_store.drafts.assign(ids["first"], "ann")  # an earlier message of the thread
    assert got(assignee="mine") == [ids["follow"]]
    assert got(assignee="unassigned") == [ids["soon"], ids["ok"]]
    assert got(sort="received")[0] == ids["follow"]
    rows, total = page(ConversationFilter(page=2), cut(), size=2)
    assert total == 3 and [r["id"] for r in rows] == [ids["ok"]]


def test_discard_closes_and_undo_reopens(any_store: Store) -> None:
    ids = seed(any_store)
    d = any_store.drafts.current(ids["ok"])
    any_store.drafts.discard(d["id"], "ann")
    assert any_store.conversations.counts(cut()).open == 2
    any_store.drafts.undo_discard(d["id"], "ann", NOW - timedelta(minutes=2))
    assert any_store.conversations.counts(cut()).open == 3
    any_store.drafts.discard(d["id"], "ann")
    try:  # past the undo window nothing comes back
        any_store.drafts.undo_discard(d["id"], "ann", NOW + timedelta(seconds=1))
        raise AssertionError("undo after the window must fail")
    except ReviewError:
        pass
    assert any_store.conversations.counts(cut()).open == 2


def test_a_reply_on_its_way_is_open_but_not_waiting(any_store: Store) -> None:
    from triage.models import OutgoingReply
    from triage.send.outbox import Outbox

    ids = seed(any_store)
    d = any_store.drafts.approve(any_store.drafts.current(ids["ok"])["id"], "Re", "Hi", "ann")
    Outbox(any_store, {}).enqueue(OutgoingReply("k1", ids["ok"], "email", "c@x.com", "Re",
                                                "Hi"), draft_id=d["id"], actor="ann")
    c = any_store.conversations.counts(cut())
    assert (c.open, c.waiting) == (3, 2)


def test_notes_saved_replies_and_history(any_store: Store) -> None:
    ids = seed(any_store)
    any_store.notes.add(ids["first"], "ann", "called the customer")
    msg = any_store.message(ids["follow"])
    assert [n["text"] for n in any_store.notes.of_conversation(msg)] == ["called the customer"]
    rid = any_store.saved_replies.save("ann", "thanks", "en", "Thanks!")
    assert any_store.saved_replies.save("ann", "thanks", "en", "Thank you!") == rid
    assert [r["text"] for r in any_store.saved_replies.of("ann")] == ["Thank you!"]
    assert any_store.saved_replies.of("bob") == []
    conv = any_store.conversations.conversation_of(ids["follow"])
    hist = any_store.conversations.customer_history("A@X.com", conv)
    assert [(h["id"], h["open"]) for h in hist] == [(ids["done"], False)]


def test_quarantine_retry_and_dismiss(any_store: Store) -> None:
    any_store.ensure_source("inbox", "maildir")
    raw = make_email(msgid="<q@x>", subject="Help")
    [qid] = any_store.add_items("inbox", [Ingest("q", raw, None, error="not parseable")], {},
                                threader=assign_threads)
    rows = any_store.quarantined.rows()
    assert [(r["id"], r["error"], r["raw_size"]) for r in rows] == [(qid, "not parseable",
                                                                      len(raw))]
    status = any_store.quarantined.retry(
        qid, Ingest("q", raw, parse_email(raw, fallback_received=NOW)), assign_threads)
    assert status == "new" and any_store.message(qid)["subject"] == "Help"
    assert any_store.message(qid)["thread_id"] is not None
    assert any_store.quarantined.count() == 0
    any_store.quarantine(qid, "classifier failed")
    any_store.quarantined.dismiss(qid)
    assert any_store.message(qid)["status"] == "dismissed" and any_store.quarantined.rows() == []


def test_live_classifier_swaps_in_the_activated_version() -> None:
    from triage.modelstore import LiveClassifier

    active = [("a.skops", "1")]
    loads: list[object] = []

    def load(key: object) -> object:
        loads.append(key)
        return {"a.skops": "model A", "b.skops": "model B"}[key[0]]  # type: ignore[index]

    live = LiveClassifier(load, lambda: active[0])  # type: ignore[arg-type]
    assert live.current() == "model A" and loads == [("a.skops", "1")]
    assert live.current() == "model A" and len(loads) == 1  # unchanged: not loaded again
    active[0] = ("b.skops", "2")
    assert live.current() == "model B" and loads[-1] == ("b.skops", "2")
    assert live.upper() == "MODEL B"  # everything else is the loaded model's


def test_a_follow_up_reopens_an_answered_and_resolved_conversation(any_store: Store) -> None:
    ids = seed(any_store)
    any_store.deadlines.add_deadline(ids["done"], "resolution", "p", NOW, "normal")
    assert any_store.deadlines.resolve(ids["done"], "ann") == 1
    assert ids["done"] not in [r["id"] for r in any_store.conversations.page(
        ConversationFilter(), cut())[0]]
    again = add(any_store, "7", msgid="<t7@x>", subject="Re: Refund", sender="a@x.com",
                In_Reply_To="<t4@x>", References="<t4@x>")
    any_store.save_processing(again, CL, NOW + timedelta(hours=4), "p", draft(),
                              kind="next_response")
    rows, total = any_store.conversations.page(ConversationFilter(), cut())
    assert total == 4 and again in [r["id"] for r in rows]
    row = next(r for r in rows if r["id"] == again)
    assert row["messages"] == 2 and row["state"] == "ok"
