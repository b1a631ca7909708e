"""One JSON object per log line (``logging.json_lines = true``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from triage.ops.export import json_line


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON object with time, level, logger and message."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON text of ``record``."""
        obj = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            obj["exc"] = self.formatException(record.exc_info)
        return json_line(obj)
