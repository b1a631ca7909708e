"""Where packaged data lives: the default config folder and the demo inbox.

In a wheel, the top-level ``config/`` folder is installed as ``triage.default_config``
(see ``[tool.setuptools.package-dir]``). Editable installs do not honour that mapping, so in
a checkout we fall back to the folder itself.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def config_dir() -> Path:
    """Return the directory holding ``triage.example.toml`` and ``demo/``."""
    try:
        return Path(str(resources.files("triage.default_config")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "config"
