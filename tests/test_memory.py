"""Memory of the daemon's processes (#19): what start-up leaves out, what the situation model
keeps, and caches that stay bounded. Sizes and counts are asserted, never times."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from triage.drafting import situation_model as sm
from triage.store import Store
from triage.store.db import head_revision, make_engine, migrate, stored_revision


def _run(code: str, cwd: Path) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object, returned here."""
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, check=True,
                         capture_output=True, text=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_head_revision_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from triage.store.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and head_revision() == head


def _versions(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    """A migrations directory ``name`` with ``files`` (head_revision caches per directory)."""
    d = tmp_path / name
    d.mkdir()
    for file, body in files.items():
        (d / file).write_text(body)
    return d


def test_head_revision_of_a_branched_or_broken_chain_is_none(tmp_path: Path) -> None:
    chain = {"a.py": 'revision = "a"\ndown_revision = None\n',
             "b.py": 'revision = "b"\ndown_revision = "a"\n', "__init__.py": ""}
    assert head_revision(_versions(tmp_path, "chain", chain)) == "b"
    two = {**chain, "c.py": 'revision: str = "c"\ndown_revision = "a"\n'}
    assert head_revision(_versions(tmp_path, "two", two)) is None  # two heads: Alembic decides
    merged = {**chain, "c.py": 'revision = "c"\ndown_revision = ("b",)\n'}
    assert head_revision(_versions(tmp_path, "merged", merged)) == "c"
    broken = {**chain, "d.py": "revision = (\n"}
    assert head_revision(_versions(tmp_path, "broken", broken)) is None


def test_opening_a_current_store_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'triage.db'}"
    code = f"""
        import json, sys
        from triage.clock import SystemClock
        from triage.store import Store
        store = Store.open({url!r}, SystemClock())
        print(json.dumps({{"alembic": "alembic" in sys.modules,
                           "tables": store.counts() is not None}}))
    """
    first = _run(code, tmp_path)  # an empty database is migrated with Alembic
    assert first == {"alembic": True, "tables": True}
    again = _run(code, tmp_path)  # then the schema is current: Alembic stays out
    assert again == {"alembic": False, "tables": True}


def test_a_store_behind_the_head_is_still_migrated(tmp_path: Path) -> None:
    from alembic import command

    from triage.store.db import alembic_config

    engine = make_engine(f"sqlite:///{tmp_path / 'triage.db'}")
    cfg = alembic_config()
    with engine.begin() as conn:  # the schema as it was one migration before the head
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0017_message_private")
    assert stored_revision(engine) == "0017_message_private"
    migrate(engine)
    assert stored_revision(engine) == head_revision()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM conversation_summary")).scalar() == 0


def test_stored_revision_of_an_empty_database_is_none(tmp_path: Path) -> None:
    assert stored_revision(make_engine(f"sqlite:///{tmp_path / 'empty.db'}")) is None


def test_spawned_processes_importing_the_cli_leave_the_store_out(tmp_path: Path) -> None:
    """Processes spawned from the ``triage`` script (worker, parse) import the CLI module
    first; it must not pull in SQLAlchemy, which a parse process never uses."""
    got = _run("""
        import json, sys
        import triage.workers, triage.cli.main
        print(json.dumps({"sqlalchemy": "sqlalchemy" in sys.modules,
                          "alembic": "alembic" in sys.modules}))
    """, tmp_path)
    assert got == {"sqlalchemy": False, "alembic": False}


def test_situation_model_keeps_arrays_not_the_training_dictionaries() -> None:
    model = sm.train(sm.load_corpus())
    kept = vars(model)
    big_dicts = [k for k, v in kept.items() if isinstance(v, dict) and len(v) > 1000]
    assert big_dicts == []  # the term index lives in _arrays, once
    index, idf, matrix = model._arrays
    assert matrix.shape == (len(index), len(model.classes)) and idf.shape == (len(index),)
    # the dictionaries are still there for whoever asks, rebuilt from the arrays
    retrained = sm.packaged_model()
    assert model.idf() == retrained.idf()
    centroids = model.centroids()
    assert centroids == retrained.centroids()
    assert sum(len(v) for v in centroids.values()) == int(np.count_nonzero(matrix))


