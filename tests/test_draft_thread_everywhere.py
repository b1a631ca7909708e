"""Every draft written for a stored message knows its thread, as processing does (session
11's review): a canned template, the template preview, the CLI preview and the display-time
promise check used to draft as if the message began its thread (asking again for the device
an earlier message named, never ``still_open``), and an agent who switched a draft to
``still_open`` got a draft naming no problem.

The conversation is the one of ``tests/test_draft_followups.py``: "I can't log in, the OTP
never arrives on my Samsung Galaxy A54", answered, then "Still no OTP, same as yesterday"."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.test_draft_followups import CASES, _conversation
from tests.test_web import login
from triage.drafting.render import DraftRequest, Renderer
from triage.drafting.situations import ThreadFacts
from triage.send.log import LogSender
from triage.send.outbox import Outbox
from triage.services import App
from triage.store import schema as s
from triage.web.accounts import add_user

ADMIN = ("root", "admin-password-1")
ASK_DEVICE = "which device you're using"
STILL = "you still can't get into your account"


@pytest.fixture
def repeat(app: App, maildir: Path) -> dict:
    """The customer's repeat after our reply (English), drafted ``still_open`` by processing."""
    _plain, named, _again_named, again_bare, _ask, _still = CASES["en"]
    row = _conversation(app, maildir, named, again_bare, 0)
    draft = app.store.drafts.current(row["id"])
    assert draft["situation"] == "still_open" and STILL in draft["text"]
    return row


def _admin(app: App) -> TestClient:
    from triage.web import create_app

    add_user(app.store, *ADMIN, "admin")
    client = TestClient(create_app(app.web_parts(outbox=Outbox(app.store, {"email":
                                                                            LogSender()})),
                                   secret_key="t" * 64))
    login(client, ADMIN)
    return client


def test_a_canned_template_is_drafted_as_processing_drafted_it(app: App, repeat: dict) -> None:
    client = _admin(app)
    mid = repeat["id"]
    draft = app.store.drafts.current(mid)
    category = app.store.drafts.classification(mid)["category"]
    canned = client.get(f"/messages/{mid}/canned/{category}")
    assert canned.status_code == 200
    assert canned.text == draft["text"]  # the same thread, the same draft
    assert ASK_DEVICE not in canned.text and "Samsung Galaxy A54" in canned.text


def test_the_template_preview_knows_the_thread(app: App, repeat: dict) -> None:
    client = _admin(app)
    mid = repeat["id"]

    def preview(name: str) -> str:
        page = client.get(f"/admin/templates/{name}", params={"message_id": mid}).text
        return html.unescape(page.split('id="template-preview"')[1].split("</pre>")[0])

    still = preview("en/situations/still_open.email.j2")
    assert STILL in still and "Samsung Galaxy A54" in still, still  # its topic, the device
    login_reply = preview("en/situations/login.email.j2")
    assert ASK_DEVICE not in login_reply and "Samsung Galaxy A54" in login_reply, login_reply


def test_the_cli_preview_knows_the_thread(app: App, repeat: dict, tmp_path: Path,
                                          model_path: Path, maildir: Path) -> None:
    from triage.cli.main import main

    cfg = tmp_path / "triage.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n'
                   f'[classifier]\nmodel_path = "{model_path}"\n'
                   f'[[sources]]\nname = "inbox"\ntype = "maildir"\npath = "{maildir}"\n',
                   encoding="utf-8")
    r = CliRunner().invoke(main, ["templates", "preview", "--config", str(cfg), "--message",
                                  str(repeat["id"])], catch_exceptions=False)
    assert r.exit_code == 0, r.stdout
    assert "situation still_open (detected)" in r.stdout and STILL in r.stdout, r.stdout


def test_an_old_draft_without_its_situation_is_refreshed_as_processing_drafted_it(
        app: App, repeat: dict) -> None:
    """A draft stored before drafts kept their situation: the promise check detects it with
    the thread (``still_open`` promises a day part; the login reply it used to detect, none)."""
    mid = repeat["id"]
    with app.store.engine.begin() as c:
        c.execute(update(s.drafts).where(s.drafts.c.message_id == mid).values(situation=""))
    draft = app.store.drafts.current(mid)
    assert not draft["situation"]
    shown = app.review.fresh_promise(app.store.message(mid), draft)
    assert shown is not None and shown.promise.kind == "day_part", shown


