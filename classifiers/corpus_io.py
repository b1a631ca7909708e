"""Reading labelled CSV files: the bundled corpus and the admins' extra data."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from triage.errors import CorpusError

LABELS: tuple[str, ...] = ("complaint", "request", "suggestion", "technical_issue", "other")
CORPUS_DIR = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Example:
    """One labelled message."""

    text: str
    label: str
    lang: str = ""
    channel: str = ""
    source: str = ""
    """Where the message came from (optional CSV column; used to group evaluation reports)."""


def corpus_files() -> list[Path]:
    """Return the bundled corpus files, sorted."""
    return sorted(CORPUS_DIR.glob("*.csv"))


def read_examples(path: Path, *, require_lang: bool = False) -> list[Example]:
    """Read one CSV with at least ``text`` and ``label`` columns.

    Raises CorpusError naming the file and line of the first bad row.
    """
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror})") from exc
    with fh:
        reader = csv.DictReader(fh)
        cols = set(reader.fieldnames or [])
        if not {"text", "label"} <= cols:
            raise CorpusError(f"{path}: needs columns 'text' and 'label' (found: "
                              f"{', '.join(sorted(cols)) or 'none'}); fix the header line")
        out: list[Example] = []
        try:
            for row in reader:
                line = reader.line_num
                text = (row.get("text") or "").strip()
                label = (row.get("label") or "").strip()
                if not text:
                    raise CorpusError(f"{path}:{line}: empty text; remove the row or fill it")
                if label not in LABELS:
                    raise CorpusError(f"{path}:{line}: label {label!r} is not one of "
                                      f"{', '.join(LABELS)}; correct it")
                lang = (row.get("lang") or "").strip()
                if require_lang and not lang:
                    raise CorpusError(f"{path}:{line}: lang is empty; use en, vi, id or tl")
                out.append(Example(text, label, lang, (row.get("channel") or "").strip(),
                                   (row.get("source") or "").strip()))
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{path}: not UTF-8 ({exc}); save it as UTF-8") from exc
        except csv.Error as exc:
            raise CorpusError(f"{path}:{reader.line_num}: bad CSV ({exc})") from exc
    return out


def load_corpus(extra: Iterable[Path] = ()) -> list[Example]:
    """Return the bundled corpus plus the examples of ``extra`` CSV files."""
    out: list[Example] = []
    for p in corpus_files():
        out.extend(read_examples(p, require_lang=True))
    for p in extra:
        out.extend(read_examples(Path(p)))
    if not out:
        raise CorpusError(f"no training examples found in {CORPUS_DIR}")
    return out


def examples_hash(examples: Iterable[Example]) -> str:
    """Return a SHA-256 over the examples (order-sensitive), identifying training data."""
    h = hashlib.sha256()
    for e in examples:
        h.update(f"{e.label}\t{e.lang}\t{e.channel}\t{e.text}\n".encode())
    return h.hexdigest()
