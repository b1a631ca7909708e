"""Facts a reply draft can quote back: order/ticket numbers, amounts, dates, phones, e-mails.

Every extractor is a pure function of the message text (and its language, which picks the
phone region tried first and the currency of a bare ``350k``). Extractors run in a fixed order
and a later one never reports text an earlier one already claimed, so an order number is not
also a phone number and ``350.000đ`` is not also a date.

Phone numbers use ``phonenumbers`` (Google's libphonenumber data); the rest are small regular
expressions because no maintained library knows Vietnamese/Indonesian/Tagalog order keywords,
``Rp 50.000`` style separators or ``1tr5``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import phonenumbers

from triage.drafting.rule_literals import (
    LiteralIndex,
    case_gate_literals,
    case_prefix_literals,
    case_view,
    matches_from,
)

# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class Amount:
    """A sum of money as written (``text``), its value and ISO currency ('' if unsaid), and
    how a draft restates it (``shown``, :func:`~triage.drafting.money.for_draft`; '': as
    written). It prints as ``shown``, else ``text``."""

    text: str
    value: Decimal
    currency: str
    shown: str = ""

    def __str__(self) -> str:
        return self.shown or self.text


@dataclass(frozen=True)
class DateMention:
    """A calendar date as written; ``year`` is None when the customer left it out."""

    text: str
    day: int
    month: int
    year: int | None

    @property
    def iso(self) -> str:
        """``YYYY-MM-DD``, or ``--MM-DD`` when the year is unknown."""
        y = f"{self.year:04d}" if self.year else "-"
        return f"{y}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Phone:
    """A phone number as written and in E.164 form (``+84912345678``)."""

    text: str
    e164: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Facts:
    """Everything extracted from one message, each list in order of appearance."""

    order_numbers: list[str] = field(default_factory=list)
    ticket_numbers: list[str] = field(default_factory=list)
    account_numbers: list[str] = field(default_factory=list)
    """Customer, account or contract numbers ("nomor pelanggan 1122334455", "account 55120")."""
    amounts: list[Amount] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)


class _Claims:
    """Character spans already taken by an earlier extractor."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.spans)

    def take(self, start: int, end: int) -> None:
        self.spans.append((start, end))


# ------------------------------------------------------------------ e-mails

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def extract_emails(text: str, claims: _Claims | None = None) -> list[str]:
    """Return the e-mail addresses in ``text``, in order, without duplicates."""
    out: list[str] = []
    for m in _EMAIL.finditer(text):
        if claims is not None:
            claims.take(*m.span())
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


# ---------------------------------------------------------- order / ticket numbers

_ORDER_WORDS = (
    r"order|đơn\s+hàng|don\s+hang|mã\s+đơn(?:\s+hàng)?|ma\s+don(?:\s+hang)?|đơn|"
    r"pesanan|invoice|hóa\s+đơn|hoa\s+don|faktur|resi|awb|tracking(?:\s+number)?|"
    r"mã\s+vận\s+đơn|ma\s+van\s+don|booking|reservation|transaksi|transaction|"
    r"giao\s+dịch|giao\s+dich"
)
_TICKET_WORDS = r"ticket|tiket|case|kaso|complaint"
_ACCOUNT_WORDS = (
    r"account|acct|customer\s+(?:no|number|id)|nomor\s+pelanggan|no\.?\s*pelanggan|"
    r"id\s+pelanggan|mã\s+khách\s+hàng|ma\s+khach\s+hang|số\s+hợp\s+đồng|so\s+hop\s+dong|"
    r"số\s+thuê\s+bao|so\s+thue\s+bao|contract")
# words between the keyword and the number; a word must end there ("SO-2026-1" is a number)
_CONNECT = (r"(?:\s*(?:(?:no|nr|number|num|id|code|số|so|nomor|mã|ma|saya|ko|của\s+tôi|"
            r"cua\s+toi|of|is|ang|adalah|là|la)(?![\w-])|no\.|nr\.|[:#=\-])\s*)*")
