"""The optional second factor: a time-based one-time code (RFC 6238, via pyotp).

An account gets a secret with ``triage users totp NAME`` (meant for admins); from then on a
sign-in needs the password and then a current 6-digit code from an authenticator app. Codes
of the previous and next 30-second step are accepted (clock drift), and a code that opened a
session is refused if sent again within its step.
"""

from __future__ import annotations

from datetime import datetime

import pyotp

ISSUER = "triage"


def new_secret() -> str:
    """A fresh random base32 secret."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, user: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads (as text or a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user, issuer_name=ISSUER)


def verify(secret: str, code: str, at: datetime) -> bool:
    """True when ``code`` is the code of ``secret`` at ``at`` (or one step either side)."""
    code = "".join(code.split())
    return len(code) == 6 and code.isdigit() and pyotp.TOTP(secret).verify(
        code, for_time=at, valid_window=1)


def now_code(secret: str, at: datetime) -> str:
    """The code of ``secret`` at ``at`` (for tests and the CLI's check)."""
    return pyotp.TOTP(secret).at(at)
