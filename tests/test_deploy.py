"""The deployment recipes stay in step with the code: the systemd unit verifies, its
commands exist, the container copies every package the project installs."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.cli.main import main

ROOT = Path(__file__).parent.parent
UNIT = ROOT / "deploy" / "triage.service"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    exe = shutil.which("true") or "/bin/true"
    unit = tmp_path / "triage.service"
    unit.write_text(UNIT.read_text().replace("/opt/triage/venv/bin/triage", exe))
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=60)
    problems = [ln for ln in (proc.stdout + proc.stderr).splitlines()
                if "triage.service" in ln]
    assert proc.returncode == 0 and problems == [], proc.stderr


def test_unit_commands_exist_and_it_is_hardened() -> None:
    text = UNIT.read_text()
    for line in text.splitlines():
        if line.startswith(("ExecStart=", "ExecStartPre=")):
            command = line.split("triage ", 1)[1].split()[0]
            assert command in main.commands, f"{line}: no such triage command"
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                   "RestrictAddressFamilies=", "SystemCallFilter=", "CapabilityBoundingSet="):
        assert option in text


def test_containerfile_copies_every_package() -> None:
    text = CONTAINERFILE.read_text()
    pkgs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    for pattern in pkgs:
        top = pattern.rstrip("*")
        assert f"COPY {top} ./{top}" in text, f"Containerfile does not copy {top}/"
    assert "COPY config ./config" in text  # packaged as triage.default_config
    assert 'CMD ["run"]' in text and "USER triage" in text
    assert CliRunner().invoke(main, ["run", "--help"]).exit_code == 0
