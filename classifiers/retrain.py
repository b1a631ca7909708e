"""Train a new model version, optionally self-trained on the inbox, and gate its activation.

One run (``triage train``, the daemon's scheduled retraining, the admin page):

1. split off the held-out sets (:mod:`classifiers.gate`): a stable share of the corpus (the
   shipped test set; or the admin's ``gate_data``) and of the agents' corrections;
2. train on the rest; a corpus row whose text an agent corrected is dropped (the agent wins);
3. with an inbox (unlabelled stored messages), self-train two rounds
   (:mod:`classifiers.selftrain`) and keep the pseudo-labels only if the self-trained model
   does not lose against the same data without them on both held-out sets;
4. choose the per-language review thresholds (:func:`classifiers.training.choose_thresholds`);
5. register the version with the data it saw, and activate it only if it does not lose
   against the active version (the bundled model while no registered one is) on both
   held-out sets. The bundled model learnt the shipped test set, so there the bundled recipe
   retrained without it stands in for it.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from classifiers.corpus_io import Example, examples_hash
from classifiers.gate import GateScores, Tolerances, passes, score
from classifiers.model import TriageClassifier
from classifiers.modelfile import load_model
from classifiers.registry import ModelRegistry
from classifiers.selective import DEFAULT_TARGETS, AbstainTargets
from classifiers.selftrain import Unlabelled, date_range
from triage.config import ClassifierSettings, Settings
from triage.errors import ClassifierError, TriageError

log = logging.getLogger(__name__)


class _HasText(Protocol):
    @property
    def text(self) -> str: ...


T = TypeVar("T", bound=_HasText)


def split_holdout(examples: Sequence[T], share: float) -> tuple[list[T], list[T]]:
    """Split ``examples`` (anything with a ``text``) into (train, held back) by a stable hash
    of each text."""
    cut = int(share * 10_000)
    train_part: list[T] = []
    held: list[T] = []
    for e in examples:
        h = int.from_bytes(hashlib.sha256(e.text.encode()).digest()[:4], "big") % 10_000
        (held if h < cut else train_part).append(e)
    return train_part, held


@dataclass(frozen=True)
class TrainingData:
    """What one training run learns from and is judged on."""

    corpus: Sequence[Example]
    """The bundled corpus: the bundled recipe's rows, which the bundled model learnt."""
    corrections: Sequence[Example] = ()
    """The agents' corrections (newest label per text)."""
    inbox: Sequence[Unlabelled] = ()
    """Unlabelled stored messages to self-train on (empty: no self-training)."""
    inbox_days: int = 0
    gate_examples: Sequence[Example] | None = None
    """The admin's labelled real messages (``gate_data``), replacing the shipped test set."""
    inbox_weighting: bool = False
    """Weight the labelled examples by how much they look like the inbox while self-training
    (:mod:`classifiers.inbox_weights`)."""
    extra: Sequence[Example] = ()
    """The ``--data`` CSV files' rows, learnt after the corpus's (the bundled model never saw
    them, so the bundled recipe's stand-in leaves them out)."""


def training_data(settings: Settings, registry: ModelRegistry, now: datetime, *,
                  extra: Sequence[Path] = (), corrections: bool = True,
                  self_training_days: int | None = None) -> TrainingData:
    """Gather the data the settings ask for: corpus (+ ``extra`` CSVs), corrections, the
    inbox of the last ``self_training_days`` (default: the setting) and ``gate_data``.

    Raises CorpusError when a CSV is unreadable.
    """
    from classifiers.corpus_io import load_corpus, read_examples
    from classifiers.selftrain import load_inbox

    c = settings.classifier
    days = c.self_training_days if self_training_days is None else self_training_days
    inbox = load_inbox(registry.store, days, c.self_training_max_messages, now) if days else []
    gate = read_examples(settings.resolve_path(c.gate_data)) if c.gate_data else None
    return TrainingData(load_corpus(), registry.corrections() if corrections else [],
                        inbox, days, gate, c.inbox_weighting,
                        [e for p in extra for e in read_examples(Path(p))])


def gate_options(c: ClassifierSettings) -> dict[str, Any]:
    """Return the :func:`train_version` keyword arguments the ``[classifier]`` settings set."""
    return {"holdout_share": c.gate_holdout_share,
            "tolerances": Tolerances(real=c.gate_tolerance, corpus=c.gate_corpus_tolerance),
            "targets": AbstainTargets(c.abstain_target_accuracy, c.abstain_max_flagged)}


