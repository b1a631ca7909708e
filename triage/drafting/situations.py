"""Situations inside the categories: what the customer's message is about, for the draft.

A category says what kind of reply a message needs (complaint, request, ...); a situation says
which reply: a refund chased for the third time is a complaint, and so is a cracked rice
cooker, but they need different words, different questions and different promises. Each
situation has templates ``reply_templates/<lang>/situations/<name>.<channel>.j2``, falling back
to the category template, and a :class:`~triage.drafting.promises.PromisePolicy`.

:func:`detect_situation` reads the message, its thread and its category (rules in
:mod:`triage.drafting.situation_rules`); an agent may switch the situation on the message page
(the renderer takes ``DraftRequest.situation``). ``general`` means "none of these": the
category template is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from triage.drafting.promises import (
    NO_PROMISE,
    WHEN_DONE,
    PromisePolicy,
    day_part_within,
)
from triage.drafting.situation_blend import (
    DEFAULT_WEIGHTS,
    GENERAL,
    BlendWeights,
    blend,
    choose,
    rules_decide,
)
from triage.drafting.situation_cues import FAILED_STEPS, SETTLED, settle
from triage.drafting.situation_rules import CATEGORY_BONUS, OVERRIDES, TABLES, TOPICAL, fold
from triage.models import ThreadContext


@dataclass(frozen=True)
class Situation:
    """One situation: its name (stored in ``drafts.situation``), a label for the message page,
    what its drafts may promise, and whether a reply is optional (thanks)."""

    name: str
    label: str
    promise: PromisePolicy
    reply_optional: bool = False
    detected: bool = True
    """False for the situations the message's text alone never gives, so the situation model
    never learns them: the holding reply (an agent's choice) and ``still_open`` (the thread's:
    :func:`still_open_topic`)."""


SITUATIONS: dict[str, Situation] = {s.name: s for s in (
    Situation("order_status", "Order status or shipping delay", day_part_within(4)),
    Situation("refund", "Refund status or refund owed", day_part_within(8)),
    Situation("payment_failed", "Charged but the order failed, or charged twice",
              day_part_within(8)),
    Situation("cancellation", "Cancellation or plan change", WHEN_DONE),
    Situation("personal_data", "Account deletion or access to personal data", WHEN_DONE),
    Situation("login", "Login or password", NO_PROMISE),
    Situation("outage", "Outage or connectivity", WHEN_DONE),
    Situation("app_error", "App or site error", day_part_within(8)),
    Situation("damaged_goods", "Damaged or wrong goods (return, exchange)", day_part_within(8)),
    Situation("follow_up", "Follow-up chasing an earlier message", day_part_within(4)),
    Situation("info_provided", "Customer sent what we asked for", day_part_within(8)),
    Situation("thanks", "Thanks or praise (reply optional)", NO_PROMISE, reply_optional=True),
    Situation("holding", "Holding reply (we are looking into it)", day_part_within(8),
              detected=False),
    Situation("closing", "Closing confirmation (solved)", NO_PROMISE),
    Situation("still_open", "Still not solved after our reply", day_part_within(4),
              detected=False),
)}
"""Every situation, in the order the message page lists them."""

CATEGORY_PROMISES: dict[str, PromisePolicy] = {
    "complaint": day_part_within(8), "request": NO_PROMISE, "suggestion": NO_PROMISE,
    "technical_issue": day_part_within(8), "review": day_part_within(8),
}
"""What the category templates (situation ``general``) may promise."""


def situation_choices() -> list[tuple[str, str]]:
    """Return ``(name, label)`` for the message page's situation switch, ``general`` first."""
    return [(GENERAL, "General (the category's reply)")] + [
        (s.name, s.label) for s in SITUATIONS.values()]


