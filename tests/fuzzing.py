"""Helpers of the seed-corpus fuzz suite (tests/test_fuzz_parsers.py).

Inputs start from the files in ``tests/fuzz_seeds/<target>/`` and are mutated by hypothesis:
byte-level edits (flips, inserted tokens, cut or repeated slices, splices of two seeds) for
mail and TOML, structural edits (a value replaced by one of another type, a key dropped, a
list repeated) for JSON. Hypothesis shrinks a failing input to a small one; add it to the
seed folder when the bug is fixed, so it is tried first from then on.

``no_hang`` turns a parser that never returns into a test failure: an interval timer raises
``Hang`` (a BaseException, so a broad ``except Exception`` in the code under test cannot
swallow it) after a limit far above any real run. It is a hang detector, not a speed test.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SEEDS = Path(__file__).parent / "fuzz_seeds"
HANG_SECONDS = float(os.environ.get("FUZZ_HANG_SECONDS", "60"))
"""A parse that has not returned after this long is taken to hang (real ones take < 1 s)."""

MAX_BYTES = 400_000
"""Mutated inputs are cut to this size, so one example stays cheap."""

FUZZ = settings(
    derandomize=True,  # same examples on every run and machine: a failure is reproducible
    database=None,  # nothing remembered between runs, so CI and a laptop run the same cases
    deadline=None,  # no timing thresholds; hangs are caught by no_hang
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture],
)


class Hang(BaseException):
    """Raised inside the code under test when it runs longer than ``HANG_SECONDS``."""


@contextmanager
def no_hang(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread if the block runs longer than ``seconds``."""

    def alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"still running after {seconds:.0f} s: the parser hangs on this input")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def seed_files(target: str, suffix: str) -> list[Path]:
    """The seed files of ``target`` (a folder of tests/fuzz_seeds), sorted by name."""
    files = sorted((SEEDS / target).glob(f"*{suffix}"))
    if not files:
        raise FileNotFoundError(f"no {suffix} seeds in {SEEDS / target}")
    return files


# --------------------------------------------------------------------------- bytes
MAIL_TOKENS = [
    b"\r\n", b"\n", b"\r\n\r\n", b"\r\n ", b"\r\n\t", b":", b";", b",", b"<", b">", b"@",
    b'"', b"\\", b"=?", b"?=", b"=?utf-8?B?", b"=?utf-8?Q?", b"=?x-unknown?B?", b"=?utf-16?B?",
    b"--", b"boundary=", b'boundary=""', b"charset=", b"charset=utf-16",
    b"Content-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\n",
    b"Content-Type: message/rfc822\r\n\r\n", b"Content-Transfer-Encoding: base64\r\n",
    b"Content-Transfer-Encoding: quoted-printable\r\n", b"=\r\n", b"=ZZ", b"=E2=80",
    b"Content-Disposition: attachment; filename*=utf-8''%E2%80%A8x\r\n",
    b"Auto-Submitted: auto-replied\r\n", b"Return-Path: <>\r\n", b"Date: ", b"+9999",
    b"Message-ID: <", b"References: ", b"In-Reply-To: ", b"From: ", b"\x00", b"\xff",
    b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3", b"\xe2\x80\xa8", b"\xe2\x80\xa9", b"\xc2\x85",
    b"\xed\xa0\x80", b"<html><body>", b"</div>" * 3, b"<!--", b"<![CDATA[", b"&#0;",
    b"&#x110000;", b"From ", b"\x1b$B", b"+/v8-",
]
TOML_TOKENS = [
    b"\n", b"=", b"[", b"]", b"[[", b"]]", b"{", b"}", b",", b".", b'"', b"'", b'"""', b"'''",
    b"#", b"\\", b"\\u0000", b"\\uD800", b"\x00", b"\xff", b"\xe2\x80\xa8", b" = true",
    b" = 1e999", b" = -0", b" = 9223372036854775808", b" = nan", b" = inf",
    b" = 1979-05-27T07:32:00Z", b" = 24:61:00", b' = ""', b" = []", b" = {}", b" = [[]]",
    b'"0s"', b'"-1h"', b'"999999999d"', b'"1.5h"', b'"80%"', b'"101%"', b'"0%"',
    b'"Mon-Fri 09:00-17:00"', b'"25:00-26:00"', b'"Mars/Olympus"', b'"../../etc/passwd"',
    b"[sources.oauth2]\n", b"[[sources]]\nname = 'x'\n", b"type = 'imap'\n",
    b"type = 'x'\n", b"[deadlines.calendars.", b"[notifications.smtp]\n", b"smtp_starttls = ",
    b"[send]\nretry_base = 1\n", b"[[acknowledgements]]\n",
    b"\nnested = " + b"[" * 600 + b"]" * 600 + b"\n",  # parsers that recurse per level
    b"\n[deadlines]\nwarn_before = " + b"{a=" * 450 + b"1" + b"}" * 450 + b"\n",
]
JSON_TOKENS = [
    b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\\u0000", b"\\ud800", b"null", b"true",
    b"1e999", b"-0", b"99999999999999999999999999", b"NaN", b"Infinity", b"\x00", b"\xff",
    b"\xe2\x80\xa8",
]