def test_the_gram_function_has_no_cache() -> None:
    assert not hasattr(sm._grams, "cache_info")
    assert sm._grams("ab") == (" a", "ab", "b ", " ab", "ab ", " ab ")


def test_word_index_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sm, "_WORD_CACHE", 50)
    model = sm.train(sm.load_corpus())
    sizes = []
    for i in range(400):
        model.scores(f"order{i} refund{i} please")
        sizes.append(len(model._tokens) + len(model._tokens.older))
    assert max(sizes) <= 50 and sizes[-1] > 0
    tokens = model._tokens
    assert all(isinstance(k, str) and isinstance(grams, bytes) and isinstance(ids, bytes)
               and all(isinstance(w, str) for w in words)
               for k, (grams, ids, words) in tokens.items())


def test_store_open_then_counts_on_a_current_store(tmp_path: Path) -> None:
    """Store.open on a current schema (the fast path) returns a working store."""
    from triage.clock import SystemClock

    url = f"sqlite:///{tmp_path / 'triage.db'}"
    Store.open(url, SystemClock()).close()
    store = Store.open(url, SystemClock())
    assert stored_revision(store.engine) == head_revision()
    assert store.counts() is not None


ARENAS = """
    import ctypes, ctypes.util, json, os, sys, threading
    from triage.ops.memtrim import limit_arenas
    limited = limit_arenas(int(sys.argv[1]))
    together = threading.Barrier(8)
    def work():
        kept = [bytearray(4096 + i) for i in range(200)]  # malloc, not Python's small blocks
        together.wait()  # every thread holds its memory at once (none hands its arena on)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fflush(None)
    r, w = os.pipe(); saved = os.dup(2); os.dup2(w, 2)
    libc.malloc_stats(); libc.fflush(None)
    os.dup2(saved, 2); os.close(w)
    stats = os.read(r, 1 << 20).decode()
    print(json.dumps({"limited": limited, "arenas": stats.count("Arena ")}))
"""


@pytest.mark.parametrize(("limit", "most"), [(1, 1), (2, 2)])
def test_limit_arenas_caps_glibc_arenas_of_a_threaded_process(tmp_path: Path, limit: int,
                                                              most: int) -> None:
    code = textwrap.dedent(ARENAS)
    default = json.loads(subprocess.run([sys.executable, "-c", code, "0"], check=True,
                                        capture_output=True, text=True).stdout)
    if default["arenas"] == 0:
        pytest.skip("not glibc: malloc_stats prints no arenas")
    assert default["limited"] is False and default["arenas"] > most  # a thread, an arena
    got = json.loads(subprocess.run([sys.executable, "-c", code, str(limit)], check=True,
                                    capture_output=True, text=True).stdout)
    assert got["limited"] is True and 1 <= got["arenas"] <= most


def test_a_poll_that_fetched_gives_the_free_heap_back(app, maildir: Path,  # type: ignore[no-untyped-def]
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import triage.daemon
    from tests.conftest import add_to_maildir, make_email
    from triage.daemon import Daemon
    from triage.scheduler import Scheduler

    trims: list[int] = []
    monkeypatch.setattr(triage.daemon, "release_free_heap", lambda: trims.append(1) or True)
    daemon = Daemon(app)
    job = daemon.poll_job(Scheduler(threading.Event()), "poll:inbox", daemon.sources()[0])
    job()  # nothing in the Maildir: nothing to give back
    assert trims == []
    add_to_maildir(maildir, make_email())
    job()
    assert trims == [1] and app.store.counts()


def test_malloc_arenas_setting_defaults_to_two_and_refuses_negatives() -> None:
    from triage.config import settings_from_mapping
    from triage.errors import ConfigError

    assert settings_from_mapping({}).ops.malloc_arenas == 2
    assert settings_from_mapping({"ops": {"malloc_arenas": 0}}).ops.malloc_arenas == 0
    with pytest.raises(ConfigError, match="malloc_arenas"):
        settings_from_mapping({"ops": {"malloc_arenas": -1}})
