"""Priority of a message: its category's starting priority, raised by signals the admin sets.

Signals: a VIP sender or domain (high), outage words in the subject or text (urgent), and a
customer writing again and again in a thread we have not answered (high). A priority is only
ever raised by a signal, never lowered.

Outage words match whole words only: "sập" folded is "sap", which is inside "disappointed"
and is also the folded form of Vietnamese "sắp" ("about to"), so a bare substring test made
every disappointed complaint urgent. A single word with accents ("sập") is matched with its
accents, as written; a word without accents, and any phrase ("bị sập", "mất kết nối"), with
case and accents ignored, so unaccented Vietnamese ("he thong bi sap") still matches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from triage.config import PRIORITIES, DeadlineSettings

_MARKS = re.compile("[" + "".join(re.escape(chr(i)) for i in range(0x300, 0x10000)
                                  if unicodedata.combining(chr(i))) + "]+")
"""The combining marks of the Basic Multilingual Plane (none lies below U+0300)."""


_SUFFIX = "(?:s|nya)?"
"""Endings that keep the word: an English plural ("outages") and the Indonesian clitic
written onto the noun ("gangguannya")."""


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Mất kết nối" -> "mat ket noi").

    Every character with a combining class is dropped from the NFKD form; ASCII text is
    returned lower-cased at once, and the marks are removed with one pattern, not a test per
    character (#19: a tenth of the deadline stage's CPU per message)."""
    text = text.lower().replace("đ", "d")
    if text.isascii():
        return text
    out = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    if out.isascii() or max(out) <= "\uffff":
        return out
    return "".join(c for c in out if not unicodedata.combining(c))  # marks beyond the BMP


@dataclass(frozen=True)
class PriorityDecision:
    """A priority and the reasons for it (shown to agents and in webhooks)."""

    priority: str
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _raise_to(current: str, at_least: str) -> str:
    return max(current, at_least, key=PRIORITIES.index)


@dataclass(frozen=True)
class OutageWord:
    """One of ``outage_words``: shown as ``word`` in reasons, found by ``pattern`` in the
    folded text (``exact`` false) or in the lower-cased text as written (``exact`` true)."""

    word: str
    pattern: re.Pattern[str]
    exact: bool
    needle: str
    """The folded longest word: a plain substring test on the folded text rules most messages
    out before the pattern runs (a pattern search per word over every mail cost 1.2 CPU s
    per 10,000-mail burst)."""

    @classmethod
    def of(cls, raw: str) -> OutageWord | None:
        """Return the matcher of a configured word (None for a blank one)."""
        written = unicodedata.normalize("NFC", raw.strip().lower())
        if not written:
            return None
        folded = fold(written).strip()
        exact = folded != written and len(written.split()) == 1
        word = written if exact else folded
        body = r"\s+".join(re.escape(part) for part in word.split())
        return cls(word, re.compile(rf"(?<!\w){body}{_SUFFIX}(?!\w)"), exact,
                   max(folded.split(), key=len))


class Prioritizer:
    """Decides a message's priority from ``[deadlines]`` settings."""

    def __init__(self, settings: DeadlineSettings) -> None:
        self.settings = settings
        self._vips = {v.strip().lower().lstrip("@") for v in settings.vip_senders}
        self._domains = {d.strip().lower().lstrip("@") for d in settings.vip_domains}
        self._words = [w for w in map(OutageWord.of, settings.outage_words) if w is not None]

    def decide(self, category: str, sender: str, subject: str, text: str,
               unanswered_in_thread: int = 1) -> PriorityDecision:
        """Return the priority of a message.

        ``unanswered_in_thread`` counts the customer's messages in the thread since our last
        reply, this one included.
        """
        prio = self.settings.category_priority.get(category, "normal")
        reasons = [f"category {category}: {prio}"]
        who = sender.strip().lower().lstrip("@")
        domain = who.rpartition("@")[2] if "@" in who else ""
        if who and who in self._vips:
            prio = _raise_to(prio, "high")
            reasons.append("VIP sender")
        elif domain and (domain in self._domains
                         or any(domain.endswith("." + d) for d in self._domains)):
            prio = _raise_to(prio, "high")
            reasons.append(f"VIP domain {domain}")
        hit = self.outage_word(subject, text)
        if hit:
            prio = _raise_to(prio, "urgent")
            reasons.append(f"outage word {hit!r}")
        limit = self.settings.repeat_contact
        if limit and unanswered_in_thread >= limit:
            prio = _raise_to(prio, "high")
            reasons.append(f"{unanswered_in_thread} messages without our reply")
        return PriorityDecision(prio, tuple(reasons))

    def outage_word(self, subject: str, text: str) -> str | None:
        """Return the first of ``outage_words`` in ``subject`` or ``text`` (whole words), if any."""
        if not self._words:
            return None
        folded = f"{fold(subject)}\n{fold(text)}"
        written = ""
        for w in self._words:
            if w.needle not in folded:
                continue
            if w.exact and not written:
                written = unicodedata.normalize("NFC", f"{subject}\n{text}".lower())
            if w.pattern.search(written if w.exact else folded):
                return w.word
        return None