@dataclass(frozen=True)
class Plan:
    """The training and held-out parts of :class:`TrainingData` (picklable for a child)."""

    corpus: list[Example]
    """The bundled corpus's training rows (what the bundled recipe's stand-in learns)."""
    corrections: list[Example]
    test: list[Example]
    held_corrections: list[Example]
    inbox: list[Unlabelled]
    """The inbox messages self-training may pseudo-label."""
    inbox_budget: list[Unlabelled]
    """Inbox messages kept out of self-training, to measure the flag budget on: the model is
    more confident on the messages it learned from, so these must be unseen."""
    test_is_real: bool
    data: dict[str, Any] = field(default_factory=dict)
    inbox_weighting: bool = False
    extra: list[Example] = field(default_factory=list)
    """The ``--data`` rows' training part."""

    @property
    def labelled(self) -> list[Example]:
        """Every labelled training example: the corpus's, the ``--data`` rows', then the
        corrections."""
        return [*self.corpus, *self.extra, *self.corrections]


def plan(data: TrainingData, holdout_share: float) -> Plan:
    """Split ``data`` into training and held-out parts (stable, by a hash of each text).

    The test set is the corpus's held-out rows then the ``--data`` rows' (or ``gate_data``).
    """
    corrected = {e.text for e in data.corrections}
    # the agents' label wins
    corpus = [e for e in data.corpus if e.text not in corrected]
    extra = [e for e in data.extra if e.text not in corrected]
    if data.gate_examples:
        train_corpus, train_extra, test = corpus, extra, list(data.gate_examples)
    else:
        train_corpus, test = split_holdout(corpus, holdout_share)
        train_extra, extra_test = split_holdout(extra, holdout_share)
        test += extra_test
    train_corr, held_corr = split_holdout(data.corrections, holdout_share)
    inbox, budget = split_holdout(data.inbox, holdout_share)
    provenance = {"corpus_hash": examples_hash([*data.corpus, *data.extra]),
                  "n_corpus": len(train_corpus) + len(train_extra),
                  "n_test": len(test), "test": "gate_data" if data.gate_examples else "corpus",
                  "n_corrections": len(train_corr), "n_corrections_held": len(held_corr),
                  "inbox_days": data.inbox_days, "n_inbox": len(data.inbox),
                  "n_inbox_budget": len(budget)}
    return Plan(train_corpus, train_corr, test, held_corr, inbox, budget,
                bool(data.gate_examples), provenance, data.inbox_weighting, train_extra)


@dataclass(frozen=True)
class FitResult:
    """What the training half of a run (possibly in a child process) hands back."""

    path: Path
    candidate: GateScores
    active: GateScores | None
    self_training: dict[str, Any]
    active_note: str = ""
    """How the active model's test score was obtained, when not by scoring it (in words)."""


