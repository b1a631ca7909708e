"""Compare reply parsers on triage's fixtures (tests/mail_fixtures/cases).

Scores every parser that is importable in the running interpreter: triage's own extraction
(``triage.mail.quotes``), mail-parser-reply, quotequail, email-reply-parser and talon. Each
gets the body as a plain-text reader would (the text part, else the HTML part turned into text
with inscriptis); quotequail and talon also get the HTML itself. A case counts as right when
the extracted text equals the expected customer text, whitespace aside.
Usage: ``python bench/reply_parsers.py [--failures]`` (run it in a venv that has the others
installed to compare them; prints one line per parser and JSON with per-language numbers).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.mail_fixtures.score import Case, bodies, load_cases, score


def _text(case: Case) -> str:
    plain, html, _ = bodies(case.raw)
    if plain is not None:
        return plain
    from inscriptis import get_text

    return get_text(html or "")


def parsers() -> dict[str, Callable[[Case], str]]:
    """Every parser importable here, by name."""
    out: dict[str, Callable[[Case], str]] = {}
    try:
        from datetime import UTC, datetime

        from triage.mail.parse import parse_email

        def ours(case: Case) -> str:
            return parse_email(case.raw, fallback_received=datetime.now(UTC)).text

        out["triage"] = ours
    except ImportError:
        pass
    try:
        from mailparser_reply import EmailReplyParser
        from mailparser_reply.constants import MAIL_LANGUAGES

        langs = [k for k in MAIL_LANGUAGES if k != "david"]
        mpr = EmailReplyParser(languages=langs)
        out["mail-parser-reply (all languages)"] = lambda c: mpr.parse_reply(_text(c))
    except ImportError:
        pass
    try:
        import quotequail

        def qq(case: Case) -> str:
            return "\n".join(t for show, t in quotequail.quote(_text(case)) if show)

        def qq_html(case: Case) -> str:
            from inscriptis import get_text

            _plain, html, _ = bodies(case.raw)
            if html is None:
                return qq(case)
            return get_text("".join(t for show, t in quotequail.quote_html(html) if show))

        out["quotequail"] = qq
        out["quotequail (HTML when present)"] = qq_html
    except ImportError:
        pass
    try:
        from email_reply_parser import EmailReplyParser as ERP

        out["email-reply-parser"] = lambda c: ERP.parse_reply(_text(c))
    except ImportError:
        pass
    try:
        import talon
        from talon import quotations
        from talon.signature.bruteforce import extract_signature

        talon.init()

        def tal(case: Case) -> str:
            return extract_signature(quotations.extract_from_plain(_text(case)))[0]

        def tal_html(case: Case) -> str:
            from inscriptis import get_text

            _plain, html, _ = bodies(case.raw)
            if html is None:
                return tal(case)
            return extract_signature(get_text(quotations.extract_from_html(html)))[0]

        out["talon"] = tal
        out["talon (HTML when present)"] = tal_html
    except ImportError:
        pass
    return out


def main() -> None:
    """Score each parser and print the results."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--failures", action="store_true", help="list the failed cases")
    ap.add_argument("--only", default="", help="score only parsers whose name contains this")
    args = ap.parse_args()
    cases = load_cases()
    results = {}
    for name, fn in parsers().items():
        if args.only not in name:
            continue
        res = score(cases, fn)
        counts = res["counts"]
        hit, total = counts["all"]
        rh, rt = counts.get("replies", (0, 0))
        print(f"{name:36s} {hit:4d}/{total} = {hit / total:6.1%}   replies only "
              f"{rh}/{rt} = {rh / max(rt, 1):.1%}")
        if args.failures:
            print("   failures:", " ".join(res["failures"]))
        results[name] = res
    Path("/tmp/reply_parsers.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
