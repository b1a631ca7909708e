"""The style rules a draft can be checked against mechanically (docs/templates.md, style guide).

:func:`lint_draft` looks at a rendered draft and returns what a native support agent of the
market would flag before sending it as is:

* ``slash-name``: a machine-made address next to a name ("anh/chị Lan", "Bapak/Ibu Siti");
* ``subject``: the subject quoted into the text, or ``Re:``/``Fwd:``/the thread token in it;
* ``minute-time``: a time to the minute ("13:19", "pukul 00.08"): promises are day parts;
* ``first-person``: "I", "tôi", "saya", "ko" when no agent signs the draft;
* ``premature``: saying an idea "has been passed on" before anyone did;
* ``dm``: a reply in a private chat (Messenger, Zalo, WhatsApp, Telegram, a Mastodon direct
  post) that asks the customer to "DM us" or not to post in the comments: ask right there;
* register per market: Vietnamese social without "Dạ ... ạ", "bạn" to a customer; Indonesian
  social without "Kak"; Taglish sentences without "po", "pagsabi"/"pagbigay" for
  "pagsasabi"/"pagbibigay", the calque "isa sa aming team"; English without contractions.

``triage templates check`` renders every template and runs this lint on the result; the tests
run it on the drafts of the fixture set and of the demo inbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from triage.drafting.placeholders import MARKER


@dataclass(frozen=True)
class StyleProblem:
    """One rule a draft breaks: its code and what to change."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


_HONORIFIC_SLASH = re.compile(
    r"\b(?:anh/chị|chị/anh|anh/chi|Anh/chị|Bapak/Ibu|Ibu/Bapak|Bpk/Ibu|Mr/Ms|Mr/Mrs|Ms/Mr"
    r"|Sir/Ma'?am|Ma'?am/Sir|Kak/\w+)\s+(?!ạ\b|vui\b|cứ\b|nhắn\b|có\b|không\b|đã\b)"
    r"[A-ZÀ-ỸĐ][\w'-]+")
_VI_SLASH = re.compile(r"\b(?:anh|chị|chi)\s*/\s*(?:chị|anh|chi)\b", re.IGNORECASE)
_TIME = re.compile(r"(?<![\d.,:/])(?:[01]?\d|2[0-3])[:.h][0-5]\d(?![\d])(?![.:,]\d)"
                   r"|\b\d{1,2}:\d{2}\s*[AaPp]\.?[Mm]\b")
_REPLY_MARK = re.compile(r"(?<!\w)(?:Re|RE|Fwd|FWD|Fw|FW|TR|Trả lời)\s*:|\[#T-\d+\]")
_FIRST_PERSON = {
    "en": re.compile(r"\b(?:I|I'm|I'll|I've|I'd|me|my|mine|myself)\b"),
    "vi": re.compile(r"(?<!chúng )(?<!Chúng )\btôi\b|(?<!chúng )(?<!Chúng )(?<!bên )\bmình\b"
                     r"|(?<!bên )(?<!Bên )\bem\b(?! ơi)", re.IGNORECASE),
    "id": re.compile(r"\b(?:saya|aku|gue|gw)\b", re.IGNORECASE),
    "tl": re.compile(r"\b(?:ako|ko|akin|ko'y|aking)\b", re.IGNORECASE),
}
_PREMATURE = re.compile(
    r"(?:has been|have been|we've|we have) (?:passed|forwarded|sent) (?:it )?on"
    r"|passed it on|đã chuyển (?:ý tưởng|góp ý)|sudah kami teruskan|telah kami teruskan"
    r"|naipasa na", re.IGNORECASE)
_UNCONTRACTED = re.compile(
    r"\b(?:we will|we are|we have|you are|you will|do not|does not|did not|cannot|can not"
    r"|(?<![Ww]here )(?<![Ww]hat )it is|that is|is not|are not|will not|I am|I will|let us"
    r"|you have|we would|there is)\b")
_TL_MARKERS = frozenset((
    "ang", "ng", "sa", "namin", "kami", "kayo", "ninyo", "inyo", "inyong", "ito", "para", "mga",
    "lang", "lamang", "ay", "din", "rin", "ba", "nang", "kung", "hindi", "wala", "walang", "may",
    "natin", "niyo", "nyo", "salamat", "pasensya", "paki", "kapag"))
_TL_SLIPS = {
    "pagsabi ": "write 'pagsasabi' (the gerund repeats the first syllable)",
    "pagbigay ": "write 'pagbibigay'",
    "isa sa aming team": "a calque of 'one of our team'; write 'ang aming team'",
    "isa sa aming mga team": "a calque; write 'ang aming team'",
}
_DM_ASK = re.compile(
    r"\bDM\b|(?i:direct message|nhắn tin riêng|tin nhắn riêng|\binbox\b|pesan langsung"
    r"|kolom komentar|i-post dito)")
"""What sends a customer to a private chat (en, vi, id, tl): wrong inside one."""
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def _without_markers(text: str) -> str:
    return MARKER.sub(" ", text)


