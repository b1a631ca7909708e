"""The whole pipeline on a Maildir and SQLite: stored once, classified, deadlined, drafted."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from classifiers.text import SEP
from tests.conftest import add_to_maildir, make_email
from triage.daemon import Daemon
from triage.mail.threads import assign_threads
from triage.services import App


def test_poll_stores_classifies_drafts_and_deadlines(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(body="The app crashes with error 500 when I log in."))
    add_to_maildir(maildir, make_email(msgid="<m2@example.com>", subject="Idea",
                                       body="Please add a dark mode to the app, it would help."))
    res = Daemon(app).poll_all()
    assert res["inbox"].stored == 2  # type: ignore[union-attr]
    rows = app.store.export_rows()
    assert [r["category"] for r in rows] == ["technical_issue", "suggestion"]
    for r in rows:
        assert r["status"] == "processed" and r["draft_status"] == "pending_review"
        assert r["due_at"] == r["received_at"] + timedelta(hours=24)
        assert r["draft"] and r["language"] == "en"


def test_second_poll_duplicates_nothing(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email())
    Daemon(app).poll_all()
    assert app.store.get_cursor("inbox")["seen"]
    # forget the cursor: the unique (source, external_id) still prevents duplicates
    app.store.add_items("inbox", [], {}, channel="email", threader=assign_threads)
    Daemon(app).poll_all()
    assert len(app.store.export_rows()) == 1


def test_auto_reply_stored_without_draft(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(subject="Out of office", Auto_Submitted="auto-replied"))
    Daemon(app).poll_all()
    (row,) = app.store.export_rows()
    assert row["is_auto"] and row["draft"] is None and row["due_at"] is None
    assert row["status"] == "processed"


def test_garbage_is_quarantined_and_others_go_on(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, b"\x00\x01 not an email")
    add_to_maildir(maildir, make_email())
    Daemon(app).poll_all()
    rows = app.store.export_rows()
    assert sorted(r["status"] for r in rows) == ["processed", "quarantined"]
    bad = next(r for r in rows if r["status"] == "quarantined")
    assert "no email headers" in bad["error"]
    assert app.store.raw(bad["id"]).startswith(b"\x00\x01")  # raw kept, never dropped


def test_drafting_failure_quarantines_only_that_message(app: App, maildir: Path,
                                                        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from triage.errors import TemplateError

    calls = {"n": 0}
    real = app.renderer.render

    def flaky(req, extra=None):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise TemplateError("boom")
        return real(req, extra)

    monkeypatch.setattr(app.renderer, "render", flaky)
    add_to_maildir(maildir, make_email(msgid="<a@x>"))
    add_to_maildir(maildir, make_email(msgid="<b@x>"))
    Daemon(app).poll_all()
    states = sorted(r["status"] for r in app.store.export_rows())
    assert states == ["processed", "quarantined"]


def test_reply_threads_with_original(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(msgid="<orig@example.com>"))
    add_to_maildir(maildir, make_email(msgid="<reply@example.com>", subject="Re: Order late",
                                       In_Reply_To="<orig@example.com>",
                                       References="<orig@example.com>"))
    add_to_maildir(maildir, make_email(msgid="<other@example.com>", subject="Something else"))
    Daemon(app).poll_all()
    a, b, c = app.store.export_rows()
    assert a["thread_id"] == b["thread_id"] != c["thread_id"]


def test_reference_token_threads_without_headers(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(msgid="<o@example.com>"))
    Daemon(app).poll_all()
    (first,) = app.store.export_rows()
    add_to_maildir(maildir, make_email(msgid="<n@example.com>",
                                       subject=f"Re: Order late [#T-{first['thread_id']}]"))
    Daemon(app).poll_all()
    assert {r["thread_id"] for r in app.store.export_rows()} == {first["thread_id"]}


def test_deadline_sweep_moves_states(app: App, maildir: Path, clock) -> None:  # type: ignore[no-untyped-def]
    add_to_maildir(maildir, make_email())
    Daemon(app).poll_all()
    (row,) = app.store.export_rows()
    clock.set(row["due_at"] - timedelta(hours=1))
    assert Daemon(app).sweep_deadlines() == {"due_soon": 1}
    clock.set(row["due_at"] + timedelta(minutes=1))
    assert Daemon(app).sweep_deadlines() == {"breached": 1}
    assert app.store.export_rows()[0]["state"] == "breached"


def test_model_failing_on_one_message_quarantines_only_that_one(
        app: App, maildir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    real = app.classifier.predict

    def picky(texts, languages=None):  # type: ignore[no-untyped-def]
        if any("POISON" in t for t in texts):
            raise ValueError("the model cannot handle this text")
        return real(texts, languages=languages)

    monkeypatch.setattr(app.classifier, "predict", picky)
    add_to_maildir(maildir, make_email(msgid="<a@x>", body="The app crashes at login."))
    add_to_maildir(maildir, make_email(msgid="<b@x>", body="POISON"))
    add_to_maildir(maildir, make_email(msgid="<c@x>", body="Please add a dark mode."))
    Daemon(app).poll_all()
    rows = {r["message_id"]: r for r in app.store.export_rows()}
    assert rows["<a@x>"]["category"] == "technical_issue"
    assert rows["<c@x>"]["category"] == "suggestion"
    assert rows["<b@x>"]["status"] == "quarantined"
    assert "cannot handle" in rows["<b@x>"]["error"]


def test_a_follow_up_is_classified_and_explained_without_our_reference_tag(
        app: App, maildir: Path) -> None:
    """The customer answers our reply: the subject carries our [#T-n] tag, the mail joins its
    thread by it, and the model (and the message page's word list) read it without the tag."""
    add_to_maildir(maildir, make_email(msgid="<o@example.com>", subject="Login code",
                                       body="I never get the login code by SMS."))
    Daemon(app).poll_all()
    (first,) = app.store.export_rows()
    body = "Still nothing. Can you send it to my email instead?"
    add_to_maildir(maildir, make_email(msgid="<f@example.com>", body=body,
                                       subject=f"Re: Login code [#T-{first['thread_id']}]"))
    Daemon(app).poll_all()
    follow = next(r for r in app.store.export_rows() if r["message_id"] == "<f@example.com>")
    assert follow["thread_id"] == first["thread_id"] and follow["status"] == "processed"
    msg = app.store.message(follow["id"])
    cl = app.store.drafts.classification(follow["id"])
    bare = app.classifier.predict([f"Login code\n{SEP}{msg['text']}"])[0]
    assert cl["scores"] == bare.scores and cl["category"] == bare.category
    shown = app.review.explain(msg, cl).terms
    assert shown == app.review.explain({**msg, "subject": "Login code"}, cl).terms
    assert not any(w in {"t", "T", "0", "20"} for term, _ in shown for w in term.split())