def promise_policy(situation: str, category: str = "request",
                   needs_review: bool = False) -> PromisePolicy:
    """Return the promise policy of ``situation``, or of the category template for
    ``general`` (and for names no longer known)."""
    if situation in SITUATIONS:
        return SITUATIONS[situation].promise
    return CATEGORY_PROMISES["review" if needs_review else category] \
        if (needs_review or category in CATEGORY_PROMISES) else NO_PROMISE


ThreadFacts = ThreadContext
"""What the thread says about the message being answered: the store's
:class:`~triage.models.ThreadContext` itself (``replied_before``, ``unanswered`` (2 or more:
they are chasing us), ``earlier`` and ``earlier_attachments``, ``told``), under the name the
drafting code reads it by; there was a field-for-field copy of it here."""


@dataclass(frozen=True)
class Detection:
    """The detected situation, the underlying topic (for a follow-up: what is being chased),
    the scores and why."""

    situation: str
    topic: str
    scores: dict[str, float]
    reasons: tuple[str, ...] = ()
    strongest: dict[str, float] = field(default_factory=dict)
    """Per situation, the weight of the strongest single rule that fired (an exact phrase
    weighs 3 or more, a broad keyword less), before the thread and category bonuses."""


_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|tr|balas|trả lời|tra loi)\s*:", re.IGNORECASE)


def _score(text: str, language: str, explain: bool = True
           ) -> tuple[dict[str, float], list[str], dict[str, float]]:
    scores: dict[str, float] = {}
    reasons: list[str] = []
    strongest: dict[str, float] = {}
    langs = [language] if language == "en" else [language, "en"]
    for lang in langs:
        factor = 1.0 if lang == language else (0.8 if language == "tl" else 0.6)
        table = TABLES.get(lang)
        for name, pattern, weight in table.matches(text) if table is not None else ():
            scores[name] = scores.get(name, 0.0) + weight * factor
            strongest[name] = max(strongest.get(name, 0.0), weight * factor)
            if explain:
                reasons.append(f"{name}+{weight * factor:g} {lang}:{pattern.pattern[:40]}")
    return scores, reasons, strongest


