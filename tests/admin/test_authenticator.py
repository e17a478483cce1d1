"""Sign-in on the hub (issue 18, Low): nobody can lock a named reviewer out, and the time of a
failed sign-in does not tell whether the account exists.

PAM itself is replaced by a stand-in that behaves as pam_unix was measured to: an unknown
name fails at once, a wrong password of a real account fails after a while. The real PAM
path is exercised on a real hub in tests/deploy/test_hub_setup.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from types import SimpleNamespace
from typing import Any

import pytest
from jupyterhub.auth import PAMAuthenticator

from scoring.admin.authenticator import ShinsaPAMAuthenticator

ACCOUNTS = {"r1": "right-password"}
#: How long the stand-in PAM takes to refuse a real account's wrong password (scaled down from 0.47 s).
PAM_SLOW = 0.3


@pytest.fixture(autouse=True)
def fake_pam(monkeypatch: pytest.MonkeyPatch) -> None:
    async def authenticate(self: Any, handler: Any, data: dict[str, Any]) -> str | None:
        name, password = data["username"], data["password"]
        if name not in ACCOUNTS:
            return None  # pam_unix: no such user, at once
        if password != ACCOUNTS[name]:
            await asyncio.sleep(PAM_SLOW)
            return None
        return name

    monkeypatch.setattr(PAMAuthenticator, "authenticate", authenticate)


def _from(ip: str) -> Any:
    return SimpleNamespace(request=SimpleNamespace(remote_ip=ip))


def _sign_in(
    auth: ShinsaPAMAuthenticator, name: str, password: str, ip: str = "10.0.0.1"
) -> tuple[Any, float]:
    started = time.monotonic()
    # A thread of its own: a browser test earlier in this worker may leave an event loop running
    # in the main thread, and asyncio.run() refuses to start inside one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(
            asyncio.run, auth.authenticate(_from(ip), {"username": name, "password": password})
        ).result()
    return result, time.monotonic() - started


def test_an_unknown_name_fails_as_slowly_as_a_wrong_password() -> None:
    auth = ShinsaPAMAuthenticator(failed_sign_in_seconds=0.5)
    assert _sign_in(auth, "r1", "right-password")[0] == "r1"
    times = {}
    for name, password in [("r1", "wrong"), ("nobody", "wrong"), ("r1", "wrong"), ("nobody2", "x")]:
        result, took = _sign_in(auth, name, password)
        assert result is None
        times.setdefault(name in ACCOUNTS, []).append(took)
    assert min(times[False]) >= 0.5 and min(times[True]) >= 0.5
    assert abs(max(times[False]) - max(times[True])) < 0.15, times


def test_the_floor_follows_pam_when_pam_is_slower() -> None:
    auth = ShinsaPAMAuthenticator(failed_sign_in_seconds=0.01)
    assert _sign_in(auth, "r1", "wrong")[1] >= PAM_SLOW
    _, unknown = _sign_in(auth, "nobody", "wrong")
    assert unknown >= PAM_SLOW, "an unknown name answered sooner than a real account's wrong password"


def test_failures_from_elsewhere_do_not_lock_the_reviewer_out() -> None:
    auth = ShinsaPAMAuthenticator(allowed_failed_logins=3, failed_sign_in_seconds=0)
    for _ in range(5):
        assert _sign_in(auth, "r1", "guess", ip="203.0.113.9")[0] is None
    assert _sign_in(auth, "r1", "right-password", ip="203.0.113.9")[0] is None  # that source is locked out
    assert _sign_in(auth, "r1", "right-password", ip="10.0.0.1")[0] == "r1"  # the reviewer is not


def test_guessing_from_many_sources_is_bounded_but_known_sources_still_sign_in() -> None:
    auth = ShinsaPAMAuthenticator(
        allowed_failed_logins=3, allowed_failed_logins_per_name=6, failed_sign_in_seconds=0
    )
    assert _sign_in(auth, "r1", "right-password", ip="10.0.0.1")[0] == "r1"
    for i in range(6):
        assert _sign_in(auth, "r1", "guess", ip=f"198.51.100.{i}")[0] is None
    assert _sign_in(auth, "r1", "right-password", ip="198.51.100.77")[0] is None  # a new source: refused
    assert _sign_in(auth, "r1", "right-password", ip="10.0.0.1")[0] == "r1"  # the reviewer's own: works


def test_the_lock_out_expires() -> None:
    auth = ShinsaPAMAuthenticator(
        allowed_failed_logins=2, seconds_before_next_try=60, failed_sign_in_seconds=0
    )
    for _ in range(2):
        _sign_in(auth, "r1", "guess")
    assert auth.locked("r1", "10.0.0.1")
    assert not auth.locked("r1", "10.0.0.1", now=time.monotonic() + 61)