_VALUE = r"#?(?P<value>[A-Za-z0-9][A-Za-z0-9\-/_]{2,39})"
_KEYED = re.compile(
    rf"(?<![\w])(?:(?P<order>{_ORDER_WORDS})|(?P<ticket>{_TICKET_WORDS})"
    rf"|(?P<account>{_ACCOUNT_WORDS}))"
    rf"(?P<connect>{_CONNECT})\s*{_VALUE}",
    re.IGNORECASE,
)
_KEYED_WORDS = case_gate_literals(_KEYED)
"""Strings a text's ``case_view`` holds wherever :data:`_KEYED` matches it (#19: the
case-insensitive keyword search cost ~0.1 ms on a long mail that names no order)."""
_KEYED_STARTS = case_prefix_literals(_KEYED)
"""Strings one of which a text's ``case_view`` holds where a match of :data:`_KEYED` starts:
it is tried there only (#19: the search tried the keyword alternation at every character)."""
_KEYED_INDEX = LiteralIndex()
"""The strings of :data:`_KEYED_WORDS` and :data:`_KEYED_STARTS`, found in a text's case
view in one pass (#19: the gate and the start search looked for each string in turn, ~40
scans of the text)."""
_KEYED_INDEX.add(_KEYED_WORDS or ())
_KEYED_INDEX.add(_KEYED_STARTS or ())
_HASH = re.compile(r"(?<![\w&])#(\d{3,20})\b")
_OWN_TOKEN = re.compile(r"^T-\d+$", re.IGNORECASE)


def _plausible_id(value: str, strong: bool) -> bool:
    value = value.rstrip("-/_")
    if not any(ch.isdigit() for ch in value) or _OWN_TOKEN.match(value):
        return False
    return len(value) >= (3 if strong else 5)