@pytest.mark.parametrize("language", list(CASES))
def test_a_still_open_draft_chosen_by_hand_names_the_problem(
        app: App, maildir: Path, language: str) -> None:
    """Switched away and back on the message page, the draft names what the earlier message
    was about, as processing's draft did (it said "this still isn't resolved")."""
    _plain, named, _again_named, again_bare, _ask, still = CASES[language]
    row = _conversation(app, maildir, named, again_bare, 0)
    mid = row["id"]
    processed = app.store.drafts.current(mid)
    assert processed["situation"] == "still_open" and still in processed["text"]
    app.review.switch_situation(mid, "general", "ann")
    app.review.switch_situation(mid, "still_open", "ann")
    again = app.store.drafts.current(mid)
    assert again["situation"] == "still_open"
    assert again["text"] == processed["text"]


def test_the_chosen_still_open_topic_without_a_detected_repeat() -> None:
    """Picked for a message processing did not read as a repeat (a chase, a thanks, a first
    message), the topic is the earlier messages' problem, else this message's own."""
    renderer = Renderer()
    earlier = ThreadFacts(replied_before=True, earlier=(
        "I can't log in, the OTP code never arrives.",))
    base = dict(category="technical_issue", channel="email", language="en",
                subject="Re: OTP", sender="a@example.com", sender_name="", thread_id=3,
                due_at=None, situation="still_open")
    for text, thread in (("Any update on this?", earlier),
                         ("Thanks for the quick answer.", earlier),
                         ("Hello?", ThreadFacts(replied_before=True, unanswered=2,
                                                earlier=earlier.earlier)),
                         ("I can't log in, the OTP code never arrives.", ThreadFacts())):
        req = DraftRequest(text=text, thread=thread, **base)  # type: ignore[arg-type]
        assert renderer.situation_for(req) == ("still_open", "login"), text
        assert STILL in renderer.render(req).text
    nothing = DraftRequest(text="Hello?", thread=ThreadFacts(),  # type: ignore[arg-type]
                           **{**base, "subject": "Re: hi"})
    assert renderer.situation_for(nothing) == ("still_open", "")


