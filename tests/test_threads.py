"""Thread assignment as pure functions (``triage.mail.threads``): no store, hand-made
candidates. The store's half (reading candidates, persisting the plan) is in the contract
suite."""

from __future__ import annotations

from dataclasses import replace

from tests.conftest import NOW
from triage.drafting.context import clean_subject
from triage.mail.threads import (
    assign_threads,
    bare_subject,
    normalise_subject,
    plan_threads,
    reply_subject,
    thread_lookups,
)
from triage.models import (
    NewThread,
    ParsedMessage,
    StoredThread,
    ThreadCandidates,
    ThreadChoice,
    ThreadLookups,
    ThreadParent,
)


def msg(mid: str, subject: str = "Order late", sender: str = "ann@x", *, refs: tuple = (),
        reply_to: str | None = None, **kw: object) -> ParsedMessage:
    return ParsedMessage(message_id=mid, channel="email", sender=sender, sender_name="",
                         subject=subject, text="t", full_text="t", received_at=NOW,
                         in_reply_to=reply_to, references=list(refs), **kw)  # type: ignore[arg-type]


def parent(thread_id: int, row_id: int = 1, **kw: object) -> ThreadParent:
    base = ThreadParent(row_id, thread_id, "ann@x", False, "Order late")
    return replace(base, **kw)  # type: ignore[arg-type]


def test_lookups_name_keys_references_and_tokens() -> None:
    want = thread_lookups([
        msg("<a>", thread_hint="conv-1"),
        msg("<b>", refs=("<r1>", "<r2>"), reply_to="<r3>"),
        msg("<c>", subject="Re: x [#T-42]"),
        msg("<d>", subject="Undeliverable", is_auto=True, auto_reason="bounce of [#T-7]"),
        msg("<e>", refs=tuple(f"<old{i}>" for i in range(60)))])
    assert want.keys == {"conv-1"} and want.thread_ids == {42, 7}
    assert {"<r1>", "<r2>", "<r3>", "<old59>"} <= want.message_ids
    assert "<old9>" not in want.message_ids  # only the newest 50 references of a message


def test_a_reply_joins_the_latest_stored_parent() -> None:
    found = ThreadCandidates(parents={"<p1>": parent(5, row_id=10), "<p2>": parent(6, row_id=11)})
    plan = plan_threads([msg("<r>", "Re: Order late", refs=("<p2>", "<p1>"))], found)
    assert plan.choices == [ThreadChoice(thread_id=6)] and plan.touched == {6}
    assert plan.new_threads == []


def test_over_threading_guards() -> None:
    news = parent(5, sender="news@shop", is_auto=True)
    ours = parent(6, sender="support@us", is_auto=True, auto_reason="sent from our own address")
    found = ThreadCandidates(parents={"<news>": news, "<ours>": ours, "<p>": parent(7)})
    plan = plan_threads([msg("<a>", "Re: Order late", refs=("<news>",)),
                         msg("<b>", "Re: Order late", refs=("<ours>",)),
                         msg("<c>", "Something else entirely", refs=("<p>",)),
                         msg("<d>", "Re: Order late please", refs=("<p>",))], found)
    assert plan.choices == [ThreadChoice(new=0), ThreadChoice(thread_id=6), ThreadChoice(new=1),
                            ThreadChoice(thread_id=7)]
    assert plan.new_threads[0] == NewThread(None, "Re: Order late", "email", "ann@x")


def test_the_batch_is_newer_than_the_store() -> None:
    found = ThreadCandidates(parents={"<p>": parent(5), "<a>": parent(9, row_id=99)})
    plan = plan_threads([msg("<a>", "Fresh start"),
                         msg("<b>", "Re: Fresh start", refs=("<p>", "<a>"))], found)
    # <a> starts thread 0 of the batch; <b> answers it, not the stored <a> nor <p>
    assert plan.choices == [ThreadChoice(new=0), ThreadChoice(new=0)]