def detect_by_rules(text: str, subject: str = "", language: str = "en",
                    category: str = "", thread: ThreadFacts | None = None,
                    attachment_types: Sequence[str] = (), *, explain: bool = True
                    ) -> Detection:
    """Return the situation the keyword rules alone give.

    Keyword rules per language score each situation (English rules also run on the other
    languages, whose customers borrow "refund", "login", "error"); the thread and the
    attachments add evidence (a customer writing twice without our reply is chasing; an
    image after our reply is what we asked for); the category breaks close calls. A chase
    beats the topic it chases (which becomes ``topic``); thanks and "it's solved now" win only
    when nothing else is asked; a login problem naming a server error is an app error, and a
    cancellation asked as "how do I" gets the category's reply
    (:func:`~triage.drafting.situation_cues.settle`). With ``explain`` false the detection
    carries no reasons (the same situation, topic and scores, without writing out why: a
    draft never reads them).
    """
    thread = thread or ThreadFacts()
    body = fold(text)
    subj = fold(subject)
    scores, reasons, strongest = _score(f"{subj}\n{body}", language, explain)
    image = any(t.lower().startswith("image/") for t in attachment_types)
    is_reply = bool(_REPLY_PREFIX.match(subject or "")) or thread.replied_before
    if thread.unanswered >= 2:
        scores["follow_up"] = scores.get("follow_up", 0.0) + 3.0
        reasons.append(f"follow_up+3 thread: {thread.unanswered} unanswered")
    if scores.get("info_provided") and (is_reply or image):
        bonus = (1.5 if thread.replied_before else 1.0) + (1.0 if image else 0.0)
        scores["info_provided"] += bonus
        reasons.append(f"info_provided+{bonus:g} reply/attachment")
    elif image and is_reply:
        scores["info_provided"] = scores.get("info_provided", 0.0) + 2.0
        reasons.append("info_provided+2 image in a reply")
    for name, bonus in CATEGORY_BONUS.get(category, {}).items():
        if name in scores:
            scores[name] += bonus
    for winner, loser in OVERRIDES:
        if scores.get(winner, 0.0) >= 2.5 and scores.get(loser, 0.0) >= scores[winner]:
            scores[loser] = scores[winner] - 0.01
            reasons.append(f"{winner} beats {loser}")
    topical = {k: v for k, v in scores.items() if k in TOPICAL}
    topic = max(topical, key=lambda k: topical[k]) if topical else ""
    if topic and topical[topic] < 2.0:
        topic = ""
    best_topical = topical.get(topic, 0.0) if topic else 0.0
    question = "?" in text

    def pick(name: str, why: str) -> Detection:
        if name in SETTLED:
            name, settled = settle(name, f"{subj}\n{body}")
            why = settled or why
        return Detection(name, topic if name != topic else "", scores,
                         (*reasons, f"chose {name}: {why}") if explain else (), strongest)

    follow = scores.get("follow_up", 0.0)
    if follow >= 3.0:
        return pick("follow_up", "the customer is chasing an earlier message")
    info = scores.get("info_provided", 0.0)
    if info >= 3.5 and (info >= best_topical or (info >= 4.0 and not question)):
        return pick("info_provided", "the customer sends what was asked for")
    closing = scores.get("closing", 0.0) + (1.0 if thread.replied_before else 0.0)
    if closing >= 3.5 and closing > best_topical and not question:
        return pick("closing", "the customer says it is solved")
    thanks = scores.get("thanks", 0.0)
    if not question and ((thanks >= 2.0 and best_topical < 2.5)
                         or (thanks >= 3.0 and thanks + 1.5 >= best_topical)):
        return pick("thanks", "thanks or praise, nothing asked")
    if category == "suggestion" and best_topical < 4.0:
        return pick(GENERAL, "a suggestion")
    if best_topical >= 2.0:
        return pick(topic, "highest score")
    return pick(GENERAL, "no situation scored high enough")


_USE_PACKAGED = object()


def detect_situation(text: str, subject: str = "", language: str = "en",
                     category: str = "", thread: ThreadFacts | None = None,
                     attachment_types: Sequence[str] = (), *,
                     model: Any = _USE_PACKAGED,
                     weights: BlendWeights = DEFAULT_WEIGHTS, explain: bool = True
                     ) -> Detection:
    """Return the situation of a customer message: the model and the rules together.

    The situation model (:mod:`triage.drafting.situation_model`) gives a probability per
    situation and the rules add their evidence, weighed by how sure they are
    (:func:`triage.drafting.situation_blend.blend`); the highest total wins. Three facts are
    exact and decide alone: a customer who wrote twice since our last reply is chasing
    (``follow_up``), so is one whose follow-up rules score
    :attr:`~triage.drafting.situation_blend.BlendWeights.chase_exact` (a chasing phrase), and
    without a model (``model=None``) the rules decide (:func:`detect_by_rules`).
    A message classified as a suggestion gets ``general`` (the suggestion reply) unless it is
    thanks. A login problem naming a server error becomes ``app_error``, a cancellation asked
    as "how do I" ``general`` (:func:`~triage.drafting.situation_cues.settle`). The topic of a
    follow-up comes from the rules.

    With ``explain`` false (a draft, which reads only the situation and topic) the reasons
    are left out and the blended scores are not rounded for display: the situation and topic
    are the same (:func:`situation_and_topic`).
    """
    thread = thread or ThreadFacts()
    ruled = detect_by_rules(text, subject, language, category, thread, attachment_types,
                            explain=explain)
    if model is None or thread.unanswered >= 2 or rules_decide(ruled, weights):
        return ruled  # "any update?", "third time asking", "nobody replied": exact
    from triage.drafting.situation_model import features, packaged_model, probabilities

    fitted = packaged_model() if model is _USE_PACKAGED else model
    probs = probabilities(fitted, features(text, subject, thread.replied_before,
                                          thread.unanswered, attachment_types))
    total = blend(ruled, probs, weights)
    best = choose(total, category)
    settled = ""
    if best in SETTLED:
        best, settled = settle(best, fold(f"{subject}\n{text}"))
        if settled:  # the settled situation wins: it is the one drafted
            total[best] = max(total.values()) + 0.01
    topic = ruled.topic if best == "follow_up" else ""
    if best == "follow_up" and not topic:
        topical = {k: v for k, v in ruled.scores.items() if k in TOPICAL}
        topic = max(topical, key=lambda k: topical[k]) if topical else ""
    if not explain:
        return Detection(best, topic, total, (), ruled.strongest)
    return Detection(best, topic, {k: round(v, 3) for k, v in total.items()},
                     (*ruled.reasons, f"rules chose {ruled.situation}",
                      f"model+rules chose {best} ({total[best]:.2f})",
                      *((settled,) if settled else ())), ruled.strongest)


