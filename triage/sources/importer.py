"""Backfill from archives: ``.eml`` files, mbox files and Maildirs (``triage import``)."""

from __future__ import annotations

import hashlib
import mailbox
from collections.abc import Iterator
from pathlib import Path

from triage.errors import SourceError
from triage.models import RawItem


def archive_items(path: Path) -> Iterator[RawItem]:
    """Yield every message found at ``path``; external ids are content hashes, so importing
    the same archive twice stores nothing twice.

    Raises SourceError when ``path`` is neither a file nor a Maildir.
    """
    if path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir()):
        box = mailbox.Maildir(str(path), factory=None, create=False)
        for key in box.iterkeys():
            yield _item(box.get_bytes(key))
    elif path.is_dir():
        for f in sorted(path.rglob("*.eml")):
            yield _item(f.read_bytes())
    elif path.is_file():
        head = path.read_bytes()[:5]
        if head.startswith(b"From "):
            box = mailbox.mbox(str(path), factory=None, create=False)
            for key in box.iterkeys():
                yield _item(box.get_bytes(key))
        else:
            yield _item(path.read_bytes())
    else:
        raise SourceError(f"{path}: not found; give an .eml file, an mbox file, a folder of "
                          ".eml files or a Maildir")


def _item(raw: bytes) -> RawItem:
    return RawItem(external_id="sha256:" + hashlib.sha256(raw).hexdigest(), raw=raw)
