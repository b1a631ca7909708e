"""What a technical-issue message already says: device, operating system, app version, error.

The technical-issue draft asks only for what is missing (domain.md: asking for the same
information again is one of the things that make service bad). Detection is deliberately
simple keyword and pattern matching in English, Vietnamese, Indonesian and Tagalog, with or
without diacritics; it errs towards "not found", which only costs one extra question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from triage.drafting.rule_literals import (
    LiteralIndex,
    case_gate_literals,
    case_prefix_literals,
    case_view,
    matches_from,
)

_DEVICE = re.compile(
    r"\b(?:iphone|ipad|macbook|imac|mac"
    r"|(?:samsung\s+)?galaxy(?=\s+(?:[a-z]{1,2}\d|note|tab|z\s))|samsung"
    r"|xiaomi|redmi|poco(?=\s+\w)|oppo|vivo(?=\s+\w)|realme"
    r"|huawei|(?:google\s+)?pixel|nokia|infinix"
    r"|tecno|oneplus|laptop|desktop|pc|smart\s*tv|tablet)\b",
    re.IGNORECASE,
)
"""Where a device is named: a brand or product line (the model that follows is read by
:func:`_whole_model`) or a kind of device ("laptop")."""
_KINDS = frozenset({"laptop", "desktop", "pc", "smarttv", "tablet"})
# the words of a model name after its brand, in order: product lines ("Redmi Note"), one
# model number ("12", "A54", "Reno8", "13C"), then qualifiers ("Pro Max", "5G", "T")
_SERIES = frozenset(re.findall(
    r"\S+", "galaxy redmi note tab mi poco reno find mate nova hot spark camon pova nord narzo "
    "gt z pixel fold flip"))
_QUALIFIERS = frozenset(re.findall(
    r"\S+", "pro max plus ultra mini lite neo fe se air edge prime turbo 5g 4g xr xs x"))
_MODEL_WORD = re.compile(r"[ \t]+(?P<w>[^\W_]+\+?)(?![\w'’-])")
_MODEL_NUMBER = re.compile(r"[^\W\d_]{0,5}\d{1,4}[^\W\d_]{0,2}\+?", re.ASCII)
_LETTER_QUALIFIERS = frozenset("TSCE")  # "OPPO Reno8 T", written as a capital only


def _whole_model(text: str, found: re.Match[str]) -> str:
    """The device ``found`` names with the rest of its model name ("Xiaomi" -> "Xiaomi Redmi
    Note 12 Pro 5G", "iPhone" -> "iPhone 15 Pro Max", "vivo" -> "vivo Y36"): the product
    lines, one model number and the qualifiers that follow it, and nothing else, so the rest
    of the sentence ("... không nhận được OTP") is never read as part of the name."""
    if "".join(found.group(0).lower().split()) in _KINDS:
        return found.group(0).strip()
    end, numbered, qualified = found.end(), False, False
    while (m := _MODEL_WORD.match(text, end)) is not None:
        word = m.group("w")
        low = word.lower()
        if low in _QUALIFIERS:
            qualified = True
        elif low in _SERIES and not numbered and not qualified:
            pass
        elif _MODEL_NUMBER.fullmatch(word) and not numbered and not qualified \
                and len(word) <= 8:
            numbered = True
        elif numbered and word in _LETTER_QUALIFIERS:
            qualified = True
        else:
            break
        end = m.end()
    return text[found.start():end].strip()


_OS = re.compile(
    r"\b(?:ios\s*\d+(?:\.\d+)*|ios|ipados\s*\d*|android\s*\d+(?:\.\d+)*|android|"
    r"windows\s*(?:\d+|xp|vista)?|macos(?:\s*\d+(?:\.\d+)*)?|mac\s*os|linux|ubuntu|chromeos|"
    r"harmonyos|miui\s*\d*|one\s*ui\s*\d*)\b",
    re.IGNORECASE,
)
_BROWSER = re.compile(
    r"\b(?P<name>chrome|firefox|safari|edge|opera|brave|cốc\s*cốc|coc\s*coc|samsung\s+internet)"
    r"(?:\s*(?:v(?:ersion)?\s*)?(?P<ver>\d+(?:\.\d+)*))?\b",
    re.IGNORECASE,
)
_VERSION = re.compile(
    r"(?:\b(?:app\s+)?(?:version|ver\.?|phiên\s+bản|phien\s+ban|versi|bersyon|build|"
    r"bản|ban)\s*:?\s*v?|(?<![\w.])v)(?P<ver>\d+(?:\.\d+){1,3}|\d{3,})\b",
    re.IGNORECASE,
)
_ERR_WORDS = (r"error|err|lỗi|loi|báo|bao|galat|kesalahan|gagal|mali|says|said|shows|showed|"
              r"message|hiện|hien|hiển\s+thị|hien\s+thi|muncul|keluar|lumalabas|lumabas|"
              r"nakalagay|sabi|ghi")
_QUOTED = re.compile(
    rf"\b(?:{_ERR_WORDS})\b[^\n\"“”'‘’«»]{{0,40}}?(?<!\w)[\"“'‘«](?P<q>[^\"“”'‘’«»\n]{{3,120}})[\"”'’»](?!\w)",
    re.IGNORECASE,
)
_CODE = re.compile(
    r"\b(?:ERR_[A-Z_]{3,}|E[A-Z]*\d{3,5}|(?:error|err|lỗi|loi|kode|code|mã\s+lỗi|ma\s+loi|"
    r"galat|http)\s*(?:code\s*)?[:#]?\s*(?:[A-Z]{1,5}[-_]?)?\d{3,5})\b"
)
_DIGIT = re.compile(r"\d")
_OPEN_QUOTE = re.compile(r"[\"“'‘«]")


_GATES = {p: case_gate_literals(p) for p in (_DEVICE, _OS, _BROWSER, _QUOTED)}
"""Per case-insensitive pattern, the strings it cannot match a text without, as
:func:`~triage.drafting.rule_literals.case_view` shows the text (#19: most messages name no
device, system or browser, and each search costs ~0.02 ms, ~0.05 on Vietnamese text)."""


_STARTS = {p: case_prefix_literals(p) for p in (_DEVICE, _OS, _BROWSER, _QUOTED, _VERSION)}
"""Per case-insensitive pattern, the strings one of which starts each of its matches in the
case view: it is tried only there (#19: the version search tried its alternation at every
character, 0.04 ms a message)."""


_INDEXED = (_DEVICE, _OS, _BROWSER, _QUOTED)
_WORDS = LiteralIndex()
"""The required and start strings of the patterns in :data:`_INDEXED`, found in a text's
case view in one pass (#19: each pattern looked for each of its strings in turn, ~70 scans
of the text a technical draft, about half of detecting its details)."""
for _pattern in _INDEXED:
    _WORDS.add(_GATES[_pattern] or ())
    _WORDS.add(_STARTS[_pattern] or ())


def _search(pattern: re.Pattern[str], text: str, lowered: str,
            present: frozenset[str] | None = None) -> re.Match[str] | None:
    """``pattern.search(text)``, skipped when ``lowered`` (the text's ``case_view``) holds
    none of the pattern's required strings, and tried only where a match can start.
    ``present``: the strings of :data:`_WORDS` that ``lowered`` holds (for a pattern of
    :data:`_INDEXED`; None: look each string up)."""
    words = _GATES.get(pattern)
    if words is not None and (not any(w in lowered for w in words) if present is None
                              else present.isdisjoint(words)):
        return None
    starts = _STARTS[pattern]
    if starts is None:
        return pattern.search(text)
    if present is not None:  # a string the view does not hold starts no match
        starts = tuple(w for w in starts if w in present)
    return next(matches_from(pattern, text, lowered, starts), None)


@dataclass(frozen=True)
class TechDetails:
    """Technical details a message gives; empty strings for what it does not say."""

    device: str = ""
    os: str = ""
    browser: str = ""
    app_version: str = ""
    error_text: str = ""
    screenshot: bool = False
    """An image is attached: we do not ask for the error text or a screenshot again."""

    @property
    def missing(self) -> list[str]:
        """What to ask for, among ``device``, ``app_version``, ``error_text``.

        A device or an operating system is enough for ``device``; an app version or a browser
        is enough for ``app_version`` (a website has no app version to ask for).
        """
        out = []
        if not (self.device or self.os):
            out.append("device")
        if not (self.app_version or self.browser):
            out.append("app_version")
        if not (self.error_text or self.screenshot):
            out.append("error_text")
        return out


def detect_tech_details(text: str, attachment_types: Sequence[str] = ()) -> TechDetails:
    """Return the device, OS, browser, app version and error text that ``text`` mentions;
    ``attachment_types`` (MIME types) tell whether a screenshot came with it."""
    # the text as case-insensitive matching compares it (lower case, "ſ" as "s"): gate on it
    lowered = case_view(text)
    present = _WORDS.present(lowered)
    device = _search(_DEVICE, text, lowered, present)
    os_ = _search(_OS, text, lowered, present)
    browser = _search(_BROWSER, text, lowered, present)
    # versions and error codes hold a digit, a quoted error text an opening quote: skip
    # the scans that cannot match (many messages have neither)
    has_digit = _DIGIT.search(text) is not None
    version = _search(_VERSION, text, lowered) if has_digit else None
    app_version = version.group("ver") if version else ""
    if not app_version and browser and browser.group("ver"):
        app_version = browser.group(0).strip()
    error = ""
    quoted = _search(_QUOTED, text, lowered, present) if _OPEN_QUOTE.search(text) else None
    if quoted:
        error = quoted.group("q").strip()
    elif has_digit:
        code = _CODE.search(text)
        if code:
            error = code.group(0).strip()
    return TechDetails(
        device=_whole_model(text, device) if device else "",
        os=os_.group(0).strip() if os_ else "",
        browser=browser.group("name") if browser else "",
        app_version=app_version,
        error_text=error,
        screenshot=any(t.lower().startswith("image/") for t in attachment_types),
    )