def test_tokens_thread_unless_reused_by_someone_else() -> None:
    found = ThreadCandidates(threads={42: StoredThread(42, "Order late", "ann@x")})
    plan = plan_threads([msg("<a>", "Re: Order late [#T-42]", sender="bo@y"),
                         msg("<b>", "Totally new topic [#T-42]", sender="bo@y"),
                         msg("<c>", "Totally new topic [#T-42]", sender="ann@x"),
                         msg("<d>", "Undeliverable", sender="mailer@y", is_auto=True,
                             auto_reason="returned: Other subject [#T-42]"),
                         msg("<e>", "Re: x [#T-41]")], found)
    assert plan.choices == [ThreadChoice(thread_id=42), ThreadChoice(new=0),
                            ThreadChoice(thread_id=42), ThreadChoice(thread_id=42),
                            ThreadChoice(new=1)]  # 41 does not exist


def test_thread_keys_of_the_source() -> None:
    found = ThreadCandidates(by_key={"conv-1": 3})
    plan = plan_threads([msg("<a>", thread_hint="conv-1"), msg("<b>", thread_hint="conv-2"),
                         msg("<c>", "Other", thread_hint="conv-2")], found)
    assert plan.choices == [ThreadChoice(thread_id=3), ThreadChoice(new=0), ThreadChoice(new=0)]
    assert [n.key for n in plan.new_threads] == ["conv-2"]


def test_assign_threads_reads_once_and_not_for_nothing() -> None:
    asked: list[ThreadLookups] = []

    def read(want: ThreadLookups) -> ThreadCandidates:
        asked.append(want)
        return ThreadCandidates(parents={"<p>": parent(5)})

    assert assign_threads([], read).choices == [] and asked == []
    plan = assign_threads([msg("<a>", "Re: Order late", refs=("<p>",)), msg("<b>")], read)
    assert len(asked) == 1 and asked[0].message_ids == {"<p>"}
    assert plan.choices == [ThreadChoice(thread_id=5), ThreadChoice(new=0)]


def test_subjects_without_prefixes_and_tokens() -> None:
    """What threading compares, what our replies are titled, what the model reads."""
    assert bare_subject("Re: Fwd: Login code [#T-9]") == "Login code"
    assert bare_subject("TRẢ LỜI: Balas:AW: Login  Code ") == "Login  Code"
    assert bare_subject("Re: [#T-9] Fwd: Login code") == "Login code"
    # Vietnamese Outlook's forward ("CHUYỂN TIẾP:"), before and inside a reply's prefixes
    assert bare_subject("CHUYỂN TIẾP: Đơn hàng 4821 chưa giao") == "Đơn hàng 4821 chưa giao"
    assert bare_subject("TRẢ LỜI: Chuyển tiếp: Đơn hàng 4821") == "Đơn hàng 4821"
    # one list of prefixes for threading, the classifier and the draft's own subject
    for subject, bare in (("RV: Pedido 12", "Pedido 12"), ("tra loi: don hang 12", "don hang 12"),
                          ("TRẢ LỜI：Đơn hàng 12", "Đơn hàng 12"),
                          ("Antw: Re[2]: order 12", "order 12"),
                          ("chuyen tiep: FW: don 12 [#T-4]", "don 12")):
        assert bare_subject(subject) == bare, subject
        assert clean_subject(subject) == " ".join(bare_subject(subject).split())
        assert normalise_subject(subject) == " ".join(bare_subject(subject).lower().split())
    assert bare_subject("Login code: Re: it") == "Login code: Re: it"
    assert bare_subject("") == bare_subject("[#T-9]") == bare_subject("Re:") == ""
    assert normalise_subject(" RE: Login  Code [#T-9]") == "login code"
    assert reply_subject("Re: Re: Login code [#T-4]", 9) == "Re: Login code [#T-9]"
    assert reply_subject("Re: [#T-4]", 9) == "Re: your message [#T-9]"
