"""Benchmarks leave no scratch folders behind (a burst wrote ~250 MB of store and Maildirs
into /tmp per run, and repeated runs filled the disk)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAKE_ONE = (
    "from bench._common import scratch_dir\n"
    "p = scratch_dir('triage-test-scratch-')\n"
    "(p / 'sub').mkdir()\n"
    "(p / 'sub' / 'file').write_text('x')\n"
    "print(p)\n"
)


def _run(tmp_path: Path, **env: str) -> Path:
    out = subprocess.run([sys.executable, "-c", MAKE_ONE], cwd=ROOT, check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path),
                              **env})
    return Path(out.stdout.strip().splitlines()[-1])


def test_scratch_dir_is_removed_when_the_process_ends(tmp_path: Path) -> None:
    made = _run(tmp_path, TRIAGE_BENCH_KEEP="")
    assert made.parent == tmp_path
    assert not made.exists()
    assert list(tmp_path.iterdir()) == []


def test_scratch_dir_is_kept_on_request(tmp_path: Path) -> None:
    made = _run(tmp_path, TRIAGE_BENCH_KEEP="1")
    try:
        assert (made / "sub" / "file").read_text() == "x"
    finally:
        shutil.rmtree(made, ignore_errors=True)


def test_no_benchmark_makes_a_temporary_folder_it_does_not_remove() -> None:
    offenders = [f"{p.name}:{n}" for p in sorted((ROOT / "bench").glob("*.py"))
                 if p.name != "_common.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\bmkdtemp\(", line)]
    assert offenders == [], ("use bench._common.scratch_dir (removed at exit) instead of "
                             f"tempfile.mkdtemp: {offenders}")
