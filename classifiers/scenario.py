"""Scenario-level duplicates in the corpus: rows that tell the same story in other words.

The corpus test's word-set Jaccard (``tests/test_corpus.py``) catches copies and one-word swaps,
but not a *retelling*: a newer row with the same product, the same fault and the same ask as an
older row, worded differently ("natunaw yung chocolate, walang ice pack" against "dumating na
tunaw yung chocolates, hindi man lang nilagyan ng ice pack"). Such rows overweight a situation
and make the corpus look bigger than it is.

The check compares rows of one language by their *content words*: the text folded with
:func:`classifiers.text.fold` (so accents do not matter), numbers, function words and the stock
words of support messages ("shop", "order", "po", "sayang") left out; each word is weighted by
its rarity in that language's corpus (sublinear TF-IDF) and the rows are compared by cosine
similarity, on words and on character 4-grams of the content words, which see "kili-kili" in
"kilikili" and "natunaw" in "tunaw". Two rows that share the rare product and fault words score
high whatever else they say; rows that share only the stock phrases of a review score low.
Calibrated on the proof-readers' rewrites of rounds 2-5 (docs/classifier.md, *Scenario
duplicates*).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.corpus_io import Example
from classifiers.text import fold
from triage.errors import CorpusError

THRESHOLD = 0.5
"""Similarity from which a pair of rows is worth reading as a possible retelling (about half of
the pairs at 0.5 are the same scenario, two in three at 0.6)."""

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _listed(words: str) -> frozenset[str]:
    return frozenset(fold(words).split())


_EN = (
    "i me my mine myself we us our ours you your yours he him his she her it its they them "
    "their this that these those what which who whom whose when where why how is am are was "
    "were be been being do does did doing done have has had having a an the and or but if "
    "because as until while of at by for with about against between into through during "
    "before after above below to from up down in out on off over under again further then "
    "once here there all any both each few more most other some such no nor not only own "
    "same so than too very can will just should would could may might must shall s t d ll m "
    "re ve don didn doesn isn wasn aren weren won wouldn couldn shouldn haven hasn hadn "
    "im ive its dont cant also still even yet get got getting go going went gone come came "
    "make made one two three first second again ever never now today yesterday already "
    "really please thanks thank hi hello hey pls plz ok okay yes yeah lol "
    "order ordered orders shop store seller app service customer support team "
    "want need like know let see say said tell told ask asked way thing things time times "
    "day days week weeks month months year years lot bit much many every since ago "
    "good great bad new old way")
_VI = (
    "toi minh ban em anh chi a ah nhe nha nha voi cua va la thi ma nay do kia cac nhung mot "
    "cai duoc o trong ra vao len roi cung the vay ay nhe nhi ha ho hay hoac nhung nhung "
    "khong ko k kg chua da dang se van con co bi cho de tu den toi tai vi nen neu khi luc "
    "nao gi sao the nay day kia qua lam rat hon nhat nhieu it moi ca tat het chi "
    "ban oi shop ad admin ok oke dc duoc r roi nhe vs mn moi nguoi "
    "hang don sp san pham mua dat nhan giao gui ship "
    "ngay tuan thang nam hom gio lan lai nua thoi "
    "cam on xin chao vui long giup dum gium nhe a")
_ID = (
    "saya aku gue gua gw kamu anda lu lo kami kita dia mereka yang dan di ke dari ini itu ya "
    "nya dengan untuk pada juga atau karena sih deh dong kok kan lah pun si ada adalah akan "
    "sudah udah udh sdh blm belum tidak tdk gak ga nggak enggak gk ngga bisa bs tapi tp "
    "jadi jd kalau kalo klo kl buat sama aja saja lagi lg mau mo masih msh bgt banget "
    "sekali sangat lebih paling baru sedang lagi apa kenapa knp gimana bagaimana mana "
    "kapan siapa berapa nih tuh dah deh yg dgn utk krn min admin kak ka mas mbak gan sis "
    "toko seller olshop pesan pesanan order barang produk beli dibeli kirim dikirim "
    "hari minggu bulan tahun jam kali terus trs tolong mohon makasih terima kasih halo hai")
_TL = (
    "po ho ang ng sa mga yung iyong ako ko kayo ka mo niyo nyo ninyo namin natin kami tayo "
    "siya sya niya nya sila nila na pa ba lang naman nga din rin at ay si ni kay nang kung "
    "ito iyan yan yun doon dito dyan diyan eto to ito ano paano bakit saan kailan sino "
    "may mayroon meron wala hindi di ay kasi kaya pero tapos para dahil kahit sana "
    "ba pala daw raw talaga lahat isa dalawa tatlo ulit agad ba naman nalang na lang "
    "mag nag pag maka naka nakaka ma mas pinaka sobrang sobra ganito ganyan ganun "
    "seller shop order inorder nag order item items product dumating pagdating binili bili "
    "araw linggo buwan taon beses oras salamat thank thanks ok okay sige "
    "the and is are was it my i to of for you your")
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _listed(_EN), "vi": _listed(_VI), "id": _listed(_ID), "tl": _listed(_TL)}
"""Words left out per language (folded): function words and the stock words of support mail."""
_ANY = frozenset().union(*STOPWORDS.values())


def content_words(text: str, lang: str) -> list[str]:
    """The words of ``text`` that can tell a scenario: folded, no numbers, no stopwords.

    Vietnamese words are syllables, so each pair of neighbouring content syllables is added as
    one more term ("dien_thoai"): a compound names a product better than its halves.
    """
    stop = STOPWORDS.get(lang, _ANY)
    ws = [w for w in _WORD.findall(fold(text)) if len(w) > 1 and w not in stop]
    if lang == "vi":
        ws += [a + "_" + b for a, b in itertools.pairwise(ws)]
    return ws


def _grams(text: str, lang: str) -> list[str]:
    """Character 4-grams of each content word (the word itself when shorter)."""
    out: list[str] = []
    for w in content_words(text, lang):
        if "_" in w:
            continue
        p = f"<{w}>"
        out += [p[i:i + 4] for i in range(len(p) - 3)] if len(p) > 4 else [p]
    return out


@dataclass(frozen=True)
class Pair:
    """Two rows of one language that tell the same scenario (``first`` < ``second``)."""

    first: int
    second: int
    score: float


def similarity(texts: Sequence[str], lang: str) -> np.ndarray:
    """The scenario similarity (0-1) of every pair of ``texts``, all in language ``lang``.

    The mean of two cosines of sublinear TF-IDF vectors whose IDF comes from ``texts``: one over
    content words, one over their character 4-grams.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    mats = []
    for analyzer in (lambda t: content_words(t, lang), lambda t: _grams(t, lang)):
        vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=1)
        x = vec.fit_transform(texts)
        mats.append((x @ x.T).toarray())
    sim = (mats[0] + mats[1]) / 2
    np.fill_diagonal(sim, 0.0)
    return sim


