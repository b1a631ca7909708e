"""Load the fixture cases and score an extractor on them (standard library only, so the
comparison of other reply parsers can run in a venv without triage)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

CASES = Path(__file__).resolve().parent / "cases"
CLIENTS = {"gmail", "outlook", "outlookweb", "outlookmac", "outlookdesktop", "outlookandroid",
           "ios", "ipad", "apple", "thunderbird", "yahoo", "samsung", "yandex", "mailru",
           "android", "windowsmail", "zoho", "lark", "qqmail", "naver"}
"""Client names of the case files; other second name parts are hand-made shapes."""


@dataclass(frozen=True)
class Case:
    """One fixture: its name parts, the raw mail and the expected customer text."""

    name: str
    lang: str
    client: str
    raw: bytes
    expected: str

    @property
    def forward(self) -> bool:
        """True for the forward cases."""
        return "forward" in self.name


def load_cases() -> list[Case]:
    """Every case in ``cases/``, sorted by name."""
    out = []
    for eml in sorted(CASES.glob("*.eml")):
        name = eml.name[:-4]
        lang, client = [*name.split("-"), "?"][:2]
        client = client if client in CLIENTS else "hand-made shape"
        expected = (CASES / f"{name}.expected.txt").read_text(encoding="utf-8")
        out.append(Case(name, lang, client, eml.read_bytes(), expected))
    return out


def bodies(raw: bytes) -> tuple[str | None, str | None, str]:
    """Return ``(plain, html, subject)`` of a fixture mail (standard library only)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    return (plain.get_content() if plain is not None else None,
            html.get_content() if html is not None else None, str(msg["Subject"] or ""))


def normalise(text: str) -> str:
    """Whitespace-insensitive form used to compare extracted and expected text."""
    return " ".join(text.split())


def score(cases: list[Case], extract: Callable[[Case], str]) -> dict[str, object]:
    """Run ``extract`` on every case; return totals, per-language and per-client accuracy
    and the names of the failures."""
    ok: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases:
        try:
            got = extract(case)
        except Exception as exc:  # a library that crashes on a case fails it
            got = f"<{type(exc).__name__}>"
        hit = normalise(got) == normalise(case.expected)
        keys = ["all", f"lang:{case.lang}", f"client:{case.client}",
                "forwards" if case.forward else "replies"]
        if "holdout" in case.name:
            keys.append("holdout")
        for key in keys:
            ok[key][0] += hit
            ok[key][1] += 1
        if not hit:
            failures.append(case.name)
    return {"counts": {k: tuple(v) for k, v in ok.items()}, "failures": failures}


def iter_rows(result: dict[str, object], prefix: str) -> Iterator[tuple[str, int, int]]:
    """``(key, hits, total)`` of ``result`` for keys starting with ``prefix``."""
    counts: dict[str, tuple[int, int]] = result["counts"]  # type: ignore[assignment]
    for key in sorted(k for k in counts if k.startswith(prefix)):
        yield key[len(prefix):], *counts[key]
