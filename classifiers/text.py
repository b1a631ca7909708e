"""Text normalisation shared by training and prediction."""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w+")
_NUM = re.compile(r"\d+")
_FOLD = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Lower-case and strip diacritics, so 'không vào được' == 'khong vao duoc'."""
    text = text.translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def normalise(text: str) -> str:
    """Return the text the model sees: folded, URLs/mentions/numbers replaced by tokens."""
    t = _URL.sub(" url ", text)
    t = _MENTION.sub(" @user ", t)
    t = _NUM.sub("0", t)
    return " ".join(fold(t).split())
