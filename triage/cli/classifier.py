"""Admin commands for the classifier: ``triage train``, ``evaluate``, ``explain``, ``models``.

Registered at the bottom of :mod:`triage.cli.main`; ``train`` replaces the foundation's command of
the same name (same options, plus corrections, the registry and the activation gate).
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from triage.config import Settings

F = TypeVar("F", bound=Callable[..., Any])

# triage.cli.main imports this module at its end, so its helpers are looked up at call time
# (a top-level import would be circular under 'python -m triage.cli.main').
config_option = click.option("--config", "config", type=click.Path(dir_okay=False),
                             help="Config file (default: $TRIAGE_CONFIG or ./triage.toml).")


def handle_errors(fn: F) -> F:
    """Apply :func:`triage.cli.main.handle_errors` (error messages and exit codes) to ``fn``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from triage.cli.common import handle_errors as wrap

        return wrap(fn)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def cli_settings(config: str | None, *, required: bool = True) -> Settings:
    from triage.cli.common import cli_settings as load

    return load(config, required=required)


def _registry(settings: Settings):  # type: ignore[no-untyped-def]
    from classifiers.registry import ModelRegistry
    from triage.clock import SystemClock
    from triage.store.store import Store

    store = Store.open(settings.database_url(os.environ), SystemClock())
    return ModelRegistry(store, settings.data_path / "models")