@st.composite
def mutated_bytes(draw: st.DrawFn, seeds: list[bytes], tokens: list[bytes],
                  max_ops: int = 8) -> bytes:
    """One seed (or two spliced) with up to ``max_ops`` byte-level edits."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "truncate", "splice",
                                   "nest"]))
        pos = draw(st.integers(0, len(data)))
        if op == "flip" and data:
            data[min(pos, len(data) - 1)] = draw(st.integers(0, 255))
        elif op == "insert":
            if draw(st.booleans()):  # at a line start: a new header, key or table
                pos = data.rfind(b"\n", 0, pos) + 1
            data[pos:pos] = draw(st.sampled_from(tokens))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif op == "repeat":  # a slice repeated: huge headers, long lines, many parts
            chunk = bytes(data[pos:pos + draw(st.integers(1, 80))]) or b"x"
            data[pos:pos] = chunk * draw(st.integers(2, 3000))
        elif op == "truncate":
            del data[pos:]
        elif op == "splice":
            other = draw(st.sampled_from(seeds))
            data[pos:] = other[draw(st.integers(0, len(other))):]
        else:  # deep nesting: one opening token many times, sometimes closed
            token = draw(st.sampled_from(tokens))
            depth = draw(st.integers(100, 5000))
            data[pos:pos] = token * depth
        if len(data) > MAX_BYTES:
            del data[MAX_BYTES:]
    return bytes(data)


# --------------------------------------------------------------------------- JSON
ODD_STRINGS = [
    "", " ", "0", "-1", "1e5", "99999999999999999999999", "18446744073709551616", "abc",
    "2026-13-45T99:99:99Z", "2026-11-20T07:55:00", "2026-11-20T07:55:00+25:00", "not a date",
    "<p>", "<script>alert(1)</script>", "<p><span>@</span></p>" * 50, "\u2028\u2029\x85",
    "\x00", "\ud800", "@" * 300, "x" * 20_000, "in", "fil", "und", "replied_to", "retweeted",
    "mention", "../../", "%s%s%n", "\r\nBcc: a@b", "null",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(ODD_STRINGS)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["id", "text", "data", "meta", "users", "account",
                                       "status", "content", "type", "x"]) | st.text(max_size=8),
                      children, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


JSON_KEYS = ["id", "next_token", "errors", "in_reply_to_id", "created_at", "lang", "language"]


@st.composite
def mutated_doc(draw: st.DrawFn, seeds: list[Any], values: st.SearchStrategy[Any] = JSON_VALUES,
                keys: list[str] = JSON_KEYS, max_ops: int = 6) -> Any:
    """A deep copy of one seed document (parsed JSON or TOML) with up to ``max_ops``
    structural edits: a value replaced, a key dropped or added, a list item repeated."""
    doc = copy.deepcopy(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, max_ops))):
        path = draw(st.sampled_from(list(_paths(doc))))
        op = draw(st.sampled_from(["replace", "replace", "drop", "add", "repeat"]))
        if not path:
            if op == "replace":
                doc = draw(values)
            elif op == "add" and isinstance(doc, dict):
                doc[draw(st.sampled_from(keys))] = draw(values)
            continue
        parent, last = _get(doc, path[:-1]), path[-1]
        if op == "replace":
            parent[last] = draw(values)
        elif op == "drop":
            del parent[last]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(keys))] = draw(values)
        elif op == "add" and isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from(keys))] = draw(values)
        elif op == "repeat" and isinstance(parent, list):
            parent.extend([copy.deepcopy(parent[last])] * draw(st.integers(1, 60)))
    return doc


def mutated_json(seeds: list[Any]) -> st.SearchStrategy[Any]:
    """A structurally mutated JSON document (see :func:`mutated_doc`)."""
    return mutated_doc(seeds)


@st.composite
def json_body(draw: st.DrawFn, seeds: list[Any]) -> bytes:
    """A response body: a structurally mutated seed, sometimes also byte-mutated (then often
    not JSON at all, as from a broken proxy)."""
    text = json.dumps(draw(mutated_json(seeds)), ensure_ascii=draw(st.booleans()))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0:
        raw = draw(mutated_bytes([raw], JSON_TOKENS, max_ops=3))
    return raw


# --------------------------------------------------------------------------- HTTP
Answer = tuple[int, dict[str, str], bytes]


class ScriptedApi:
    """A loopback HTTP server answering each path with a scripted list of responses.

    The last response of a script repeats once the list is used up: a server stuck on one
    answer (the same page, the same token) must not make a client loop for ever.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.scripts: dict[str, list[Answer]] = {}
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = api.answer(urlsplit(self.path).path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, scripts: dict[str, list[Answer]]) -> None:
        """Replace every script: path suffix -> responses in order."""
        with self.lock:
            self.scripts = {k: list(v) for k, v in scripts.items()}
            self.requests = []

    def answer(self, path: str) -> Answer:
        """The next scripted response of the script whose key ``path`` ends with."""
        with self.lock:
            self.requests.append(path)
            for suffix, answers in self.scripts.items():
                if path.endswith(suffix) and answers:
                    return answers.pop(0) if len(answers) > 1 else answers[0]
        return 404, {}, b'{"error": "not found"}'

    def stop(self) -> None:
        """Shut the server down."""
        self.server.shutdown()
        self.server.server_close()


