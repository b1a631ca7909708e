"""Text normalisation and the term analyser shared by training, prediction and explanations.

Everything here runs once per message on the hot path, so it is written for speed: diacritics
are stripped with one ``str.translate`` table instead of a per-character NFKD loop, and the
analyser makes word unigrams, bigrams and short prefixes/suffixes (cheap stand-ins for
character n-grams that keep most of their robustness to typos and inflection).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NUM = re.compile(r"\d+")
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[!?]")
# The same two patterns spelt for ASCII text, which is nearly every folded text (fold maps
# the Latin letters with diacritics to ASCII). On an ASCII string they match exactly what the
# Unicode ones match (\w is [A-Za-z0-9_] there, \d is [0-9]), at half the cost: the Unicode
# classes look each character's category up (#19: the analyser is the classify stage).
_NUM_ASCII = re.compile(r"[0-9]+")
_TOKEN_ASCII = re.compile(r"[A-Za-z]+|[0-9]+|[!?]")
AFFIX = 4
"""Length of the word prefixes and suffixes the analyser adds for words longer than it."""
SEP = "\x1e"
"""Where a message's subject ends and its body starts in the model's input
(``classifiers.model.model_input``; the ASCII record separator). No bigram crosses it, so
no term joins the subject's last word to the body's first ("ko eto" of "...order ko" +
"Eto po..."). Not a word character: a text without it is analysed exactly as before."""


def _fold_table() -> dict[int, str | int | None]:
    table: dict[int, str | int | None] = {}
    # Latin-1 supplement, Latin extended A/B and Latin extended additional (Vietnamese).
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        if base and base != ch:
            table[cp] = base
    for cp in range(0x300, 0x370):  # stray combining marks
        table[cp] = None
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    # Characters that stay as they are, listed as themselves: str.translate raises and
    # swallows a LookupError for every character its table lacks, which made folding a
    # non-ASCII text cost 2.6 times as much (ASCII letters, spaces and punctuation are most
    # of a Vietnamese text). Same output: a character maps to its own code.
    for cp in [*range(0x250), *range(0x2000, 0x2070)]:
        table.setdefault(cp, cp)  # type: ignore[arg-type]
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower-case and strip diacritics, so 'không vào được' == 'khong vao duoc'."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFC", text).translate(_FOLD).lower()


def normalise(text: str) -> str:
    """Return the text the model sees: folded, URLs/mentions/numbers replaced by tokens."""
    t = _URL.sub(" url ", text) if ("http" in text or "www" in text) else text
    if "@" in t:
        t = _MENTION.sub(" atuser ", t)
    t = (_NUM_ASCII if t.isascii() else _NUM).sub("0", t)
    return fold(t)


def _tokens(normalised: str) -> list[str]:
    return (_TOKEN_ASCII if normalised.isascii() else _TOKEN).findall(normalised)


def words(text: str) -> list[str]:
    """Return the normalised word tokens of ``text`` (``!`` and ``?`` count as words)."""
    return _tokens(normalise(text))


def analyse(text: str) -> list[str]:
    """Return the terms the model hashes: words, word bigrams, ``<prefix`` and ``suffix>``."""
    if SEP in text:  # subject and body: bigrams within each part only
        parts = [_tokens(normalise(p)) for p in text.split(SEP)]
        w = [x for p in parts for x in p]
        out = w + [" ".join(b) for p in parts for b in itertools.pairwise(p)]
    else:
        w = _tokens(normalise(text))
        out = w + list(map(" ".join, itertools.pairwise(w)))
    long = [x for x in w if len(x) > AFFIX]
    out += ["<" + x[:AFFIX] for x in long]
    out += [x[-AFFIX:] + ">" for x in long]
    return out