def extract_order_numbers(text: str, claims: _Claims | None = None,
                          accounts: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Return ``(order numbers, ticket numbers)`` named in ``text``; customer and account
    numbers ("nomor pelanggan 1122334455") go to ``accounts`` when a list is given.

    A number counts when a keyword in any supported language precedes it ("order #123",
    "đơn hàng DH12345", "nomor pesanan 2311230ABC", "ticket no. 88231") or it is a bare
    ``#12345``. Our own thread tokens (``T-12``) are not the customer's numbers.
    """
    claims = claims or _Claims()
    orders: list[str] = []
    tickets: list[str] = []
    keyed = _KEYED.finditer(text)
    if _KEYED_WORDS is not None:
        lowered = case_view(text)
        present = _KEYED_INDEX.present(lowered)
        if present.isdisjoint(_KEYED_WORDS):
            keyed = iter(())
        elif _KEYED_STARTS is not None:  # a string the view does not hold starts no match
            keyed = matches_from(_KEYED, text, lowered,
                                 tuple(w for w in _KEYED_STARTS if w in present))
    for m in keyed:
        connect = m.group("connect") or ""
        strong = bool(connect.strip()) or text[m.start("value") - 1:m.start("value")] == "#"
        value = m.group("value").rstrip("-/_.")
        if not _plausible_id(value, strong) or not claims.free(m.start("value"), m.end("value")):
            continue
        claims.take(m.start("value"), m.end("value"))
        if m.group("account"):
            if accounts is not None and value not in accounts:
                accounts.append(value)
            continue
        target = orders if m.group("order") else tickets
        if value not in target:
            target.append(value)
    for m in _HASH.finditer(text):
        if claims.free(*m.span()):
            claims.take(*m.span())
            if m.group(1) not in orders:
                orders.append(m.group(1))
    return orders, tickets


# ----------------------------------------------------------------- amounts

_PREFIX_CCY = {
    "rp": "IDR", "idr": "IDR", "vnd": "VND", "vnđ": "VND", "₫": "VND", "₱": "PHP", "php": "PHP",
    "p": "PHP", "$": "USD", "usd": "USD", "us$": "USD", "s$": "SGD", "sgd": "SGD", "rm": "MYR",
    "myr": "MYR", "€": "EUR", "eur": "EUR", "฿": "THB", "thb": "THB",
}
_SUFFIX_CCY = {
    "đ": "VND", "₫": "VND", "vnd": "VND", "vnđ": "VND", "dong": "VND", "đồng": "VND",
    "idr": "IDR", "rupiah": "IDR", "php": "PHP", "pesos": "PHP", "peso": "PHP", "piso": "PHP",
    "usd": "USD", "sgd": "SGD", "myr": "MYR", "ringgit": "MYR", "eur": "EUR", "baht": "THB",
}
_MULT = {
    "k": (1000, ""), "nghìn": (1000, "VND"), "ngàn": (1000, "VND"), "nghin": (1000, "VND"),
    "ngan": (1000, "VND"), "tr": (10**6, "VND"), "triệu": (10**6, "VND"),
    "trieu": (10**6, "VND"), "tỷ": (10**9, "VND"), "ty": (10**9, "VND"),
    "rb": (1000, "IDR"), "ribu": (1000, "IDR"), "jt": (10**6, "IDR"), "juta": (10**6, "IDR"),
}
_COMMA_DECIMAL = {"VND", "IDR", "EUR"}
_LANG_CCY = {"vi": "VND", "id": "IDR", "tl": "PHP"}
_NUM = r"\d{1,3}(?:[.,\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_PFX = r"(?:Rp\.?|IDR|VNĐ|VND|₫|₱|PHP|Php|US\$|S\$|\$|USD|SGD|RM|MYR|€|EUR|฿|THB|P(?=\d))"
_SFX_WORDS = "|".join(sorted((re.escape(k) for k in _SUFFIX_CCY), key=len, reverse=True))
_MULT_WORDS = "|".join(sorted((re.escape(k) for k in _MULT), key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?P<pfx>{_PFX})\s?(?P<n1>{_NUM})(?:\s?(?P<m1>{_MULT_WORDS})(?!\w))?"
    rf"|(?P<n2>{_NUM})\s?(?:(?P<m2>{_MULT_WORDS})(?!\w))?\s?(?P<sfx>{_SFX_WORDS})(?!\w)"
    rf"|(?P<n3>{_NUM})\s?(?P<m3>{_MULT_WORDS})(?!\w)"
    rf"|(?P<tra>\d{{1,3}})tr(?P<trb>\d{{1,3}})(?!\w)"
    # "350.000d": Vietnamese written without the đ; only with thousands ("2d" is two days)
    rf"|(?P<vnd>\d{{1,3}}(?:[.,]\d{{3}})+)d(?!\w))",
    re.IGNORECASE,
)


def _number(raw: str, currency: str) -> Decimal:
    """Turn '350.000', '1,299.50', '50.000,00' into a Decimal using the currency's habits."""
    s = raw.replace("\u00a0", ".").replace("\u202f", ".")
    dots, commas = s.count("."), s.count(",")
    comma_decimal = currency in _COMMA_DECIMAL
    if dots and commas:  # the later separator is the decimal one
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        s = s.replace("," if dec == "." else ".", "").replace(dec, ".")
    elif dots or commas:
        sep = "." if dots else ","
        tail = s.rsplit(sep, 1)[1]
        thousands = (dots + commas > 1 or (len(tail) == 3 and (
            comma_decimal or sep == "," or currency not in {"USD", "PHP", "SGD", "MYR", "THB"})))
        s = s.replace(sep, "") if thousands else s.replace(sep, ".")
    return Decimal(s)


def extract_amounts(text: str, language: str = "", claims: _Claims | None = None
                    ) -> list[Amount]:
    """Return the sums of money in ``text``: ``350.000đ``, ``Rp 50.000``, ``₱1,299``,
    ``1,5 triệu``, ``1tr5``, ``$12.99``. A bare ``350k`` takes the language's currency."""
    claims = claims or _Claims()
    out: list[Amount] = []
    for m in _AMOUNT.finditer(text):
        if not claims.free(*m.span()):
            continue
        try:
            if m.group("vnd"):
                value = _number(m.group("vnd"), "VND")
                currency = "VND"
            elif m.group("tra"):
                b = m.group("trb")
                value = Decimal(m.group("tra")) * 10**6 + Decimal(b) * 10**(6 - len(b))
                currency = "VND"
            else:
                raw = m.group("n1") or m.group("n2") or m.group("n3")
                mult_word = (m.group("m1") or m.group("m2") or m.group("m3") or "").lower()
                if m.group("pfx"):
                    currency = _PREFIX_CCY[m.group("pfx").lower().rstrip(".")]
                elif m.group("sfx"):
                    currency = _SUFFIX_CCY[m.group("sfx").lower()]
                else:
                    currency = ""
                factor, mult_ccy = _MULT.get(mult_word, (1, ""))
                currency = currency or mult_ccy or (_LANG_CCY.get(language, "")
                                                     if mult_word else "")
                # '1,5 triệu' uses a decimal comma whatever the currency
                value = _number(raw, "VND" if factor > 1 and currency in
                                _COMMA_DECIMAL else currency) * factor
        except (InvalidOperation, KeyError):
            continue
        claims.take(*m.span())
        out.append(Amount(m.group(0).strip(), value.normalize() if value % 1 else
                          value.quantize(Decimal(1)), currency))
    return out


# ------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate((
    "january jan enero januari", "february feb pebrero febrero februari peb",
    "march mar marso maret", "april apr abril", "may mayo mei",
    "june jun hunyo juni", "july jul hulyo juli", "august aug agosto agustus agu ago",
    "september sep sept setyembre septiyembre set", "october oct oktubre oktober okt",
    "november nov nobyembre nob", "december dec disyembre desember des dis"), start=1):
    for _n in _names.split():
        _MONTHS[_n] = _num
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"(?<![\w/.-])(?:"
    rf"(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})"
    rf"|(?P<nd>\d{{1,2}})(?P<sep>[/-])(?P<nm>\d{{1,2}})(?:(?P=sep)(?P<ny>\d{{4}}|\d{{2}}))?"
    rf"|(?P<pd>\d{{1,2}})\.(?P<pm>\d{{1,2}})\.(?P<py>\d{{4}})"
    rf"|(?:ngày|ngay)\s*(?P<vd>\d{{1,2}})\s*(?:tháng|thang)\s*(?P<vm>\d{{1,2}})"
    rf"(?:\s*(?:năm|nam)\s*(?P<vy>\d{{4}}))?"
    rf"|(?P<dd>\d{{1,2}}){_ORD}\s+(?:ng\s+)?(?P<dm>{_MONTH_RE})\.?(?:,?\s+(?P<dy>\d{{4}}))?"
    rf"|(?P<mm>{_MONTH_RE})\.?\s+(?P<md>\d{{1,2}}){_ORD}(?:,?\s+(?P<my>\d{{4}}))?"
    rf")(?![\w/-])",
    re.IGNORECASE,
)


