"""Operations: ``triage status``, ``/healthz``, ``/metrics``, the standalone ops server and
JSON log lines."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import add_to_maildir, make_email
from tests.fixtures_ops import free_port
from triage.cli.main import main
from triage.config import settings_from_mapping
from triage.daemon import Daemon
from triage.errors import ConfigError
from triage.ops.health import Health, ops_router
from triage.ops.logjson import JsonFormatter
from triage.ops.server import OpsServer
from triage.services import App
from triage.store.ops_reads import OpsReads


def client_for(app: App, running: bool = True, store=None) -> TestClient:  # type: ignore[no-untyped-def]
    web = FastAPI()
    health = Health((store or app.store).status,
                    OpsReads((store or app.store).engine, app.clock), lambda: running, app.clock)
    web.include_router(ops_router(app.ops.metrics, health))
    return TestClient(web)


def write_config(tmp_path: Path, maildir: Path, model_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "triage.toml"
    cfg.write_text(f"data_dir = 'data'\n[classifier]\nmodel_path = '{model_path}'\n{extra}"
                   f"[[sources]]\nname = 'inbox'\ntype = 'maildir'\npath = '{maildir}'\n")
    return cfg


def test_metrics_count_messages_latency_deadlines_and_failures(app: App, maildir: Path) -> None:
    add_to_maildir(maildir, make_email(body="The app crashes with error 500 when I log in."))
    add_to_maildir(maildir, b"\x00\x01 not an email")
    Daemon(app).poll_all()
    body = client_for(app).get("/metrics").text
    assert ('triage_messages{category="technical_issue",source="inbox",status="processed"} 1.0'
            in body)
    assert 'triage_messages{category="none",source="inbox",status="quarantined"} 1.0' in body
    assert 'triage_processed_total{category="technical_issue",source="inbox"} 1.0' in body
    assert "triage_processing_latency_seconds_count 1.0" in body
    assert 'triage_deadlines{state="ok"} 1.0' in body
    assert 'triage_source_consecutive_failures{source="inbox"} 0.0' in body
    assert "triage_store_up 1.0" in body
    assert "triage_outbox{" not in body  # an empty outbox has no series


def test_metrics_report_the_outbox(app: App, maildir) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import add_to_maildir, make_email
    from triage.store import schema

    add_to_maildir(maildir, make_email())
    Daemon(app).poll_all()
    mid = app.store.export_rows()[0]["id"]
    now = app.clock.now()
    with app.store.engine.begin() as c:
        for i, status in enumerate(("queued", "queued", "sent")):
            c.execute(schema.outbox.insert().values(
                idempotency_key=f"k{i}", message_id=mid, channel="email", payload={},
                status=status, attempts=0, next_attempt_at=now, created_at=now, actor=""))
    body = client_for(app).get("/metrics").text
    assert 'triage_outbox{status="queued"} 2.0' in body
    assert 'triage_outbox{status="sent"} 1.0' in body


def test_healthz_needs_store_and_scheduler(app: App, clock, caplog) -> None:  # type: ignore[no-untyped-def]
    ok = client_for(app).get("/healthz")
    assert ok.status_code == 200 and ok.json() == {"status": "up", "lag_seconds": 0}
    stopped = client_for(app, running=False).get("/healthz")
    assert stopped.status_code == 503 and stopped.json()["status"] == "down"
    # a store nobody listens on
    from triage.store import Store
    from triage.store.db import make_engine

    store = Store(make_engine(f"postgresql+psycopg://x@127.0.0.1:{free_port()}/none"), clock)
    with caplog.at_level(logging.WARNING, logger="triage.ops.health"):
        down = client_for(app, store=store).get("/healthz")
    assert down.status_code == 503
    # nothing but up/down and the lag: no driver, exception, address or scheduler detail
    assert down.json() == {"status": "down", "lag_seconds": None}
    assert "store" in caplog.text and "does not answer" in caplog.text  # the why: in the log
    metrics = TestClient(_metrics_only(store, clock)).get("/metrics").text
    assert "triage_store_up 0.0" in metrics


def test_healthz_lag_is_the_age_of_the_oldest_waiting_message(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    from triage.models import FetchResult, RawItem

    app.store.ensure_source("inbox", "maildir")
    app.pipeline.ingest("inbox", "email", FetchResult([RawItem("k1", make_email())], {}))
    clock.advance(timedelta(minutes=7))
    app.pipeline.ingest("inbox", "email", FetchResult(
        [RawItem("k2", make_email(msgid="<m2@example.com>"))], {}))
    clock.advance(timedelta(seconds=30))
    assert client_for(app).get("/healthz").json() == {"status": "up", "lag_seconds": 450}
    app.pipeline.process_pending()
    assert client_for(app).get("/healthz").json() == {"status": "up", "lag_seconds": 0}


def _metrics_only(store, clock) -> FastAPI:  # type: ignore[no-untyped-def]
    from triage.ops.metrics import OpsMetrics

    web = FastAPI()
    web.include_router(ops_router(OpsMetrics(store.status, clock),
                                  Health(store.status, OpsReads(store.engine, clock),
                                         lambda: True, clock)))
    return web


TOKEN = "t0ken-for-metrics-0123456789abcdef"


def token_app(tmp_path: Path, maildir: Path, model_path: Path, environ: dict[str, str]) -> App:
    cfg = write_config(tmp_path, maildir, model_path,
                       "[ops]\nmetrics_token_env = 'TRIAGE_METRICS_TOKEN'\n")
    from triage.config import load_settings

    return App(load_settings(cfg, environ), environ=environ)


def test_metrics_needs_the_bearer_token_when_one_is_set(tmp_path: Path, maildir: Path,
                                                        model_path: Path) -> None:
    app = token_app(tmp_path, maildir, model_path, {"TRIAGE_METRICS_TOKEN": TOKEN})
    listen = f"127.0.0.1:{free_port()}"
    server = OpsServer(listen, app.ops.router(lambda: True))
    server.start()
    try:
        url = f"http://{listen}/metrics"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": f"Bearer {TOKEN}x"}):
            refused = httpx.get(url, headers=headers, timeout=5)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "triage_" not in refused.text
        ok = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert ok.status_code == 200 and "triage_store_up 1.0" in ok.text
        # /healthz stays open to load balancers, and shows only up/down and the lag
        health = httpx.get(f"http://{listen}/healthz", timeout=5)
        assert health.status_code == 200 and set(health.json()) == {"status", "lag_seconds"}
    finally:
        server.stop()
        app.store.close()


def test_a_named_metrics_token_must_be_set(tmp_path: Path, maildir: Path,
                                           model_path: Path) -> None:
    from triage.errors import MissingSecretError

    with pytest.raises(MissingSecretError, match="TRIAGE_METRICS_TOKEN"):
        token_app(tmp_path, maildir, model_path, {})
    # an App built around a loaded configuration still refuses to serve /metrics open
    from triage.config import settings_from_mapping

    settings = settings_from_mapping({"data_dir": str(tmp_path / "d"),
                                      "ops": {"metrics_token_env": "TRIAGE_METRICS_TOKEN"}})
    bare = App(settings, environ={})
    with pytest.raises(MissingSecretError, match=r"ops\.metrics_token_env"):
        bare.ops.router(lambda: True)
    bare.store.close()


def test_standalone_server_serves_healthz(app: App) -> None:
    listen = f"127.0.0.1:{free_port()}"
    server = OpsServer(listen, app.ops.router(lambda: True))
    server.start()
    try:
        r = httpx.get(f"http://{listen}/healthz", timeout=5)
        assert r.status_code == 200 and r.json()["status"] == "up"
        assert "triage_store_up 1.0" in httpx.get(f"http://{listen}/metrics", timeout=5).text
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{listen}/healthz", timeout=2)


def test_listen_must_be_host_and_port() -> None:
    with pytest.raises(ConfigError, match=r"ops\.listen.*127\.0\.0\.1:9464"):
        settings_from_mapping({"ops": {"listen": "9464"}})
    assert settings_from_mapping({}).ops.listen == ""  # off by default


def test_status_shows_sources_queue_deadlines_and_model(tmp_path: Path, maildir: Path,
                                                        model_path: Path) -> None:
    cfg = write_config(tmp_path, maildir, model_path)
    add_to_maildir(maildir, make_email(body="Please add a dark mode to the app."))
    runner = CliRunner()
    assert runner.invoke(main, ["poll", "--once", "--config", str(cfg)]).exit_code == 0
    res = runner.invoke(main, ["status", "--config", str(cfg)])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "inbox (maildir)" in out and "last success: 20" in out
    assert '"seen": "1 keys"' in out and "lease:        " in out
    assert "queue: processed 1" in out and "conversations: open 1, waiting 1" in out
    assert f"model: classifier.model_path ({model_path})" in out
    report = json.loads(runner.invoke(main, ["status", "--json", "--config", str(cfg)]).output)
    (src,) = report["sources"]
    assert src["failures"] == 0 and src["lease_owner"] and src["last_error"] is None
    assert report["queue"] == {"processed": 1}


def test_status_reports_a_failing_source(tmp_path: Path, model_path: Path) -> None:
    cfg = write_config(tmp_path, tmp_path / "missing", model_path)
    runner = CliRunner()
    assert runner.invoke(main, ["poll", "--once", "--config", str(cfg)]).exit_code == 1
    out = runner.invoke(main, ["status", "--config", str(cfg)]).output
    assert "(1 in a row)" in out and "is not a Maildir" in out and "last success: never" in out


def test_status_without_config_says_how_to_fix(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["status", "--config", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "not found" in res.output and "fix:" in res.output


def test_json_formatter_writes_one_object_per_line() -> None:
    rec = logging.LogRecord("triage.x", logging.WARNING, __file__, 1, "hello %s", ("wörld",),
                            None)
    obj = json.loads(JsonFormatter().format(rec))
    assert obj["level"] == "WARNING" and obj["logger"] == "triage.x"
    assert obj["message"] == "hello wörld" and obj["time"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        rec.exc_info = sys.exc_info()
    assert "ValueError: boom" in json.loads(JsonFormatter().format(rec))["exc"]


def test_daemon_writes_json_log_lines(tmp_path: Path, maildir: Path, model_path: Path) -> None:
    add_to_maildir(maildir, make_email())
    cfg = write_config(tmp_path, maildir, model_path, "[logging]\njson_lines = true\n")
    proc = subprocess.run([sys.executable, "-c", "from triage.cli.main import main; main()", "poll",
                           "--once", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("{")]
    objs = [json.loads(ln) for ln in lines]
    assert any(o["logger"] == "triage.pipeline" and "poll inbox" in o["message"] for o in objs)
    assert all({"time", "level", "logger", "message"} <= set(o) for o in objs)
    # the summary for humans is the only non-JSON output
    assert [ln for ln in proc.stderr.splitlines() if not ln.startswith("{")] == [
        "inbox: fetched 1, stored 1, quarantined 0, processed 1"]