def fit_and_save(p: Plan, active: tuple[str, str] | None, models_dir: Path, *,
                 tolerances: Tolerances = Tolerances(),  # noqa: B008 (frozen, immutable)
                 targets: AbstainTargets = DEFAULT_TARGETS,
                 progress: Callable[[str], None] | None = None,
                 active_learnt_test: bool = False) -> FitResult:
    """Train (and self-train) on ``p``, choose thresholds, score the new and the ``active``
    (path, sha256) model on the held-out sets, and save the new model under ``models_dir``.

    ``active_learnt_test``: the active model was trained on the test set (the bundled model
    learnt the whole corpus), so its test score would be its memory; the test set then scores
    the bundled recipe retrained on the training part of the bundled corpus instead (without
    ``--data`` rows, which the bundled model never saw; the corrections it never saw still
    score the active model itself).

    The part of :func:`train_version` that needs scikit-learn (it may run in a child process).
    Raises ClassifierError when the data lacks a category.
    """
    from classifiers.modelfile import save_model
    from classifiers.selftrain import self_train
    from classifiers.training import choose_thresholds, fit  # scikit-learn is imported here

    labelled = p.labelled
    try:
        model = fit(labelled, progress=progress)
    except ValueError as exc:
        raise ClassifierError(f"cannot train: {exc}; add examples of it (--data CSV)") from exc
    if progress:
        progress(f"scoring on {len(p.test)} test and {len(p.held_corrections)} held-out "
                 "correction examples")
    cand = score(model, p.test, p.held_corrections)
    # the bundled recipe on this split learns the bundled corpus's training rows (not
    # --data's): the candidate, when it learnt nothing else
    corpus_only = cand if not p.corrections and not p.extra else None
    pseudo: list[Example] = []
    st: dict[str, Any] = {"state": "off"}
    if p.inbox:
        held_texts = [e.text for e in (*p.test, *p.held_corrections)]
        weights, weighting = _inbox_weights(p, labelled, progress)
        while True:
            run = self_train(labelled, p.inbox, exclude=held_texts,
                             base=None if weights is not None else model, progress=progress,
                             weights=weights)
            st_scores = score(run.model, p.test, p.held_corrections)
            ok, rule = passes(st_scores, cand, tolerances, test_is_real=p.test_is_real)
            if ok or weights is None:
                break
            # the weights cost too much on the held-out sets: try the plain self-training,
            # so they never take its gain away with them
            weighting = {**weighting, "state": "refused", "with": st_scores.as_dict(),
                         "rule": rule}
            weights = None
        st = {"state": "accepted" if ok else "refused", "n_pseudo": len(run.pseudo),
              "without": cand.as_dict(), "with": st_scores.as_dict(), "rule": rule,
              "received": date_range(run.used), "inbox_weighting": weighting}
        if ok:
            model, cand, pseudo = run.model, st_scores, run.pseudo
    choose_thresholds(model, labelled, pseudo, targets=targets,
                      labelled_real=p.test if p.test_is_real else None,
                      inbox=[(i.text, i.language) for i in p.inbox_budget],
                      progress=progress)
    active_scores: GateScores | None = None
    if active is not None:
        try:
            active_scores = score(load_model(Path(active[0]), expected_sha256=active[1]),
                                  p.test, p.held_corrections)
        except TriageError as exc:
            log.warning("active model %s cannot be loaded (%s); the gate ignores it",
                        active[0], exc)
    note = ""
    if active_scores is not None and active_learnt_test:
        if corpus_only is None:
            if progress:
                progress("scoring the bundled recipe without the test rows (the bundled model "
                         "learnt them)")
            corpus_only = score(fit(p.corpus), p.test, [])
        active_scores = replace(active_scores, test_f1=corpus_only.test_f1)
        note = ("its test score is the bundled recipe's retrained without the test rows, "
                "which the bundled model learnt")
    received = st.get("received", {}) if pseudo else {}
    model.meta.data = {**p.data, "n_pseudo": len(pseudo), "self_training": st["state"],
                       "pseudo_received_from": received.get("from"),
                       "pseudo_received_to": received.get("to"),
                       "inbox_weighting": st.get("inbox_weighting", {}) if pseudo else {}}
    model.meta.metrics = {"gate_macro_f1": cand.test_f1, "gate_n": cand.n_test,
                          "gate_corrections_accuracy": cand.corrections_accuracy,
                          "gate_corrections_n": cand.n_corrections,
                          "n_train": len(labelled) + len(pseudo), "self_training": st}
    path = save_model(model, models_dir / f"{model.version}.skops")
    return FitResult(path, cand, active_scores, st, note)


def _inbox_weights(p: Plan, labelled: Sequence[Example],
                   progress: Callable[[str], None] | None) -> tuple[Any, dict[str, Any]]:
    """Return (sample weights or None, what to record) for self-training on ``p``'s inbox.

    The corrections are real inbox messages an agent labelled: they keep weight 1 at least.
    """
    if not p.inbox_weighting:
        return None, {}
    from classifiers.inbox_weights import MIN_INBOX, importance_weights, summary

    texts = [i.text for i in p.inbox]
    if len({*texts}) < MIN_INBOX:
        return None, {"state": "skipped", "reason": f"fewer than {MIN_INBOX} inbox messages"}
    if progress:
        progress(f"weighting {len(labelled)} labelled examples by {len(texts)} inbox messages")
    w = importance_weights(labelled, texts)
    first = len(p.corpus) + len(p.extra)  # the corrections follow the corpus and --data rows
    w[first:] = np.maximum(w[first:], 1.0)
    return w, {"state": "on", "n_inbox": len(texts), **summary(w)}


