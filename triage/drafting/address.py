"""How to address the customer: an honorific only where the customer gave one.

Support in Southeast Asia addresses people with an honorific (Bapak/Ibu, anh/chị, Sir/Ma'am),
and getting it wrong, or printing a machine-made "anh/chị Lan" or "Bapak/Ibu Siti", reads
worse than leaving the name out. :func:`find_address` takes the honorific from what the
customer wrote:

* the display name ("Ibu Siti Rahma", "Mr. Tan", "Chị Lan", "Ma'am Joy");
* the sign-off at the end of the message ("Salam, Ibu Siti", "- chị Lan", "Mrs. Reyes");
* a Vietnamese full name's middle name: "Văn" is a man's (anh), "Thị" a woman's (chị);
* a Vietnamese customer speaking of themselves as "chị"/"anh" ("chị đặt đơn hôm qua").

The capitalised "Anh" in a display name is a given name as often as it is "brother", so it is
never read as an honorific; neither is "Chi" without its accent.

:func:`salutation` and :func:`you_word` then give the template the words for the greeting and
for "you" in the language and channel's register (see docs/templates.md, style guide).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from triage.drafting.context import _VI_SURNAMES, _plain, first_name_guess
from triage.drafting.rule_literals import case_view

_HONORIFICS = {
    # token as written (folded, no dots) -> (language family, canonical form)
    "mr": "Mr", "mrs": "Mrs", "ms": "Ms", "miss": "Ms", "dr": "Dr",
    "bapak": "Bapak", "bpk": "Bapak", "pak": "Bapak", "ibu": "Ibu", "bu": "Ibu",
    "ny": "Ibu", "nyonya": "Ibu",
    "sir": "Sir", "maam": "Ma'am", "mam": "Ma'am", "madam": "Ma'am", "madame": "Ma'am",
}
# Vietnamese honorifics are read only with their accents (chị, cô, chú) or lowercase (anh)
_VI_HONORIFICS = {"chị": "chị", "cô": "cô", "chú": "chú", "anh": "anh", "bác": "bác"}
_PRONOUN_NAMES = frozenset(["anh", "em", "chi", "co", "chu", "bac", "ong", "ba", "ban"])
_VI_MALE_MIDDLE = frozenset({"van"})
_VI_FEMALE_MIDDLE = frozenset({"thi"})
_SELF_VERBS = ("đặt|mua|đã đặt|đã mua|đã chuyển|đã thanh toán|đã trả|chuyển khoản|thanh toán|"
               "nhận được|chưa nhận|vừa nhận|vừa đặt|vừa mua|dat|mua|da dat|da mua|da chuyen|"
               "da thanh toan|chua nhan|vua nhan")
_VI_SELF = re.compile(
    rf"(?:^|[.!?\n]\s*|,\s*)(?P<h>chị|anh|chi)\s+(?:{_SELF_VERBS})\b", re.IGNORECASE)
_VI_SELF_AT = re.compile(rf"(?P<h>chị|anh|chi)\s+(?:{_SELF_VERBS})\b", re.IGNORECASE)
""":data:`_VI_SELF` from its pronoun on (matched where the pronoun may start)."""
_VI_SELF_WORDS = ("anh", "chi", "chị")
"""The pronouns of :data:`_VI_SELF` as :func:`case_view` shows them (tests check the list)."""
_NAME_WORD = r"[A-ZÀ-ỸĐ][\w'’-]+"
_SIGN_OFF = re.compile(
    rf"^\s*(?:[-–—~]\s*)?(?:(?:regards|best|thanks|thank you|salam|hormat saya|terima kasih"
    rf"|trân trọng|tran trong|thân|than|cảm ơn|cam on|salamat(?: po)?)\s*[,:]?\s*)?"
    rf"(?P<h>mr\.?|mrs\.?|ms\.?|miss|dr\.?|bapak|bpk\.?|pak|ibu|bu|ny\.?|sir|ma'?am|mam|madam"
    rf"|chị|cô|chú|anh|bác)\s+(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,3}})\s*[.!]?\s*$",
    re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Address:
    """How the customer may be addressed: an honorific (canonical: ``Ibu``, ``chị``, ``Mr``,
    ``Ma'am``; '' when none was given), the name to go with it, and where it came from."""

    honorific: str = ""
    name: str = ""
    source: str = ""

    @property
    def female(self) -> bool | None:
        """True/False when the honorific says so, None when it does not (Dr, '')."""
        if self.honorific in ("Ibu", "Mrs", "Ms", "Ma'am", "chị", "cô"):
            return True
        if self.honorific in ("Bapak", "Mr", "Sir", "anh", "chú"):
            return False
        return None


def _canonical(token: str) -> str:
    raw = unicodedata.normalize("NFC", token.strip(".,"))
    if raw in _VI_HONORIFICS and (raw != "anh"):
        return _VI_HONORIFICS[raw]
    if raw.lower() in ("chị", "cô", "chú", "bác"):
        return raw.lower()
    if raw == "anh":  # lowercase only: "Anh" is also a given name
        return "anh"
    key = _plain(raw).replace("'", "").replace("’", "")
    return _HONORIFICS.get(key, "")


def _vi_given(tokens: list[str]) -> str:
    """The name a Vietnamese speaker uses after an honorific: the last word, or the last two
    when the last is also a pronoun ("Minh Anh", not "Anh")."""
    if not tokens:
        return ""
    if _plain(tokens[-1]) in _PRONOUN_NAMES and len(tokens) >= 2:
        return " ".join(tokens[-2:])
    if _plain(tokens[-1]) in _PRONOUN_NAMES:
        return ""
    return tokens[-1]


def _from_words(words: list[str], source: str) -> Address | None:
    if not words:
        return None
    hon = _canonical(words[0])
    if not hon:
        return None
    rest = [w for w in words[1:] if any(ch.isalpha() for ch in w)]
    if hon in ("anh", "chị", "cô", "chú", "bác"):
        rest = rest[1:] if len(rest) >= 2 and _plain(rest[0]) in _VI_SURNAMES else rest
        return Address(hon, _vi_given(rest), source)
    if hon in ("Mr", "Mrs", "Ms", "Dr"):
        # "Mr Tan" or "Mr. John Tan": the English way is the family name after the title
        name = rest[-1] if rest else ""
        return Address(hon, name.strip(".,"), source)
    name = first_name_guess(" ".join(rest)) if rest else ""
    return Address(hon, name, source)


@lru_cache(maxsize=4096)
def _by_name(display_name: str) -> tuple[str, Address | None, Address | None]:
    """What :func:`find_address` reads from the display name alone: the name, the address it
    gives, and the one a Vietnamese middle name gives (None: none). Cached: a mailbox's
    senders write again and again."""
    name = " ".join(unicodedata.normalize("NFC", display_name).split())
    words = [w for w in re.split(r"\s+", name) if w]
    found = _from_words(words, "display name")
    plain = [_plain(w) for w in words]
    middle = None
    if len(words) >= 3 and plain[0] in _VI_SURNAMES and not any("@" in w for w in words):
        middle_words = set(plain[1:-1])
        given = _vi_given([w for w, p in zip(words[1:], plain[1:], strict=True)
                           if p not in _VI_MALE_MIDDLE | _VI_FEMALE_MIDDLE])
        if middle_words & _VI_FEMALE_MIDDLE:
            middle = Address("chị", given, "middle name")
        elif middle_words & _VI_MALE_MIDDLE:
            middle = Address("anh", given, "middle name")
    return name, found, middle


def last_lines(text: str, count: int) -> list[str]:
    """Return the last ``count`` lines of ``text`` that are not blank, as
    ``[ln for ln in text.splitlines() if ln.strip()][-count:]`` does, splitting only the end
    of a long text (#19: a draft looked at every line of the mail for three)."""
    size = 512
    while size < len(text):
        # the chunk's first line may be cut: only the lines after its first break are whole
        lines = text[-size:].splitlines()[1:]
        found = [ln for ln in lines if ln.strip()]
        if len(found) >= count:
            return found[-count:]
        size *= 4
    return [ln for ln in text.splitlines() if ln.strip()][-count:]


def sign_offs(tail: str) -> Iterator[re.Match[str]]:
    """``_SIGN_OFF.finditer(tail)``, trying the pattern only where a line starts: every
    match starts there (its ``^``), and ``finditer`` tried it at every character (#19: ~8 us
    a draft on a 160-character tail, a third of finding the address)."""
    at, end = 0, 0
    while at >= 0:
        if at >= end:
            found = _SIGN_OFF.match(tail, at)
            if found is not None:
                yield found
                end = found.end()
        at = tail.find("\n", at)
        if at >= 0:
            at += 1


def _after_break(text: str, at: int) -> bool:
    """Whether :data:`_VI_SELF`'s lead ``(?:^|[.!?\\n]\\s*|,\\s*)`` can end at ``at``: the
    text starts there, or only whitespace stands between ``at`` and a newline or one of
    ``.!?,`` before it."""
    if at == 0:
        return True
    q = at - 1
    while q >= 0 and text[q].isspace():  # ``\s`` is ``str.isspace`` for str patterns
        if text[q] == "\n":
            return True
        q -= 1
    return q >= 0 and text[q] in ".!?,"


def self_reference(text: str) -> str | None:
    """The pronoun of ``_VI_SELF.search(text)`` ("chị đặt đơn hôm qua"), or None.

    Tried only where a pronoun occurs in the text's :func:`case_view` after a break (#19:
    the search tried its lead at every character of a Vietnamese mail, ~16 us): the match
    that starts first is the one whose pronoun comes first, as the whitespace between a
    break and its pronoun holds no other pronoun."""
    view = case_view(text)
    starts: set[int] = set()
    for word in _VI_SELF_WORDS:
        at = view.find(word)
        while at >= 0:
            starts.add(at)
            at = view.find(word, at + 1)
    for at in sorted(starts):
        if _after_break(text, at):
            found = _VI_SELF_AT.match(text, at)
            if found is not None:
                return found.group("h")
    return None


def find_address(display_name: str, text: str = "", language: str = "") -> Address:
    """Return how to address the customer, from their display name, sign-off and words.

    Returns an empty :class:`Address` when the customer gave no honorific.
    """
    name, found, middle = _by_name(display_name or "")
    if found:
        return found
    tail = "\n".join(last_lines((text or "").strip(), 3))
    for m in sign_offs(tail):
        found = _from_words([m.group("h"), *m.group("name").split()], "sign-off")
        if found:
            return found
    if middle is not None:
        return middle
    if language == "vi" and text:
        pronoun = self_reference(text)
        if pronoun is not None:
            hon = "chị" if _plain(pronoun) == "chi" else "anh"
            given = first_name_guess(name) if name else ""
            return Address(hon, given, "self-reference")
    return Address()


@lru_cache(maxsize=4096)  # a mailbox's senders write again and again
def known_name(display_name: str) -> str:
    """Return the customer's name as they wrote it, without honorifics, when it is safe to
    greet with (:func:`first_name_guess` finds a given name in it), else ''.

    At most four words; a name written all in capitals or all in lower case is capitalised
    ("PHAM QUOC HUY" -> "Pham Quoc Huy").
    """
    if not first_name_guess(display_name or ""):
        return ""
    tokens = [t.strip(".,") for t in unicodedata.normalize("NFC", display_name).split()]
    tokens = [t for t in tokens if t and any(ch.isalpha() for ch in t)]
    while tokens and _canonical(tokens[0]):
        tokens = tokens[1:]
    if not tokens or len(tokens) > 4:
        return ""
    return " ".join(t[:1].upper() + t[1:].lower() if t.isupper() or t.islower() else t
                    for t in tokens)


def salutation(address: Address, first_name: str, language: str, channel: str,
               full_name: str = "") -> str:
    """Return the name to greet with, honorific included where one was given, or ''.

    ``Ibu Siti`` / ``Kak Siti`` (Indonesian email / social), ``chị Lan``, ``Ma'am Joy``,
    ``Mr Tan``, ``Ann``. Never a slash form: without an honorific, a Vietnamese e-mail greets
    with "Quý khách" and the full name (``Quý khách Phạm Quốc Huy``, the formula of Vietnamese
    banks and shops; a chat says plain "Quý khách": "Quý khách Huy", the formal word before a
    bare given name, is not what an agent types) and Indonesian email with the gender-neutral
    "Kak" and the first name (``Kak Siti``, as Indonesian consumer support writes; the body
    then says "Kakak", :func:`you_word`), only when ``first_name`` found one (never "Kak Tan"
    for "Tan Wei Ling"); ``full_name`` is the name as written (:func:`known_name`), '' when
    it is not known, and then they greet without a name (the template says "Quý khách",
    "Bapak/Ibu").
    """
    hon, name = address.honorific, address.name
    if language == "vi":
        if hon in ("anh", "chị", "cô", "chú", "bác"):
            return f"{hon} {name}".strip()
        return f"Quý khách {full_name}" if full_name and channel == "email" else ""
    if language == "id":
        if channel == "social":
            return f"Kak {first_name or name}".strip() if (first_name or name) else ""
        if hon in ("Bapak", "Ibu"):
            return f"{hon} {name}".strip()
        if hon in ("Mr", "Sir"):
            return f"Bapak {name}".strip()
        if hon in ("Mrs", "Ms", "Ma'am"):
            return f"Ibu {name}".strip()
        return f"Kak {first_name}" if first_name else ""
    if language == "tl":
        if hon in ("Sir", "Ma'am") and (name or first_name):
            return f"{hon} {name or first_name}"
        if hon in ("Mr", "Mrs", "Ms", "Dr") and name:
            return f"{hon}. {name}"
        return first_name
    if hon in ("Mr", "Mrs", "Ms", "Dr") and name and first_name in ("", name):
        return f"{hon} {name}"  # "Mr Tan", as the customer signed
    return first_name


def you_word(address: Address, language: str, channel: str, first_name: str = "") -> str:
    """Return "you" in the register of ``language`` and ``channel``.

    Vietnamese: the honorific the customer gave, else "Quý khách" in email and on social
    (never the slash form "anh/chị", which reads machine-made, and never "bạn", which reads
    as careless to an upset customer); Indonesian: "Ibu" / "Bapak" when known, else in email
    "Kakak" when ``first_name`` is known (the same condition as :func:`salutation`'s: the
    greeting said "Kak Siti") and "Bapak/Ibu" when it is not, and "Kak" on social; Tagalog
    "kayo"; English "you".
    """
    hon = address.honorific
    if language == "vi":
        if hon in ("anh", "chị", "cô", "chú", "bác"):
            return hon
        return "Quý khách"
    if language == "id":
        if channel == "social":
            return "Kak"
        if hon in ("Bapak", "Mr", "Sir"):
            return "Bapak"
        if hon in ("Ibu", "Mrs", "Ms", "Ma'am"):
            return "Ibu"
        return "Kakak" if first_name else "Bapak/Ibu"
    if language == "tl":
        return "kayo"
    return "you"
