"""Learning from the agents (issue #17, build 3): the "help the model" list (uncertainty
sampling, confirm / correct through the review service) and the model's accuracy on the
agents' labels (per language, per category, per week) on the classifier page.

Store reads run on SQLite and PostgreSQL (``any_store``); the page runs through TestClient
on the real pipeline and model (``web``, ``seeded``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from classifiers.uncertainty import margin, pick
from tests.conftest import NOW
from tests.fixtures_web import ADMIN, AGENT
from tests.test_cli_review import cli  # noqa: F401 (fixture)
from tests.test_store_aggregates import DRAFT, ingest
from tests.test_web import csrf_of, login, message_ids
from triage.errors import ReviewError
from triage.models import Classification, Draft
from triage.store import Store
from triage.store import schema as s
from triage.store.drafts import Reclassification
from triage.web.model_accuracy import accuracy, selective_svg, week_of, weekly_svg


def cl(category: str, scores: dict[str, float], language: str = "en",
       needs_review: bool = False, version: str = "m1") -> Classification:
    return Classification(category, max(scores.values()), language, version, needs_review,
                          scores)


def relabel(store: Store, mid: int, new: str, agent: str, old: str) -> None:
    """Write an agent's reclassification the way the review service does."""
    store.drafts.reclassify(Reclassification(
        message_id=mid, classification=Classification(new, 1.0, "en", f"agent:{agent}", False,
                                                      {}),
        draft=Draft("Re: x", "Hi", f"{new}.email.j2", "en"), due_at=None, policy="p",
        priority="normal", state="ok", correction_text=f"text {mid}", channel="email",
        old_category=old), agent)


# ------------------------------------------------------------------ uncertainty sampling
def test_margin_is_the_gap_between_the_two_most_probable_labels() -> None:
    gap, top = margin({"complaint": 0.40, "other": 0.35, "request": 0.25})
    assert gap == pytest.approx(0.05)
    assert top == (("complaint", 0.40), ("other", 0.35))
    with pytest.raises(ValueError):
        margin({"complaint": 1.0})


def test_pick_takes_the_smallest_margins_with_languages_taking_turns() -> None:
    def row(i: int, lang: str, a: float, b: float, text: str = "") -> dict[str, Any]:
        return {"id": i, "language": lang, "category": "complaint", "subject": "",
                "text": text or f"message {i}", "scores": {"complaint": a, "request": b}}

    rows = [row(1, "en", 0.50, 0.49), row(2, "en", 0.52, 0.47), row(3, "en", 0.55, 0.44),
            row(4, "en", 0.90, 0.10), row(5, "tl", 0.60, 0.39), row(6, "vi", 0.70, 0.29),
            row(7, "en", 0.50, 0.49, text="message 1"),  # same text as 1: asked once
            {"id": 8, "language": "en", "category": "request", "scores": {}}]  # no scores
    got = pick(rows, 5)
    # en's most unsure first, then tl, vi (by their most unsure), then en again
    assert [u.message_id for u in got] == [1, 5, 6, 2, 3]
    assert got[0].top == (("complaint", 0.50), ("request", 0.49))
    assert [u.message_id for u in pick(rows, 2)] == [1, 5]
    assert pick(rows, 0) == []
    # a clear winner (0.90 against 0.10) is not unsure: never asked about unless allowed
    assert [u.message_id for u in pick(rows, 10)] == [1, 5, 6, 2, 3]
    assert 4 in [u.message_id for u in pick(rows, 10, max_margin=1.0)]


