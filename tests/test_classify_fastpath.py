"""The classify stage's shortcuts change no result (#19).

The analyser reads ASCII text with ASCII spellings of its patterns and folds with a table that
lists the characters it keeps; the runtime model scores categories and languages in one pass.
Each is compared here with the plain evaluation written out as it was before them: the terms
of every corpus text, of generated realistic mail, of tricky strings and of random strings
built from the characters where the two spellings could part (digits of other scripts,
combining marks between digits, underscores, ligatures, fullwidth letters).
"""

from __future__ import annotations

import itertools
import random
import re
import unicodedata
from datetime import UTC, datetime

import numpy as np
import pytest

from bench.mailgen import mails
from classifiers import text
from classifiers.corpus_io import load_corpus
from classifiers.model import TriageClassifier, model_input
from triage.mail.parse import parse_email

TRICKY = ["", " ", "!!!", "??!", "😀😀😀 🙏", "Đơn hàng của tôi chưa tới, không vào được app",
          "app bị lỗi ko login dc", "𝕳𝖊𝖑𝖑𝖔 ｆｕｌｌｗｉｄｔｈ １２３", "a" * 5000,
          "12345 @shop https://x.co/a?b=c www.x.vn", "snake_case_word 3_000 x_1",
          "1\u03012 and 4\u0300\u03015", "٣٤ and ５６ and ²³", "ĲSSEL ǆungla ﬁnal ß",
          "Paano mag-reset ng password?", "ทดสอบ 中文 العربية", "Ÿ İstanbul ǅ ǈ K Å",
          "“quotes” – dash… nbsp\u00a0here", "\u0301leading mark", "tab\tnew\nline\r\n"]
ALPHABET = ("aZ09_!?@ .:/-\t\n\u0301\u0300\u0323đĐếỗÀßẞ²１٣ｆＡ𝕳\u00a0\u2019\u2013中ـİĲǅK"
            "wwwhttp")


def reference_fold_table() -> dict[int, str | None]:
    """The fold table as it was before the kept characters were listed."""
    table: dict[int, str | None] = {}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        if base and base != ch:
            table[cp] = base
    for cp in range(0x300, 0x370):
        table[cp] = None
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


REF_TABLE = reference_fold_table()
REF_URL = re.compile(r"https?://\S+|www\.\S+")
REF_MENTION = re.compile(r"@\w+")
REF_NUM = re.compile(r"\d+")
REF_TOKEN = re.compile(r"[^\W\d_]+|\d+|[!?]")


def reference_fold(t: str) -> str:
    """``fold`` before the shortcuts."""
    if t.isascii():
        return t.lower()
    return unicodedata.normalize("NFC", t).translate(REF_TABLE).lower()


def reference_normalise(t: str) -> str:
    """``normalise`` before the shortcuts (Unicode patterns only)."""
    t = REF_URL.sub(" url ", t) if ("http" in t or "www" in t) else t
    if "@" in t:
        t = REF_MENTION.sub(" atuser ", t)
    return reference_fold(REF_NUM.sub("0", t))


def reference_analyse(t: str) -> list[str]:
    """``analyse`` before the shortcuts (bigrams within the subject and within the body:
    none crosses ``text.SEP``, where ``model_input`` joins them)."""
    parts = [REF_TOKEN.findall(reference_normalise(p)) for p in t.split(text.SEP)]
    w = [x for p in parts for x in p]
    out = w + [a + " " + b for p in parts for a, b in itertools.pairwise(p)]
    long = [x for x in w if len(x) > text.AFFIX]
    out += ["<" + x[:text.AFFIX] for x in long]
    out += [x[-text.AFFIX:] + ">" for x in long]
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Corpus texts, realistic mail as the model reads it, tricky and random strings."""
    now = datetime(2026, 11, 20, tzinfo=UTC)
    parsed = [parse_email(raw, fallback_received=now) for raw in mails("realistic", 400)]
    rng = random.Random(19)
    fuzz = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30)))
            for _ in range(5000)]
    return ([e.text for e in load_corpus()] + [model_input(p.text, p.subject) for p in parsed]
            + TRICKY + fuzz)


def test_analyser_terms_equal_the_plain_evaluation(texts: list[str]) -> None:
    for t in texts:
        assert text.normalise(t) == reference_normalise(t), t
        assert text.words(t) == REF_TOKEN.findall(reference_normalise(t)), t
        assert text.analyse(t) == reference_analyse(t), t


def test_fold_equals_the_plain_evaluation_on_every_table_character() -> None:
    chars = "".join(map(chr, [*range(0x2100), *range(0x1E00, 0x1F00)]))
    for i in range(0, len(chars), 64):
        chunk = chars[i:i + 64]
        assert text.fold(chunk) == reference_fold(chunk), [hex(ord(c)) for c in chunk]


def test_category_and_language_scores_equal_their_own_products(
        classifier: TriageClassifier, texts: list[str]) -> None:
    c = classifier.compiled
    x = c.features(texts[:3000])

    def product(table: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        contrib = table[c._row_of[x.cols]] * x.data[:, None]
        out = np.stack([np.bincount(x.rows, weights=contrib[:, k], minlength=x.n_rows)
                        for k in range(table.shape[1])], axis=1)
        return out + intercept

    decision, languages = c.scores(x)
    assert np.array_equal(decision, product(c._coef, c.intercept))
    assert np.array_equal(languages, product(c._lang_coef, c.lang_intercept))
    assert np.array_equal(c.decision(x), decision)
    assert np.array_equal(c.language_scores(x), languages)
