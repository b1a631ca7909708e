"""Composition root: builds every collaborator from the settings, once, and wires them.

:class:`App` holds typed collaborators (store, classifier, renderer, deadline policy, sweeper,
pipeline, ops runtime, outbox), each built lazily on first use and then reused. It runs
nothing: the jobs that use them are in :mod:`triage.daemon`, the commands in :mod:`triage.cli`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from triage.clock import Clock, SystemClock
from triage.config import Settings
from triage.deadlines.policy import DeadlinePolicy
from triage.deadlines.sweep import DeadlineSweeper
from triage.drafting.render import Renderer
from triage.drafting.situation_learning import SituationLearner
from triage.models import OutgoingReply
from triage.ops.runtime import OpsRuntime
from triage.pipeline import Pipeline
from triage.review import ReviewService
from triage.send.window import ReplyWindows, store_last_seen
from triage.store import Store
from triage.store.deadline_store import DeadlineStore

if TYPE_CHECKING:
    from classifiers.model import TriageClassifier
    from triage.drafting.acks import Acknowledger
    from triage.send.outbox import Outbox
    from triage.send.smtp import SentHook
    from triage.web.parts import WebParts
    from triage.web.retrain import Retrainer

log = logging.getLogger(__name__)


class App:
    """One configured triage instance; collaborators are built lazily and reused."""

    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 environ: Mapping[str, str] | None = None, model_path: str | None = None,
                 stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.environ = dict(os.environ if environ is None else environ)
        self.model_path = model_path
        self.stop = stop or threading.Event()

    def warm_up(self) -> None:
        """Build what processing needs now rather than at the first message: the store
        (migrated), the model, the pipeline, the draft templates (compiled) and, with
        ``drafting.learn_situations``, the situation model, so failures show at start-up and
        the first batch does not pay for them; then settle this process's heap
        (:func:`triage.ops.memtrim.settle_heap`)."""
        from triage.ops.memtrim import settle_heap

        _ = self.store, self.pipeline
        self.renderer.warm_up()  # every draft template compiled (#19)
        if self.settings.drafting.learn_situations:
            _ = self.situation_model
        settle_heap()

    @cached_property
    def store(self) -> Store:
        """The store, migrated."""
        return Store.open(self.settings.database_url(self.environ), self.clock)

    @cached_property
    def classifier(self) -> TriageClassifier:
        """The classifier (trained from the bundled corpus on first use)."""
        from triage.modelstore import LiveClassifier, active_model, load_classifier

        if self.model_path or self.settings.classifier.model_path:  # a pinned file
            return load_classifier(self.settings, self.model_path)
        # the registry's active version, swapped in when an admin activates another
        return LiveClassifier(  # type: ignore[return-value]
            lambda key: load_classifier(self.settings, active=key),
            lambda: active_model(self.settings, self.store))

    @cached_property
    def renderer(self) -> Renderer:
        """The draft renderer."""
        d = self.settings.drafting
        return Renderer(default_language=d.default_language,
                        template_dir=self.settings.resolve_path(d.template_dir)
                        if d.template_dir else None,
                        team_name=d.team_name, agent_name=d.agent_name,
                        customer_timezone=d.customer_timezone,
                        language_timezones=d.language_timezones,
                        social_max_length=d.social_max_length, clock=self.clock,
                        situation_model=(lambda: self.situation_model)
                        if d.learn_situations else None)

    @cached_property
    def situations(self) -> SituationLearner:
        """The situation model of this process: the packaged corpus plus the situations
        agents switched drafts to (``drafting.learn_situations``), learnt again every
        ``drafting.relearn_situations_every``."""
        d = self.settings.drafting
        return SituationLearner(self.store.learning.situation_choices, self.clock,
                                d.relearn_situations_every)

    @property
    def situation_model(self) -> Any:
        """The situation model drafts are detected with now (see :attr:`situations`)."""
        return self.situations.model()

    @cached_property
    def deadlines(self) -> DeadlinePolicy:
        """The deadline policy, with the configured business calendars."""
        from triage.deadlines.policy import build_calendars

        d = self.settings.deadlines
        # chat sources carry their own first-response target (the chat norm, 60 min)
        own = {s.name: s.first_response for s in self.settings.sources
               if hasattr(s, "first_response")}
        return DeadlinePolicy(d, build_calendars(d, self.settings.resolve_path), own)

    @cached_property
    def sweeper(self) -> DeadlineSweeper:
        """The deadline sweep with its notifier (webhook, e-mail digest)."""
        from triage.deadlines.notify import build_notifier
        from triage.store.deadline_store import DeadlineStore

        dstore = DeadlineStore(self.store, (self.settings.drafting.support_address,))
        notifier = build_notifier(dstore, self.clock, self.settings.notifications, self.environ,
                                  resolve=self.settings.resolve_path)
        from triage.ops.memtrim import release_free_heap

        return DeadlineSweeper(self.deadlines, dstore, notifier, self.clock, self.stop,
                               after_sweep=release_free_heap)

    @cached_property
    def pipeline(self) -> Pipeline:
        """The pipeline wired to this app's collaborators."""
        own = (self.settings.drafting.support_address.lower(),)
        return Pipeline(self.store, self.classifier, self.renderer, self.deadlines, self.clock,
                        batch_size=self.settings.scheduler.batch_size, own_addresses=own,
                        stop=self.stop, claims=self.ops.claims,
                        after_processed=self.observers())

    @cached_property
    def ops(self) -> OpsRuntime:
        """Leases, claims, metrics and the /healthz server of this process."""
        from triage.deadlines.states import counts

        return OpsRuntime(self.settings.ops, self.store, self.clock, self.environ,
                          lambda: counts(self.store, self.deadlines, self.clock.now()))

    @cached_property
    def acknowledger(self) -> Acknowledger | None:
        """The acknowledger, or None when no ``[[acknowledgements]]`` rule is enabled."""
        rules = [r for r in self.settings.acknowledgements if r.enabled]
        if not rules:
            return None
        from triage.drafting.acks import Acknowledger
        from triage.send.outbox import OutboxSender

        # queued into the outbox, which sends them with the configured senders and retries
        # all rules (the disabled are skipped), so an error names the rule's place in the file
        return Acknowledger(self.store, OutboxSender(self.outbox),
                            self.settings.acknowledgements, self.deadlines, self.clock,
                            team=self.settings.drafting.team_name, renderer=self.renderer)

    def observers(self) -> list[Callable[[dict, Any], Any]]:
        """The pipeline's after-processing steps: metrics, then acknowledgements."""
        out: list[Callable[[dict, Any], Any]] = [self.ops.metrics.observe]
        if self.acknowledger is not None:
            out.append(self.acknowledger)
        return out

    def review_service(self, outbox: Outbox | None = None) -> ReviewService:
        """The agent's actions; approved replies go into ``outbox`` (default :attr:`outbox`)."""
        own = (self.settings.drafting.support_address,)
        return ReviewService(self.store, self.renderer, self.deadlines,
                             DeadlineStore(self.store, own), self.clock,
                             outbox=(lambda: outbox) if outbox is not None else lambda: self.outbox,
                             classifier=lambda: self.classifier,
                             pipeline=lambda: self.pipeline,
                             undo_window=self.settings.web.undo_window,
                             windows=ReplyWindows(self.settings.sources,
                                                  store_last_seen(self.store), self.clock))

    @cached_property
    def review(self) -> ReviewService:
        """The agent's actions (review page, JSON API and ``triage review`` alike)."""
        return self.review_service()

    def web_parts(self, *, outbox: Outbox | None = None, retrainer: Retrainer | None = None,
                  scheduler_running: Callable[[], bool] | None = None) -> WebParts:
        """What the review page is handed. ``scheduler_running`` tells ``/healthz`` whether
        this process's scheduler is up (a process without one is ready when its store
        answers)."""
        from triage.web.parts import WebParts
        from triage.web.retrain import Retrainer
        from triage.web.webhooks import webhook_endpoints

        box = outbox if outbox is not None else self.outbox
        return WebParts(
            settings=self.settings, clock=self.clock, store=self.store,
            deadlines=self.deadlines, review=self.review_service(box), outbox=box,
            retrainer=retrainer or Retrainer(self.store, self.settings.data_path / "models",
                                             settings=self.settings),
            ops_router=self.ops.router(scheduler_running or (lambda: True)),
            classifier=lambda: self.classifier,
            webhooks=webhook_endpoints(self.settings.sources, self.environ))

    @cached_property
    def outbox(self) -> Outbox:
        """The outbox of approved replies, with the senders ``[send]`` asks for; a reply sent
        by SMTP is queued for its IMAP source's Sent folder when one is configured."""
        from triage.send.factory import build_outbox

        return build_outbox(self.store, self.settings, self.environ,
                            owner=str(self.ops.owner), on_sent=self.sent_copy_hook())

    def sent_copy_hook(self) -> SentHook | None:
        """Return the SMTP ``on_sent`` hook that queues each sent reply for the Sent folder of
        the IMAP source its message came from; None when no source has a ``sent_folder``."""
        from triage.send.smtp import message_id_for
        from triage.store.imap_state import record_sent_copy

        wanted = {src.name for src in self.settings.sources
                  if getattr(getattr(src, "write_back", None), "sent_folder", "")}
        if not wanted:
            return None
        store, support = self.store, self.settings.drafting.support_address

        def on_sent(reply: OutgoingReply, raw: bytes) -> None:
            source = store.message(reply.message_id)["source"]
            if source in wanted:  # the SMTP sender's From is drafting.support_address
                mid = message_id_for(reply.idempotency_key, support)
                record_sent_copy(store, source, reply.message_id, mid, raw)

        return on_sent