# ------------------------------------------------------------------------ store reads
def test_unsure_candidates_are_untouched_model_labelled_mail(any_store: Store) -> None:
    a, b, c, auto, fixed, edited, gone = ingest(
        any_store, *[dict(msgid=f"<{k}@x>", subject=k, body=f"body {k}")
                     for k in ("a", "b", "c", "auto", "fixed", "edited", "gone")])
    any_store.save_processing(auto, None, None, "", None)
    unsure = {"complaint": 0.40, "technical_issue": 0.38, "other": 0.22}
    for mid in (a, b, c, fixed, edited, gone):
        any_store.save_processing(mid, cl("complaint", unsure, needs_review=True),
                                  NOW + timedelta(hours=1), "p", DRAFT)
    relabel(any_store, fixed, "technical_issue", "ann", "complaint")
    any_store.drafts.save_edit(any_store.drafts.current(edited)["id"], "Re: x", "mine", "ann")
    any_store.drafts.discard(any_store.drafts.current(gone)["id"], "ann")
    rows = any_store.learning.unsure_candidates()
    assert {r["id"] for r in rows} == {a, b, c}
    assert rows[0]["scores"] == unsure and rows[0]["language"] == "en"
    assert rows[0]["needs_review"] is True and rows[0]["model_version"] == "m1"
    assert len(any_store.learning.unsure_candidates(limit=2)) == 2


def test_a_reclassified_draft_is_the_pipelines_and_the_agent_updated_it(
        any_store: Store) -> None:
    """The store records every reclassification's new draft as drafted by the pipeline (the
    situation is detected as processing detects it) and updated by the agent who asked."""
    [mid] = ingest(any_store, dict(msgid="<r@x>", subject="r", body="body r"))
    any_store.save_processing(mid, cl("complaint", {"complaint": 0.9, "request": 0.1}),
                              NOW + timedelta(hours=1), "p", DRAFT)
    relabel(any_store, mid, "request", "ann", "complaint")
    draft = any_store.drafts.current(mid)
    assert (draft["drafted_by"], draft["updated_by"]) == ("triage", "ann")
    assert draft["template"] == "request.email.j2"


def test_labelled_outcomes_pair_the_models_label_with_the_agents_newest(
        any_store: Store) -> None:
    one, two, three, unlabelled = ingest(
        any_store, *[dict(msgid=f"<{k}@x>", subject=k, body=f"body {k}")
                     for k in ("one", "two", "three", "four")])
    scores = {"complaint": 0.7, "request": 0.3}
    for mid, lang, flagged in ((one, "en", False), (two, "vi", True), (three, "tl", False),
                               (unlabelled, "en", False)):
        any_store.save_processing(mid, cl("complaint", scores, lang, flagged),
                                  NOW + timedelta(hours=1), "p", DRAFT)
    relabel(any_store, one, "request", "ann", "complaint")
    relabel(any_store, one, "suggestion", "bo", "request")  # the newest label counts
    relabel(any_store, two, "complaint", "ann", "complaint")  # a confirmation
    relabel(any_store, three, "technical_issue", "ann", "complaint")
    with any_store.engine.begin() as c:  # a correction of a message the model never saw
        c.execute(s.corrections.insert().values(
            message_id=None, text="imported", language="en", channel="email",
            old_category=None, new_category="request", agent="ann", created_at=NOW))
    rows = {r["message_id"]: r for r in any_store.learning.labelled_outcomes()}
    assert set(rows) == {one, two, three}
    assert (rows[one]["model_category"], rows[one]["agent_category"],
            rows[one]["agent"]) == ("complaint", "suggestion", "bo")
    assert rows[one]["model_version"] == "m1" and rows[one]["language"] == "en"
    assert rows[two]["needs_review"] is True and rows[two]["agent_category"] == "complaint"
    assert rows[three]["classified_at"] == NOW
    assert any_store.learning.labelled_outcomes(since=NOW) == []


