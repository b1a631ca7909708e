"""Changes to the deadline policies and the reply templates, written to the audit log.

Both live in files (``[deadlines]``/``[[acknowledgements]]`` in the configuration, templates
in ``reply_templates/`` and ``[drafting] template_dir``), not in the store, so whoever edits
them leaves no trace by themselves. When the daemon or the review page starts, this compares
their fingerprints with the last ones recorded and writes ``policy_changed`` or
``templates_changed`` (with the files that changed) when they differ, so the audit log shows
from which start a policy or a template was in force.
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


def record_config_changes(store: Store, settings: Settings) -> list[str]:
    """Audit the policies and templates when they differ from the last recorded; return the
    actions written. Never raises: a failure is logged (it must not stop a start)."""
    written: list[str] = []
    try:
        reads = store.audit_log
        for action, now in (("policy_changed", policy_fingerprint(settings)),
                            ("templates_changed", template_fingerprint(settings))):
            last = reads.page(AuditFilter(action=action), 1)
            before = last[0]["detail"] if last else {}
            if before.get("sha256") == now["sha256"]:
                continue
            detail = dict(now)
            if "files" in now:
                old = before.get("files") or {}
                detail["changed"] = sorted(k for k in set(now["files"]) | set(old)
                                           if now["files"].get(k) != old.get(k))
                if len(detail["changed"]) > 50:
                    detail["changed"] = [*detail["changed"][:50], "..."]
            store.audit(ACTOR, action, None, detail)
            written.append(action)
    except (StoreError, OSError) as exc:
        log.warning("could not audit policy and template changes: %s", exc)
    return written
