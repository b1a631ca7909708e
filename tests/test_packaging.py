"""The wheel carries what an installed triage needs outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_wheel_contains_corpus_templates_config_and_migrations(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                        "-q", "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = tmp_path.glob("inbox_triage-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("classifiers/corpus/") and n.endswith(".csv") for n in names)
    assert "reply_templates/en/complaint.email.j2" in names
    assert "classifiers/encoder_head.npz" in names  # [classifier.encoder]'s shipped head
    assert "reply_templates/vi/situations/refund.social.j2" in names
    assert "triage/drafting/situation_corpus/tl.toml" in names  # the situation model's corpus
    assert "triage/default_config/triage.example.toml" in names
    assert sum(n.startswith("triage/default_config/demo/") for n in names) >= 30
    assert "triage/store/migrations/script.py.mako" in names
    assert any(n.startswith("triage/store/migrations/versions/0001") for n in names)
    assert any(n.endswith("entry_points.txt") for n in names)
