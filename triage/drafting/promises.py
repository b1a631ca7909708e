"""What a draft may promise about time, from policy: never the reply deadline, never a minute.

Each situation (see :mod:`triage.drafting.situations`) declares a :class:`PromisePolicy`:

* ``none``: the draft makes no promise about time (a how-to answer, a thank-you);
* ``when_done``: "we'll let you know as soon as it's done" (a cancellation, a data request:
  there is no date we can honestly give);
* ``day_part``: "we'll get back to you this afternoon": ``now + within`` rounded up to the end
  of a day part (morning until 12:00, afternoon until 17:00, evening until 21:00) in the
  customer's time zone. A time that falls in the night (21:00 to 06:00) becomes the next
  morning, so a promise never names a time past midnight; it is computed from ``now``, so it
  is never in the past.

A message already past its first-response deadline (**overdue**) gets an honest, near promise
instead: the first day part that still leaves :data:`OVERDUE_LEAD` of work (whatever the
situation would need otherwise), said after an apology for the wait ("Apologies for the late
reply. We'll get back to you this afternoon."). Being a ceiling of ``now + lead``, it stays
the same on every showing, approval and redraft until less than the lead is left of it, and
then moves on by one day part, never further: it no longer slides later each time the draft is
shown, and it is still true when sent.

The sentence is rendered by Python (:attr:`Promise.sentence`), the same words every time for a
language and channel, so that :func:`refresh_promise` can find it again in a draft and say it
anew when the draft is opened or approved hours later, and :func:`stated_time_warnings` can tell
an agent that a draft would state a time already past.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PromiseKind = Literal["none", "day_part", "when_done"]

# (name, start, end): the end is what the promise means ("this afternoon": before 17:00)
DAY_PARTS: tuple[tuple[str, time, time], ...] = (
    ("morning", time(6, 0), time(12, 0)),
    ("afternoon", time(12, 0), time(17, 0)),
    ("evening", time(17, 0), time(21, 0)),
)
_PART_END = {name: end for name, _start, end in DAY_PARTS}


@dataclass(frozen=True)
class PromisePolicy:
    """What a situation may promise: a kind and, for ``day_part``, the work time it needs."""

    kind: PromiseKind = "none"
    within: timedelta = timedelta(0)


OVERDUE_LEAD = timedelta(hours=2)
"""The work an overdue message's promise leaves room for: the team is already late, so the
update comes in the nearest day part that leaves this much time (not the hours the situation
needs when on time)."""

NO_PROMISE = PromisePolicy("none")
WHEN_DONE = PromisePolicy("when_done")


def day_part_within(hours: float) -> PromisePolicy:
    """Return a ``day_part`` policy that needs ``hours`` of work before the update."""
    return PromisePolicy("day_part", timedelta(hours=hours))


# ------------------------------------------------------------------ words per language

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "vi": ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "tl": ("Lunes", "Martes", "Miyerkules", "Huwebes", "Biyernes", "Sabado", "Linggo"),
}
_PARTS = {
    "en": {"morning": "morning", "afternoon": "afternoon", "evening": "evening"},
    "vi": {"morning": "sáng", "afternoon": "chiều", "evening": "tối"},
    "id": {"morning": "pagi", "afternoon": "sore", "evening": "malam"},
    "tl": {"morning": "umaga", "afternoon": "hapon", "evening": "gabi"},
}
# {p}: the day part, {d}: the weekday; keys: 0 today, 1 tomorrow, 2 later this week
_WHEN = {
    "en": ("this {p}", "tomorrow {p}", "on {d} {p}"),
    "vi": ("trong {p} nay", "trong {p} mai", "vào {p} {d}"),
    "id": ("{p} ini", "besok {p}", "hari {d} {p}"),
    "tl": ("ngayong {p}", "bukas ng {p}", "sa {d} ng {p}"),
}
# one fixed sentence per language and channel, so a refresh can find it again
_SENTENCES: dict[tuple[str, str], dict[str, str]] = {
    ("en", "email"): {"day_part": "We'll get back to you {when}.",
                      "when_done": "We'll let you know as soon as it's done."},
    ("en", "social"): {"day_part": "We'll get back to you {when}.",
                       "when_done": "We'll let you know as soon as it's done."},
    ("vi", "email"): {"day_part": "Chúng tôi sẽ phản hồi {when}.",
                      "when_done": "Chúng tôi sẽ báo lại ngay khi hoàn tất."},
    ("vi", "social"): {"day_part": "Bên em sẽ phản hồi {when} ạ.",
                       "when_done": "Bên em sẽ báo lại ngay khi xong ạ."},
    ("id", "email"): {"day_part": "Kami akan memberi kabar paling lambat {when}.",
                      "when_done": "Kami akan segera memberi kabar begitu prosesnya selesai."},
    ("id", "social"): {"day_part": "Kami kabari lagi paling lambat {when} ya.",
                       "when_done": "Kami kabari lagi begitu selesai ya."},
    ("tl", "email"): {"day_part": "Magbibigay po kami ng update {when}.",
                      "when_done": "Sasabihan po namin kayo agad kapag tapos na."},
    ("tl", "social"): {"day_part": "Magbibigay po kami ng update {when}.",
                       "when_done": "Sasabihan po namin kayo agad kapag tapos na."},
}
OWN_THE_WAIT = frozenset({"follow_up", "refund"})
"""Situations whose templates already apologise for the wait ("sorry you've had to write to
us again", "sorry you're still waiting for your refund"): their overdue promise comes without
a second apology. Not ``still_open``: its "sorry this still isn't resolved" is about the
problem, not about our late reply."""
LATE_IN_TEMPLATE: dict[tuple[str, str, str, str], str] = {
    ("holding", "complaint", "email", "id"): "serta keterlambatan balasan kami",
    ("holding", "complaint", "email", "vi"): "cũng như sự chậm trễ trong việc trả lời",
}
"""``(situation, category, channel, language)`` whose template says sorry for the late reply
itself when the message is overdue (``{% if overdue %}``), merged into its own apology, and
the words it says it with. The holding e-mail of a complaint ends its first paragraph with
"kami mohon maaf atas ketidaknyamanannya" / "thành thật xin lỗi vì sự bất tiện này", just
before the promise; the late-reply apology opening the promise repeated "mohon maaf" / "xin
lỗi" back to back, so the Indonesian and Vietnamese proof-readers merged the two ("... atas
ketidaknyamanan ini serta keterlambatan balasan kami"). English and Tagalog keep both
sentences: different words, and the late one sits by the new time, as their readers chose."""


def apologises_late(situation: str, category: str, channel: str, language: str,
                    text: str | None = None) -> bool:
    """True when an overdue draft's promise opens with the apology for the late reply: not
    when the template owns the wait (:data:`OWN_THE_WAIT`), nor when the template says it
    itself (:data:`LATE_IN_TEMPLATE`). ``text``, a draft shown again later: one written on
    time has not said it, so its refreshed promise does (both apologies, as in English)."""
    if situation in OWN_THE_WAIT:
        return False
    said = LATE_IN_TEMPLATE.get((situation, category, channel, language))
    if said is None:
        return True
    return text is not None and said not in text


# the apology an overdue message's day-part promise opens with
_LATE: dict[tuple[str, str], str] = {
    ("en", "email"): "Apologies for the late reply.",
    ("en", "social"): "Sorry for the late reply.",
    ("vi", "email"): "Chúng tôi xin lỗi vì đã trả lời chậm.",
    ("vi", "social"): "Bên em xin lỗi vì đã trả lời chậm ạ.",
    ("id", "email"): "Mohon maaf atas keterlambatan balasan kami.",
    ("id", "social"): "Maaf sudah membuat Kakak menunggu lama.",
    ("tl", "email"): "Paumanhin po at natagalan ang aming sagot.",
    ("tl", "social"): "Sorry po sa late reply.",
}
# words that make the next time or date a promise ("by Friday", "trước ngày 4/12")
_PROMISE_WORDS = {
    "en": r"by|before|until|no later than|within",
    "vi": r"trước|chậm nhất(?: vào| là)?|trong|vào|đến|tới|truoc|cham nhat",
    "id": r"paling lambat|sebelum|hingga|sampai|pada",
    "tl": r"bago|hanggang|sa",
}
_TOMORROW = {"en": r"tomorrow", "vi": r"ngày mai|ngay mai|mai",
             "id": r"besok", "tl": r"bukas"}


def _lang(language: str) -> str:
    return language if language in _WHEN else "en"


@dataclass(frozen=True)
class Promise:
    """A promise as the customer reads it; ``str()`` gives the sentence ('' for none)."""

    kind: PromiseKind
    when: str = ""
    """The day part in words (``this afternoon``, ``trong chiều mai``), '' unless day_part."""
    sentence: str = ""
    """The whole sentence, e.g. ``We'll get back to you this afternoon.``"""
    until: datetime | None = None
    """The end of the promised day part, aware, in the customer's zone (day_part only)."""
    reasons: tuple[str, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return self.sentence

    def __bool__(self) -> bool:
        return self.kind != "none"


def round_to_day_part(target: datetime) -> tuple[datetime, str]:
    """Return the end of the day part ``target`` (aware, local) falls in, and its name.

    A target in the night (21:00 to 06:00) rounds to the end of the next morning.
    """
    t = target.timetz().replace(tzinfo=None)
    day = target
    if t >= _PART_END["evening"]:
        day = target + timedelta(days=1)
        name = "morning"
    elif t < DAY_PARTS[0][1]:
        name = "morning"
    else:
        name = next(n for n, start, end in DAY_PARTS if start <= t < end)
    end = _PART_END[name]
    until = day.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return until, name


def day_part_words(until: datetime, part: str, now_local: datetime, language: str) -> str:
    """Return ``this afternoon`` / ``tomorrow morning`` / ``on Monday evening`` in
    ``language`` for the day part ``part`` ending at ``until`` (both local)."""
    lang = _lang(language)
    days = (until.date() - now_local.date()).days
    form = _WHEN[lang][0 if days <= 0 else 1 if days == 1 else 2]
    return form.format(p=_PARTS[lang][part], d=_WEEKDAYS[lang][until.weekday()])


def promise_for(policy: PromisePolicy, now: datetime, tz: ZoneInfo, language: str,
                channel: str = "email", *, overdue: bool = False,
                apologise: bool = True) -> Promise:
    """Return what a draft written at ``now`` (aware) may promise under ``policy``.

    The words are in ``language`` (English for a language without its own words) and the
    register of ``channel``; the time is in ``tz``. ``overdue``: the message is past its
    first-response deadline, so a day-part promise leaves only :data:`OVERDUE_LEAD` of work
    and (with ``apologise``) opens with an apology for the wait.
    """
    lang = _lang(language)
    key = (lang, channel) if (lang, channel) in _SENTENCES else (lang, "email")
    sentences = _SENTENCES[key]
    if policy.kind == "none":
        return Promise("none")
    if policy.kind == "when_done":
        return Promise("when_done", sentence=sentences["when_done"])
    within = min(policy.within, OVERDUE_LEAD) if overdue else policy.within
    now_local = now.astimezone(tz)
    until, part = round_to_day_part(now_local + within)
    when = day_part_words(until, part, now_local, lang)
    sentence = sentences["day_part"].format(when=when)
    if overdue and apologise:
        sentence = f"{_LATE[key]} {sentence}"
    return Promise("day_part", when=when, sentence=sentence, until=until)


def is_overdue(due_at: datetime | None, now: datetime) -> bool:
    """True when a message with first-response deadline ``due_at`` is past it at ``now``."""
    return due_at is not None and due_at <= now


# --------------------------------------------------------------- refresh and warnings

def _when_pattern(lang: str) -> str:
    parts = "|".join(re.escape(p) for p in _PARTS[lang].values())
    days = "|".join(re.escape(d) for d in _WEEKDAYS[lang])
    alts = [re.escape(f).replace(re.escape("{p}"), f"(?:{parts})")
            .replace(re.escape("{d}"), f"(?:{days})") for f in _WHEN[lang]]
    return "|".join(alts)


# earlier wordings of a day-part sentence, still found (and replaced) in drafts stored before
# they changed: "phản hồi lại" said "back" twice
_OLD_HEADS: dict[tuple[str, str], tuple[str, ...]] = {
    ("vi", "email"): ("Chúng tôi sẽ phản hồi lại ",),
    ("vi", "social"): ("Bên em sẽ phản hồi lại ",),
}


def _sentence_pattern(lang: str, channel: str) -> re.Pattern[str]:
    """The day-part sentence of ``lang`` and ``channel`` in any of its forms, with the
    overdue apology in front of it or not."""
    key = (lang, channel) if (lang, channel) in _SENTENCES else (lang, "email")
    head, _, tail = _SENTENCES[key]["day_part"].partition("{when}")
    heads = "|".join(re.escape(h) for h in (head, *_OLD_HEADS.get(key, ())))
    late = f"(?:{re.escape(_LATE[key])} )?"
    return re.compile(f"{late}(?:{heads})(?:{_when_pattern(lang)})" + re.escape(tail))


@dataclass(frozen=True)
class Refreshed:
    """The result of :func:`refresh_promise`."""

    text: str
    changed: bool
    promise: Promise
    warnings: list[str]


def refresh_promise(text: str, policy: PromisePolicy, now: datetime, tz: ZoneInfo,
                    language: str, channel: str = "email", *, overdue: bool = False,
                    apologise: bool = True) -> Refreshed:
    """Say the draft's day-part promise anew as of ``now``; warn about any time already past.

    Finds the promise sentence this module wrote (in any of its day-part forms) and replaces
    it with the one :func:`promise_for` gives now; text an agent wrote is never rewritten. Then
    :func:`stated_time_warnings` looks at the result. Call it when a draft is opened and again
    when it is approved. ``overdue`` and ``apologise`` as for :func:`promise_for`: a draft
    written on time and opened after the deadline gets the apology and the near promise.
    """
    lang = _lang(language)
    promise = promise_for(policy, now, tz, lang, channel, overdue=overdue, apologise=apologise)
    new = text
    if promise.kind == "day_part":
        new = _sentence_pattern(lang, channel).sub(lambda _m: promise.sentence, text)
    return Refreshed(new, new != text, promise, stated_time_warnings(new, lang, now, tz))


_AMPM = r"(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\s*(?P<ap>[ap]\.?m\.?)"
_HHMM = r"(?P<h2>[01]?\d|2[0-3]){sep}(?P<m2>[0-5]\d)"
_CLOCK = {
    "en": f"{_AMPM}|{_HHMM.format(sep=':')}",
    "vi": (r"(?:lúc|luc|trước|truoc|vào|vao|đến|den)\s+(?P<h>\d{1,2})\s*(?:h|g|giờ|gio)"
           r"\s*(?P<m>[0-5]\d)?(?!\w)|" + _HHMM.format(sep="[:.]")),
    "id": (r"(?:pukul|jam|pkl\.?)\s*(?P<h>\d{1,2})(?:[.:](?P<m>[0-5]\d))?|"
           + _HHMM.format(sep="[.:]")),
    "tl": f"{_AMPM}|{_HHMM.format(sep=':')}",
}
_NUMBER_AROUND = re.compile(r"[\d.,:]")
_AFTERNOON = {"vi": r"\s*(?:chiều|chieu|tối|toi)", "id": r"\s*(?:siang|sore|malam)",
              "tl": r"\s*(?:ng\s+)?(?:hapon|gabi)"}


def stated_time_warnings(text: str, language: str, now: datetime, tz: ZoneInfo) -> list[str]:
    """Return warnings for each time ``text`` states that is already past at ``now``.

    Looks for today's day parts ("this afternoon", "chiều nay", "sore ini", "ngayong hapon")
    whose end has passed, clock times today ("by 3pm", "trước 15h hôm nay", "pukul 15.00"),
    and dates after a promise word ("by 4 December", "paling lambat 5 Desember") before
    today. A clock time on "tomorrow" or next to a later date is fine.
    """
    from triage.drafting.extract import extract_dates

    lang = _lang(language)
    now_local = now.astimezone(tz)
    out: list[str] = []
    low = text.lower()
    for part, word in _PARTS[lang].items():
        phrase = _WHEN[lang][0].format(p=word).lower()
        if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", low) and \
                now_local.time() >= _PART_END[part]:
            out.append(f"the draft says {phrase!r}, but it is already "
                       f"{now_local:%H:%M} ({tz.key}) for the customer")
    for m in re.finditer(_CLOCK[lang], text, re.IGNORECASE):
        start, end = m.span()
        if (start and _NUMBER_AROUND.match(text[start - 1])) or \
                re.match(r"[.,:]?\d", text[end:end + 2]):
            continue  # part of an amount, a version or a date
        hour = int(m.group("h") or m.group("h2"))
        minute = int(m.group("m") or m.group("m2") or 0)
        ap = (m.groupdict().get("ap") or "").lower().replace(".", "")
        if ap == "pm" and hour < 12:
            hour += 12
        elif ap == "am" and hour == 12:
            hour = 0
        if not ap and hour < 12 and re.match(_AFTERNOON.get(lang, "$^"), low[end:end + 12]):
            hour += 12  # "3h chiều", "jam 3 sore", "3 ng hapon"
        if hour > 23:
            continue
        around = low[max(0, start - 40):end + 40]
        if re.search(rf"(?<!\w)(?:{_TOMORROW[lang]})(?!\w)", around):
            continue
        dates = extract_dates(text[max(0, start - 25):end + 15])
        if dates and any((d.month, d.day) != (now_local.month, now_local.day) for d in dates):
            continue  # a time on another day; past dates are caught below
        if (hour, minute) <= (now_local.hour, now_local.minute):
            out.append(f"the draft states {m.group(0).strip()!r} today, but it is already "
                       f"{now_local:%H:%M} ({tz.key}) for the customer")
    words = _PROMISE_WORDS[lang]
    for d in extract_dates(text):
        i = text.find(d.text)
        before = low[max(0, i - 45):i]
        if not re.search(rf"(?<!\w)(?:{words})\W+(?:[\w:.]+\W+){{0,4}}$", before):
            continue
        year = d.year or now_local.year
        try:
            when = now_local.replace(year=year, month=d.month, day=d.day)
            if d.year is None and (now_local - when).days > 180:
                when = when.replace(year=year + 1)  # "by 2 January", written in December
        except ValueError:
            continue
        if when.date() < now_local.date():
            out.append(f"the draft promises {d.text!r}, a date already past "
                       f"(today is {now_local:%d %B %Y} for the customer)")
    return out