def scenario_pairs(texts: Sequence[str], lang: str, threshold: float = THRESHOLD
                   ) -> list[Pair]:
    """Pairs of ``texts`` (one language) whose scenario similarity is at least ``threshold``,
    most similar first."""
    if len(texts) < 2:
        return []
    sim = similarity(texts, lang)
    ii, jj = np.nonzero(np.triu(sim, 1) >= threshold)
    pairs = [Pair(int(i), int(j), float(sim[i, j])) for i, j in zip(ii, jj, strict=True)]
    return sorted(pairs, key=lambda p: -p.score)


TEST_THRESHOLD = 0.55
"""Similarity at which the corpus test fails on a pair that is not allow-listed (higher than
:data:`THRESHOLD`, which is for reading clusters: fewer pairs to allow-list, most of them the
same scenario; docs/classifier.md, *Scenario duplicates*, has the precision read)."""
ALLOWED_FILE = Path(__file__).parent / "corpus" / "scenario_allowed.tsv"
"""Accepted pairs: ``lang``, the two rows' keys, the reason, and the start of each text."""


def row_key(text: str) -> str:
    """A short, stable key for a corpus row: a hash of its folded text (row numbers move)."""
    return hashlib.sha1(fold(text).strip().encode()).hexdigest()[:12]


def load_allowed(path: Path = ALLOWED_FILE) -> dict[frozenset[str], str]:
    """The allow-listed pairs (a set of two row keys) and why each is accepted."""
    out: dict[frozenset[str], str] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 4 or not cols[3].strip():
            raise CorpusError(f"{path}: a line needs lang, key, key and a reason: {line!r}")
        out[frozenset((cols[1], cols[2]))] = cols[3]
    return out


def corpus_pairs(examples: Sequence[Example], threshold: float = TEST_THRESHOLD
                 ) -> list[tuple[str, Example, Example, float]]:
    """Scenario pairs of ``examples`` per language: (lang, earlier row, later row, score)."""
    out = []
    for lang in sorted({e.lang for e in examples}):
        rows = [e for e in examples if e.lang == lang]
        out += [(lang, rows[p.first], rows[p.second], p.score)
                for p in scenario_pairs([e.text for e in rows], lang, threshold)]
    return out


def unexplained_pairs(examples: Sequence[Example], allowed: dict[frozenset[str], str],
                      threshold: float = TEST_THRESHOLD
                      ) -> list[tuple[str, Example, Example, float]]:
    """The scenario pairs of ``examples`` that the allow-list does not accept."""
    return [p for p in corpus_pairs(examples, threshold)
            if frozenset((row_key(p[1].text), row_key(p[2].text))) not in allowed]


def main(argv: Sequence[str] | None = None) -> None:
    """Print the corpus's scenario pairs of one language for reading, most similar first:
    ``python -m classifiers.scenario tl [0.5] [--new]`` (``--new``: only pairs not allow-listed).
    """
    import argparse

    from classifiers.corpus_io import corpus_files, read_examples

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("lang", choices=sorted(STOPWORDS))
    ap.add_argument("threshold", nargs="?", type=float, default=THRESHOLD)
    ap.add_argument("--new", action="store_true", help="leave out allow-listed pairs")
    args = ap.parse_args(argv)
    rows = [(f"{p.stem}:{i}", e) for p in corpus_files() if p.name.startswith(args.lang + "-")
            for i, e in enumerate(read_examples(p))]
    allowed = load_allowed() if args.new else {}
    for pr in scenario_pairs([e.text for _, e in rows], args.lang, args.threshold):
        (wa, a), (wb, b) = rows[pr.first], rows[pr.second]
        if frozenset((row_key(a.text), row_key(b.text))) in allowed:
            continue
        print(f"{pr.score:.2f} {wa} [{a.label}] {a.text[:110]!r}\n     {wb} [{b.label}] "
              f"{b.text[:110]!r}")


if __name__ == "__main__":
    main()
