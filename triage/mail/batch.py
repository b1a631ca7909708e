"""Parse a batch of raw emails: the one function the pipeline runs, in its own process or in
a parse process of the worker pool (``triage.workers.ParsePool``).

It is kept small and free of the store and the model, so that a parse process imports only
the mail package: each result is a scrubbed :class:`~triage.models.ParsedMessage` (storable on
every database), or the reason the message is quarantined. The same code runs in both places,
so a message parses the same whichever process parsed it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from triage.errors import ParseError
from triage.mail.parse import parse_email
from triage.mail.scrub import clean_text, scrub
from triage.models import ParsedMessage

log = logging.getLogger(__name__)

ParseJob = tuple[str, bytes, datetime]
"""(external id, raw bytes, received time to use when the mail has no usable Date)."""
ParseOutcome = ParsedMessage | str
"""A parsed message, or the reason (str) it cannot be parsed and is quarantined."""


def parse_one(external_id: str, raw: bytes, fallback: datetime,
              own_addresses: tuple[str, ...] = ()) -> ParseOutcome:
    """Parse one email; never raises (an unexpected parser bug must not lose the message)."""
    try:
        return scrub(parse_email(raw, fallback_received=fallback, own_addresses=own_addresses))
    except ParseError as exc:
        return clean_text(str(exc))
    except Exception as exc:
        log.exception("parser failed on %s", external_id)
        return clean_text(f"parser error: {type(exc).__name__}: {exc}")


def parse_batch(jobs: Sequence[ParseJob],
                own_addresses: tuple[str, ...] = ()) -> tuple[list[ParseOutcome], float]:
    """Parse ``jobs`` in order; return the outcomes and the CPU seconds it took (the
    benchmarks add up the parse processes' time with it)."""
    started = time.process_time()
    out = [parse_one(ext, raw, fallback, own_addresses) for ext, raw, fallback in jobs]
    return out, time.process_time() - started
