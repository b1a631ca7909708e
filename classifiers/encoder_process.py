"""The sentence encoder run in a child process, one per run (``[classifier.encoder]``).

Loaded, the encoder adds about 115 MB to a process's resident memory (docs/benchmarks.md,
*Sentence encoder job*), and #19 wants every process under 200 MB at idle. So the daemon never
imports it: :class:`EncoderProcess` starts a child process (``spawn``: a fresh interpreter,
nothing inherited) when a run has messages to re-score, hands it the texts in chunks, gets the
label probabilities back and lets the child end with the run. The caller keeps the store
writes.

A child that dies or fails (the encoder is not installed, the head file is unreadable) fails
that run with a :class:`~triage.errors.ClassifierError` naming the cause; the next run starts a
new child.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from classifiers.encoder import EncoderHead
from triage.errors import ClassifierError, TriageError

log = logging.getLogger(__name__)

CHUNK = 32
"""Texts per call to the child (the run can stop between chunks: a few seconds each)."""

Result = tuple[list[dict[str, float]], float]
"""What the child returns per chunk: the probabilities and the CPU seconds it spent."""

_HEADS: dict[str, EncoderHead] = {}
"""The child's head (and the encoder it loads) by path, kept for the chunks of one run."""


def child_probabilities(path: str, texts: list[str]) -> Result:
    """Run in the child: return the label probabilities of ``texts`` under the head at
    ``path`` (loaded, with the encoder, at the first chunk) and the CPU seconds spent."""
    cpu = time.process_time()
    head = _HEADS.get(path)
    if head is None:
        head = _HEADS[path] = EncoderHead.load(Path(path))
    probs = head.probabilities(texts)
    return probs, time.process_time() - cpu


class EncoderProcess:
    """The head at ``path`` scored in a child process started per call of
    :meth:`probabilities`, which stops between chunks once ``stop`` is set (``target`` is the
    child's function; tests hand in others)."""

    def __init__(self, path: Path, *, stop: threading.Event | None = None, chunk: int = CHUNK,
                 target: Callable[[str, list[str]], Result] = child_probabilities) -> None:
        self.path = path
        self.stop = stop or threading.Event()
        self.head = EncoderHead.load(path)  # numpy arrays only: checks the file, names it
        self.chunk = chunk
        self.target = target
        self.cpu_seconds = 0.0
        """CPU seconds the child processes spent (for the benchmarks)."""
        self.runs = 0
        """Child processes started so far."""
        self.last_pid: int | None = None
        """The process id of the last child (gone once :meth:`probabilities` returned)."""
        self._executor: ProcessPoolExecutor | None = None

    @property
    def version(self) -> str:
        """The head's version."""
        return self.head.version

    @property
    def pid(self) -> int | None:
        """The running child's process id, or None between runs."""
        procs = getattr(self._executor, "_processes", None) or {}
        return next(iter(procs), None)

    def probabilities(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Return the label probabilities of ``texts`` (fewer, a prefix, when ``stop`` is set
        meanwhile), computed by a child process that ends before this returns. Raises
        ClassifierError when the child dies or fails."""
        if not texts:
            return []
        out: list[dict[str, float]] = []
        cpu_before = self.cpu_seconds
        executor = self._executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self.runs += 1
        try:
            for k in range(0, len(texts), self.chunk):
                if self.stop.is_set():
                    break
                future = executor.submit(self.target, str(self.path),
                                         list(texts[k:k + self.chunk]))
                self.last_pid = self.pid or self.last_pid
                probs, cpu = future.result()
                out += probs
                self.cpu_seconds += cpu
        except BrokenProcessPool as exc:
            raise ClassifierError(
                f"the sentence encoder's child process died after {len(out)} of {len(texts)} "
                f"messages ({exc}); the next run starts a new one") from exc
        except TriageError as exc:
            raise ClassifierError(f"the sentence encoder's child process failed: {exc}") \
                from exc
        except Exception as exc:  # whatever the child raised comes back here
            raise ClassifierError(f"the sentence encoder's child process failed: "
                                  f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._executor = None
            executor.shutdown(wait=True, cancel_futures=True)
        log.info("sentence encoder child process %s: %d of %d messages, %.1f CPU s",
                 self.last_pid, len(out), len(texts), self.cpu_seconds - cpu_before)
        return out
