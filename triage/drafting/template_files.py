"""How the renderer loads templates: edits checked at most every few seconds, partials
compiled into the templates that include them.

* :class:`ThrottledFiles` is a ``FileSystemLoader`` whose templates ask their file whether it
  changed at most every ``seconds`` of the injected clock (Jinja2 asks on every use: a
  ``stat`` per template, include and parent, five per draft, about a tenth of a draft's time).
* :class:`InliningLoader` wraps the renderer's loader chain and compiles each template with
  the partials it includes (``{% include "en/_greeting.j2" %}``) put in place of the tag, once,
  when the template is loaded. Jinja2 would otherwise look each partial up and give it a new
  context on every draft (three per e-mail draft, about a third of Jinja2's time). Only a
  partial that renders exactly as its include would is put in place: a constant name, with
  the context, not ``ignore missing``, no blocks, macros, imports, ``extends`` or
  assignments of its own, and autoescaped like the template. Any other include is left to
  Jinja2. A template counts as up to date only while every partial put into it is, so an
  edited partial is picked up as before.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from datetime import timedelta
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from triage.clock import Clock

_MAX_DEPTH = 8
"""Partials included by partials are put in place this deep at most (then left to Jinja2)."""
_NOT_INLINED = (nodes.Extends, nodes.Block, nodes.Macro, nodes.CallBlock, nodes.Import,
                nodes.FromImport, nodes.Assign, nodes.AssignBlock, nodes.Include)
"""Nodes a partial may not hold to be put in place (they would behave differently without
the partial's own context). A nested include is put in place first."""


class CheckedEvery:
    """A template's "is it up to date" test, asked of the file at most every ``seconds`` of
    ``clock``; once the file has changed the answer stays no (Jinja2 then loads it again)."""

    __slots__ = ("_check", "_clock", "_interval", "_next", "_stale")

    def __init__(self, check: Callable[[], bool], seconds: float, clock: Clock) -> None:
        self._check = check
        self._clock = clock
        self._interval = timedelta(seconds=seconds)
        self._next = clock.now() + self._interval
        self._stale = False

    def __call__(self) -> bool:
        if self._stale:
            return False
        now = self._clock.now()
        if now < self._next:
            return True
        self._next = now + self._interval
        self._stale = not self._check()
        return not self._stale

    @staticmethod
    def together(tests: list[Callable[[], bool]]) -> Callable[[], bool] | None:
        """One up-to-date test for a template and the partials put into it (None: none).
        When every test is a :class:`CheckedEvery` of the same clock and interval (the
        renderer's loaders), one that asks the clock once and each file at most every
        interval, as each would (#19: a draft asked the clock once per template and partial,
        about six times); otherwise one that asks all of ``tests``."""
        if len(tests) <= 1:
            return tests[0] if tests else None
        head = tests[0]
        if isinstance(head, CheckedEvery) and all(
                isinstance(t, CheckedEvery) and t._clock is head._clock
                and t._interval == head._interval for t in tests):
            checks = [t._check for t in tests if isinstance(t, CheckedEvery)]
            return CheckedEvery(lambda: all(check() for check in checks),
                                head._interval.total_seconds(), head._clock)
        return lambda: all(test() for test in tests)


class ThrottledFiles(jinja2.FileSystemLoader):
    """A ``FileSystemLoader`` whose templates look for changes to their file at most every
    ``seconds`` of ``clock``."""

    def __init__(self, searchpath: str, *, seconds: float, clock: Clock) -> None:
        super().__init__(searchpath)
        self.seconds = seconds
        self.clock = clock

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        """Return the source, file name and (throttled) up-to-date test of ``template``."""
        source, filename, uptodate = super().get_source(environment, template)
        return source, filename, CheckedEvery(uptodate, self.seconds, self.clock)


class _PutInPlace(NodeTransformer):
    """Replaces the include tags of one template by the partials' bodies where that renders
    the same (see the module docstring); collects the partials' up-to-date tests."""

    def __init__(self, environment: jinja2.Environment, loader: jinja2.BaseLoader,
                 name: str, checks: list[Callable[[], bool] | None]) -> None:
        self.environment = environment
        self.loader = loader
        self.escaped = _autoescaped(environment, name)
        self.checks = checks
        self.depth = 0

    def visit_Include(self, node: nodes.Include) -> nodes.Node | list[nodes.Node]:
        """The partial's body in place of ``node``, or ``node`` when it may differ."""
        target = node.template
        if (not isinstance(target, nodes.Const) or not isinstance(target.value, str)
                or not node.with_context or node.ignore_missing or self.depth >= _MAX_DEPTH
                or _autoescaped(self.environment, target.value) != self.escaped):
            return node
        try:
            source, filename, uptodate = self.loader.get_source(self.environment,
                                                                target.value)
            tree = self.environment.parse(source, target.value, filename)
        except jinja2.TemplateError:
            return node  # missing or broken: Jinja2 raises it when the draft is rendered
        self.depth += 1
        try:
            tree = self.visit(tree)
        finally:
            self.depth -= 1
        if any(True for _ in tree.find_all(_NOT_INLINED)):
            return node
        self.checks.append(uptodate)
        return list(tree.body)


def _autoescaped(environment: jinja2.Environment, name: str) -> bool:
    escape = environment.autoescape
    return bool(escape(name) if callable(escape) else escape)


class InliningLoader(jinja2.BaseLoader):
    """The renderer's loader: ``inner`` finds the sources; each template is compiled with
    the partials it includes in place (see the module docstring)."""

    def __init__(self, inner: jinja2.BaseLoader) -> None:
        self.inner = inner

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        """Return ``inner``'s source, file name and up-to-date test of ``template``."""
        return self.inner.get_source(environment, template)

    def list_templates(self) -> list[str]:
        """Return every template name ``inner`` knows."""
        return self.inner.list_templates()

    def load(self, environment: jinja2.Environment, name: str,
             globals: MutableMapping[str, Any] | None = None) -> jinja2.Template:
        """Return ``name`` compiled with its partials in place; up to date while it and
        every partial put into it are."""
        source, filename, uptodate = self.get_source(environment, name)
        checks: list[Callable[[], bool] | None] = [uptodate]
        tree = environment.parse(source, name, filename)
        tree = _PutInPlace(environment, self.inner, name, checks).visit(tree)
        code = environment.compile(tree, name, filename)
        return environment.template_class.from_code(
            environment, code, globals if globals is not None else {},
            CheckedEvery.together([c for c in checks if c is not None]))
