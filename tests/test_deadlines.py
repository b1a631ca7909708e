"""Deadlines end to end: due_at and state in the export for messages received inside and
outside business hours, on a holiday and across a DST change; priorities; replies seen in
the thread; next responses; warnings once each. Real model, real SQLite store, frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import add_to_maildir, make_email
from triage.clock import FrozenClock
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.deadlines.policy import DeadlinePolicy, ThreadContext
from triage.errors import ConfigError
from triage.ops.export import export_record
from triage.services import App

HANOI = "Asia/Ho_Chi_Minh"
BERLIN = "Europe/Berlin"
WEEKDAYS = {d: "08:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}


def at(tz: str, *args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)  # type: ignore[misc]


def mail(when: datetime, msgid: str, body: str = "Where is my order #123? Please check.",
         sender: str = "Ann Lee <ann@example.com>", subject: str = "Order #123",
         **headers: str) -> bytes:
    return make_email(subject, body, sender, msgid, when, **headers)


def make_app(tmp_path: Path, model_path: Path, clock: FrozenClock,
             deadlines: dict[str, Any] | None = None) -> App:
    boxes = {}
    for name in ("inbox", "eu"):
        p = tmp_path / name
        for sub in ("cur", "new", "tmp"):
            (p / sub).mkdir(parents=True, exist_ok=True)
        boxes[name] = p
    d = {
        "email": "8h",
        "calendar": {"email": "hanoi"},
        "source_calendars": {"eu": "berlin"},
        "calendars": {
            "hanoi": {"timezone": HANOI, "hours": WEEKDAYS, "holidays": ["2026-09-02"]},
            "berlin": {"timezone": BERLIN, "hours": {k: "09:00-17:00" for k in WEEKDAYS}},
        },
    }
    d.update(deadlines or {})
    settings = settings_from_mapping({
        "data_dir": str(tmp_path / "data"),
        "classifier": {"model_path": str(model_path)},
        "deadlines": d,
        "sources": [{"name": n, "type": "maildir", "path": str(p)} for n, p in boxes.items()],
    })
    app = App(settings, clock=clock, environ={})
    app.boxes = boxes  # type: ignore[attr-defined]
    return app


@pytest.fixture
def dapp(tmp_path: Path, model_path: Path, clock: FrozenClock):  # type: ignore[no-untyped-def]
    a = make_app(tmp_path, model_path, clock)
    yield a
    a.store.close()


def exported(app: App) -> dict[str, dict[str, Any]]:
    now = app.clock.now()
    return {r["message_id"]: export_record(r, app.deadlines, now)
            for r in app.store.export_rows()}


def iso(d: datetime) -> str:
    return d.isoformat().replace("+00:00", "Z")


def test_export_due_at_inside_outside_hours_holiday_and_dst(dapp: App,
                                                            clock: FrozenClock) -> None:
    box, eu = dapp.boxes["inbox"], dapp.boxes["eu"]  # type: ignore[attr-defined]
    # inside hours: Monday 10:00 Hanoi -> 7 h on Monday + 1 h on Tuesday
    add_to_maildir(box, mail(at(HANOI, 2026, 11, 23, 10, 0), "<inside@x>"))
    # outside hours: Friday 18:30 -> the weekend does not count -> Monday 16:00
    add_to_maildir(box, mail(at(HANOI, 2026, 11, 27, 18, 30), "<evening@x>"))
    # the day before a holiday: 1 h Tuesday, Wednesday 2 Sep closed, 7 h Thursday
    add_to_maildir(box, mail(at(HANOI, 2026, 9, 1, 16, 0), "<holiday@x>"))
    # Berlin team, Friday before the spring DST change: 2 h Friday, Monday 09:00-15:00 CEST
    add_to_maildir(eu, mail(at(BERLIN, 2026, 3, 27, 15, 0), "<dst@x>"))
    # ... and before the autumn change (Sunday 25 Oct): Monday 09:00-15:00 CET is 08-14 UTC
    add_to_maildir(eu, mail(at(BERLIN, 2026, 10, 23, 15, 0), "<dst2@x>"))
    clock.set(at(HANOI, 2026, 11, 23, 12, 0))
    Daemon(dapp).poll_all()
    rows = exported(dapp)
    assert rows["<inside@x>"]["due_at"] == iso(at(HANOI, 2026, 11, 24, 9, 0))
    assert rows["<evening@x>"]["due_at"] == iso(at(HANOI, 2026, 11, 30, 16, 0))
    assert rows["<holiday@x>"]["due_at"] == iso(at(HANOI, 2026, 9, 3, 15, 0))
    assert rows["<dst@x>"]["due_at"] == iso(datetime(2026, 3, 30, 13, 0, tzinfo=UTC))
    assert rows["<dst2@x>"]["due_at"] == iso(datetime(2026, 10, 26, 14, 0, tzinfo=UTC))
    # states at Monday noon in Hanoi: 5 + 1 open hours left -> ok; old ones breached
    assert rows["<inside@x>"]["deadline_state"] == "ok"
    assert rows["<evening@x>"]["deadline_state"] == "ok"
    assert rows["<holiday@x>"]["deadline_state"] == "breached"
    assert rows["<dst@x>"]["deadline_state"] == "breached"
    # Monday 16:30: 16.5 wall hours left but only 1.5 open hours -> due soon
    clock.set(at(HANOI, 2026, 11, 23, 16, 30))
    assert exported(dapp)["<inside@x>"]["deadline_state"] == "due_soon"
    # the sweep agrees with the export and stores it
    Daemon(dapp).sweep_deadlines()
    stored = {r["message_id"]: r["state"] for r in dapp.store.export_rows()}
    assert stored["<inside@x>"] == "due_soon" and stored["<evening@x>"] == "ok"
    clock.set(at(HANOI, 2026, 11, 24, 9, 0))
    assert exported(dapp)["<inside@x>"]["deadline_state"] == "breached"


def test_agent_reply_from_a_mail_client_meets_the_deadline(dapp: App,
                                                           clock: FrozenClock) -> None:
    box = dapp.boxes["inbox"]  # type: ignore[attr-defined]
    t0 = at(HANOI, 2026, 11, 23, 10, 0)
    add_to_maildir(box, mail(t0, "<q@x>"))
    clock.set(t0 + timedelta(minutes=5))
    Daemon(dapp).poll_all()
    reply_at = t0 + timedelta(hours=2)
    add_to_maildir(box, mail(reply_at, "<r@x>", body="We are checking your order now.",
                             sender="Linh from Support <support@example.com>",
                             subject="Re: Order #123", In_Reply_To="<q@x>", References="<q@x>"))
    clock.set(reply_at + timedelta(minutes=3))
    Daemon(dapp).poll_all()
    assert Daemon(dapp).sweep_deadlines() == {"met": 1}
    row = exported(dapp)["<q@x>"]
    assert row["deadline_state"] == "met" and row["met_at"] == iso(reply_at)
    # the customer writes again: a next response, counted from her new message
    again = reply_at + timedelta(hours=1)
    add_to_maildir(box, mail(again, "<q2@x>", body="Thanks, any news on my order #123?",
                             subject="Re: Order #123", In_Reply_To="<r@x>",
                             References="<q@x> <r@x>"))
    clock.set(again + timedelta(minutes=1))
    Daemon(dapp).poll_all()
    row2 = exported(dapp)["<q2@x>"]
    assert row2["deadline_kind"] == "next_response"
    # 24 open hours from Monday 13:00: 4 h Monday, 9 h Tuesday, 9 h Wednesday, 2 h Thursday
    assert row2["due_at"] == iso(at(HANOI, 2026, 11, 26, 10, 0))
    assert Daemon(dapp).sweep_deadlines() == {}  # nothing answered it yet; the first stays met


def test_reply_sent_through_triage_meets_via_mark_met(dapp: App, clock: FrozenClock) -> None:
    box = dapp.boxes["inbox"]  # type: ignore[attr-defined]
    add_to_maildir(box, mail(at(HANOI, 2026, 11, 23, 10, 0), "<s@x>"))
    clock.set(at(HANOI, 2026, 11, 23, 10, 30))
    Daemon(dapp).poll_all()
    (row,) = dapp.store.export_rows()
    dapp.store.mark_met(row["id"], by="Minh")
    assert exported(dapp)["<s@x>"]["deadline_state"] == "met"
    assert dapp.sweeper.dstore.report_rows(None, None)[0]["met_by"] == "Minh"
    assert Daemon(dapp).sweep_deadlines() == {}


def test_discarded_draft_exports_closed_like_the_message_page(dapp: App,
                                                              clock: FrozenClock) -> None:
    """A discarded draft closes its deadline: the export says ``closed`` (as the message page
    and the counts do), before and after its due time."""
    from triage.deadlines.states import counts

    box = dapp.boxes["inbox"]  # type: ignore[attr-defined]
    add_to_maildir(box, mail(at(HANOI, 2026, 11, 23, 10, 0), "<d@x>"))
    clock.set(at(HANOI, 2026, 11, 23, 10, 30))
    Daemon(dapp).poll_all()
    (row,) = dapp.store.export_rows()
    dapp.review.discard(row["id"], "Minh")
    assert exported(dapp)["<d@x>"]["deadline_state"] == "closed"
    assert counts(dapp.store, dapp.deadlines, clock.now()).open == 0
    clock.set(at(HANOI, 2026, 11, 25, 10, 0))  # long past its due time: still nothing owed
    assert exported(dapp)["<d@x>"]["deadline_state"] == "closed"


def test_priority_signals_shorten_targets(tmp_path: Path, model_path: Path,
                                          clock: FrozenClock) -> None:
    app = make_app(tmp_path, model_path, clock, {
        "calendar": {"email": "always"}, "email": "24h", "vip_domains": ["bigco.vn"],
        "rules": [{"kind": "first_response", "priority": "urgent", "within": "2h"}]})
    box = app.boxes["inbox"]  # type: ignore[attr-defined]
    t0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    add_to_maildir(box, mail(t0, "<vip@x>", sender="Boss <boss@hq.bigco.vn>"))
    add_to_maildir(box, mail(t0, "<down@x>", body="He thong bi sap, khong vao duoc app!",
                             sender="an@example.vn", subject="Loi"))
    for i in range(3):
        add_to_maildir(box, mail(t0 + timedelta(minutes=i), f"<rep{i}@x>",
                                 sender="cara@example.com", subject="Invoice please",
                                 body="Please send me the invoice for order #77.",
                                 **({"In_Reply_To": f"<rep{i - 1}@x>",
                                     "References": f"<rep{i - 1}@x>"} if i else {})))
    clock.set(t0 + timedelta(minutes=10))
    Daemon(app).poll_all()
    rows = exported(app)
    assert rows["<vip@x>"]["priority"] == "high"
    assert rows["<vip@x>"]["due_at"] == iso(t0 + timedelta(hours=12))  # scaled by 0.5
    assert rows["<down@x>"]["priority"] == "urgent"  # outage words without diacritics
    assert rows["<down@x>"]["due_at"] == iso(t0 + timedelta(hours=2))  # the urgent rule
    assert [rows[f"<rep{i}@x>"]["priority"] for i in range(3)] == ["normal", "normal", "high"]
    app.store.close()


def test_rules_most_specific_wins_and_next_response_defaults() -> None:
    s = settings_from_mapping({"deadlines": {"rules": [
        {"within": "10h"},
        {"channel": "email", "within": "9h"},
        {"channel": "email", "category": "complaint", "within": "4h"},
        {"channel": "email", "category": "complaint", "priority": "high", "within": "1h"},
        {"kind": "next_response", "channel": "social", "within": "5m"},
    ]}}).deadlines
    p = DeadlinePolicy(s)
    assert p.target("email", "complaint", priority="high").within == timedelta(hours=1)
    assert p.target("email", "complaint").within == timedelta(hours=4)
    assert p.target("email", "request").within == timedelta(hours=9)
    assert p.target("social", "request").within == timedelta(hours=10)
    assert p.target("email", "request", priority="urgent").within == timedelta(hours=9 / 4)
    assert p.target("social", "x", "next_response").within == timedelta(minutes=5)
    assert p.target("email", "x", "next_response").within == timedelta(hours=24)
    plan = p.plan({"sender": "a@b", "subject": "", "text": "hi", "channel": "email",
                   "received_at": datetime(2026, 1, 1, tzinfo=UTC), "source": "s"},
                  "request", ThreadContext(replied_before=True, unanswered=1))
    assert plan.kind == "next_response" and plan.priority == "normal"


def test_remembered_targets_are_those_worked_out_afresh_and_follow_new_settings() -> None:
    s = settings_from_mapping({"deadlines": {
        "rules": [{"channel": "email", "category": "complaint", "within": "4h"},
                  {"kind": "resolution", "channel": "email", "within": "3d"}],
        "overrides": {"social": {"request": "30m"}}, "priority_scale": {"urgent": 0.5}}}
    ).deadlines
    p = DeadlinePolicy(s, source_targets={"chat": timedelta(minutes=60)})
    questions = [(ch, cat, kind, prio, src) for ch in ("email", "social", "chat")
                 for cat in ("complaint", "request", "other")
                 for kind in ("first_response", "next_response", "resolution")
                 for prio in ("normal", "urgent") for src in ("", "chat", "mail")]
    for _ in range(2):  # asked twice: the second answers come from memory
        for q in questions:
            assert p.target(*q) == DeadlinePolicy(s, source_targets=p.source_targets)._target(*q)
    assert p.target("social", "request", source="chat").within == timedelta(minutes=30)
    assert p.target("chat", "request", source="chat").within == timedelta(minutes=60)
    assert p.target("chat", "request", source="mail").within == timedelta(hours=24)
    # an admin saving the policies page replaces the settings: no stale target is kept
    p.settings = settings_from_mapping({"deadlines": {"email": "2h"}}).deadlines
    assert p.target("email", "complaint").within == timedelta(hours=2)
    fresh = DeadlinePolicy(p.settings, source_targets=p.source_targets)
    for q in questions:
        assert p.target(*q) == fresh.target(*q)


def test_warnings_absolute_and_percent_in_business_time() -> None:
    s = settings_from_mapping({"deadlines": {
        "calendar": {"email": "office"}, "email": "10h",
        "warnings": {"email": ["80%", "3h", "1h", "12h"]},
        "calendars": {"office": {"timezone": "UTC", "hours": {"mon": "08:00-18:00",
                                                              "tue": "08:00-18:00"}}}}}
    ).deadlines
    p = DeadlinePolicy(s)
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday
    due = p.due_at(start, "email", "request")[0]
    assert due == datetime(2026, 11, 23, 18, 0, tzinfo=UTC)

    def reached(h: float) -> list[str]:
        return p.warnings_reached(start, due, start + timedelta(hours=h), "email")

    assert reached(6.5) == []
    assert reached(7) == ["3h"]
    assert reached(8) == ["80%", "3h"]
    assert reached(9) == ["80%", "3h", "1h"]  # "12h" is longer than the target: never
    assert reached(10)[-1] == "breached"


@pytest.mark.parametrize("deadlines,key", [
    ({"calendar": {"email": "mars"}}, "deadlines.calendar.email"),
    ({"calendars": {"x": {"timezone": "Mars/Olympus"}}}, "deadlines.calendars.x.timezone"),
    ({"calendars": {"x": {"hours": {"mon": "9-5"}}}}, "deadlines.calendars.x.hours"),
    ({"calendars": {"x": {"hours": {"monday": "09:00-17:00"}}}}, "deadlines.calendars.x.hours"),
    ({"warnings": {"email": ["120%"]}}, "deadlines.warnings.email"),
    ({"rules": [{"category": "praise", "within": "1h"}]}, "deadlines.rules[0].category"),
    ({"category_priority": {"complaint": "asap"}}, "deadlines.category_priority.complaint"),
    ({"resolution": {"fax": "1h"}}, "deadlines.resolution.fax"),
    ({"source_calendars": {"nope": "always"}}, "deadlines.source_calendars.nope"),
])
def test_bad_deadline_settings_name_the_key(deadlines: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        settings_from_mapping({"deadlines": deadlines}, file="t.toml")
    assert key in str(e.value) and "t.toml" in str(e.value) and "fix" in str(e.value)


def test_resolution_clock_pauses_while_waiting_on_the_customer(tmp_path: Path,
                                                               model_path: Path,
                                                               clock: FrozenClock) -> None:
    app = make_app(tmp_path, model_path, clock,
                   {"calendar": {"email": "always"}, "resolution": {"email": "48h"}})
    box = app.boxes["inbox"]  # type: ignore[attr-defined]
    dstore = app.sweeper.dstore

    def resolution() -> dict[str, Any]:
        (row,) = [r for r in dstore.report_rows(None, None) if r["kind"] == "resolution"]
        return row

    t0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    add_to_maildir(box, mail(t0, "<p1@x>"))
    clock.set(t0 + timedelta(minutes=1))
    Daemon(app).poll_all()
    Daemon(app).sweep_deadlines()
    assert resolution()["due_at"] == t0 + timedelta(hours=48)
    # our agent answers at +2 h: from then on we wait on the customer
    add_to_maildir(box, mail(t0 + timedelta(hours=2), "<r1@x>", body="Could you send the "
                             "order number?", sender="Linh <support@example.com>",
                             subject="Re: Order #123", In_Reply_To="<p1@x>",
                             References="<p1@x>"))
    clock.set(t0 + timedelta(hours=5))
    Daemon(app).poll_all()
    Daemon(app).sweep_deadlines()
    assert resolution()["due_at"] == t0 + timedelta(hours=51)  # paused 3 h so far
    # far past the original target while still waiting: no breach, no warning
    clock.set(t0 + timedelta(hours=100))
    Daemon(app).sweep_deadlines()
    r = resolution()
    assert r["state"] == "ok" and r["due_at"] == t0 + timedelta(hours=146)
    # the customer answers at +12 h (delivered late): 10 h of waiting in all
    add_to_maildir(box, mail(t0 + timedelta(hours=12), "<p2@x>", body="It is order 123.",
                             subject="Re: Order #123", In_Reply_To="<r1@x>",
                             References="<p1@x> <r1@x>"))
    Daemon(app).poll_all()
    Daemon(app).sweep_deadlines()
    r = resolution()
    assert r["due_at"] == t0 + timedelta(hours=58) and r["state"] == "breached"
    (p1,) = [x for x in app.store.export_rows() if x["message_id"] == "<p1@x>"]
    assert dstore.resolve(p1["id"], "Linh") == 1
    assert dstore.resolve(p1["id"], "Linh") == 0
    r = resolution()
    assert r["state"] == "met" and r["met_by"] == "Linh" and r["met_at"] == clock.now()
    # a resolution never counts as a reply: the customer's follow-up still waits for one
    (p2,) = [x for x in app.store.export_rows() if x["message_id"] == "<p2@x>"]
    assert p2["deadline_kind"] == "next_response" and p2["state"] != "met"
    app.store.close()


def test_holiday_file_is_found_next_to_the_config(tmp_path: Path) -> None:
    from triage.config import load_settings

    (tmp_path / "vn.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261124\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n")
    cfg = tmp_path / "triage.toml"
    cfg.write_text("[deadlines]\nemail = '2h'\ncalendar = { email = 'vn' }\n"
                   "[deadlines.calendars.vn]\ntimezone = 'Asia/Ho_Chi_Minh'\n"
                   "holidays_ics = 'vn.ics'\n", encoding="utf-8")
    app = App(load_settings(cfg, {}), environ={})
    # Monday 16:00 + 2 h: 1 h Monday, Tuesday 24 Nov is in the .ics -> Wednesday 10:00
    due, _ = app.deadlines.due_at(at(HANOI, 2026, 11, 23, 16, 0), "email", "request")
    assert due == at(HANOI, 2026, 11, 25, 10, 0)


# ------------------------------------------------- the sweep's planned checks
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@st.composite
def policies(draw: st.DrawFn) -> DeadlinePolicy:
    hours = {d: f"{a:02d}:00-{a + n:02d}:00" for d in DAY_NAMES if draw(st.booleans())
             for a in [draw(st.integers(0, 20))] for n in [draw(st.integers(1, 24 - a))]}
    assume(hours)
    deadlines: dict[str, Any] = {
        "email": f"{draw(st.integers(1, 72))}h", "calendar": {"email": "c"},
        "calendars": {"c": {"timezone": draw(st.sampled_from([HANOI, BERLIN, "UTC"])),
                            "hours": hours}},
        "warnings": {"email": draw(st.lists(st.sampled_from(["80%", "50%", "3h", "1h", "30m"]),
                                            unique=True, max_size=4))}}
    if draw(st.booleans()):
        deadlines["warn_before"] = {"email": draw(st.sampled_from(["30m", "2h", "8h"]))}
    return DeadlinePolicy(settings_from_mapping({"deadlines": deadlines}).deadlines)


@hsettings(max_examples=200, deadline=None)
@given(policies(), st.datetimes(datetime(2026, 1, 1), datetime(2027, 6, 30),
                                timezones=st.just(UTC)),
       st.integers(0, 200 * 60), st.lists(st.floats(0, 1), min_size=1, max_size=5))
def test_nothing_changes_before_the_planned_check(policy: DeadlinePolicy, start: datetime,
                                                  minutes: int, fractions: list[float]) -> None:
    """The sweep skips a deadline until ``next_change``: state and warnings must not move
    before then, and must have moved one second after it (nothing is missed or late)."""
    due = policy.due_at(start, "email", "request")[0]
    now = start + timedelta(minutes=minutes)

    def look(t: datetime) -> tuple[Any, list[str]]:
        return (policy.state(due, t, "email"), policy.warnings_reached(start, due, t, "email"))

    nxt = policy.next_change(start, due, now, "email")
    if nxt is None:
        assert now >= due
        return
    assert nxt >= now - timedelta(seconds=1)
    seen = look(now)
    for f in [1.0, *fractions]:
        assert look(now + (nxt - now) * f) == seen
    assert look(nxt + timedelta(seconds=1)) != seen


def _fold_per_character(text: str) -> str:
    """The definition of ``priority.fold``: every combining character of the NFKD form
    dropped (what it computed before its fast path, #19)."""
    import unicodedata

    text = text.lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def test_fold_is_the_per_character_definition_on_every_code_point() -> None:
    from triage.deadlines.priority import fold

    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    assert [c for c in chars if fold(c) != _fold_per_character(c)] == []
    # marks after their bases, in runs, beyond the BMP
    for i in range(0, len(chars), 997):
        text = "".join(chars[i:i + 997])
        assert fold(text) == _fold_per_character(text), i
    for text in ["Mất kết nối", "ĐƠN HÀNG", "Ängström cafe\u0301", "x\U0001D165\U0001D166y",
                 "Sản phẩm bị lỗi \U0001F600 ", "plain ascii", ""]:
        assert fold(text) == _fold_per_character(text), text


@given(st.text())
@hsettings(max_examples=300, deadline=None)
def test_fold_is_the_per_character_definition_on_any_text(text: str) -> None:
    from triage.deadlines.priority import fold

    assert fold(text) == _fold_per_character(text)
