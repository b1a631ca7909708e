"""A small model of situations: TF-IDF of character n-grams and words, nearest centroid.

Keyword rules (:mod:`triage.drafting.situation_rules`) are exact where customers use the
expected words, and blind to everything else: "no sign of my order", "ke-debet dobel", "wala
pong signal". Character n-grams of the folded text (no diacritics, lowercase) catch those
near-misses across all four languages, so :func:`triage.drafting.situations.detect_situation`
blends this model's probabilities with the rules' scores.

The model is the nearest-centroid (Rocchio) classifier: each situation is the normalised mean
of its examples' TF-IDF vectors (character 2- to 5-grams inside word boundaries, words and word
pairs, sublinear term frequency, smoothed IDF, L2 norm), a message scores the cosine to each
centroid, and a softmax with temperature :data:`TEMPERATURE` turns scores into
probabilities. Written with plain dictionaries rather than scikit-learn on purpose: the daemon
stays free of scikit-learn and scipy (about 150 MB, see tests/test_runtime_model.py), training
takes a fraction of a second, and on the held-out fixtures it beat a linear SVM (docs/
benchmarks.md).

It learns from the corpus the team wrote, ``situation_corpus/<lang>.toml`` (packaged with
triage, never customer data), on first use in a process; training is deterministic. The
fixtures in tests/situations/ are a separate, held-out set it never sees.
"""

from __future__ import annotations

import math
import re
import threading
import tomllib
from array import array
from collections import Counter
from collections.abc import Sequence
from functools import cached_property, lru_cache, partial
from itertools import chain, islice, pairwise, repeat
from operator import is_not, itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from triage.drafting.situation_rules import fold

CORPUS_DIR = Path(__file__).parent / "situation_corpus"
TEMPERATURE = 0.05
"""Softmax temperature over cosine scores (chosen on the round-2 fixtures, docs/benchmarks.md)."""
_WORD = re.compile(r"\b\w\w+\b")

Vector = dict[str, float]
_WORD_CACHE = 32_768
"""Tokens whose term indexes a model keeps, in two generations of half this each
(:class:`_TokenTerms`): ~9 MB at most (~270 bytes a token). Mail brings new tokens without
end (order numbers, names): at 20,000 words an unbounded cache swung by ~8 MB (#19). The
10,000 burst mails hold ~26,700 distinct tokens (subjects included); with two generations of
8,192 a new token's n-grams (~6 us) were looked up 6.3 times a draft, ~0.05 ms of a draft's
0.5 as the daemon meets mail; with two of 16,384, 2.7 times (render7)."""


