"""Changes to the deadline policies and the reply templates, written to the audit log.

Both live in files (``[deadlines]``/``[[acknowledgements]]`` in the configuration, templates
in ``reply_templates/`` and ``[drafting] template_dir``), not in the store, so whoever edits
them leaves no trace by themselves. When the daemon or the review page starts, this compares
their fingerprints with the last ones recorded and writes ``policy_changed`` or
``templates_changed`` (with the names of the files that changed, never their contents) when
they differ, so the audit log shows from which start a policy or a template was in force.

The per-file hashes a templates line is compared with are kept in
``data_dir/template-hashes.json``, not in the audit line (with every packaged template it
was a 13 KB line on each first start): the line holds the overall hash, how many files are in
use and the names that changed. Without that file (a first start, another machine's
``data_dir``) the line says so instead of naming files.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from triage.config import Settings
from triage.drafting.render import PACKAGED_TEMPLATES
from triage.errors import StoreError
from triage.store.audit_log import AuditFilter
from triage.store.store import Store

log = logging.getLogger(__name__)
ACTOR = "config"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def policy_fingerprint(settings: Settings) -> dict[str, Any]:
    """The hash of the deadline policies and acknowledgement rules in force."""
    data = {"deadlines": settings.deadlines.model_dump(mode="json"),
            "acknowledgements": [r.model_dump(mode="json") for r in settings.acknowledgements]}
    return {"sha256": _digest(json.dumps(data, sort_keys=True).encode()),
            "file": str(settings.config_path or "")}


def template_fingerprint(settings: Settings) -> dict[str, Any]:
    """Hashes of every template file in use: the operator's folder, then the packaged ones."""
    roots = [("packaged", PACKAGED_TEMPLATES)]
    if settings.drafting.template_dir:
        roots.insert(0, ("template_dir", settings.resolve_path(settings.drafting.template_dir)))
    files: dict[str, str] = {}
    for label, root in roots:
        for path in sorted(Path(root).rglob("*.j2")):
            files[f"{label}:{path.relative_to(root)}"] = _digest(path.read_bytes())[:16]
    return {"sha256": _digest(json.dumps(files, sort_keys=True).encode()), "files": files}


MAX_NAMED = 20
"""At most this many changed file names in one audit line (then ``more``: how many else)."""
HASHES_FILE = "template-hashes.json"


def _known_hashes(path: Path) -> dict[str, str] | None:
    """The per-file hashes recorded at the last start, or None when there are none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None


def template_detail(now: dict[str, Any], old: dict[str, str] | None) -> dict[str, Any]:
    """The brief detail of a ``templates_changed`` line: the overall hash, the number of
    files, and the names of the files added, changed or removed since ``old`` (the hashes of
    the last start; None when unknown)."""
    files: dict[str, str] = now["files"]
    detail: dict[str, Any] = {"sha256": now["sha256"], "files": len(files)}
    if old is None:
        detail["changed"] = []
        detail["note"] = "no earlier record of the templates on this machine"
        return detail
    changed = sorted(k for k in set(files) | set(old) if files.get(k) != old.get(k))
    detail["changed"] = changed[:MAX_NAMED]
    if len(changed) > MAX_NAMED:
        detail["more"] = len(changed) - MAX_NAMED
    return detail


def record_config_changes(store: Store, settings: Settings) -> list[str]:
    """Audit the policies and templates when they differ from the last recorded; return the
    actions written. Never raises: a failure is logged (it must not stop a start)."""
    written: list[str] = []
    try:
        reads = store.audit_log
        templates = template_fingerprint(settings)
        for action, now in (("policy_changed", policy_fingerprint(settings)),
                            ("templates_changed", templates)):
            last = reads.page(AuditFilter(action=action), 1)
            before = last[0]["detail"] if last else {}
            if before.get("sha256") == now["sha256"]:
                continue
            if "files" in now:
                hashes = settings.data_path / HASHES_FILE
                # a line written before the hashes moved out of it still carries them
                old = _known_hashes(hashes) or before.get("files") or None
                detail = template_detail(now, old if isinstance(old, dict) else None)
            else:
                detail = dict(now)
            store.audit(ACTOR, action, None, detail)
            written.append(action)
        _save_hashes(settings, templates["files"])
    except (StoreError, OSError) as exc:
        log.warning("could not audit policy and template changes: %s", exc)
    return written


def _save_hashes(settings: Settings, files: dict[str, str]) -> None:
    """Keep the per-file hashes of the templates in force for the next start's comparison
    (a failure is logged: the next line then says it has no earlier record)."""
    try:
        path = settings.data_path / HASHES_FILE
        data = json.dumps(files, sort_keys=True)
        if not path.exists() or path.read_text(encoding="utf-8") != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        log.warning("could not keep the template hashes in %s: %s", settings.data_dir, exc)