@click.command("train")
@config_option
@click.option("--data", "extra", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Extra labelled CSV (text,label[,lang,channel]); may be repeated.")
@click.option("--no-corrections", is_flag=True,
              help="Leave out the agents' corrections stored in the database.")
@click.option("--self-training-days", type=click.IntRange(min=0), default=None,
              help="Self-train on the unlabelled stored messages of the last N days "
              "(default: classifier.self_training_days; 0: off).")
@click.option("--no-activate", is_flag=True,
              help="Register the new version but do not activate it, even if it passes the gate.")
@click.option("--output", type=click.Path(dir_okay=False),
              help="Also copy the model file here (for classifier.model_path or --model).")
@handle_errors
def train_cmd(config: str | None, extra: tuple[str, ...], no_corrections: bool,
              self_training_days: int | None, no_activate: bool, output: str | None) -> None:
    """Train a model version from the corpus, --data CSVs and the agents' corrections, and
    optionally self-train on the unlabelled inbox.

    The new version becomes active only if it does not lose against the active model on the
    held-out corrections and the shipped test set (classifier.gate_tolerance,
    gate_corpus_tolerance, gate_holdout_share, gate_data).
    """
    from tqdm import tqdm

    from classifiers.modelfile import save_model
    from classifiers.retrain import gate_options, train_version, training_data

    settings = cli_settings(config, required=False)
    registry = _registry(settings)
    data = training_data(settings, registry, registry.store.clock.now(),
                         extra=[Path(p) for p in extra], corrections=not no_corrections,
                         self_training_days=self_training_days)
    inbox = (f" and {len(data.inbox)} unlabelled messages of the last {data.inbox_days} days"
             " to self-train on" if data.inbox_days else "")
    click.echo(f"training on {len(data.corpus) + len(data.extra)} corpus/--data examples, "
               f"{len(data.corrections)} corrections{inbox}", err=True)
    with tqdm(total=6 if data.inbox else 4, desc="train", unit="step", file=sys.stderr) as bar:
        def progress(msg: str) -> None:
            bar.set_postfix_str(msg[:60])
            bar.update(1)

        outcome = train_version(registry, data, activate=not no_activate, progress=progress,
                                **gate_options(settings.classifier))
        bar.update(max(0, bar.total - bar.n))
    if output:
        save_model(outcome.model, Path(output))
        click.echo(f"model file copied to {output}")
    meta = outcome.model.meta
    click.echo(f"model {outcome.model.version} written to {outcome.path}")
    d = meta.data
    click.echo(f"data: corpus {d.get('corpus_hash', '')[:12]} ({d.get('n_corpus')} rows), "
               f"{d.get('n_corrections')} corrections, {d.get('n_pseudo', 0)} pseudo-labels"
               + (f" from messages received {d['pseudo_received_from'][:10]} to "
                  f"{d['pseudo_received_to'][:10]}" if d.get("pseudo_received_from") else ""))
    if meta.language_thresholds:
        click.echo("review thresholds per language: " + ", ".join(
            f"{lang} {t:.2f}" for lang, t in sorted(meta.language_thresholds.items()))
            + f" (chosen on {meta.abstain.get('source', '?')})")
    click.echo(f"gate: {outcome.explanation}")


@click.command("evaluate")
@config_option
@click.option("--data", "data", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Labelled CSV: text,label[,lang,source|channel].")
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Model file to evaluate instead of the active/configured one.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="evaluation",
              show_default=True, help="Directory for report.html, confusion.png, report.json.")
@click.option("--target-precision", default=0.9, show_default=True,
              type=click.FloatRange(0.0, 1.0),
              help="Precision the suggested per-category review thresholds aim for.")
@handle_errors
def evaluate_cmd(config: str | None, data: str, model_path: str | None, out_dir: str,
                 target_precision: float) -> None:
    """Score a model on a labelled CSV: per-category P/R/F1, macro-F1, per-language table,
    confusion matrix image, per-language selective-accuracy curves and an HTML report."""
    from classifiers.corpus_io import read_examples
    from classifiers.evaluate import (
        evaluate,
        format_text,
        suggest_thresholds,
        write_confusion_png,
        write_html,
    )
    from classifiers.selective import AbstainTargets
    from classifiers.selective_report import (
        format_selective,
        selective_html,
        selective_report,
        write_selective_png,
    )
    from triage.modelstore import load_classifier

    settings = cli_settings(config, required=False)
    active = None
    if not model_path and not settings.classifier.model_path:
        active = _registry(settings).active()
    model = load_classifier(settings, model_path, active=active)
    examples = read_examples(Path(data))
    report = evaluate(model.predict_labels, examples, model.version)
    out = Path(out_dir)
    png = write_confusion_png(report, out / "confusion.png")
    preds = model.predict([e.text for e in examples])
    c = settings.classifier
    targets = AbstainTargets(c.abstain_target_accuracy, c.abstain_max_flagged)
    abstain = selective_report(examples, preds, targets)
    curves = write_selective_png(abstain, out / "selective.png", targets)
    html = write_html(report, out / "report.html", png.name,
                      selective_html(abstain, curves.name))
    suggested = suggest_thresholds([p.category for p in preds], [p.confidence for p in preds],
                                   [e.label for e in examples], target_precision)
    (out / "report.json").write_text(json.dumps(
        {**report.as_dict(), "suggested_thresholds": suggested, "abstention": abstain},
        indent=2), encoding="utf-8")
    click.echo(format_text(report))
    click.echo("\n" + format_selective(abstain, targets))
    click.echo(f"\nsuggested classifier.category_thresholds for {target_precision:.0%} precision"
               " outside review (threshold: share of that category's messages skipping review):")
    for cat, v in suggested.items():
        click.echo(f"  {cat:<16} {v['threshold']:.2f}  ({v['auto_share']:.0%} of "
                   f"{int(v['predicted'])})")
    inline = ", ".join(f"{c} = {v['threshold']:.2f}" for c, v in suggested.items())
    click.echo(f"  category_thresholds = {{ {inline} }}")
    click.echo(f"\nreport: {html}\nconfusion matrix: {png}\nselective accuracy: {curves}")


@click.command("explain")
@config_option
@click.option("--model", "model_path", type=click.Path(dir_okay=False),
              help="Model file to use instead of the active/configured one.")
@click.option("--top", default=8, show_default=True, help="How many terms to show.")
@click.argument("text")
@handle_errors
def explain_cmd(config: str | None, model_path: str | None, top: int, text: str) -> None:
    """Classify TEXT and show the terms that pushed it to its category."""
    from classifiers.explain import explain
    from triage.modelstore import load_classifier

    settings = cli_settings(config, required=False)
    model = load_classifier(settings, model_path)
    r = model.predict([text])[0]
    label = model.predict_labels([text])[0]
    click.echo(f"{label} (best category {r.category} {r.confidence:.2f}, language "
               f"{r.language}, needs_review={r.needs_review})")
    for t in explain(model, text, label, top=top):
        click.echo(f"  {t.weight:+.3f}  {t.term}")


@click.group("models")
def models_group() -> None:
    """List, activate and roll back registered model versions."""


def _fmt_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


@models_group.command("list")
@config_option
@handle_errors
def models_list(config: str | None) -> None:
    """Show every version (the bundled model first), its gate score, the data it saw, which
    is active and what 'triage models rollback' would re-activate."""
    registry = _registry(cli_settings(config, required=False))
    click.echo(f"{'':2}{'version':<34}{'created':<18}{'activated':<18}{'gate F1':>8}{'n':>7}"
               f"{'fixes':>7}{'pseudo':>7}  {'review thresholds':<32}"
               "pseudo-labelled messages received")
    rows = registry.history()
    for r in rows:
        m = r["metrics"] or {}
        d = m.get("data") or {}
        span = (f"{d['pseudo_received_from'][:10]}..{d['pseudo_received_to'][:10]}"
                if d.get("pseudo_received_from") else "-")
        limits = " ".join(f"{k} {v:.2f}" for k, v in
                          sorted((m.get("language_thresholds") or {}).items())) or "-"
        f1 = f"{m['gate_macro_f1']:.4f}" if m.get("gate_macro_f1") is not None else "-"
        click.echo(f"{'*' if r['active'] else ' ':2}{r['version']:<34}"
                   f"{_fmt_time(r['created_at']):<18}{_fmt_time(r['activated_at']):<18}"
                   f"{f1:>8}{m.get('n_train') or '-':>7}"
                   f"{d.get('n_corrections', '-'):>7}{d.get('n_pseudo', '-'):>7}  "
                   f"{limits:<32}{span}")
    target, reason = registry.rollback_target()
    click.echo(f"rollback: re-activates {target['version']}" if target
               else f"rollback: nothing to roll back to ({reason})")
    if len(rows) == 1:
        click.echo("no version registered yet besides the bundled model; run 'triage train'")


@models_group.command("activate")
@config_option
@click.argument("version")
@handle_errors
def models_activate(config: str | None, version: str) -> None:
    """Make VERSION (or 'bundled', the model shipped with triage) the model the daemon uses."""
    row = _registry(cli_settings(config, required=False)).activate(version)
    click.echo(f"active model: {_describe(row)}; the daemon uses it from the next message on")


@models_group.command("rollback")
@config_option
@handle_errors
def models_rollback(config: str | None) -> None:
    """Re-activate the version that was active before the current one (the bundled model
    after the first activation)."""
    row = _registry(cli_settings(config, required=False)).rollback()
    click.echo(f"rolled back; active model: {_describe(row)}; the daemon uses it from the "
               "next message on")


def _describe(row: dict[str, Any]) -> str:
    if row.get("bundled"):
        return "bundled (the model trained from the corpus shipped with triage)"
    return f"{row['version']} ({row['path']})"