def test_the_earlier_messages_are_detected_only_when_this_one_can_be_a_repeat(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A message after our reply that neither says "still" nor has a problem's situation
    (a chase, thanks, a general question) cannot be ``still_open``: the earlier messages'
    detection, most of such a draft's cost, is skipped (docs/benchmarks.md)."""
    import triage.drafting.situations as situations

    texts: list[str] = []
    real = situations.situation_and_topic

    def counted(text: str, *args: object, **kwargs: object) -> tuple[str, str]:
        texts.append(text)
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(situations, "situation_and_topic", counted)
    monkeypatch.setattr("triage.drafting.render.situation_and_topic", counted)
    renderer = Renderer()
    earlier = "I can't log in, the OTP code never arrives."
    thread = ThreadFacts(replied_before=True, earlier=(earlier,))
    for text, still in (("Thanks a lot, have a nice day!", False),
                        ("Do you also sell gift cards?", False),
                        ("Still no OTP.", True)):
        texts.clear()
        req = DraftRequest(category="request", channel="email", language="en",
                           subject="Re: hello", text=text, sender="a@example.com",
                           sender_name="", thread_id=3, due_at=None, thread=thread)
        assert (renderer.situation_for(req)[0] == "still_open") is still, text
        assert (earlier in texts) is still, (text, texts)


CHASED_LOGIN = {"en": "write to us again about getting into your account",
                "vi": "liên hệ lại về vấn đề đăng nhập",
                "id": "menghubungi kami lagi terkait akses akun",
                "tl": "mag-message ulit tungkol sa pag-login sa inyong account"}


@pytest.mark.parametrize("language", list(CASES))
def test_a_follow_up_chosen_by_hand_names_what_is_chased(
        app: App, maildir: Path, language: str) -> None:
    """The agent reads the repeat as a chase and switches to follow_up: the draft says what
    the customer writes again about (the earlier messages' login problem); it said only
    "sorry you've had to write to us again"."""
    _plain, named, _again_named, again_bare, _ask, _still = CASES[language]
    row = _conversation(app, maildir, named, again_bare, 0)
    mid = row["id"]
    app.review.switch_situation(mid, "follow_up", "ann")
    draft = app.store.drafts.current(mid)
    assert draft["situation"] == "follow_up"
    assert CHASED_LOGIN[language] in draft["text"], draft["text"]


def test_the_chosen_follow_up_topic() -> None:
    """A chase naming what it chases keeps processing's topic (switching away and back
    changes nothing); "any update?" chases the earlier messages' problem; a first message
    chases what it is about; nothing topical: no topic."""
    renderer = Renderer()
    refund = ThreadFacts(replied_before=True, earlier=(
        "I want a refund for order 123, the item arrived broken.",))
    base = dict(category="request", channel="email", language="en", subject="Re: hello",
                sender="a@example.com", sender_name="", thread_id=3, due_at=None)

    def chosen(text: str, thread: ThreadFacts) -> tuple[str, str]:
        req = DraftRequest(text=text, thread=thread, situation="follow_up",  # type: ignore[arg-type]
                           **base)
        return renderer.situation_for(req)

    def processed(text: str, thread: ThreadFacts) -> tuple[str, str]:
        req = DraftRequest(text=text, thread=thread, **base)  # type: ignore[arg-type]
        return renderer.situation_for(req)

    assert chosen("Any update on this?", refund) == ("follow_up", "refund")
    assert chosen("Any update on this?", ThreadFacts(unanswered=2, earlier=refund.earlier)) \
        == ("follow_up", "refund")
    where = "Where is my order? Any update?"
    assert chosen(where, refund) == processed(where, refund) == ("follow_up", "order_status")
    assert chosen("My order never arrived.", ThreadFacts()) == ("follow_up", "order_status")
    assert chosen("Hello?", ThreadFacts()) == ("follow_up", "")
    req = DraftRequest(text="Any update on this?", thread=refund,  # type: ignore[arg-type]
                       situation="follow_up", **base)
    assert "write to us again about your refund" in renderer.render(req).text


# a first message about a refund, then a chase that names nothing, in each language
CHASE_AFTER_REFUND = {
    "en": ("I want a refund for order 123, the item arrived broken.", "Any update on this?",
           "write to us again about your refund"),
    "vi": ("Mình muốn hoàn tiền đơn 123, hàng giao bị vỡ.", "Có cập nhật gì chưa ạ?",
           "liên hệ lại về khoản hoàn tiền"),
    "id": ("Saya mau refund pesanan 123, barangnya datang rusak.",
           "Gimana kak, sudah ada kabar?", "menghubungi kami lagi terkait pengembalian dana"),
    "tl": ("Gusto ko po ng refund sa order 123, sira po dumating.", "May update na po ba?",
           "mag-message ulit tungkol sa"),
}


@pytest.mark.parametrize("language", list(CHASE_AFTER_REFUND))
@pytest.mark.parametrize("thread", [
    ThreadFacts(replied_before=True, unanswered=1),  # a chase after our reply
    ThreadFacts(unanswered=2),                       # a second message we never answered
], ids=["after-our-reply", "unanswered"])
def test_processing_names_what_a_bare_chase_chases(language: str, thread: ThreadFacts) -> None:
    """Processing's own follow_up: "any update?" names nothing, so it chases what the
    earlier messages were about, as a follow_up an agent picks does; it drafted "sorry you've
    had to write to us again" with no topic."""
    first, chase, says = CHASE_AFTER_REFUND[language]
    facts = ThreadFacts(replied_before=thread.replied_before, unanswered=thread.unanswered,
                        earlier=(first,))
    req = DraftRequest(text=chase, thread=facts, category="request",  # type: ignore[arg-type]
                       channel="email", language=language, subject="Hello",
                       sender="a@example.com", sender_name="", thread_id=3, due_at=None)
    renderer = Renderer()
    situation, topic = renderer.situation_for(req)
    assert situation == "follow_up" and topic == "refund", (situation, topic)
    assert says in renderer.render(req).text
    alone = DraftRequest(text=chase, thread=ThreadFacts(), category="request",  # type: ignore[arg-type]
                         channel="email", language=language, subject="Hello",
                         sender="a@example.com", sender_name="", thread_id=3, due_at=None)
    assert renderer.situation_for(alone) == ("follow_up", "")  # nothing earlier: no topic