# ------------------------------------------------------------------ accuracy and plot
def test_accuracy_by_language_category_and_week() -> None:
    monday = NOW - timedelta(days=NOW.weekday())
    rows = [
        {"language": "en", "model_category": "complaint", "agent_category": "complaint",
         "needs_review": False, "classified_at": NOW},
        {"language": "en", "model_category": "complaint", "agent_category": "request",
         "needs_review": True, "classified_at": NOW},
        {"language": "vi", "model_category": "request", "agent_category": "request",
         "needs_review": False, "classified_at": NOW - timedelta(days=7)},
        {"language": "vi", "model_category": "complaint", "agent_category": "request",
         "needs_review": False, "classified_at": NOW - timedelta(days=7)},
    ]
    acc = accuracy(rows)
    assert (acc.overall.right, acc.overall.n) == (2, 4)
    assert (acc.unflagged.right, acc.unflagged.n) == (2, 3)
    assert {k: (t.right, t.n) for k, t in acc.by_language.items()} == {"en": (1, 2),
                                                                      "vi": (1, 2)}
    assert {k: (t.right, t.n) for k, t in acc.by_category.items()} == {
        "complaint": (1, 1), "request": (1, 3)}
    assert acc.weeks == [(monday - timedelta(days=7)).date(), monday.date()]
    assert week_of(NOW).weekday() == 0
    svg = weekly_svg(acc)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2 + 1 + 1  # all: 2 weeks; en, vi: 1 week each
    assert "en, week of" in svg and "1/2 right" in svg
    assert weekly_svg(accuracy([])) == ""


# ------------------------------------------------------------------- review service
def _message_ids(app: Any) -> dict[str, int]:
    return message_ids(app)


@pytest.fixture
def unsure(seeded: Any) -> Any:
    """The seeded store with every model label made unsure (the real model is sure of most
    of the four seeded mails): the model's category keeps 0.45, another label gets 0.40,
    0.35, ... by message, so each margin differs."""
    cl_ = s.classifications
    with seeded.store.engine.begin() as c:
        rows = c.execute(select(cl_.c.id, cl_.c.category).where(cl_.c.current.is_(True))
                         .order_by(cl_.c.message_id)).all()
        for i, r in enumerate(rows):
            second = "other" if r.category != "other" else "request"
            c.execute(update(cl_).where(cl_.c.id == r.id).values(
                scores={r.category: 0.45, second: round(0.40 - 0.05 * i, 2),
                        "suggestion" if r.category != "suggestion" else "request": 0.05}))
    return seeded


def test_confirm_records_the_models_label_as_the_agents(seeded: Any, unsure: Any) -> None:
    review, store = seeded.review, seeded.store
    mid = _message_ids(seeded)["<crash@example.com>"]
    model = store.drafts.classification(mid)
    done = review.confirm(mid, "ann")
    assert done.old_category == done.new_category == model["category"]
    [corr] = store.registry.corrections()
    assert (corr["old_category"], corr["new_category"], corr["agent"]) == (
        model["category"], model["category"], "ann")
    now_cl = store.drafts.classification(mid)
    assert now_cl["model_version"] == "agent:ann" and now_cl["needs_review"] is False
    assert now_cl["scores"] == model["scores"]  # the model's scores stay
    draft = store.drafts.current(mid)
    assert draft["id"] == done.draft_id and not draft["template"].split("/")[-1].startswith(
        "review.")
    # the situation was detected as processing detects it; the agent only touched the label
    assert (draft["drafted_by"], draft["updated_by"]) == ("triage", "ann")
    with store.engine.connect() as c:
        actions = [r.action for r in c.execute(select(s.audit_log.c.action).where(
            s.audit_log.c.message_id == mid))]
    assert "confirm" in actions
    assert mid not in [u.message_id for u in review.help_the_model(10)]
    with pytest.raises(ReviewError, match="labelled by ann"):
        review.confirm(mid, "bo")


def test_confirm_refuses_an_edited_draft_and_help_list_skips_it(seeded: Any, unsure: Any) -> None:
    review, store = seeded.review, seeded.store
    mid = _message_ids(seeded)["<late@example.com>"]
    assert mid in [u.message_id for u in review.help_the_model(10)]
    review.save(mid, "ann", text="I am on it")
    assert mid not in [u.message_id for u in review.help_the_model(10)]
    with pytest.raises(ReviewError, match="changed by ann"):
        review.confirm(mid, "ann")
    assert store.registry.corrections() == []