HEADER_VALUES = ["", "0", "1", "-1", "abc", "1e3", "99999999999999999999",
                 "2026-11-20T08:15:00.000000Z", "2026-11-20T08:15:00", "1795392000",
                 "Fri, 20 Nov 2026 08:15:00 GMT", "NaN", "\u00e9"]


@st.composite
def answers(draw: st.DrawFn, body: st.SearchStrategy[bytes], rate_headers: list[str],
            max_size: int = 3) -> list[Answer]:
    """One to ``max_size`` responses: mostly 200, sometimes an error status, with fuzzed
    rate-limit headers."""
    out: list[Answer] = []
    for _ in range(draw(st.integers(1, max_size))):
        status = draw(st.sampled_from([200] * 6 + [400, 401, 403, 404, 429, 500, 503]))
        headers = {h: draw(st.sampled_from(HEADER_VALUES))
                   for h in rate_headers if draw(st.booleans())}
        out.append((status, headers, draw(body)))
    return out


# --------------------------------------------------------------------------- TOML
class Deep:
    """A value nested ``depth`` times (written as ``[[[...]]]`` or ``{a={a=...}}``)."""

    def __init__(self, depth: int, table: bool) -> None:
        self.depth = depth
        self.table = table


TOML_KEYS = ["name", "type", "enabled", "path", "timezone", "hours", "holidays",
             "holidays_ics", "within", "category", "channel", "priority", "kind", "listen",
             "smtp_starttls", "smtp_host", "retry", "retry_base", "max_attempts", "tls",
             "host", "port", "url", "url_env", "user_id", "instance_url", "email", "social",
             "calendar", "sources", "deadlines", "notifications", "web", "ops", "x"]
TOML_VALUES = (
    JSON_VALUES.filter(lambda v: v is not None and not (isinstance(v, str) and "\ud800" in v))
    | st.dates() | st.times() | st.datetimes() | st.datetimes(timezones=st.just(UTC))
    | st.sampled_from([float("nan"), float("inf"), "0s", "-1h", "999999999d", "1.5h", "80%",
                       "101%", "08:00-12:00, 13:00-17:30", "25:00-26:00", "Mars/Olympus",
                       "../../etc/passwd", "/dev/zero", "imap", "x", "mastodon", "maildir",
                       "first_response", "urgent", "always", "starttls", "127.0.0.1:0"])
    | st.builds(Deep, st.integers(300, 700), st.booleans())
)


def toml_value(value: Any) -> str:
    """``value`` written as a TOML value (tables inline)."""
    if isinstance(value, Deep):
        if value.table:
            return "{a=" * value.depth + "1" + "}" * value.depth
        return "[" * value.depth + "]" * value.depth
    if value is None:  # TOML has no null: the closest is an empty string
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(str(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML's (a lone surrogate: a TOML error)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {type(value).__name__}")


def to_toml(doc: Any) -> bytes:
    """A parsed (and mutated) TOML document written back, every table inline."""
    if not isinstance(doc, dict):
        return f"value = {toml_value(doc)}\n".encode()
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n"
                   for k, v in doc.items()).encode("utf-8", "surrogatepass")
