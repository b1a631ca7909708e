"""The keyword rules of :func:`triage.drafting.situations.detect_situation`, per language.

Rules run on folded text (lowercase, no diacritics: "không" is "khong"), so Vietnamese written
without accents matches too. Each rule is a regular expression and a weight; a situation's
score is the sum of the weights of its rules that match (each rule counts once). English
rules also run on Vietnamese, Indonesian and Tagalog messages at a lower weight: customers
there write "refund", "login", "error" and "OTP" as often as their own words.

Why rules and not the model: the phrases that mark a situation are few and stable per language
("hoàn tiền", "belum sampai", "hindi maka-login"), agents can read and extend them, and the
fixture set in tests/situations/ measures them (docs/benchmarks.md).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from triage.drafting.situation_patterns import EN, ID, TL, VI, Rules


@lru_cache(maxsize=64)  # a draft folds the same subject and text for the rules and the model
def fold(text: str) -> str:
    """Lowercase ``text`` without diacritics (``đ`` -> ``d``), whitespace collapsed, so one
    rule matches "không đăng nhập được" and "khong dang nhap duoc"."""
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    t = t.replace("’", "'").replace("‘", "'")
    return " ".join(t.split())


TOPICAL: frozenset[str] = frozenset({
    "order_status", "refund", "payment_failed", "cancellation", "personal_data", "login",
    "outage", "app_error", "damaged_goods"})
"""Situations about a subject matter (a follow-up chases one of these)."""

# (winner, loser): when the winner scores at least 2.5 the loser is not the situation, e.g. a
# cracked rice cooker with "refund or replacement" is about damaged goods, and "charged twice,
# please refund" is about the double charge.
OVERRIDES: tuple[tuple[str, str], ...] = (
    ("damaged_goods", "refund"), ("payment_failed", "refund"), ("login", "app_error"),
    ("outage", "app_error"), ("personal_data", "login"),
    ("personal_data", "cancellation"), ("payment_failed", "order_status"),
    ("payment_failed", "app_error"), ("damaged_goods", "order_status"),
    ("login", "outage"), ("refund", "order_status"),
)

CATEGORY_BONUS: dict[str, dict[str, float]] = {
    "technical_issue": {"login": 0.5, "outage": 0.5, "app_error": 0.5, "payment_failed": 0.3},
    "complaint": {"order_status": 0.3, "refund": 0.3, "damaged_goods": 0.5, "follow_up": 0.3},
    "request": {"cancellation": 0.3, "personal_data": 0.3, "order_status": 0.2},
}
"""A little extra for the situations that belong to the classified category (close calls)."""

def _compile(rules: Rules) -> dict[str, list[tuple[re.Pattern[str], float]]]:
    return {name: [(re.compile(p), w) for p, w in items] for name, items in rules.items()}


RULES: dict[str, dict[str, list[tuple[re.Pattern[str], float]]]] = {
    "en": _compile(EN), "vi": _compile(VI), "id": _compile(ID), "tl": _compile(TL)}
"""Compiled rules per language and situation."""