def test_help_the_model_orders_by_margin(seeded: Any, unsure: Any) -> None:
    got = seeded.review.help_the_model(10)
    assert len(got) == 4  # the four seeded customer mails, all untouched
    by_lang: dict[str, list[float]] = {}
    for u in got:
        assert u.margin == margin(u.row["scores"])[0]
        by_lang.setdefault(u.language, []).append(u.margin)
    assert all(v == sorted(v) for v in by_lang.values())
    assert seeded.review.help_the_model(0) == []


# ------------------------------------------------------------------------ the pages
def test_queue_loads_help_list_and_confirm_and_correct_work(web: Any, seeded: Any,
                                                            unsure: Any) -> None:
    client = TestClient(web)
    login(client, AGENT)
    queue = client.get("/queue").text
    # the queue page loads the list after itself, so reading it never slows the queue
    assert 'id="help-the-model" hx-get="/learn/list"' in queue
    ids = _message_ids(seeded)
    crash, late = ids["<crash@example.com>"], ids["<late@example.com>"]
    part = client.get("/learn/list").text
    assert part.startswith('<section class="card" id="help-the-model">')
    assert f'action="/learn/{crash}/confirm"' in part and 'value="/queue"' in part
    token = csrf_of(queue)
    assert client.post(f"/learn/{crash}/confirm", follow_redirects=False).status_code == 403
    r = client.post(f"/learn/{crash}/confirm", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/queue#help-the-model"
    assert "confirmed" in client.get("/queue").text  # the flash line
    assert f'action="/learn/{crash}/confirm"' not in client.get("/learn/list").text
    r = client.post(f"/learn/{late}/correct", data={"csrf_token": token, "back": "/learn",
                                                     "category": "suggestion"})
    assert str(r.url).endswith("/learn") and "corrected from" in r.text
    assert f'action="/learn/{late}/confirm"' not in r.text and 'value="/learn"' in r.text
    assert seeded.store.drafts.classification(late)["category"] == "suggestion"
    r = client.post(f"/learn/{late}/correct", data={"csrf_token": token, "category": "praise",
                                                     "back": "https://evil.example/"},
                    follow_redirects=False)
    assert r.headers["location"] == "/queue#help-the-model"  # only our own pages
    assert "unknown category" in client.get("/learn").text
    labelled = {c["message_id"]: c["new_category"] for c in seeded.store.registry.corrections()}
    assert labelled[late] == "suggestion" and crash in labelled


def test_help_list_hidden_when_set_to_zero(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    login(client, AGENT)
    settings = web.state.parts.settings
    old = settings.web.help_the_model
    object.__setattr__(settings.web, "help_the_model", 0)
    try:
        assert 'id="help-the-model"' not in client.get("/queue").text
        assert "Nothing to ask" in client.get("/learn/list").text
    finally:
        object.__setattr__(settings.web, "help_the_model", old)


def test_models_page_shows_accuracy_on_the_agents_labels(web: Any, seeded: Any) -> None:
    client = TestClient(web)
    login(client, ADMIN)
    assert "No agent has labelled a message yet" in client.get("/admin/models").text
    ids = _message_ids(seeded)
    review = seeded.review
    crash = ids["<crash@example.com>"]
    review.confirm(crash, "root")
    late = ids["<late@example.com>"]
    wrong = "suggestion" if seeded.store.drafts.classification(late)[
        "category"] != "suggestion" else "request"
    review.reclassify(late, wrong, "root")
    with seeded.store.engine.begin() as c:  # the crash mail was labelled by the model a week ago
        c.execute(update(s.classifications).where(
            s.classifications.c.message_id == crash,
            ~s.classifications.c.model_version.startswith("agent:")).values(
            created_at=NOW - timedelta(days=7)))
    page = client.get("/admin/models").text
    assert 'id="acc-overall">1 of 2' in page
    assert 'id="accuracy-plot"' in page and page.count("<circle") >= 3
    assert f'data-category="{wrong}"' in page
    assert 'id="thresholds"' in page  # the loaded model's per-language thresholds
    # the corpus curve's "target met" is not promised for real mail: the page says so
    assert "Target met on these examples" in page and 'id="thresholds-real"' in page
    assert 'id="selective-plot"' in page
    meta = seeded.classifier.meta
    for lang, t in meta.language_thresholds.items():
        assert re.search(rf'data-lang="{lang}"><td>{lang}</td><td class="num">{t:.2f}<', page)


def test_selective_svg_draws_each_languages_curve_and_threshold() -> None:
    abstain = {"target_accuracy": 0.92, "max_flagged": 0.2,
               "curves": {"en": [[0.0, 0.1, 0.7], [0.5, 0.3, 0.8], [0.9, 0.8, 0.95]],
                          "vi": [[0.0, 0.05, 0.6], [0.5, 0.4, 0.7]]},
               "chosen": {"en": {"threshold": 0.5, "flagged": 0.3, "accuracy": 0.8},
                          "vi": {"threshold": 0.0, "flagged": 0.05, "accuracy": 0.6}},
               "set_by_inbox_budget": {"vi": {"from": 0.0, "inbox_n": 40}}}
    svg = selective_svg(abstain)
    assert svg.count("<polyline") == 2 and 'class="lang-vi"' in svg
    # vi's threshold came from the inbox budget, not from this curve: no dot for it
    assert svg.count("<circle") == 1 and "en: threshold 0.50, 30% flagged, 0.800 right" in svg
    assert selective_svg({}) == ""


# ------------------------------------------------- retraining from the page (build 2)
def test_page_retraining_self_trains_and_learns_confirmations(seeded: Any,
                                                               tmp_path: Any, unsure: Any) -> None:
    from classifiers.corpus_io import load_corpus
    from classifiers.registry import ModelRegistry
    from triage.config import settings_from_mapping
    from triage.web.retrain import Retrainer

    corpus = load_corpus()
    small = [e for lab in sorted({e.label for e in corpus})
             for e in [x for x in corpus if x.label == lab][:25]]
    ids = _message_ids(seeded)
    seeded.review.confirm(ids["<crash@example.com>"], "ann")
    registry = ModelRegistry(seeded.store, tmp_path / "models")
    [confirmed] = registry.corrections()  # a confirmation is a training label
    assert confirmed.label == seeded.store.drafts.classification(
        ids["<crash@example.com>"])["category"]
    settings = settings_from_mapping({"data_dir": str(tmp_path / "data"), "classifier": {
        "self_training_days": 30, "gate_holdout_share": 0.2}})
    retrainer = Retrainer(seeded.store, tmp_path / "models", corpus=lambda: small,
                          settings=settings)
    assert retrainer.start("root")
    retrainer.join(180)
    st = retrainer.status
    assert st.state == "done", (st.error, st.steps)
    # the three other seeded customer mails are the unlabelled inbox; the confirmed one is not
    assert "self-training on 3 unlabelled messages of the last 30 days" in st.steps
    [row] = registry.versions()
    data = row["metrics"]["data"]
    assert (data["inbox_days"], data["n_inbox"]) == (30, 3)
    assert data["n_corrections"] + data["n_corrections_held"] == 1
    assert data["self_training"] in ("accepted", "refused")
    from pathlib import Path

    from classifiers.modelfile import load_model

    # the registry records the thresholds the model file flags with
    assert row["metrics"]["language_thresholds"] == load_model(
        Path(row["path"])).meta.language_thresholds
    assert row["active"] is False


# ------------------------------------------------------------- the API and the CLI
def test_api_lists_and_confirms(web: Any, seeded: Any, unsure: Any) -> None:
    client = TestClient(web)
    token = login(client, AGENT)
    listed = client.get("/api/help-the-model", params={"limit": 2}).json()
    assert len(listed) == 2 and listed[0]["margin"] <= 1
    first = listed[0]
    assert first["top"][0][1] - first["top"][1][1] == pytest.approx(first["margin"], abs=1e-3)
    r = client.post(f"/api/messages/{first['id']}/confirm", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["category"] == first["category"]
    again = client.post(f"/api/messages/{first['id']}/confirm",
                        headers={"X-CSRF-Token": token})
    assert again.status_code >= 400
    assert first["id"] not in [u["id"] for u in client.get("/api/help-the-model").json()]


def test_cli_lists_and_confirms(cli: Any, seeded: Any, unsure: Any) -> None:  # noqa: F811
    r = cli("unsure", "--limit", "3")
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 3
    mid = int(lines[0].split()[0])
    r = cli("confirm", str(mid), "--as", "ann")
    assert r.exit_code == 0 and "confirmed" in r.output, r.output
    assert seeded.store.drafts.classification(mid)["model_version"] == "agent:ann"
    r = cli("confirm", str(mid), "--as", "ann")
    assert r.exit_code == 1 and "labelled by ann" in r.output


@pytest.fixture
def sure(seeded: Any) -> Any:
    """The seeded store with every model label sure (0.95 against 0.05): untouched messages
    that are not worth asking about."""
    cl_ = s.classifications
    with seeded.store.engine.begin() as c:
        for r in c.execute(select(cl_.c.id, cl_.c.category).where(cl_.c.current.is_(True))):
            second = "other" if r.category != "other" else "request"
            c.execute(update(cl_).where(cl_.c.id == r.id).values(
                scores={r.category: 0.95, second: 0.05}))
    return seeded


def test_empty_help_list_says_the_model_is_sure(web: Any, cli: Any, sure: Any  # noqa: F811
                                                ) -> None:
    """Untouched but sure messages leave the list empty: the page must not claim every
    message was labelled, edited or answered (none was), and the command says why it lists
    nothing instead of printing nothing."""
    client = TestClient(web)
    login(client, AGENT)
    html = client.get("/learn/list").text
    assert "Nothing to ask" in html and "the model is sure" in html
    assert "every recent message is labelled" not in html
    r = cli("unsure")
    assert r.exit_code == 0 and "nothing to ask: the model is sure" in r.output, r.output


# --------------------------------------------------------------- in a real browser
def test_browser_loads_the_list_after_the_queue_and_confirms(seeded: Any, smtp_outbox: Any,
                                                              unsure: Any) -> None:
    from tests.test_web_browser import ARGS, CHROMIUM, IMG, sign_in

    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    import threading

    from tests.fixtures_web import free_port
    from triage.web import create_app
    from triage.web.server import WebServer

    stop = threading.Event()
    srv = WebServer(create_app(seeded.web_parts(outbox=smtp_outbox), secret_key="h" * 64),
                    "127.0.0.1", free_port(), stop)
    srv.start()
    errors: list[str] = []
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                        args=ARGS)
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                "http://127.0.0.1:") else r.abort())
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.base = srv.url  # type: ignore[attr-defined]
            sign_in(pg)
            rows = pg.locator("#help-the-model tr.unsure")
            rows.first.wait_for(timeout=15000)  # swapped in by htmx after the page loaded
            assert rows.count() == 4
            pg.locator("#help-the-model").screenshot(path=str(IMG / "help-the-model.png"))
            first = int(rows.first.get_attribute("data-unsure") or 0)
            rows.first.locator("button.confirm-label").click()
            pg.wait_for_url(re.compile(r".*/queue#help-the-model$"))
            assert "confirmed" in pg.locator("body").inner_text()
            pg.locator("#help-the-model tr.unsure").first.wait_for(timeout=15000)
            assert pg.locator("#help-the-model tr.unsure").count() == 3
            assert pg.locator(f'#help-the-model tr[data-unsure="{first}"]').count() == 0
            browser.close()
    finally:
        stop.set()
        srv.stop()
    assert errors == []
    assert seeded.store.drafts.classification(first)["model_version"] == "agent:ann"
