"""The PostgreSQL server's CPU seconds as the store and burst benchmarks count them (#19): the
postmaster, its live children and the children it already reaped, nothing else. Read from a
fake /proc, so the figures are exact.
Nothing here measures time: the /proc stat files are written by the test, and the
assertions check the tick arithmetic and the table's columns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.burst_report import _server, report
from bench.store_stages import cluster_cpu, postmaster_pid

TICK = os.sysconf("SC_CLK_TCK")


def fake_stat(root: Path, pid: int, ppid: int, utime: int, stime: int, cutime: int = 0,
              cstime: int = 0, comm: str = "postgres") -> None:
    """Write ``root/pid/stat`` as Linux does (fields after the command name)."""
    (root / str(pid)).mkdir()
    after = ["S", str(ppid), *["0"] * 9, str(utime), str(stime), str(cutime), str(cstime),
             *["0"] * 30]
    (root / str(pid) / "stat").write_text(f"{pid} ({comm}) " + " ".join(after) + "\n")


def test_cluster_cpu_counts_postmaster_children_and_reaped_ones(tmp_path: Path) -> None:
    fake_stat(tmp_path, 100, 1, 10, 5, cutime=40, cstime=20)  # postmaster, reaped 60 ticks
    fake_stat(tmp_path, 101, 100, 30, 7, cutime=99, cstime=99)  # a backend (its cutime: no)
    fake_stat(tmp_path, 102, 100, 3, 0, comm="postgres: autovacuum ) worker")
    fake_stat(tmp_path, 200, 1, 500, 500)  # another program
    fake_stat(tmp_path, 201, 101, 500, 500)  # a grandchild: not the cluster's
    (tmp_path / "self").mkdir()
    (tmp_path / "300").mkdir()  # vanished between the listing and the read
    assert cluster_cpu(100, tmp_path) == pytest.approx((10 + 5 + 40 + 20 + 30 + 7 + 3) / TICK)


def test_cluster_cpu_of_an_exited_backend_moves_to_the_postmaster(tmp_path: Path) -> None:
    """A backend that exits between two readings is still counted (through the postmaster's
    reaped children), so the difference is what the cluster used in between."""
    live = tmp_path / "live"
    live.mkdir()
    fake_stat(live, 100, 1, 10, 0)
    fake_stat(live, 101, 100, 50, 10)
    before = cluster_cpu(100, live)
    later = tmp_path / "later"
    later.mkdir()
    fake_stat(later, 100, 1, 12, 0, cutime=70, cstime=15)  # 101 ran 20 more ticks, exited
    assert cluster_cpu(100, later) - before == pytest.approx((2 + 20 + 5) / TICK)


def test_postmaster_pid_is_the_first_line_of_postmaster_pid(tmp_path: Path) -> None:
    (tmp_path / "postmaster.pid").write_text("4242\n/var/lib/pg/data\n1700000000\n5432\n")
    assert postmaster_pid(tmp_path) == 4242


def test_burst_table_has_the_server_column() -> None:
    plain = {"messages": 100, "seconds": 1.0}
    res = {"processed": 100, "seconds": 2.0, "drafted": 100, "cpu": {}, "poller_cpu": 1.0,
           "worker_cpu": 1.0, "parser_cpu": 0.5, "workers": 1}
    results = [("sqlite", "auto", {**res, "server_cpu": None}, (1.0, 1.0, 1.0)),
               ("postgresql", "auto", {**res, "server_cpu": 3.456}, (1.0, 1.0, 1.0))]
    rows = [line for line in report(100, plain, results).splitlines()
            if line.startswith("| ")]
    assert rows[0].endswith("| CPU s PostgreSQL server |")
    assert rows[1].endswith("| 1.0 / 1.0 / 0.5 | - |")
    assert rows[2].endswith("| 1.0 / 1.0 / 0.5 | 3.46 |")
    assert _server({"server_cpu": 0.0}) == "0.00"
    assert _server({}) == "-"  # a run saved before the column existed
