"""Sessions of the review page end on the server: sign-out, idle and absolute lifetimes, a new
password, a disabled account, an admin's "sign out everywhere"; the token is new at every
sign-in; failed sign-ins are counted in the store (#18 defects 1 and 2)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient

from tests.fixtures_web import ADMIN, AGENT
from tests.test_web import login
from triage.web import create_app


def signed_in(web: Any, who: tuple[str, str] = AGENT) -> tuple[TestClient, str]:
    client = TestClient(web)
    return client, login(client, who)


def opens(web: Any, cookie: str) -> bool:
    """Whether a browser holding only ``cookie`` gets the queue."""
    other = TestClient(web)
    other.cookies.set("triage_session", cookie)
    r = other.get("/queue", follow_redirects=False)
    assert r.status_code in (200, 303), r.status_code
    return r.status_code == 200


def test_a_copied_cookie_opens_nothing_after_sign_out(web: Any) -> None:
    # #18 defect 1: the signed cookie copied before logout still opened the review page
    client, token = signed_in(web)
    copied = client.cookies["triage_session"]
    assert opens(web, copied)
    assert client.post("/logout", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert not opens(web, copied)
    assert TestClient(web).get("/api/queue", cookies={"triage_session": copied}).status_code \
        == 401


def test_idle_and_absolute_lifetimes(web: Any, seeded: Any) -> None:
    idle = seeded.settings.web.session_idle_timeout
    absolute = seeded.settings.web.session_max_age
    client, _ = signed_in(web)
    seeded.clock.advance(idle - timedelta(seconds=1))
    assert client.get("/queue", follow_redirects=False).status_code == 200
    seeded.clock.advance(idle)  # unused for longer than the idle lifetime
    assert client.get("/queue", follow_redirects=False).status_code == 303
    # a busy session still ends at its absolute lifetime
    client, _ = signed_in(web)
    step = idle / 2
    used = timedelta(0)
    while used + step < absolute:
        seeded.clock.advance(step)
        used += step
        assert client.get("/queue", follow_redirects=False).status_code == 200, used
    seeded.clock.advance(step)
    assert client.get("/queue", follow_redirects=False).status_code == 303


def test_sign_in_rotates_the_token_and_ends_the_previous_session(web: Any) -> None:
    client, _ = signed_in(web)
    first = client.cookies["triage_session"]
    login(client, AGENT)
    second = client.cookies["triage_session"]
    assert first != second
    assert not opens(web, first) and opens(web, second)


def write_cfg(tmp_path: Path, seeded: Any) -> Path:
    cfg = tmp_path / "cli.toml"
    cfg.write_text(f"data_dir = '{seeded.settings.data_path}'\n", encoding="utf-8")
    return cfg


def test_new_password_disabled_account_and_sign_out_everywhere_end_sessions(
        web: Any, seeded: Any, tmp_path: Path) -> None:
    from triage.cli.main import main

    runner = CliRunner()
    cfg = write_cfg(tmp_path, seeded)
    # a new password (triage users add on an existing user)
    agent, _ = signed_in(web)
    cookie = agent.cookies["triage_session"]
    r = runner.invoke(main, ["users", "add", AGENT[0], "--role", "agent", "--password-stdin",
                             "--config", str(cfg)], input=AGENT[1] + "\n")
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    assert not opens(web, cookie)
    # an admin's "sign out everywhere" on the page: two browsers of the agent end at once
    phone, _ = signed_in(web)
    laptop, _ = signed_in(web)
    admin, token = signed_in(web, ADMIN)
    page = admin.get("/admin/users").text
    assert f'id="user-{AGENT[0]}"' in page
    admin.post(f"/admin/users/{AGENT[0]}/sign-out", data={"csrf_token": token})
    assert phone.get("/queue", follow_redirects=False).status_code == 303
    assert laptop.get("/queue", follow_redirects=False).status_code == 303
    assert admin.get("/queue", follow_redirects=False).status_code == 200  # not the admin
    # a disabled account
    agent, _ = signed_in(web)
    r = runner.invoke(main, ["users", "disable", AGENT[0], "--config", str(cfg)])
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    assert agent.get("/queue", follow_redirects=False).status_code == 303
    fresh = TestClient(web)
    csrf = fresh.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert fresh.post("/login", data={"username": AGENT[0], "password": AGENT[1],
                                      "csrf_token": csrf}).status_code == 401
    # everyone, from the CLI
    r = runner.invoke(main, ["users", "sign-out", "--all", "--config", str(cfg)])
    assert r.exit_code == 0 and "1 session(s) ended" in r.output, r.output
    assert admin.get("/queue", follow_redirects=False).status_code == 303


def test_failed_sign_ins_are_counted_in_the_store(seeded: Any, smtp_outbox: Any) -> None:
    # a restart or a second web worker on the same store does not reset the count
    def fresh_app() -> Any:
        return create_app(seeded.web_parts(outbox=smtp_outbox), secret_key="w" * 64)

    limit = seeded.settings.web.login_max_attempts
    first, second = TestClient(fresh_app()), TestClient(fresh_app())

    def fail(client: TestClient) -> int:
        page = client.get("/login").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        return client.post("/login", data={"username": AGENT[0], "password": "wrong!",
                                           "csrf_token": csrf}).status_code

    assert [fail(first) for _ in range(limit - 1)] == [401] * (limit - 1)
    assert fail(second) == 401
    assert fail(second) == 429 and fail(first) == 429
    assert fail(TestClient(fresh_app())) == 429  # a restarted process
    seeded.clock.advance(seeded.settings.web.login_window)
    assert fail(TestClient(fresh_app())) == 401


def test_totp_second_factor(web: Any, seeded: Any, tmp_path: Path) -> None:
    from triage.cli.main import main
    from triage.web import totp

    r = CliRunner().invoke(main, ["users", "totp", ADMIN[0], "--config",
                                  str(write_cfg(tmp_path, seeded))])
    assert r.exit_code == 0, r.output
    secret = r.output.split("secret: ")[1].split()[0]
    assert f"otpauth://totp/triage:{ADMIN[0]}?secret={secret}" in r.output

    def password_step(client: TestClient) -> Any:
        csrf = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        return client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                           "csrf_token": csrf}, follow_redirects=False)

    def code_step(client: TestClient, code: str) -> Any:
        page = client.get("/login/code").text
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        return client.post("/login/code", data={"code": code, "csrf_token": csrf},
                           follow_redirects=False)

    client = TestClient(web)
    first = password_step(client)
    assert first.status_code == 303 and first.headers["location"] == "/login/code"
    assert client.get("/queue", follow_redirects=False).status_code == 303  # not yet in
    assert code_step(client, "000000" if totp.now_code(secret, seeded.clock.now()) !=
                     "000000" else "111111").status_code == 401
    code = totp.now_code(secret, seeded.clock.now())
    ok = code_step(client, code)
    assert ok.status_code == 303 and ok.headers["location"] == "/queue"
    assert client.get("/admin/users", follow_redirects=False).status_code == 200
    # the same code again (someone who watched it being typed) opens nothing
    other = TestClient(web)
    password_step(other)
    assert code_step(other, code).status_code == 401
    # a password step left waiting too long must start over
    late = TestClient(web)
    password_step(late)
    seeded.clock.advance(timedelta(minutes=6))
    assert late.get("/login/code", follow_redirects=False).headers["location"] == "/login"
    # the JSON sign-in needs the code too
    api = TestClient(web)
    refused = api.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1]})
    assert refused.status_code == 401 and "totp" in refused.json()["detail"]
    ok = api.post("/api/login", json={"username": ADMIN[0], "password": ADMIN[1],
                                      "totp": totp.now_code(secret, seeded.clock.now())})
    assert ok.status_code == 200, ok.text


def test_password_is_rehashed_at_sign_in_when_argon2_parameters_change(seeded: Any) -> None:
    from argon2 import PasswordHasher

    from triage.web.accounts import _hasher, authenticate

    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    seeded.store.accounts.set_password_hash(AGENT[0], weak.hash(AGENT[1]))
    assert _hasher.check_needs_rehash(seeded.store.accounts.user(AGENT[0]).password_hash)
    authenticate(seeded.store, AGENT[0], AGENT[1])
    stored = seeded.store.accounts.user(AGENT[0]).password_hash
    assert stored.startswith("$argon2id$") and not _hasher.check_needs_rehash(stored)
    _hasher.verify(stored, AGENT[1])
