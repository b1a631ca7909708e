"""More fast paths of drafting (#19, render10 and render11), each compared with the plain
evaluation: one throttled up-to-date test per template and its partials, the sign-off
pattern tried at line starts only, the Vietnamese self-reference tried at its pronouns only,
the context's data classes read without the sandbox's checks. (The drafts as a whole are
compared in tests/test_draft_fastpath.py.)"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from tests.test_draft_fastpath import NOW, _renderer, _touch
from triage.clock import FrozenClock
from triage.drafting import render as render_module
from triage.drafting.address import (
    _SIGN_OFF,
    _VI_SELF,
    _VI_SELF_WORDS,
    self_reference,
    sign_offs,
)
from triage.drafting.extract import Amount, Facts
from triage.drafting.render import PLAIN_DATA, DraftRequest
from triage.drafting.rule_literals import case_gate_literals
from triage.drafting.situations import ThreadFacts
from triage.drafting.techdetails import TechDetails


def test_a_template_and_its_partials_ask_the_clock_once_a_draft(tmp_path: Path) -> None:
    """One throttled up-to-date test per template for its file and the partials put into it:
    a draft of a template that extends a frame with two partials reads the clock once for
    the template and once for the frame, and an edited partial is still seen after the
    interval (and not before)."""
    (tmp_path / "en").mkdir()
    partial = tmp_path / "en" / "_signature.j2"
    partial.write_text("Cheers,\n{{ team_name }}")

    class Counting(FrozenClock):
        reads = 0

        def now(self) -> datetime:
            Counting.reads += 1
            return super().now()

    clock = Counting(NOW)
    renderer = _renderer(template_dir=tmp_path, clock=clock)
    req = DraftRequest(category="suggestion", channel="email", language="en", subject="Idea",
                       text="Add dark mode", sender="d@example.com", sender_name="Ann Lee",
                       thread_id=4, due_at=None, now=NOW, situation="general")
    first = renderer.render(req).text
    Counting.reads = 0
    assert renderer.render(req).text == first
    assert Counting.reads == 2  # en/suggestion.email.j2 and its frame en/_email.j2
    _touch(partial, "Best,\n{{ team_name }}")
    clock.advance(timedelta(seconds=render_module.TEMPLATE_CHECK_SECONDS * 0.5))
    assert renderer.render(req).text == first
    clock.advance(timedelta(seconds=render_module.TEMPLATE_CHECK_SECONDS * 0.6))
    assert renderer.render(req).text == first.replace("Cheers,", "Best,")


@pytest.mark.parametrize("seed", range(4))
def test_sign_offs_tried_at_line_starts_equal_finditer(seed: int) -> None:
    """:func:`sign_offs` tries the sign-off pattern only where a line starts; on sign-offs,
    near misses and line breaks in any order it finds what ``finditer`` finds."""
    rng = random.Random(seed)
    pieces = ["Regards, ", "Mr. Tan", "ibu Siti", "- chị Lan", "Salamat po, Ma'am Joy", "\n",
              " ", "\t", "Thanks", ".", "!", "anh Minh Anh", "Mrs", "Dr.", "x", "\n\n",
              "Terima kasih\nBapak Budi", "—", "hello world", "Sir", "Cô Hoa"]
    found = 0
    for _ in range(3000):
        tail = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        fast = [m.span() for m in sign_offs(tail)]
        assert fast == [m.span() for m in _SIGN_OFF.finditer(tail)], repr(tail)
        found += len(fast)
    assert found > 300


@pytest.mark.parametrize("seed", range(4))
def test_self_reference_tried_at_pronouns_equals_search(seed: int) -> None:
    """:func:`self_reference` tries the Vietnamese self-reference only where a pronoun
    occurs after a break; on pronouns in any case (and the letters matching compares unlike
    ``lower()``), breaks, whitespace and near misses in any order it finds the pronoun the
    plain search finds."""
    assert case_gate_literals(_VI_SELF) == _VI_SELF_WORDS
    rng = random.Random(seed)
    pieces = ["chị", "Chị", "CHỊ", "anh", "Anh", "ANH", "chi", "CHI", "chı", "nhanh", "chính",
              " ", "  ", "\t", "\n", "\u2003", ".", "!", "?", ",", ";", "đặt", "mua", "đã mua",
              "dat", "chuyển khoản", "nhận được", "đơn", "x", "thanh toán", "ạ", "- ",
              "chị đặt", "Anh mua", "CHI da mua", ". anh vừa nhận", "\nchị  chưa nhận"]
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        plain = _VI_SELF.search(text)
        assert self_reference(text) == (plain.group("h") if plain else None), repr(text)
        found += plain is not None
    assert found > 300


def test_context_attributes_read_as_the_sandbox_reads_them() -> None:
    """The renderer reads the context data classes' attributes without the sandbox's checks:
    every name the sandbox allows gives the same value, every other name its answer."""
    fast = _renderer().env
    plain = SandboxedEnvironment(undefined=jinja2.StrictUndefined)
    objects = [TechDetails(device="iPhone 12", error_text="Declined"),
               TechDetails(screenshot=True), ThreadFacts(True, 2),
               Facts(order_numbers=["DH123"], account_numbers=["55120"]),
               Amount("Rp 50.000", Decimal(50000), "IDR")]
    assert {type(o) for o in objects} == set(PLAIN_DATA)
    read = 0
    for obj in objects:
        for name in [*dir(obj), "nope", "_nope", "__globals__", "mro", "__subclasses__"]:
            mine, theirs = fast.getattr(obj, name), plain.getattr(obj, name)
            if isinstance(theirs, jinja2.Undefined):
                assert type(mine) is type(theirs) and str(mine._undefined_hint) == \
                    str(theirs._undefined_hint), (obj, name)
            else:
                assert mine == theirs, (obj, name)
                read += not name.startswith("_")
    assert read >= 20