def extract_dates(text: str, claims: _Claims | None = None) -> list[DateMention]:
    """Return calendar dates in ``text``, read day-first as written in Southeast Asia.

    Forms: ``2026-11-12``, ``12/11``, ``12/11/2026``, ``12.11.2026``, ``ngày 12 tháng 11``,
    ``12 Nov``, ``12 Agustus 2026``, ``Nobyembre 12``. Impossible dates are ignored.
    """
    claims = claims or _Claims()
    out: list[DateMention] = []
    for m in _DATE.finditer(text):
        g = m.groupdict()
        if g["iy"]:
            d, mo, y = int(g["id"]), int(g["im"]), int(g["iy"])
        elif g["nd"]:
            d, mo = int(g["nd"]), int(g["nm"])
            y = int(g["ny"]) if g["ny"] else None
            if y is not None and y < 100:
                y += 2000
        elif g["pd"]:
            d, mo, y = int(g["pd"]), int(g["pm"]), int(g["py"])
        elif g["vd"]:
            d, mo = int(g["vd"]), int(g["vm"])
            y = int(g["vy"]) if g["vy"] else None
        elif g["dd"]:
            d, mo = int(g["dd"]), _MONTHS[g["dm"].lower()]
            y = int(g["dy"]) if g["dy"] else None
        else:
            d, mo = int(g["md"]), _MONTHS[g["mm"].lower()]
            y = int(g["my"]) if g["my"] else None
        if not (1 <= d <= 31 and 1 <= mo <= 12) or not claims.free(*m.span()):
            continue
        claims.take(*m.span())
        out.append(DateMention(m.group(0), d, mo, y))
    return out


