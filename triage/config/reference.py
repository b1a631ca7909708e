"""The settings reference of docs/configuration.md, written from the settings classes.

Every table and key, with its default and help, comes from the classes themselves, so the
reference cannot drift: a test compares the block in docs/configuration.md with
:func:`reference_markdown`. After changing a setting, rewrite the block with::

    python -m triage.config.reference --write docs/configuration.md
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from triage.config.settings import Settings
from triage.config.sources import SOURCE_SETTINGS
from triage.config.values import format_duration

BEGIN = "<!-- settings-reference: begin (python -m triage.config.reference --write FILE) -->"
END = "<!-- settings-reference: end -->"


def _model_in(ann: Any) -> type[BaseModel] | None:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for arg in get_args(ann):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def tables(model: type[BaseModel] = Settings, name: str = "") -> Iterator[
        tuple[str, type[BaseModel]]]:
    """Yield ``(TOML table header, settings class)`` for every table under ``model``."""
    yield (f"[{name}]" if name else "top level"), model
    for key, field in model.model_fields.items():
        sub = _model_in(field.annotation)
        if sub is None:
            continue
        path = f"{name}.{key}" if name else key
        if key == "sources":
            for tag, cls in SOURCE_SETTINGS.items():
                yield f"[[sources]] type = \"{tag}\"", cls
                for nested, nf in cls.model_fields.items():
                    inner = _model_in(nf.annotation)
                    if inner is not None:
                        yield f"[sources.{nested}] (type = \"{tag}\")", inner
        elif get_origin(field.annotation) is list:
            yield f"[[{path}]]", sub
        elif get_origin(field.annotation) is dict:
            yield f"[{path}.NAME]", sub
        else:
            yield from tables(sub, path)


def _plain(value: Any) -> Any:
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "(required)"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(table)"
    if value is None:
        return "(none)"
    return f"`{json.dumps(_plain(value), ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def reference_markdown() -> str:
    """Return the reference: one section per table, one row per key (default, meaning)."""
    out = [BEGIN, ""]
    for header, model in tables():
        doc = (model.__doc__ or "").strip().split("\n\n")[0]
        out += [f"### `{header}`" if header != "top level" else "### Top level", "",
                _cell(doc), "", "| key | default | meaning |", "|---|---|---|"]
        for key, field in model.model_fields.items():
            if field.exclude or _model_in(field.annotation) is not None:
                continue  # internal, or a table of its own (listed separately)
            out.append(f"| `{key}` | {_cell(_default(field))} | "
                       f"{_cell(field.description or '')} |")
        out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def replace_block(text: str) -> str:
    """Return ``text`` with the block between the markers replaced by the current reference;
    raises ValueError when the markers are missing."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {BEGIN!r} ... {END!r} not found")
    return text[:start] + reference_markdown() + text[end + len(END) + 1:]


def main(argv: list[str]) -> int:
    """``--write FILE``: rewrite the block in FILE; no argument: print the reference."""
    if len(argv) == 2 and argv[0] == "--write":
        path = Path(argv[1])
        path.write_text(replace_block(path.read_text(encoding="utf-8")), encoding="utf-8")
        return 0
    sys.stdout.write(reference_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