def load_corpus(directory: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    """Return every ``[[message]]`` of the corpus files in ``directory``, file by file."""
    out: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            out += tomllib.load(fh)["message"]
    return out


def features(text: str, subject: str = "", replied_before: bool = False,
             unanswered: int = 1, attachment_types: Sequence[str] = ()) -> str:
    """Return the model's input: folded subject and text plus tokens for the thread facts
    (``zzreplied``, ``zzchase``) and attachments (``zzimage``, ``zzfile``)."""
    extra = []
    if replied_before:
        extra.append("zzreplied")
    if unanswered >= 2:
        extra.append("zzchase")
    if any(t.lower().startswith("image/") for t in attachment_types):
        extra.append("zzimage")
    elif attachment_types:
        extra.append("zzfile")
    if subject.strip().lower().startswith("re:"):
        extra.append("zzre")
    return f"{fold(subject)}\n{fold(text)} {' '.join(extra)}".strip()


def message_features(m: dict[str, Any]) -> str:
    """Return :func:`features` for a corpus or fixture message (a TOML table)."""
    return features(m["text"], m.get("subject", ""), bool(m.get("replied_before", False)),
                    int(m.get("unanswered", 1)), m.get("attachments", []))


def terms(text: str) -> list[str]:
    """Return the terms of ``text``: character 2- to 5-grams of each space-padded word,
    words of two letters or more, and pairs of consecutive words."""
    out: list[str] = []
    for word in text.split():
        out += _grams(word)
    words = _WORD.findall(text)
    out += [f"w:{w}" for w in words]
    out += [f"b:{a} {b}" for a, b in pairwise(words)]
    return out


def _grams(word: str) -> tuple[str, ...]:
    """The character 2- to 5-grams of ``word`` padded with a space on each side.

    Not cached: a model keeps the term indexes of the tokens it saw (``_tokens``), and a
    cache of the strings themselves held ~5 MB at 4,096 words (~140 MB at 65,536) for no
    measurable gain in training (#19)."""
    padded = f" {word} "
    return tuple(padded[i:i + n] for n in range(2, 6) for i in range(len(padded) - n + 1))


_KNOWN = partial(is_not, None)
"""True for an index found (``index.get`` gives None for an unknown n-gram)."""


@lru_cache(maxsize=256)
def _slices(size: int) -> tuple[slice, ...]:
    """The slices that cut :func:`_grams` out of a padded word of ``size`` characters, in
    its order (all 2-grams, then the 3-grams...)."""
    return tuple(slice(i, i + n) for n in range(2, 6) for i in range(size - n + 1))


def term_counts(text: str) -> Counter[str]:
    """Return how often each term of ``text`` occurs (``Counter(terms(text))``, counted a
    word at a time)."""
    counts: Counter[str] = Counter()
    for word, k in Counter(text.split()).items():
        counts.update(_grams(word) * k)
    words = _WORD.findall(text)
    counts.update([f"w:{w}" for w in words])
    counts.update([f"b:{a} {b}" for a, b in pairwise(words)])
    return counts


class _TokenTerms(dict[str, tuple[bytes, bytes, tuple[str, ...]]]):
    """Token (a whitespace-separated piece of the input) -> what the model knows of it: the
    indexes of its known character n-grams (in :func:`_grams` order, repeats kept, as an
    array), the indexes of its known ``w:`` terms, and its words (``_WORD`` matches), filled
    as tokens are met. Words never span whitespace, so an input's words are its tokens'
    words in turn.

    Bounded in two generations: when the tokens met lately reach half of
    :data:`_WORD_CACHE` they become the older generation (the one before is dropped), and a
    token found there moves back. A long-running process meets new tokens forever (order
    numbers, names), and emptying the whole cache at the bound dropped the common words
    with them: on the realistic mix (~12,000 distinct words in 3,000 mails) a third of the
    model's time went to finding their n-grams again (#19)."""

    def __init__(self, index: dict[str, int], known_words: dict[str, tuple[int]]) -> None:
        super().__init__()
        self.index = index
        self.known_words = known_words
        self.older: dict[str, tuple[bytes, bytes, tuple[str, ...]]] = {}
        """The generation before this one (at most half of :data:`_WORD_CACHE` tokens)."""

    def __missing__(self, token: str) -> tuple[bytes, bytes, tuple[str, ...]]:
        found = self.older.get(token)
        if found is None:  # the n-grams of _grams(token), in its order, cut out in C
            padded = f" {token} "
            grams = array(_ID_TYPE, filter(_KNOWN, map(self.index.get, map(
                padded.__getitem__, _slices(len(padded)))))).tobytes()
            # a token of word characters only is one word (``\w`` is ``isalnum`` or _)
            words = ((token,) if len(token) > 1 and token.isalnum()
                     else tuple(_WORD.findall(token)))
            word_ids = array(_ID_TYPE, chain.from_iterable(
                map(self.known_words.get, words, repeat(())))).tobytes()
            found = (grams, word_ids, words)
        if len(self) >= _WORD_CACHE // 2:
            self.older = dict(self)
            self.clear()
        self[token] = found
        return found


_GRAMS_OF = itemgetter(0)
_WORD_IDS_OF = itemgetter(1)
_WORDS_OF = itemgetter(2)
_NOT_SEEN = np.iinfo(np.intp).max
_ID_TYPE = "i"
"""Term indexes are kept as C ints (``array`` type ``i``, numpy ``intc``): a token's indexes
are then a short ``bytes`` (4 bytes an index), and an input's are joined in one call."""
_ID_DTYPE = np.intc


def _normalised(weights: Vector) -> Vector:
    norm = math.sqrt(sum(x * x for x in weights.values()))
    return {t: x / norm for t, x in weights.items()} if norm else {}


class SituationModel:
    """The IDF of every known term and one normalised centroid per situation, held as arrays:
    a term index, the IDF as an array and the centroids as one array (a row per known term,
    a column per situation in :attr:`classes` order). Scoring an input is then a gather and
    one product; the dictionaries it was built from are not kept (#19: they held ~7 MB of
    dictionaries and floats in every process)."""

    def __init__(self, idf: dict[str, float], centroids: dict[str, Vector]) -> None:
        self.classes: list[str] = sorted(centroids)
        """The situations the model knows, sorted."""
        index = {t: i for i, t in enumerate(idf)}
        matrix = np.zeros((len(index), len(self.classes)))
        for j, s in enumerate(self.classes):
            for t, x in centroids[s].items():
                matrix[index[t], j] = x
        self._arrays: tuple[dict[str, int], Any, Any] = (
            index, np.fromiter(idf.values(), dtype=float, count=len(index)), matrix)

    def idf(self) -> dict[str, float]:
        """Return the IDF of each known term, in index order (built from the arrays on each
        call: the model keeps no dictionary of them)."""
        index, idf, _matrix = self._arrays
        return dict(zip(index, idf.tolist(), strict=True))

    def centroids(self) -> dict[str, Vector]:
        """Return each situation's centroid, its non-zero terms only (built from the arrays
        on each call)."""
        index, _idf, matrix = self._arrays
        names = list(index)
        return {s: {names[i]: float(matrix[i, j]) for i in np.flatnonzero(matrix[:, j])}
                for j, s in enumerate(self.classes)}

    @cached_property
    def _class_list(self) -> list[str]:
        """:attr:`classes`, sorted once."""
        return self.classes

    @cached_property
    def _known_words(self) -> tuple[dict[str, tuple[int]], dict[tuple[str, str], int]]:
        """The index of the ``w:`` term of each known word (as a 1-tuple), and of each known
        pair's term (``b:a b``) by its two words, so an input's words and pairs are looked
        up without building the terms' names (#19: the pair names of a message cost ~0.01
        ms to build; a word is never blank, so ``a b`` splits at its one space; pairs of
        consecutive words are ``zip``'s tuples, one look-up each, ~8,000 pairs)."""
        index = self._arrays[0]
        pairs: dict[tuple[str, str], int] = {}
        for t, i in index.items():
            if t.startswith("b:"):
                first, second = t[2:].split(" ", 1)
                pairs[first, second] = i
        return {t[2:]: (i,) for t, i in index.items() if t.startswith("w:")}, pairs

    @cached_property
    def _tokens(self) -> _TokenTerms:
        """Per token seen so far: its known n-grams, known words and words
        (:class:`_TokenTerms`)."""
        return _TokenTerms(self._arrays[0], self._known_words[0])

    @cached_property
    def _scratch(self) -> tuple[threading.Lock, Any, Any]:
        """Two arrays over the known terms (first position seen, count), kept at their blank
        values between inputs (:meth:`_rows_counts`), and the lock that lends them to one
        thread at a time (0.5 MB a model, however many threads score). Native-size integers,
        as the indexes: ``ufunc.at`` on int32 arrays took four times as long."""
        size = len(self._arrays[0])
        return (threading.Lock(), np.full(size, _NOT_SEEN, dtype=np.intp),
                np.zeros(size, dtype=np.intp))

    def _rows_counts(self, feature_text: str) -> tuple[Any, Any]:
        """Return the known terms of one input (their indexes, in the order they first
        occur in :func:`terms`) and how often each occurs, as two arrays.

        The indexes of every n-gram of every token, then of every word, then of every word
        pair, are gathered into one array from the token cache; the first position of each
        index and its count are then marked in two arrays over all known terms (reset to
        blank for the next input), so the terms come out in first-seen order without a
        sort, as :func:`term_counts` (a ``Counter``) orders them."""
        entries = list(map(self._tokens.__getitem__, feature_text.split()))
        words = list(chain.from_iterable(map(_WORDS_OF, entries)))
        # zip's tuples of consecutive words (a little quicker than pairwise's)
        pairs = array(_ID_TYPE, filter(_KNOWN, map(self._known_words[1].get, zip(
            words, islice(words, 1, None), strict=False))))
        ids = np.frombuffer(b"".join([*map(_GRAMS_OF, entries), *map(_WORD_IDS_OF, entries),
                                      pairs.tobytes()]), dtype=_ID_DTYPE).astype(np.intp)
        lock, first, count = self._scratch
        positions = np.arange(ids.size, dtype=np.intp)
        with lock:
            try:
                np.minimum.at(first, ids, positions)
                np.add.at(count, ids, 1)
                rows = ids[first.take(ids) == positions]
                return rows, count.take(rows)
            finally:
                first[ids] = _NOT_SEEN
                count[ids] = 0

    def term_ids(self, feature_text: str) -> Counter[int]:
        """Return the known terms of one input (their indexes in the model) with how often
        each occurs: :func:`term_counts` without the unknown terms, in the same order."""
        rows, counts = self._rows_counts(feature_text)
        return Counter(dict(zip(rows.tolist(), counts.tolist(), strict=True)))

    def scores(self, feature_text: str) -> dict[str, float]:
        """Return the cosine of one input's TF-IDF vector (:meth:`vector`) to each
        situation's centroid."""
        _index, idf, matrix = self._arrays
        rows, counts = self._rows_counts(feature_text)
        if not rows.size:
            return dict.fromkeys(self.classes, 0.0)
        # take(): the same gather as idf[rows], without fancy indexing's overhead
        weights = (1 + np.log(counts)) * idf.take(rows)
        # math.sqrt: the same correctly rounded root as np.sqrt, without a NumPy scalar
        values = (weights / math.sqrt(weights @ weights)) @ matrix.take(rows, axis=0)
        return dict(zip(self._class_list, values.tolist(), strict=True))

    def vector(self, feature_text: str) -> Vector:
        """Return the L2-normalised TF-IDF vector of one input (unknown terms dropped)."""
        index, idf, _matrix = self._arrays
        counts = Counter(t for t in terms(feature_text) if t in index)
        return _normalised({t: (1 + math.log(k)) * float(idf[index[t]])
                            for t, k in counts.items()})


def train(messages: Sequence[dict[str, Any]]) -> SituationModel:
    """Return a model fitted on ``messages`` (corpus tables with ``situation``)."""
    counts = [Counter(terms(message_features(m))) for m in messages]
    df = Counter(t for c in counts for t in c)
    n = len(messages)
    idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
    sums: dict[str, dict[str, float]] = {}
    for m, c in zip(messages, counts, strict=True):
        vec = _normalised({t: (1 + math.log(k)) * idf[t] for t, k in c.items()})
        total = sums.setdefault(m["situation"], {})
        for t, x in vec.items():
            total[t] = total.get(t, 0.0) + x
    return SituationModel(idf, {s: _normalised(v) for s, v in sorted(sums.items())})


@lru_cache(maxsize=1)
def packaged_model() -> SituationModel:
    """Return the model trained on the packaged corpus (trained once per process)."""
    return train(load_corpus())


def probabilities(model: SituationModel, feature_text: str) -> dict[str, float]:
    """Return a probability for each situation the model knows, for one input."""
    scores = model.scores(feature_text)
    top = max(scores.values())
    exp = {s: math.exp((v - top) / TEMPERATURE) for s, v in scores.items()}
    total = sum(exp.values())
    return {s: e / total for s, e in exp.items()}
