"""Where packaged data lives: the default config folder and the demo inbox.

The top-level ``config/`` folder is reachable as the package ``triage.default_config``
(``triage/default_config`` is a symlink to it), so a checkout and an installed wheel look
the same to the code.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def config_dir() -> Path:
    """Return the directory holding ``triage.example.toml`` and ``demo/``."""
    return Path(str(resources.files("triage.default_config")))
