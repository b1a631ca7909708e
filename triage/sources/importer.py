"""Backfill from archives (``triage import``): single message files, mbox files, Maildirs
(with their Maildir++ subfolders), ``triage export`` files (see
:mod:`triage.sources.export_file`) and folders holding any mix of them.

A file in a folder is read as mail whatever its name (Maildir and many exporters write names
without ``.eml``): an mbox when it starts with ``From ``, one message when it starts with a
header line, skipped (and counted) otherwise. External ids are content hashes, so importing
the same archive twice stores nothing twice; the pipeline also drops a message whose
Message-ID is already stored from any source.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from triage.errors import SourceError
from triage.models import RawItem
from triage.sources.export_file import export_items, is_export

_HEADER_LINE = re.compile(rb"^[!-9;-~]+[ \t]*:")  # RFC 5322 field name (obs: spaces before :)


@dataclass
class ArchiveScan:
    """What a walk over an archive found besides messages: files that are not mail."""

    skipped: list[Path] = field(default_factory=list)


def archive_items(path: Path, scan: ArchiveScan | None = None) -> Iterator[RawItem]:
    """Yield every message found at ``path``; files that are not mail are recorded in
    ``scan.skipped``.

    Raises SourceError when ``path`` does not exist.
    """
    scan = scan if scan is not None else ArchiveScan()
    if not path.exists():
        raise SourceError(f"{path}: not found; give a message file, an mbox file, a Maildir or "
                          "a folder holding them")
    if path.is_file():
        yield from _file_items(path, scan)
    elif _is_maildir(path):
        yield from _maildir_items(path)
    else:
        for child in sorted(path.iterdir()):
            if child.name.startswith(".") and not _is_maildir(child):
                continue  # .DS_Store, editor files; Maildir++ folders are read with their parent
            yield from archive_items(child, scan)


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _maildir_items(path: Path) -> Iterator[RawItem]:
    box = mailbox.Maildir(str(path), factory=None, create=False)
    for key in sorted(box.iterkeys()):
        yield _item(box.get_bytes(key))
    for sub in sorted(box.list_folders()):  # Maildir++: .Sent, .Archive, ...
        yield from _maildir_items(path / f".{sub}")


def _file_items(path: Path, scan: ArchiveScan) -> Iterator[RawItem]:
    with path.open("rb") as fh:
        head = fh.read(1024)
    if is_export(head):
        yield from export_items(path)
    elif head.startswith(b"From "):
        box = mailbox.mbox(str(path), factory=None, create=False)
        for key in box.iterkeys():
            yield _item(box.get_bytes(key))
    elif _HEADER_LINE.match(head.lstrip(b"\r\n")):
        yield _item(path.read_bytes())
    else:
        scan.skipped.append(path)


def _item(raw: bytes) -> RawItem:
    return RawItem(external_id="sha256:" + hashlib.sha256(raw).hexdigest(), raw=raw)
