"""`triage users add` and `triage web` / `triage demo` as real subprocesses: the page is
served, the printed demo password signs in, SIGTERM stops everything."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from tests.fixtures_web import free_port

TRIAGE = [sys.executable, "-m", "triage"]


def write_config(d: Path, model_path: Path, port: int) -> Path:
    cfg = d / "triage.toml"
    cfg.write_text(f'data_dir = "data"\n[classifier]\nmodel_path = "{model_path}"\n'
                   f'[web]\nport = {port}\n', encoding="utf-8")
    return cfg


def sign_in(base: str, user: str, password: str) -> int:
    """Sign in through the real form; return the status of the page landed on."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    html = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore
    data = urllib.parse.urlencode({"username": user, "password": password,
                                   "csrf_token": token}).encode()
    try:
        with opener.open(base + "/login", data=data, timeout=10) as r:
            return int(r.status) if r.url.endswith("/queue") else -1
    except urllib.error.HTTPError as exc:
        return exc.code


def sign_in_when_up(proc: subprocess.Popen, base: str, user: str, password: str) -> int:
    """Sign in at ``base`` as soon as the page answers (the daemon starts it right after
    printing its address); retried while ``proc`` runs, with no time limit (a process that
    exits first fails the test)."""
    while proc.poll() is None:
        try:
            return sign_in(base, user, password)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"the daemon exited ({proc.returncode}) before its page answered")


def wait_for_line(proc: subprocess.Popen, pattern: str) -> re.Match:
    """Read the process's output until a line matches (the process ends -> failure)."""
    seen = []
    for line in proc.stdout:  # type: ignore[union-attr]
        seen.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    raise AssertionError(f"no line matching {pattern!r}; got: {''.join(seen)}")


def test_users_add_then_web_serves_and_stops_on_sigterm(tmp_path: Path,
                                                        model_path: Path) -> None:
    port = free_port()
    cfg = write_config(tmp_path, model_path, port)
    r = subprocess.run([*TRIAGE, "users", "add", "ann", "--role", "admin", "--config",
                        str(cfg)], input="correct-horse-1\n", capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "user ann (admin) saved" in r.stdout, r.stderr
    short = subprocess.run([*TRIAGE, "users", "add", "bob", "--config", str(cfg)],
                           input="short\n", capture_output=True, text=True, timeout=120)
    assert short.returncode == 2 and "password" in short.stderr and "fix:" in short.stderr
    listed = subprocess.run([*TRIAGE, "users", "list", "--config", str(cfg)],
                            capture_output=True, text=True, timeout=120)
    assert listed.stdout.split() == ["ann", "admin"]

    proc = subprocess.Popen([*TRIAGE, "web", "--config", str(cfg)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ})
    try:
        wait_for_line(proc, r"review page: http://127\.0\.0\.1:\d+/")
        base = f"http://127.0.0.1:{port}"
        assert sign_in(base, "ann", "correct-horse-1") == 200
        assert sign_in(base, "ann", "wrong-password") == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "data" / "web-session.key").stat().st_mode & 0o077 == 0


def test_demo_serves_page_and_prints_working_password(tmp_path: Path,
                                                      model_path: Path) -> None:
    port = free_port()
    d = tmp_path / "demo"
    d.mkdir()
    cfg = write_config(d, model_path, port)
    cfg.write_text(cfg.read_text() + '\n[[sources]]\nname = "demo-inbox"\ntype = "maildir"\n'
                   'path = "inbox"\n', encoding="utf-8")
    proc = subprocess.Popen([*TRIAGE, "demo", "--workdir", str(d)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=d)
    try:
        m = wait_for_line(proc, r"review page: (http://\S+?)/?\s+sign in as (\S+) / (\S+)")
        base, user, password = m.group(1).rstrip("/"), m.group(2), m.group(3)
        assert sign_in_when_up(proc, base, user, password) == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_demo_port_option_serves_the_page_there(tmp_path: Path, model_path: Path) -> None:
    """`triage demo --port P` serves on P (not the config's port) without editing the config,
    so a second demo (or one beside a running daemon on 8080) needs no hand-edited toml."""
    config_port, port = free_port(), free_port()
    d = tmp_path / "demo"
    d.mkdir()
    cfg = write_config(d, model_path, config_port)
    cfg.write_text(cfg.read_text() + '\n[[sources]]\nname = "demo-inbox"\ntype = "maildir"\n'
                   'path = "inbox"\n', encoding="utf-8")
    before = cfg.read_text()
    proc = subprocess.Popen([*TRIAGE, "demo", "--workdir", str(d), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=d)
    try:
        m = wait_for_line(proc, r"review page: (http://\S+?)/?\s+sign in as (\S+) / (\S+)")
        assert m.group(1).rstrip("/") == f"http://127.0.0.1:{port}"
        assert sign_in_when_up(proc, m.group(1).rstrip("/"), m.group(2), m.group(3)) == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait() == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert cfg.read_text() == before
