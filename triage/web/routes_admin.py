"""Admin pages: dashboard, model versions (activate, roll back), deadline policies, outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from triage.deadlines.policy import DeadlinePolicy
from triage.deadlines.states import state_cut
from triage.errors import TriageError
from triage.models import CATEGORIES
from triage.web import models_admin, queries
from triage.web.accounts import User
from triage.web.charts import CHARTS, chart
from triage.web.deps import ADMIN, flash, require_admin
from triage.web.model_accuracy import accuracy, selective_svg, weekly_svg
from triage.web.parts import parts
from triage.web.policies_form import PolicyForm, write_back
from triage.web.render import page

router = APIRouter(prefix="/admin", dependencies=ADMIN)
USAGE_WINDOW = timedelta(days=30)
"""The dashboard's "learn from use" table covers drafts written in the last 30 days."""


def policies(deadlines: DeadlinePolicy) -> list[dict[str, Any]]:
    """Return the effective first-response target per channel and category."""
    out = []
    for channel in ("email", "social"):
        for cat in CATEGORIES:
            t = deadlines.target(channel, cat)
            out.append({"channel": channel, "category": cat, "within": t.within,
                        "policy": t.policy, "warn_before": deadlines.warn_before(channel)})
    return out


def _when(value: object) -> str:
    """Return an ISO time stamp of a model file as the pages write times (``2026-12-05 09:48
    UTC``); anything that is not one is returned as it was."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value or "")


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """Counts by deadline state, category, channel and language; outbox health; per
    template and language, the edit ratio and discard rate of the last 30 days."""
    request.state.user = user
    p = parts(request)
    cut = state_cut(p.deadlines, p.clock.now())
    counts = {**queries.dashboard(p.store), **p.store.conversations.breakdown(cut)}
    return page(request, "admin_dashboard.html", {
        "counts": counts, "totals": p.store.conversations.counts(cut),
        "quarantined": p.store.quarantined.count(), "outbox": p.outbox.rows(limit=20),
        "charts": CHARTS,
        "usage": p.review.template_usage(since=p.clock.now() - USAGE_WINDOW)})


@router.get("/charts/{name}")
def chart_png(request: Request, name: str) -> Response:
    """One of the report's charts (last 7 days) as PNG."""
    return Response(chart(parts(request), name), media_type="image/png")


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """The active model's metrics and every registered version."""
    request.state.user = user
    p = parts(request)
    models_dir = p.settings.data_path / "models"
    versions = models_admin.versions(p.store, models_dir)
    target, no_rollback = models_admin.rollback_target(p.store, models_dir)
    try:
        loaded = p.classifier()
        loaded_meta = {"version": loaded.version, "metrics": getattr(loaded.meta, "metrics", {}),
                       "n_examples": getattr(loaded.meta, "n_examples", None),
                       "trained_at": _when(getattr(loaded.meta, "trained_at", "")),
                       "thresholds": getattr(loaded.meta, "language_thresholds", {}),
                       "abstain": getattr(loaded.meta, "abstain", {})}
    except TriageError as exc:
        loaded_meta = {"version": f"(not loaded: {exc})", "metrics": {}}
    acc = accuracy(p.store.learning.labelled_outcomes())
    return page(request, "admin_models.html", {
        "versions": versions, "active": models_admin.active(p.store), "loaded": loaded_meta,
        "rollback_to": target, "no_rollback": no_rollback,
        "st": p.retrainer.status, "acc": acc, "acc_svg": weekly_svg(acc),
        "curve_svg": selective_svg(loaded_meta.get("abstain") or {}),
        "pinned": p.settings.classifier.model_path})


@router.get("/models/retrain", response_class=HTMLResponse)
def retrain_status(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """The retraining progress box (htmx polls it while a retraining runs)."""
    request.state.user = user
    return page(request, "_retrain.html", {"st": parts(request).retrainer.status})


@router.post("/models/retrain")
def retrain(request: Request, user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """Retrain on the bundled corpus plus the agents' corrections (a new inactive version)."""
    if parts(request).retrainer.start(user.name):
        flash(request, "Retraining started.", "ok")
    else:
        flash(request, "A retraining is already running.", "error")
    return RedirectResponse("/admin/models", status_code=303)


@router.post("/models/rollback")
def rollback(request: Request, user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """Roll back to the previously active model version."""
    try:
        v = models_admin.rollback(parts(request).store, user.name)
        flash(request, f"Rolled back to {v}: it classifies from the next message on.", "ok")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse("/admin/models", status_code=303)


@router.post("/models/{version}/activate")
def activate(request: Request, version: str,
             user: User = Depends(require_admin)) -> RedirectResponse:  # noqa: B008
    """Activate a model version."""
    try:
        models_admin.activate(parts(request).store, version, user.name)
        flash(request, f"Activated {version}: it classifies from the next message on.", "ok")
    except TriageError as exc:
        flash(request, str(exc), "error")
    return RedirectResponse("/admin/models", status_code=303)


@router.get("/policies", response_class=HTMLResponse)
def policy_page(request: Request, user: User = Depends(require_admin)) -> HTMLResponse:  # noqa: B008
    """Deadline policies in force, and the form that edits them."""
    request.state.user = user
    p = parts(request)
    return page(request, "admin_policies.html", {
        "policies": policies(p.deadlines), "form": PolicyForm.current(p.settings.deadlines),
        "categories": CATEGORIES, "editable": p.settings.config_path is not None,
        "scale": p.settings.deadlines.priority_scale})


@router.post("/policies", response_model=None)
async def save_policies(request: Request, user: User = Depends(require_admin)  # noqa: B008
                        ) -> RedirectResponse | HTMLResponse:
    """Validate the form; write ``[deadlines]`` back to the config file and apply it."""
    request.state.user = user
    p = parts(request)
    form, values = PolicyForm.parse(await request.form())
    if not form.errors:
        try:
            write_back(p.settings, p.deadlines, values)
        except TriageError as exc:
            form.errors["file"] = str(exc)
    if form.errors:
        return page(request, "admin_policies.html", {
            "policies": policies(p.deadlines), "form": form, "categories": CATEGORIES,
            "editable": p.settings.config_path is not None,
            "scale": p.settings.deadlines.priority_scale}, status_code=422)
    p.store.audit(user.name, "edit_deadlines", None, values)
    flash(request, f"Deadline policies saved to {p.settings.config_path}; new messages get "
                   "them now (other daemons at their next start).", "ok")
    return RedirectResponse("/admin/policies", status_code=303)
