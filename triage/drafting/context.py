"""The pieces of a draft's template context that need care: names, deadlines, headers.

* :func:`first_name_guess` greets people by their given name only when it is safe to guess
  which word that is (Vietnamese and Chinese names put the family name first).
* :func:`format_deadline` writes a deadline the way the customer would: in their language and
  time zone (Babel's CLDR data for weekday and month names).
* :func:`header_safe` keeps customer text from ever carrying a line break into a header.
* :func:`details_given` tells whether the conversation gave us details, so a draft says
  "we already have the details you sent" only when that is true.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time

from triage.drafting.extract import Facts
from triage.drafting.lazy import Lazy
from triage.drafting.techdetails import TechDetails
from triage.errors import TemplateError
from triage.mail.threads import bare_subject

# --------------------------------------------------------------------- names


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Family names that open a Vietnamese name ("Nguyễn Văn An": the given name is "An").
_VI_SURNAMES = _words(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ngo duong ly dinh doan trinh "
    "truong luong")
# Common Chinese family names in Southeast Asia, written first ("Tan Wei Ming"). A name that
# opens with one is ambiguous ("Lee Ann"), so we greet neutrally.
_ZH_SURNAMES = _words(
    "tan lim lee ng ong goh chua wong teo koh chan lau yeo low foo chew chong cheng lai leong "
    "liew loh seah sim soh tay toh yap yong zhang wang li liu chen yang huang zhao wu zhou")
_HONORIFICS = _words(
    "mr mrs ms miss mx dr prof sir madam mme bpk bapak pak ibu bu kak mas mbak sdr sdri anh "
    "chi em co chu bac ong ba g gng ginoo ginang binibini ate kuya dear")
# Common syllables of Chinese given names: "Wei Ling" is one given name, greeted whole.
_ZH_GIVEN = _words(
    "wei ling mei hui xin jia yi min jun hong ying xiao zhi hao yu qing lin li xiu fang hua "
    "jing yan ting yun zi kai ming hai jie wen shan lan lei rui xuan siew kok beng eng choon "
    "chee soon hock boon")
_MUHAMMAD = _words("muhammad mohammad mohamad muhamad mochamad mochammad moh muh mhd")
_ORG_WORDS = _words(
    "support team admin administrator info service services customer customers cskh shop store "
    "official ltd co inc pt cv corp company noreply no-reply mailer daemon billing sales hr "
    "department group toko cua hang helpdesk help desk notification notifications newsletter "
    "account accounts marketing bot")
_NAME_CLEAN = re.compile(r"[\"“”()\[\]<>{}|*~^`]+")


@lru_cache(maxsize=4096)
def _plain(word: str) -> str:
    """Lowercase ``word`` without diacritics or dots (``Nguyễn`` -> ``nguyen``).

    Cached: a mailbox's names are made of a few thousand words at most.
    """
    w = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in w if not unicodedata.combining(ch)).lower().strip(".")


@lru_cache(maxsize=4096)  # a mailbox's senders write again and again
def first_name_guess(display_name: str) -> str:
    """Return the customer's given name from a display name, or '' when it is not safe.

    Handles "Last, First", honorifics ("Ibu Sari", "Anh Minh"), Vietnamese family-name-first
    names ("Nguyễn Văn An" -> "An", "Linh Nguyen" -> "Linh"), Indonesian "Muhammad Rizki" ->
    "Rizki" and "Ma. Cristina Reyes" -> "Cristina". Returns '' for addresses, handles with
    digits, company or team names, Chinese family-name-first names and anything odd, so the
    template greets neutrally instead of getting the name wrong.
    """
    name = _NAME_CLEAN.sub(" ", unicodedata.normalize("NFC", display_name or "")).strip()
    if not name or "@" in name or "_" in name or any(ch.isdigit() for ch in name):
        return ""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}" if first.strip() else last
    # emoji and decorations around a name are dropped; letters mixed with symbols are not
    tokens = [t for t in name.split() if any(ch.isalpha() for ch in t)]
    if any(_plain(t) in _ORG_WORDS for t in tokens):
        return ""
    while tokens and _plain(tokens[0]) in _HONORIFICS:
        tokens = tokens[1:]
    if not tokens or any(not all(ch.isalpha() or ch in ".-'" for ch in t) for t in tokens):
        return ""
    plain = [_plain(t) for t in tokens]
    if plain[0] in _MUHAMMAD and len(tokens) >= 2:
        tokens, plain = tokens[1:], plain[1:]
    if plain[0] == "ma" and tokens[0].endswith(".") and len(tokens) >= 3:
        tokens, plain = tokens[1:], plain[1:]
    if len(plain[0]) < 2 or tokens[0].endswith("."):
        return ""  # an initial: the next word may well be the family name
    if plain[0] in _VI_SURNAMES:
        if len(tokens) < 2 or plain[-1] in _VI_SURNAMES:
            return ""
        guess = tokens[-1]
    elif plain[0] in _ZH_SURNAMES and len(tokens) >= 2:
        return ""
    elif len(tokens) == 2 and all(p in _ZH_GIVEN for p in plain):
        guess = " ".join(t[:1].upper() + t[1:].lower() for t in tokens)  # "Wei Ling"
    else:
        guess = tokens[0]
    guess = guess.strip(".-'")
    if len(guess) < 2 or len(guess) > 20:
        return ""
    if " " not in guess and (guess.isupper() or guess.islower()):
        guess = guess[:1].upper() + guess[1:].lower()
    return guess


# ------------------------------------------------------------------ headers

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")


def header_safe(value: str, limit: int = 200) -> str:
    """Return ``value`` on one line: line breaks become spaces, control characters go.

    Used for every value that can end up in a header (subject, display name), so customer
    text can never inject a header (CR/LF) however a sender encodes it.
    """
    s = _CONTROL.sub("", _LINE_BREAKS.sub(" ", value or ""))
    return " ".join(s.split())[:limit]


def clean_subject(subject: str) -> str:
    """Return the subject without ``Re:``/``Fwd:`` prefixes (stacked or not) and without our
    thread token ``[#T-12]``, on one line (``triage.mail.threads.bare_subject``, the one list
    of prefixes threading and the classifier use too). For the draft's own use only: templates
    never quote the subject into a sentence (the customer knows what they wrote)."""
    return " ".join(bare_subject(header_safe(subject)).split())


# ---------------------------------------------------------------- deadlines

# How each language writes "when": weekday, date and time as people say them there.
_PATTERNS = {
    "en": "EEEE d MMMM 'at' HH:mm",  # Saturday 21 November at 17:00
    "vi": "HH:mm, EEEE, 'ngày' dd/MM",  # 17:00, Thứ Bảy, ngày 21/11
    "id": "EEEE, d MMMM 'pukul' HH.mm",  # Sabtu, 21 November pukul 17.00
    "tl": "EEEE, MMMM d, h:mm a",  # Sabado, Nobyembre 21, 5:00 PM
}
_BABEL_LOCALE = {"tl": "fil"}


@dataclass(frozen=True)
class Deadline:
    """A deadline as the customer reads it; ``str()`` gives ``text``."""

    text: str
    """Weekday, date, time and zone, e.g. ``Saturday 21 November at 17:00 (GMT+7)``."""
    local: datetime
    """The deadline in the customer's time zone."""
    zone: str
    """The zone's label as used in ``text`` (``GMT+7``, ``WIB``)."""

    def __str__(self) -> str:
        return self.text


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name``; raises TemplateError naming it when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TemplateError(f"unknown time zone {name!r}; use an IANA name such as "
                            "'Asia/Ho_Chi_Minh'") from exc