# ------------------------------------------------------------------ phones

_REGIONS = {"vi": "VN", "id": "ID", "tl": "PH", "en": "SG"}
_SEA = ("VN", "ID", "PH", "SG", "MY", "TH")


_PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\(?\d[\d \u00a0().-]{6,18}\d(?![\w])")


def extract_phones(text: str, language: str = "", claims: _Claims | None = None
                   ) -> list[Phone]:
    """Return valid phone numbers in ``text`` (SEA formats, local or +international).

    The language's country is tried first (``0912 345 678`` is Vietnamese for ``vi``), then
    the other Southeast Asian countries; numbers must be valid, not just phone-shaped.
    Phone-shaped runs are found with a regular expression and each is then parsed by
    ``phonenumbers``, which is much faster than running its text matcher once per country.
    """
    claims = claims or _Claims()
    first = _REGIONS.get(language)
    regions = [first] if first else []
    regions += [r for r in _SEA if r not in regions]
    out: list[Phone] = []
    seen: set[str] = set()
    for m in _PHONE_CANDIDATE.finditer(text):
        raw = m.group(0).strip(" .-(")
        if not claims.free(*m.span()) or sum(ch.isdigit() for ch in raw) < 8:
            continue
        for region in regions:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                claims.take(*m.span())
                if e164 not in seen:
                    seen.add(e164)
                    out.append(Phone(raw, e164))
                break
    return out


# ------------------------------------------------------------------- all

_DIGIT = re.compile(r"\d")


def extract_facts(text: str, language: str = "") -> Facts:
    """Run every extractor over ``text`` and return what they found.

    Order matters: e-mails, order/ticket numbers, amounts, dates, then phones, each skipping
    text an earlier one claimed.
    """
    return FactExtraction(text, language).facts()


class FactExtraction:
    """:func:`extract_facts` in stages, each run only when something asks for it.

    A draft's template may quote the first order number and nothing else: :meth:`numbers`
    runs the e-mail and number extractors only; :meth:`amounts` continues with the amounts,
    :meth:`facts` with the rest. Each stage runs once, after the stages before it and with
    their claims, so every answer is the one :func:`extract_facts` gives.
    """

    def __init__(self, text: str, language: str = "") -> None:
        self.text = text
        self.language = language
        self._claims = _Claims()
        self._emails: list[str] | None = None
        self._numbers: tuple[list[str], list[str], list[str]] | None = None
        self._amounts: list[Amount] | None = None
        self._facts: Facts | None = None
        # every fact but an e-mail holds a digit (``\d``, as in their patterns; an order
        # number must contain one): without one their scans are skipped, about a third of
        # real messages
        self._digits = _DIGIT.search(text) is not None

    def emails(self) -> list[str]:
        """The e-mail addresses (the first stage)."""
        if self._emails is None:
            self._emails = (extract_emails(self.text, self._claims) if "@" in self.text
                            else [])
        return self._emails

    def numbers(self) -> tuple[list[str], list[str], list[str]]:
        """``(order numbers, ticket numbers, account numbers)``."""
        if self._numbers is None:
            self.emails()
            accounts: list[str] = []
            orders, tickets = (extract_order_numbers(self.text, self._claims, accounts)
                               if self._digits else ([], []))
            self._numbers = (orders, tickets, accounts)
        return self._numbers

    def amounts(self) -> list[Amount]:
        """The sums of money."""
        if self._amounts is None:
            self.numbers()
            self._amounts = (extract_amounts(self.text, self.language, self._claims)
                             if self._digits else [])
        return self._amounts

    def facts(self) -> Facts:
        """Everything (:func:`extract_facts`)."""
        if self._facts is None:
            emails, (orders, tickets, accounts) = self.emails(), self.numbers()
            amounts = self.amounts()
            if not self._digits:
                self._facts = Facts(emails=emails)
            else:
                dates = extract_dates(self.text, self._claims)
                phones = extract_phones(self.text, self.language, self._claims)
                self._facts = Facts(order_numbers=orders, ticket_numbers=tickets,
                                    account_numbers=accounts, amounts=amounts, dates=dates,
                                    phones=phones, emails=emails)
        return self._facts