def _tagalog_sentences_without_po(text: str) -> list[str]:
    out = []
    for sentence in _SENTENCE_SPLIT.split(_without_markers(text)):
        s = sentence.strip()
        if not s or s.startswith("-") or s.startswith("Reference number") or s.endswith(":"):
            continue
        words = re.findall(r"[\w'-]+", s.lower())
        if len(words) < 3 or not (set(words) & _TL_MARKERS):
            continue
        if "po" not in words and "opo" not in words and "ho" not in words:
            out.append(s)
    return out


def lint_draft(text: str, *, language: str, channel: str, agent_name: str = "",
               names: Iterable[str] = (), subject: str = "",
               fact_texts: Iterable[str] = (), private: bool = False) -> list[StyleProblem]:
    """Return the style problems of a rendered draft (an empty list when there are none).

    ``names`` are the customer's names the draft may print (to find "anh/chị Lan");
    ``subject`` the message subject (never to be quoted); ``fact_texts`` values taken from
    the message (amounts, versions) whose digits are not times; ``private``: the draft
    answers a private chat, where asking for a DM is wrong.
    """
    problems: list[StyleProblem] = []
    body = _without_markers(text)
    for name in {n for n in names if n and len(n) >= 2}:
        if re.search(rf"[^\s/]+/[^\s/]+\s+{re.escape(name)}\b|\b{re.escape(name)}/", body):
            problems.append(StyleProblem("slash-name", f"a slash form next to the name {name!r}; "
                                         "greet with the honorific the customer gave, or none"))
    m = _HONORIFIC_SLASH.search(body)
    if m:
        problems.append(StyleProblem("slash-name", f"{m.group(0)!r}: a slash form next to a "
                                     "name reads machine-made"))
    clean = subject.strip()
    quoted = re.search(r"[\"“'‘«]\s*" + re.escape(clean) + r"\s*[\"”'’»]", body) if clean else None
    if len(clean) >= 4 and (quoted or (len(clean.split()) >= 5
                                       and clean.lower() in body.lower())):
        problems.append(StyleProblem("subject", "the subject is quoted into the text; say what "
                                     "it is about in your own words"))
    m = _REPLY_MARK.search(body)
    if m:
        problems.append(StyleProblem("subject", f"{m.group(0)!r} in the text: a reply prefix or "
                                     "thread token belongs in the subject line only"))
    timed = body
    for fact in fact_texts:
        if fact:
            timed = timed.replace(fact, " ")
    m = _TIME.search(timed)
    if m:
        problems.append(StyleProblem("minute-time", f"{m.group(0)!r}: promise a day part "
                                     "(this afternoon, tomorrow morning), never a minute"))
    first = _FIRST_PERSON.get(language)
    if first is not None and not agent_name:
        m = first.search(body)
        if m:
            problems.append(StyleProblem("first-person", f"{m.group(0)!r} but no agent signs "
                                         "the draft; write 'we' unless agent_name is set"))
    m = _PREMATURE.search(body)
    if m:
        problems.append(StyleProblem("premature", f"{m.group(0)!r}: do not say it is done "
                                     "before anyone did it; say what we will do"))
    if private and channel == "social":
        m = _DM_ASK.search(body)
        if m:
            problems.append(StyleProblem("dm", f"{m.group(0)!r} in a private chat: the "
                                         "customer is already in one; ask for the details "
                                         "right here ({% if private %})"))
    problems += _register(body, language, channel)
    return problems


def _register(body: str, language: str, channel: str) -> list[StyleProblem]:
    out: list[StyleProblem] = []
    if language == "vi":
        if re.search(r"\bbạn\b", body, re.IGNORECASE):
            out.append(StyleProblem("register", "'bạn' to a customer: write the honorific "
                                    "the customer gave, else 'Quý khách'"))
        if _VI_SLASH.search(body):
            out.append(StyleProblem("register", "'anh/chị' reads machine-made: write the "
                                    "honorific the customer gave, else 'Quý khách'"))
        if channel == "social" and not (body.lstrip().startswith("Dạ") and " ạ" in body):
            out.append(StyleProblem("register", "Vietnamese social replies open with 'Dạ' "
                                    "and end their sentences with 'ạ'"))
    elif language == "id":
        if channel == "social" and "Kak" not in body:
            out.append(StyleProblem("register", "Indonesian social replies address the "
                                    "customer as 'Kak'"))
    elif language == "tl":
        low = body.lower()
        for slip, fix in _TL_SLIPS.items():
            if slip in low:
                out.append(StyleProblem("grammar", f"{slip.strip()!r}: {fix}"))
        for sentence in _tagalog_sentences_without_po(body):
            out.append(StyleProblem("po", f"no 'po' in {sentence[:60]!r}"))
    elif language == "en":
        m = _UNCONTRACTED.search(body)
        if m:
            out.append(StyleProblem("register", f"{m.group(0)!r}: plain English uses "
                                    "contractions (we'll, we're, don't)"))
    return out


def source_problems(source: str) -> list[StyleProblem]:
    """Return what the template source itself shows: the subject quoted into a sentence."""
    if re.search(r"[\"“'‘«]\s*\{\{-?\s*subject\b", source):
        return [StyleProblem("subject", "the template quotes {{ subject }} into the text")]
    return []