@dataclass
class TrainOutcome:
    """What a training run produced and what the gate decided."""

    model: TriageClassifier
    path: Path
    n_train: int
    n_gate: int
    candidate_f1: float
    active_version: str | None
    active_f1: float | None
    activated: bool
    explanation: str
    candidate: GateScores | None = None
    active: GateScores | None = None
    self_training: dict[str, Any] = field(default_factory=dict)


def _self_training_words(st: dict[str, Any]) -> str:
    if st.get("state") in (None, "off"):
        return ""
    verdict = "kept" if st["state"] == "accepted" else "dropped"
    weighting = st.get("inbox_weighting", {}).get("state")
    how = {"on": " (corpus weighted by the inbox)",
           "refused": " (without weighting the corpus by the inbox: that lost on the held-out "
                      "sets)"}.get(weighting or "", "")
    return (f"self-training{how}: "
            f"{st['n_pseudo']} pseudo-labels {verdict} (without them "
            f"{GateScores(**st['without']).describe()}; with them "
            f"{GateScores(**st['with']).describe()}). ")


def train_version(registry: ModelRegistry, data: TrainingData, *, holdout_share: float = 0.15,
                  tolerances: Tolerances = Tolerances(),  # noqa: B008 (frozen, immutable)
                  targets: AbstainTargets = DEFAULT_TARGETS, activate: bool = True,
                  actor: str = "admin", progress: Callable[[str], None] | None = None,
                  in_child: bool = False) -> TrainOutcome:
    """Train on ``data``, register the version, and activate it if it passes the gate.

    ``in_child`` trains and scores in a child process (the daemon's scheduled retraining), so
    this process never imports scikit-learn. Raises ClassifierError when there is nothing to
    test on or the data lacks a category.
    """
    p = plan(data, holdout_share)
    where = (f"{len(p.test)} examples of the gate data file" if p.test_is_real else
             f"{len(p.test)} test examples ({holdout_share:.0%} of the corpus, chosen by a hash "
             "of the text)")
    if not p.test:
        raise ClassifierError("the test set is empty; raise classifier.gate_holdout_share "
                              "or set classifier.gate_data")
    active_row = registry.active_row()
    if active_row is None:  # the bundled model is in use: a new version must not lose to it
        bundled = registry.bundled()
        active_row = bundled if bundled["path"] else None
    active = (active_row["path"], active_row["sha256"]) if active_row else None
    args = (p, active, registry.models_dir)
    kwargs: dict[str, Any] = {
        "tolerances": tolerances, "targets": targets,
        "active_learnt_test": bool(active_row and active_row.get("bundled")
                                   and not p.test_is_real)}
    if in_child:
        # scikit-learn and the fitted pipeline cost the daemon ~90 MB it would never give back
        if progress:
            progress(f"training and scoring on {len(p.labelled)} examples in a child process")
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
            res = pool.submit(fit_and_save, *args, **kwargs).result()
    else:
        res = fit_and_save(*args, **kwargs, progress=progress)
    model = load_model(res.path)
    registry.record(model, res.path)
    why = _self_training_words(res.self_training)
    if res.active is None:
        passed = True
        why += (f"new model {model.version}: {res.candidate.describe()} ({where}); no active "
                "model could be compared, so it passes the gate")
    else:
        passed, rule = passes(res.candidate, res.active, tolerances,
                              test_is_real=p.test_is_real)
        verdict = "passes" if passed else "fails"
        why += (f"new model {model.version}: {res.candidate.describe()} vs active "
                f"{active_row['version']}: {res.active.describe()} ({where}"
                f"{'; ' + res.active_note if res.active_note else ''}); it {verdict} the "
                f"gate ({rule})")
    activated = False
    if passed and activate:
        registry.activate(model.version, actor)
        activated = True
        why += "; activated"
    elif passed:
        why += f"; not activated (run 'triage models activate {model.version}')"
    else:
        why += (f"; kept the active model (activate anyway with 'triage models activate "
                f"{model.version}', or raise classifier.gate_tolerance or gate_corpus_tolerance)")
    return TrainOutcome(model, res.path, int(model.meta.metrics.get("n_train", 0)), len(p.test),
                        res.candidate.test_f1, active_row["version"] if active_row else None,
                        res.active.test_f1 if res.active else None, activated, why,
                        res.candidate, res.active, res.self_training)