def situation_and_topic(text: str, subject: str = "", language: str = "en",
                        category: str = "", thread: ThreadFacts | None = None,
                        attachment_types: Sequence[str] = (), *,
                        model: Any = _USE_PACKAGED,
                        weights: BlendWeights = DEFAULT_WEIGHTS) -> tuple[str, str]:
    """Return ``(situation, topic)`` of :func:`detect_situation`, without writing out its
    reasons or rounding its scores (#19: ~0.02 ms a draft that never reads them)."""
    found = detect_situation(text, subject, language, category, thread, attachment_types,
                             model=model, weights=weights, explain=False)
    return found.situation, found.topic


# "still", "not fixed" per language (folded: lowercase, no diacritics); "van" only before a
# negation, since "Văn" is also a middle name. Not "again": "it works again" is solved.
_STILL = re.compile(
    r"\b(?:still|not (?:fixed|solved|working|resolved)|(?:did|does|do)(?:n'?t| not) "
    r"(?:work|help)|van (?:chua|khong|bi|chang|con)|masih|tetap|belum juga|pa rin|pa din"
    r"|hanggang ngayon)\b")


def still_open_topic(text: str, subject: str, language: str, category: str,
                     thread: ThreadFacts, situation: str, *, model: Any = _USE_PACKAGED
                     ) -> str | None:
    """Return what the problem was about when the customer writes again after our reply to
    say it is still there (the situation is then ``still_open``): a topic, or '' when the
    problem is none of them; None when this message is no such repeat.

    The earlier messages (``thread.earlier``) give the problem's situation; this message
    repeats it when it has the same one ("I can't log in" again), or says "still", "again",
    "vẫn chưa", "masih", "pa rin" ("still no OTP", "vẫn không nhận được mã", naming the device
    we asked for). A customer chasing our silence (twice since our reply, or "any update?")
    is not repeating the problem, nor is one saying it is solved or thanking us, unless they
    say it is still there ("vẫn chưa nhận được mã" was read as a closing, "wala pa rin pong
    OTP hanggang ngayon" as a chase). A customer saying that what we told them did not work
    or is not there ("I tried that but there is no such section", "em thử rồi nhưng không
    thấy mục đó", :data:`~triage.drafting.situation_cues.FAILED_STEPS`) is still not solved
    even when the first message was a question (how to change an address: no topic), not
    sending what we asked for. ``situation`` is the one detected in ``text``.
    """
    if not (thread.replied_before and thread.earlier) or thread.unanswered >= 2:
        return None
    folded = fold(text)
    failed = FAILED_STEPS.search(folded) is not None
    still = failed or _STILL.search(folded) is not None
    if not still and situation not in TOPICAL:
        # a chase, a closing, thanks, a general message: only "still" or the same problem
        # again makes a repeat, so the earlier messages need no detection (#19: it is most
        # of the cost of a draft after our reply)
        return None
    return _repeat_topic(situation, still,
                         earlier_topic(subject, language, category, thread, model=model),
                         failed)


