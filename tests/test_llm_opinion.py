"""A local LLM's second opinion on unsure messages (issue #17, item 5: ``[classifier.llm]``).

The client runs against a fake OpenAI-compatible server on 127.0.0.1 (``tests.fake_llm``):
JSON mode and plain text, malformed answers, 429/5xx with retries, a timeout, a server that is
down. The job runs on SQLite and PostgreSQL (``any_store``): only unsure messages no agent
touched are asked, at most ``max_per_run``, each once, and nothing the model or the agent
wrote changes. The daemon adds no job unless enabled; the page, the API and ``triage review
show`` show the answer beside the model's label.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from classifiers.second_opinion import SecondOpinions, build_client, prompt
from tests.conftest import NOW
from tests.fake_llm import FakeLlm, json_reply
from tests.fixtures_web import AGENT
from tests.test_cli_review import cli  # noqa: F401 (fixture)
from tests.test_store_aggregates import DRAFT, ingest
from tests.test_web import login, message_ids
from triage.clients.llm import LlmClient, parse_answer
from triage.clock import FrozenClock
from triage.config import LlmSettings, settings_from_mapping
from triage.daemon import Daemon
from triage.errors import ConfigError, LlmAnswerError, LlmUnavailable, MissingSecretError
from triage.models import Classification
from triage.scheduler import Scheduler
from triage.services import App
from triage.store import Store
from triage.store.drafts import Reclassification

KEY = "sk-local-secret-1234"


@pytest.fixture
def fake(clock: FrozenClock) -> Iterator[FakeLlm]:
    server = FakeLlm(clock)
    yield server
    server.stop()


def client(fake: FakeLlm, **kw: Any) -> tuple[LlmClient, list[float]]:
    """A client of the fake; the second value collects the pauses between retries."""
    waits: list[float] = []
    kw.setdefault("timeout", 5.0)
    return LlmClient(fake.api_url, "qwen2.5:7b", kw.pop("timeout"), wait=waits.append,
                     **kw), waits


def ask(c: LlmClient, text: str = "Please send me the invoice for order 42") -> Any:
    return c.ask(prompt({"subject": "Invoice", "text": text, "language": "en"}, 4000))


# ----------------------------------------------------------------------------- the client
def test_a_json_answer_is_asked_for_and_parsed(fake: FakeLlm) -> None:
    fake.api_key = KEY
    c, waits = client(fake, key=KEY)
    answer = ask(c)
    assert (answer.label, answer.reason, answer.model) == ("request", "asks for an invoice",
                                                           "qwen2.5:7b")
    body = fake.bodies[0]
    assert body["model"] == "qwen2.5:7b" and body["response_format"] == {"type": "json_object"}
    assert body["stream"] is False and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Please send me the invoice for order 42" in body["messages"][1]["content"]
    assert "technical_issue" in body["messages"][0]["content"]
    assert fake.auth == [f"Bearer {KEY}"] and waits == []


def test_plain_text_answers_are_parsed_without_json_mode(fake: FakeLlm) -> None:
    fake.reply = lambda body: "suggestion: they would like a dark mode"
    c, _ = client(fake, json_mode="off")
    answer = ask(c, "It would be great to have a dark mode")
    assert (answer.label, answer.reason) == ("suggestion", "they would like a dark mode")
    assert "response_format" not in fake.bodies[0]
    assert fake.auth == [""]  # no key configured: no Authorization header


def test_a_server_without_json_mode_is_asked_again_in_plain_text(fake: FakeLlm) -> None:
    fake.json_mode = False
    fake.reply = lambda body: "Technical issue - the app crashes at login"
    c, _ = client(fake)
    answer = ask(c)
    assert (answer.label, answer.reason) == ("technical_issue", "the app crashes at login")
    assert ["response_format" in b for b in fake.bodies] == [True, False]
    ask(c)  # remembered: not asked with response_format again
    assert ["response_format" in b for b in fake.bodies] == [True, False, False]
    assert c.json_mode == "off"


@pytest.mark.parametrize("content,label,reason", [
    ('{"label": "complaint", "reason": "angry about a late refund"}', "complaint",
     "angry about a late refund"),
    ('```json\n{"label": "request", "reason": "wants to cancel"}\n```', "request",
     "wants to cancel"),
    ('<think>It asks about an order. Maybe {"a": 1}</think>\n{"label": "other", "reason": '
     '"just says thanks"}', "other", "just says thanks"),
    ('Sure! Here it is: {"label": "Technical Issue", "reason": "error 500 on checkout"}',
     "technical_issue", "error 500 on checkout"),
    ("**complaint** \u2014 the parcel arrived broken", "complaint", "the parcel arrived broken"),
    ("label: request: asks how to reset a password", "request",
     "asks how to reset a password"),
])
def test_parse_answer_accepts_json_fenced_and_plain(content: str, label: str,
                                                    reason: str) -> None:
    assert parse_answer(content) == (label, reason)


@pytest.mark.parametrize("content,field", [
    ("", "content"),
    ("<think>hmm</think>", "content"),
    ('{"label": "praise", "reason": "says thanks"}', "label"),
    ('{"reason": "no label"}', "label"),
    ('{"label": "request"}', "reason"),
    ('{"label": "request", "reason": "   "}', "reason"),
    ('["request", "why"]', "content"),
    ("I think this is probably a request", "label"),
    ("refund: wants money back", "label"),
    ("Request.", "reason"),
])
def test_parse_answer_names_the_bad_field(content: str, field: str) -> None:
    with pytest.raises(LlmAnswerError) as e:
        parse_answer(content)
    assert e.value.field == field


def test_a_long_reason_is_cut_to_one_short_line() -> None:
    label, reason = parse_answer(json.dumps({"label": "request", "reason": "x\n" * 400}))
    assert label == "request" and "\n" not in reason and len(reason) == 300


def test_a_malformed_answer_from_the_server_is_an_error_not_a_crash(fake: FakeLlm) -> None:
    fake.reply = lambda body: '{"label": "praise", "reason": "nice words"}'
    c, _ = client(fake)
    with pytest.raises(LlmAnswerError, match="praise") as e:
        ask(c)
    assert e.value.field == "label"


def test_429_and_500_are_retried_with_backoff(fake: FakeLlm) -> None:
    fake.fail_next = [429, 500]
    c, waits = client(fake, retries=2)
    assert ask(c).label == "request"
    assert fake.count("POST", "/chat/completions") == 3
    assert waits == [3.0, 2.0]  # Retry-After of the 429, then backoff 1s * 2^1


def test_retries_run_out_into_unavailable(fake: FakeLlm) -> None:
    fake.fail_next = [500, 502, 503]
    c, waits = client(fake, retries=2)
    with pytest.raises(LlmUnavailable, match=r"503.*after 3 tries"):
        ask(c)
    assert waits == [1.0, 2.0]


def test_a_timeout_is_unavailable(fake: FakeLlm) -> None:
    fake.hold_seconds = 10
    c, _ = client(fake, timeout=0.3, retries=0)
    with pytest.raises(LlmUnavailable, match="Timeout"):
        ask(c)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_that_is_down_is_unavailable_and_the_key_never_shows() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    waits: list[float] = []
    c = LlmClient(url, "m", 2.0, key=KEY, retries=1, wait=waits.append)
    with pytest.raises(LlmUnavailable) as e:
        ask(c)
    assert KEY not in str(e.value) and c.requests == 2 and waits == [1.0]


def test_a_refused_key_and_an_unknown_model_say_what_to_check(fake: FakeLlm) -> None:
    fake.api_key = KEY
    c, _ = client(fake, key="sk-wrong")
    with pytest.raises(LlmUnavailable, match="api_key_env") as e:
        ask(c)
    assert "sk-wrong" not in str(e.value)
    c = LlmClient(fake.base_url + "/api", "m", 5.0, key=KEY)  # not the /v1 path
    with pytest.raises(LlmUnavailable, match=r"404.*base_url"):
        ask(c)


# ------------------------------------------------------------------------------ settings
def test_disabled_by_default_and_validated() -> None:
    s = settings_from_mapping({})
    assert s.classifier.llm.enabled is False
    with pytest.raises(ConfigError, match="model"):
        settings_from_mapping({"classifier": {"llm": {"enabled": True}}})
    with pytest.raises(ConfigError, match="clear text"):
        settings_from_mapping({"classifier": {"llm": {"base_url": "http://gpu.lan:11434/v1"}}})
    ok = settings_from_mapping({"classifier": {"llm": {
        "base_url": "http://gpu.lan:11434/v1", "allow_insecure": True}}})
    assert ok.classifier.llm.allow_insecure
    assert settings_from_mapping({"classifier": {"llm": {
        "base_url": "https://llm.example.com/v1"}}}).classifier.llm.base_url
    with pytest.raises(ConfigError, match="languages"):
        settings_from_mapping({"classifier": {"llm": {"languages": ["fr"]}}})
    with pytest.raises(ValidationError):
        LlmSettings(max_per_run=0)


def test_the_api_key_comes_from_the_environment_only() -> None:
    s = LlmSettings(enabled=True, model="m", api_key_env="LLM_KEY")
    with pytest.raises(MissingSecretError, match="LLM_KEY"):
        build_client(s, {})
    assert build_client(s, {"LLM_KEY": KEY}).key == KEY
    assert build_client(LlmSettings(enabled=True, model="m"), {}).key == ""


# ---------------------------------------------------------------------------------- job
def cl(category: str, needs_review: bool, language: str = "en") -> Classification:
    scores = {category: 0.45, "other": 0.30, "request": 0.25}
    return Classification(category, 0.45, language, "m1", needs_review, scores)


def seed(store: Store) -> dict[str, int]:
    """Unsure untouched mail (newest last), a sure one, one an agent relabelled, one with
    an edited draft, one discarded, an automatic one, and an unsure Vietnamese one."""
    names = ("u1", "u2", "u3", "sure", "relabelled", "edited", "discarded", "auto", "vi")
    ids = ingest(store, *[dict(msgid=f"<{k}@x>", subject=f"about {k}", body=f"body of {k}")
                          for k in names])
    out = dict(zip(names, ids, strict=True))
    store.save_processing(out["auto"], None, None, "", None)
    for k in names:
        if k == "auto":
            continue
        store.save_processing(out[k], cl("complaint", k != "sure", "vi" if k == "vi" else "en"),
                              NOW + timedelta(hours=1), "p", DRAFT)
    store.drafts.reclassify(Reclassification(
        message_id=out["relabelled"], classification=Classification(
            "request", 1.0, "en", "agent:ann", False, {}),
        draft=DRAFT, due_at=None, policy="p", priority="normal", state="ok",
        correction_text="body of relabelled", channel="email", old_category="complaint"),
        "ann")
    store.drafts.save_edit(store.drafts.current(out["edited"])["id"], "Re: x", "mine", "ann")
    store.drafts.discard(store.drafts.current(out["discarded"])["id"], "ann")
    return out


def opinions(fake: FakeLlm, store: Store, **kw: Any) -> SecondOpinions:
    settings = LlmSettings(enabled=True, model="qwen2.5:7b", base_url=fake.api_url,
                           **{"max_per_run": 10, **kw})
    c, _ = client(fake, retries=kw.get("retries", 2))
    return SecondOpinions(store, c, settings)


def asked_subjects(fake: FakeLlm) -> list[str]:
    return [t.split("Subject: ", 1)[1].split("\n", 1)[0] for t in fake.user_texts()]


def test_only_unsure_untouched_messages_are_asked_once_and_nothing_changes(
        fake: FakeLlm, any_store: Store) -> None:
    ids = seed(any_store)
    before = {k: (any_store.drafts.classification(v), any_store.drafts.current(v))
              for k, v in ids.items()}
    job = opinions(fake, any_store)
    run = job.run()
    unsure = ["vi", "u3", "u2", "u1"]  # newest first
    assert sorted(asked_subjects(fake)) == sorted(f"about {k}" for k in unsure)
    assert sorted(run.answered) == sorted(ids[k] for k in unsure) and run.failed == []
    row = any_store.opinions.of_message(ids["u1"])
    assert row is not None and row["status"] == "answered"
    assert (row["label"], row["reason"], row["model"]) == ("request", "asks for an invoice",
                                                           "qwen2.5:7b")
    assert row["asked_at"] == NOW
    for k in ("sure", "relabelled", "edited", "discarded", "auto"):
        assert any_store.opinions.of_message(ids[k]) is None
    # never applied: every label and draft is as it was
    for k, v in ids.items():
        assert (any_store.drafts.classification(v), any_store.drafts.current(v)) == before[k]
    # asked once: the next run asks nothing
    assert job.run().answered == [] and len(fake.bodies) == 4


def test_at_most_max_per_run_newest_first_and_languages(fake: FakeLlm,
                                                        any_store: Store) -> None:
    ids = seed(any_store)
    job = opinions(fake, any_store, max_per_run=2)
    assert job.run().answered == [ids["vi"], ids["u3"]]
    assert job.run().answered == [ids["u2"], ids["u1"]]
    assert job.run().answered == []
    fake.bodies.clear()
    other = seed_more(any_store)
    only_vi = opinions(fake, any_store, languages=["vi"])
    assert only_vi.run().answered == [other]


def seed_more(store: Store) -> int:
    """One more unsure Vietnamese and one unsure English message; return the Vietnamese."""
    vi, en = ingest(store, dict(msgid="<vi2@x>", subject="vi2", body="don hang cua toi dau"),
                    dict(msgid="<en2@x>", subject="en2", body="where is it"))
    store.save_processing(vi, cl("complaint", True, "vi"), NOW, "p", DRAFT)
    store.save_processing(en, cl("complaint", True, "en"), NOW, "p", DRAFT)
    return vi


def test_a_malformed_answer_fails_that_message_only_until_max_attempts(
        fake: FakeLlm, any_store: Store) -> None:
    ids = seed(any_store)
    fake.reply = lambda body: ("no idea, sorry" if "about u2" in body["messages"][1]["content"]
                               else json_reply("complaint", "unhappy"))
    job = opinions(fake, any_store, max_attempts=2)
    run = job.run()
    assert run.failed == [ids["u2"]] and len(run.answered) == 3
    row = any_store.opinions.of_message(ids["u2"])
    assert row["status"] == "failed" and row["attempts"] == 1 and "label" in row["error"]
    assert job.run().failed == [ids["u2"]]  # asked again at the next run
    assert any_store.opinions.of_message(ids["u2"])["attempts"] == 2
    assert job.run().failed == [] and asked_subjects(fake).count("about u2") == 2


def test_a_server_that_is_down_stops_the_run_and_the_next_run_asks_again(
        fake: FakeLlm, any_store: Store, caplog: pytest.LogCaptureFixture) -> None:
    ids = seed(any_store)
    fake.down = True
    job = opinions(fake, any_store, retries=1)
    with caplog.at_level(logging.INFO):
        run = job.run()
    assert run.answered == [] and "503" in run.stopped
    assert fake.count("POST", "/chat/completions") == 2  # one message, two tries, then stop
    assert any_store.opinions.of_message(ids["u1"]) is None
    assert "the next run asks again" in caplog.text
    fake.down = False
    assert len(job.run().answered) == 4


def test_the_daemon_job_contains_failures_and_never_logs_the_key(
        fake: FakeLlm, tmp_path: Path, clock: FrozenClock,
        caplog: pytest.LogCaptureFixture) -> None:
    fake.api_key = KEY
    settings = settings_from_mapping({"data_dir": str(tmp_path / "d"), "classifier": {"llm": {
        "enabled": True, "model": "qwen2.5:7b", "base_url": fake.api_url,
        "api_key_env": "LLM_KEY", "interval": "2m", "retries": 0}}})
    app = App(settings, clock=clock, environ={"LLM_KEY": KEY})
    try:
        ids = seed(app.store)
        scheduler = Scheduler(threading.Event())
        assert Daemon(app).add_classifier_jobs(scheduler) == ["llm"]
        job = scheduler.scheduler.get_job("llm")
        assert job is not None and job.trigger.interval == timedelta(minutes=2)
        fake.fail_next = [500]
        with caplog.at_level(logging.DEBUG):
            job.func()  # the first message fails: the run stops, the job does not raise
            assert app.store.opinions.of_message(ids["u1"]) is None
            job.func()
        assert app.store.opinions.of_message(ids["u1"])["label"] == "request"
        assert fake.auth[-1] == f"Bearer {KEY}" and KEY not in caplog.text
    finally:
        app.store.close()


def test_no_job_unless_enabled(tmp_path: Path, clock: FrozenClock) -> None:
    app = App(settings_from_mapping({"data_dir": str(tmp_path / "d")}), clock=clock,
              environ={})
    try:
        scheduler = Scheduler(threading.Event())
        assert Daemon(app).add_classifier_jobs(scheduler) == []
        assert scheduler.scheduler.get_job("llm") is None
    finally:
        app.store.close()


# --------------------------------------------------------------- page, API and command
def test_the_answer_is_shown_beside_the_models_label(web: Any, seeded: Any,
                                                     cli: Any) -> None:  # noqa: F811
    mid = message_ids(seeded)["<late@example.com>"]
    other = message_ids(seeded)["<idea@example.com>"]
    category = seeded.store.drafts.classification(mid)["category"]
    seeded.store.opinions.record_answer(mid, "technical_issue", "the tracking page errors",
                                        "qwen2.5:7b")
    seeded.store.opinions.record_failure(other, "qwen2.5:7b", "the answer has no 'label'")
    client_ = TestClient(web)
    login(client_, AGENT)
    html = client_.get(f"/messages/{mid}").text
    assert ("Local LLM (qwen2.5:7b) says: <strong id=\"llm-label\">technical_issue</strong>"
            " \u2014 <span id=\"llm-reason\">the tracking page errors</span>") in html
    assert f'<strong id="category">{category}</strong>' in html  # the model's label stays
    assert "gave no usable answer" in client_.get(f"/messages/{other}").text
    assert 'id="llm-opinion"' not in client_.get(
        f"/messages/{message_ids(seeded)['<crash@example.com>']}").text
    api = client_.get(f"/api/messages/{mid}").json()
    assert api["llm_opinion"]["label"] == "technical_issue"
    assert api["llm_opinion"]["model"] == "qwen2.5:7b"
    assert api["llm_opinion"]["text"] == ("Local LLM (qwen2.5:7b) says: technical_issue "
                                          "\u2014 the tracking page errors")
    assert api["classification"]["category"] == category
    out = cli("show", str(mid))
    assert out.exit_code == 0, out.output
    assert ("Local LLM (qwen2.5:7b) says: technical_issue \u2014 the tracking page errors"
            in out.output)


def test_triage_llm_ask_and_run(fake: FakeLlm, tmp_path: Path, clock: FrozenClock,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from triage.cli.main import main

    def config(enabled: bool) -> str:
        p = tmp_path / f"llm-{enabled}.toml"
        p.write_text(f"data_dir = '{tmp_path / 'd'}'\n[classifier.llm]\n"
                     f"enabled = {str(enabled).lower()}\nmodel = 'qwen2.5:7b'\n"
                     f"base_url = '{fake.api_url}'\napi_key_env = 'LLM_KEY'\n",
                     encoding="utf-8")
        return str(p)

    monkeypatch.setenv("LLM_KEY", KEY)
    fake.api_key = KEY
    fake.reply = lambda body: json_reply("technical_issue", "the app will not open")
    runner = CliRunner()
    # a setup check: works before enabled = true, stores nothing
    out = runner.invoke(main, ["llm", "ask", "--config", config(False), "app ko mo duoc"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == ("Local LLM (qwen2.5:7b) says: technical_issue \u2014 the app "
                                  "will not open")
    assert "app ko mo duoc" in fake.user_texts()[0]
    out = runner.invoke(main, ["llm", "run", "--config", config(False)])
    assert out.exit_code == 2 and "classifier.llm.enabled" in out.output
    app = App(settings_from_mapping({"data_dir": str(tmp_path / "d")}), clock=clock,
              environ={})
    try:
        ids = seed(app.store)
        out = runner.invoke(main, ["llm", "run", "--config", config(True)])
        assert out.exit_code == 0, out.output
        assert out.output.strip() == "answered 4, failed 0"
        assert app.store.opinions.of_message(ids["u1"])["label"] == "technical_issue"
        fake.down = True
        seed_more(app.store)
        out = runner.invoke(main, ["llm", "run", "--config", config(True)])
        assert out.exit_code == 0 and "stopped: " in out.output and KEY not in out.output
    finally:
        app.store.close()
