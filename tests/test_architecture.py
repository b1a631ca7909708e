"""The house rules of docs/architecture.md, checked over the source with ``ast``.

- imports run one way: a module imports only modules of its own layer or of the layers
  below it (kernel at the bottom, entry points at the top);
- the store imports nothing but the kernel, and only the store speaks SQL;
- no import cycle between modules;
- no caller of a private store member outside the store;
- the ``triage/`` root stays small and no module grows past 500 lines.

Each rule is a function over a parsed import graph, so a test can also feed it a small
hand-made graph and see it fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("triage", "classifiers", "reply_templates", "config")

# Lowest first. A module belongs to the first entry whose name is it or a parent of it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("kernel", ("triage.config", "triage.errors", "triage.clock", "triage.models",
                "triage.backoff", "triage.resources", "triage", "reply_templates", "config")),
    ("base", ("triage.clients", "triage.mail", "triage.store", "classifiers")),
    ("features", ("triage.sources", "triage.drafting", "triage.deadlines",
                  "triage.modelstore")),
    ("flow", ("triage.pipeline", "triage.send")),
    ("service", ("triage.review", "triage.ops")),
    ("web", ("triage.web",)),
    ("entry", ("triage.services", "triage.daemon", "triage.workers", "triage.scheduler",
               "triage.cli", "triage.__main__")),
)

SQL_MODULES = ("sqlalchemy", "alembic", "psycopg", "sqlite3")


@dataclass(frozen=True)
class Module:
    """One parsed module: its dotted name, file and the modules it imports."""

    name: str
    path: Path
    imports: frozenset[str]
    external: frozenset[str]
    private_store_uses: tuple[str, ...]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _files() -> list[Path]:
    out = []
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            if "migrations" in f.parts:  # Alembic's generated scripts
                continue
            out.append(f)
    return out


def parse_modules() -> dict[str, Module]:
    """Return every module of the project's packages with its project-internal imports."""
    files = _files()
    names = {_module_name(f) for f in files}

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in names:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    out = {}
    for f in files:
        name = _module_name(f)
        tree = ast.parse(f.read_text(encoding="utf-8"), filename=str(f))
        internal: set[str] = set()
        external: set[str] = set()
        private: list[str] = []
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = name.split(".") if f.name == "__init__.py" else name.split(".")[:-1]
                    pkg = pkg[: len(pkg) - node.level + 1]
                    base = ".".join([*pkg, base] if base else pkg)
                # ``from pkg import sub`` imports the submodule, not the package's names
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in names]
                targets = subs if len(subs) == len(node.names) else [base, *subs]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                  and not node.attr.startswith("__")
                  and isinstance(node.value, ast.Name | ast.Attribute)
                  and "store" in ast.unparse(node.value).lower()
                  and not name.startswith("triage.store")):
                private.append(f"{ast.unparse(node)} (line {node.lineno})")
            for t in targets:
                r = resolve(t)
                if r is None:
                    external.add(t.split(".")[0])
                elif r != name:
                    internal.add(r)
        out[name] = Module(name, f, frozenset(internal), frozenset(external), tuple(private))
    return out


def layer_of(name: str) -> int:
    """Return the index in LAYERS of the layer ``name`` belongs to (longest prefix wins)."""
    best, best_len = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (name == p or name.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    if best < 0:
        raise AssertionError(f"{name} is in no layer: add it to LAYERS in {__file__}")
    return best


def upward_imports(mods: Mapping[str, Module]) -> list[str]:
    """Imports from a lower layer to a higher one, and store imports beyond the kernel."""
    bad = []
    for m in mods.values():
        for t in sorted(m.imports):
            if layer_of(t) > layer_of(m.name):
                bad.append(f"{m.name} -> {t}")
            elif m.name.startswith("triage.store") and not t.startswith("triage.store") \
                    and layer_of(t) != 0:
                bad.append(f"{m.name} -> {t} (the store imports only the kernel)")
    return bad


def cycles(mods: Mapping[str, Module]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in mods:
        if start in index:
            continue
        work = [(start, iter(sorted(mods[start].imports)))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in mods:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(mods[w].imports))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def sql_outside_store(mods: Iterable[Module]) -> list[str]:
    """Modules outside ``triage/store`` that import a database library."""
    return sorted(m.name for m in mods if not m.name.startswith("triage.store")
                  and m.external & set(SQL_MODULES))


@pytest.fixture(scope="module")
def mods() -> dict[str, Module]:
    return parse_modules()


def test_every_module_has_a_layer(mods: dict[str, Module]) -> None:
    for name in mods:
        layer_of(name)


def test_imports_run_one_way(mods: dict[str, Module]) -> None:
    assert upward_imports(mods) == []


def test_no_import_cycles(mods: dict[str, Module]) -> None:
    assert cycles(mods) == []


def test_only_the_store_speaks_sql(mods: dict[str, Module]) -> None:
    assert sql_outside_store(mods.values()) == []


def test_the_store_imports_only_the_kernel(mods: dict[str, Module]) -> None:
    assert [i for i in upward_imports(mods) if i.startswith("triage.store")] == []


def test_no_private_store_members_outside_the_store(mods: dict[str, Module]) -> None:
    assert {m.name: m.private_store_uses for m in mods.values() if m.private_store_uses} == {}


def test_small_root_and_modules(mods: dict[str, Module]) -> None:
    root = sorted(p.name for p in (ROOT / "triage").glob("*.py"))
    assert len(root) <= 15, root
    long = {m.name: n for m in mods.values()
            if (n := len(m.path.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}


# ---- the checks themselves can fail ------------------------------------------------------
def _fake(name: str, *imports: str, external: tuple[str, ...] = ()) -> Module:
    return Module(name, ROOT / "x.py", frozenset(imports), frozenset(external), ())


def test_checks_catch_hand_made_violations() -> None:
    fake = {m.name: m for m in (
        _fake("triage.store.messages", "triage.pipeline"),
        _fake("triage.pipeline", "triage.store.messages", "triage.web.app"),
        _fake("triage.web.app", "triage.review", external=("sqlalchemy",)),
        _fake("triage.review", "triage.web.app"),
    )}
    assert "triage.store.messages -> triage.pipeline" in upward_imports(fake)
    assert "triage.pipeline -> triage.web.app" in upward_imports(fake)
    assert sorted(map(tuple, cycles(fake))) == [
        ("triage.pipeline", "triage.store.messages"), ("triage.review", "triage.web.app")]
    assert sql_outside_store(fake.values()) == ["triage.web.app"]