def _repeat_topic(situation: str, still: bool, earlier: str, failed: bool = False
                  ) -> str | None:
    """The problem a repeat is about, given this message's situation, whether it says
    "still" (or ``failed``: that our steps did not work), and what the earlier messages were
    about: a topic, '' for a repeat about no topic, None when it is no repeat."""
    if not earlier:
        return (situation if situation in TOPICAL else "") if failed else None
    if situation == earlier:
        return earlier
    if still:
        return situation if situation in TOPICAL else earlier
    return None


def earlier_topic(subject: str, language: str, category: str, thread: ThreadFacts, *,
                  model: Any = _USE_PACKAGED) -> str:
    """Return what the customer's earlier messages in the thread (``thread.earlier``) were
    about: their situation (for a chase, what was chased) when it is a problem's topic
    (:data:`~triage.drafting.situation_rules.TOPICAL`), else ''."""
    if not thread.earlier:
        return ""
    first, first_topic = situation_and_topic("\n".join(thread.earlier), subject, language,
                                             category, None, thread.earlier_attachments,
                                             model=model)
    earlier = first_topic if first == "follow_up" else first
    return earlier if earlier in TOPICAL else ""


def chosen_still_open_topic(text: str, subject: str, language: str, category: str,
                            thread: ThreadFacts, attachment_types: Sequence[str] = (), *,
                            model: Any = _USE_PACKAGED) -> str:
    """Return the topic of a ``still_open`` draft an agent chose on the message page: the one
    the pipeline gives when it detects ``still_open`` itself (:func:`still_open_topic`), else
    what the earlier messages were about (:func:`earlier_topic`; the agent knows the problem
    is still there), else what this message is about; '' when none is a topic (the draft then
    names no problem)."""
    situation, topic = situation_and_topic(text, subject, language, category, thread,
                                           attachment_types, model=model)
    earlier = earlier_topic(subject, language, category, thread, model=model)  # once
    found: str | None = ""
    if thread.replied_before and thread.unanswered < 2:
        folded = fold(text)
        failed = FAILED_STEPS.search(folded) is not None
        found = _repeat_topic(situation, failed or _STILL.search(folded) is not None, earlier,
                              failed)
    return found or earlier or _own_topic(situation, topic)


def chosen_follow_up_topic(text: str, subject: str, language: str, category: str,
                           thread: ThreadFacts, attachment_types: Sequence[str] = (), *,
                           model: Any = _USE_PACKAGED) -> str:
    """Return the topic of a ``follow_up`` draft an agent chose on the message page (or with
    ``triage review situation``): what is being chased. The topic processing gives when it
    reads this message as a chase and the chase names it ("any update on my refund?"), else
    what the customer's earlier messages were about (:func:`earlier_topic`: "any update?"
    chases them), else what this message is about; '' when none is a topic (the draft then
    names nothing)."""
    situation, topic = situation_and_topic(text, subject, language, category, thread,
                                           attachment_types, model=model)
    if situation == "follow_up" and topic:
        return topic  # as processing drafted it: switching away and back changes nothing
    return (earlier_topic(subject, language, category, thread, model=model)
            or _own_topic(situation, topic))


def _own_topic(situation: str, topic: str) -> str:
    """What a message is about by itself, as a topic: a chase's topic, else its situation
    when that is a problem's topic (:data:`TOPICAL`), else ''."""
    own = topic if situation == "follow_up" else situation
    return own if own in TOPICAL else ""


CHOSEN_TOPIC: dict[str, Callable[..., str]] = {
    "still_open": chosen_still_open_topic,
    "follow_up": chosen_follow_up_topic,
}
"""Situations whose templates name a topic, and how the topic of one an agent chose is
found (called with text, subject, language, category, thread, attachment types and
``model=``); the other chosen situations have none."""
