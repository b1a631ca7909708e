"""Template context values computed on first use, so a draft pays only for what its template
reads.

A suggestion's reply greets and signs; it never reads the order number, the amount, the
technical details or the deadline, yet extracting them is most of a draft's context. The
renderer therefore puts :class:`Lazy` values in the context, and its Jinja2 environment uses
:class:`LazyContext`, which evaluates such a value the first time a template (or any
template it extends or includes) looks the name up, and keeps the result. Jinja2's compiled
templates look up every context name through :meth:`jinja2.runtime.Context.resolve_or_missing`,
and a template cannot reach the raw context any other way (no context function is
registered), so a template sees exactly the values an eager context would have given it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2.runtime import Context
from jinja2.utils import missing

_UNSET: Any = object()


class Lazy:
    """A context value computed by ``compute(*args)`` when first needed, then kept (the
    arguments instead of a closure: a draft makes about fifteen of these, #19)."""

    __slots__ = ("_args", "_compute", "_value")

    def __init__(self, compute: Callable[..., Any], *args: Any) -> None:
        self._compute = compute
        self._args = args
        self._value = _UNSET

    def get(self) -> Any:
        """Return the value (computed on the first call)."""
        if self._value is _UNSET:
            self._value = self._compute(*self._args)
        return self._value


class LazyContext(Context):
    """A Jinja2 context that evaluates :class:`Lazy` values when a template reads them."""

    def resolve_or_missing(self, key: str) -> Any:
        """Return the value of ``key`` (a :class:`Lazy` one evaluated), or ``missing``.

        Jinja2's own look-up written out (the template's variables, then the context's
        ``parent``), one call less for each name a template reads (#19)."""
        value = self.vars[key] if key in self.vars else self.parent.get(key, missing)
        return value.get() if type(value) is Lazy else value


def resolved(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``ctx`` with every :class:`Lazy` value evaluated (a plain context)."""
    return {k: v.get() if type(v) is Lazy else v for k, v in ctx.items()}