def _offset_label(local: datetime) -> str:
    off = local.utcoffset() or timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"GMT{sign}{h}" + (f":{m:02d}" if m else "")


@lru_cache(maxsize=1024)
def format_deadline(due_at: datetime, language: str, tz: ZoneInfo) -> Deadline:
    """Return ``due_at`` (aware) in time zone ``tz``, written the ``language`` way.

    Languages without a pattern of their own use Babel's long format for their locale, and
    English when Babel does not know the language either. Cached (the result is immutable
    and depends only on the arguments): messages that arrive outside business hours share
    their deadline, and Babel's formatting is the costliest part of a draft's context.
    """
    local = due_at.astimezone(tz)
    try:
        locale = Locale.parse(_BABEL_LOCALE.get(language, language or "en"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    pattern = _PATTERNS.get(language)
    if pattern is None:
        when = (f"{format_date(local, 'full', locale=locale)} "
                f"{format_time(local, 'short', tzinfo=tz, locale=locale)}")
    else:
        when = format_datetime(local, pattern, tzinfo=tz, locale=locale)
    label = _offset_label(local)
    if language == "id":
        short = format_datetime(local, "z", tzinfo=tz, locale=locale)
        label = short if short.isalpha() else label  # WIB / WITA / WIT
    return Deadline(text=f"{when} ({label})", local=local, zone=label)


# --------------------------------------------------------------------- details


def details_given(facts: Facts | Lazy, tech: TechDetails | Lazy,
                  attachment_types: tuple[str, ...]) -> bool:
    """Return whether the customer sent us details in this message or an earlier one in the
    thread: an attachment (``attachment_types``, of this message and the earlier ones), an
    order, ticket or account number, a phone number or e-mail address (``facts``), or a
    device, system, browser, app version or error text (``tech``). Amounts and dates are
    not details we ask for. ``facts`` and ``tech`` may be the draft's
    :class:`~triage.drafting.lazy.Lazy` values (read only when no attachment decides)."""
    if attachment_types:
        return True
    found = facts.get() if type(facts) is Lazy else facts
    if (found.order_numbers or found.ticket_numbers or found.account_numbers or found.phones
            or found.emails):
        return True
    t = tech.get() if type(tech) is Lazy else tech
    return bool(t.device or t.os or t.browser or t.app_version or t.error_text or t.screenshot)
