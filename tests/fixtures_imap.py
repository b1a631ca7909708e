"""A private Dovecot IMAP server for the test session (rootless layout, loopback only).

Recipe: ``shared/docs/test-servers.md`` section 1. The whole instance runs as one
unprivileged user (``nobody`` when the tests run as root), from a temporary directory, on a
free port, with users from a passwd file and Maildir storage.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

PASSWORD = "s3cret-test"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
instance_name = dovecot-test-{port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
last_valid_uid = {uid}
disable_plaintext_auth = no
auth_mechanisms = plain login{extra_mechs}
{ssl}
mail_fsync = never
mail_max_userip_connections = 100
{passdb}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
{imaps}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{extra_conf}
"""


class Dovecot:
    """One Dovecot instance; ``start``/``stop``/``restart`` by PID, users before start."""

    def __init__(self, users: tuple[str, ...] = ("support@example.com",), *,
                 tls: bool = False, oauth2_introspection_url: str = "",
                 extra_conf: str = "") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.users = users
        self.proc: subprocess.Popen[bytes] | None = None
        pw = pwd.getpwnam("nobody") if os.getuid() == 0 else pwd.getpwuid(os.getuid())
        self.uid, self.gid, self.user = pw.pw_uid, pw.pw_gid, pw.pw_name
        import grp

        group = grp.getgrgid(self.gid).gr_name
        (self.dir / "passwd").write_text(
            "".join(f"{u}:{{PLAIN}}{PASSWORD}\n" for u in users), encoding="utf-8")
        ssl = "ssl = no"
        if tls:
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                 "-keyout", str(self.dir / "tls.key"), "-out", str(self.dir / "tls.crt")],
                check=True, capture_output=True)
            ssl = f"ssl = yes\nssl_cert = <{self.dir}/tls.crt\nssl_key = <{self.dir}/tls.key"
        passdb = ("passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u "
                  f"{self.dir}/passwd\n}}")
        mechs = ""
        if oauth2_introspection_url:
            # XOAUTH2: Dovecot asks our local introspection endpoint who owns the token
            (self.dir / "oauth2.conf").write_text(
                "introspection_mode = post\n"
                f"introspection_url = {oauth2_introspection_url}\n"
                "username_attribute = username\nactive_attribute = active\n"
                "active_value = true\n", encoding="utf-8")
            passdb = f"passdb {{\n  driver = oauth2\n  args = {self.dir}/oauth2.conf\n}}"
            mechs = " xoauth2 oauthbearer"
        (self.dir / "dovecot.conf").write_text(_CONF.format(
            d=self.dir, port=self.port, user=self.user, group=group, uid=self.uid,
            gid=self.gid, ssl=ssl, passdb=passdb,
            imaps=(f"    address = 127.0.0.1\n    port = {self.tls_port}\n    ssl = yes"
                   if tls else "    port = 0"),
            extra_mechs=mechs, extra_conf=extra_conf), encoding="utf-8")
        for sub in ("run", "state", "mail"):
            (self.dir / sub).mkdir()
        if os.getuid() == 0:
            for p in [self.dir, *self.dir.rglob("*")]:
                os.chown(p, self.uid, self.gid)

    def start(self) -> None:
        """Start the master in the foreground and wait (bounded) for the greeting."""
        kw: dict[str, object] = {}
        if os.getuid() == 0:
            kw = {"user": self.uid, "group": self.gid, "extra_groups": []}
        self.proc = subprocess.Popen(
            ["/usr/sbin/dovecot", "-F", "-c", str(self.dir / "dovecot.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)  # type: ignore[call-overload]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"dovecot exited: {err}\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"dovecot did not answer on port {self.port}\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM the master and wait for it (it waits for its children)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port with the same mail."""
        self.stop()
        self.start()

    def log(self) -> str:
        """Return Dovecot's log (for failure messages)."""
        p = self.dir / "dovecot.log"
        return p.read_text(errors="replace")[-3000:] if p.exists() else ""

    def client(self, user: str | None = None) -> IMAPClient:
        """Return a logged-in IMAPClient for ``user`` (the first user by default)."""
        c = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        c.login(user or self.users[0], PASSWORD)
        return c

    def remove(self) -> None:
        """Stop and delete the whole directory."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """A running Dovecot for the whole session. Tests use their own users/folders."""
    users = tuple(f"user{i}@example.com" for i in range(40))
    server = Dovecot(users)
    server.start()
    yield server
    server.remove()


class Mailbox:
    """One test's own IMAP account on the session Dovecot."""

    def __init__(self, server: Dovecot, user: str) -> None:
        self.server = server
        self.user = user

    def client(self) -> IMAPClient:
        """A fresh logged-in client for this account."""
        return self.server.client(self.user)

    def append(self, folder: str, raws: list[bytes], flags: tuple[bytes, ...] = ()) -> None:
        """Add messages to ``folder`` (MULTIAPPEND in chunks of 500)."""
        c = self.client()
        try:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for i in range(0, len(raws), 500):
                c.multiappend(folder, [{"msg": r, "flags": flags} for r in raws[i:i + 500]])
        finally:
            c.logout()

    def settings(self, **over: object) -> dict[str, object]:
        """A ``[[sources]]`` mapping for this account (password in env var IMAP_PW)."""
        base: dict[str, object] = {
            "name": "support", "type": "imap", "host": "127.0.0.1",
            "port": self.server.port, "tls": "none", "username": self.user,
            "password_env": "IMAP_PW", "folders": ["INBOX"], "idle": False,
            "connect_timeout": "5s", "read_timeout": "20s",
        }
        base.update(over)
        return base


_next_user = iter(range(1000))


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    """A fresh, empty account (each test gets its own user on the session server)."""
    i = next(_next_user)
    if i >= len(dovecot.users):
        raise RuntimeError("out of test IMAP users; raise the count in the dovecot fixture")
    return Mailbox(dovecot, dovecot.users[i])
