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
    r"\b(?:iphone(?:\s*(?:\d{1,2}|se|x[rs]?))?(?:\s*(?:pro\s*max|pro|plus|mini))?|ipad(?:\s*(?:pro|air|mini))?"
    r"|macbook(?:\s*(?:pro|air))?|imac|mac"
    r"|(?:samsung\s+)?galaxy\s+[a-z]\d{1,3}\w*|samsung(?:\s+[a-z]\d{1,3}\w*)?"
    r"|xiaomi(?:\s+\w+)?|redmi(?:\s+\w+)?|poco\s+\w+|oppo(?:\s+\w+)?|vivo\s+\w+|realme(?:\s+\w+)?"
    r"|huawei(?:\s+\w+)?|(?:google\s+)?pixel(?:\s+\d+\w*)?|nokia(?:\s+\w+)?|infinix(?:\s+\w+)?"
    r"|tecno(?:\s+\w+)?|oneplus(?:\s+\w+)?|laptop|desktop|pc|smart\s*tv|tablet)\b",
    re.IGNORECASE,
)
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
        device=device.group(0).strip() if device else "",
        os=os_.group(0).strip() if os_ else "",
        browser=browser.group("name") if browser else "",
        app_version=app_version,
        error_text=error,
        screenshot=any(t.lower().startswith("image/") for t in attachment_types),
    )
