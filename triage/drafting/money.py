"""How a draft restates a sum of money the customer wrote: in the house style of the draft's
language, never in the customer's shorthand.

A customer writes "350.000d", "350k", "1tr5", "50rb", "Rp 50.000", "P1299" or "1,299 pesos";
a support letter that quotes the sum back writes it as the market's support teams do (the
value is already parsed exactly by :func:`~triage.drafting.extract.extract_amounts`):

* Vietnamese, VND: ``350.000 đồng`` (dot thousands; "đồng" in prose, not the glyph "đ");
* Indonesian, IDR: ``Rp50.000`` (EYD: no space after "Rp"; no sen, as support writes);
* Tagalog, PHP: ``₱1,299`` (``₱1,299.50`` with centavos).

Only a plausible value is restated: a whole number of đồng or rupiah, pesos with at most two
decimals. "P1.299", "1.299 pesos" (read as 1.299 pesos), "Rp 1,5" or "12.5đ" are shown as
written: the customer's own shorthand back is harmless, a different sum in a charge or refund
e-mail is not. So are any other currency (USD, SGD, ...), a sum without a currency ("350k" in
an English mail) and every sum in an English draft (English has no one house style for
these: "Rp 50.000", "IDR 50,000" and "Rp50,000" are all usual).
"""

from __future__ import annotations

from decimal import Decimal

from triage.drafting.extract import Amount

_OWN = {"vi": "VND", "id": "IDR", "tl": "PHP"}
"""The currency whose house style each language writes."""
_DOT_THOUSANDS = str.maketrans(",.", ".,")


def _plausible(value: Decimal, currency: str) -> bool:
    """Whether ``value`` can be a sum in ``currency``: positive, whole for VND and IDR, at
    most two decimals for PHP."""
    if value <= 0:
        return False
    if value == value.to_integral_value():
        return True
    return currency == "PHP" and value == round(value, 2)


def _digits(value: Decimal, dot_thousands: bool) -> str:
    """``value`` grouped by thousands, with two decimals only when they are not zero."""
    whole = int(value)
    text = f"{whole:,}" if whole == value else f"{value:,.2f}"
    return text.translate(_DOT_THOUSANDS) if dot_thousands else text


def shown_amount(amount: Amount, language: str) -> str:
    """Return ``amount`` as a draft in ``language`` restates it (see the module's text)."""
    currency, value = amount.currency, amount.value
    if _OWN.get(language) != currency or not _plausible(value, currency):
        return amount.text
    if currency == "VND":
        return f"{_digits(value, dot_thousands=True)} đồng"
    if currency == "IDR":
        return f"Rp{_digits(value, dot_thousands=True)}"
    return f"₱{_digits(value, dot_thousands=False)}"


def for_draft(amount: Amount | None, language: str) -> Amount | None:
    """Return ``amount`` printing (``str``) as :func:`shown_amount` in ``language``; its
    ``text`` stays as written, its ``value`` and ``currency`` unchanged. None stays None."""
    if amount is None:
        return None
    return Amount(amount.text, amount.value, amount.currency, shown_amount(amount, language))
