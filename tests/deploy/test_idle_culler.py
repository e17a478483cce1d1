"""The idle culler (jupyterhub-idle-culler as a hub service): an idle server is stopped.

The session's hub is restarted with a short timeout (and frequent activity reports); the next
test that uses the hub gets it restarted as configured (conftest ``_hub_as_configured``), so
the other tests' servers are never culled under them.
"""

from __future__ import annotations

import time

import pytest
from hubkit import Hub, api, ensure_server

pytestmark = pytest.mark.ui
IDLE_TIMEOUT_S = 15
SHORT = {
    "SHINSA_IDLE_TIMEOUT": str(IDLE_TIMEOUT_S),
    "SHINSA_CULL_EVERY": "3",
    "SHINSA_ACTIVITY_INTERVAL": "3",
}


def _server(hub: Hub, user: str) -> dict:
    status, info = api(hub, user, "GET", f"/hub/api/users/{user}")
    assert status == 200, info
    return (info.get("servers") or {}).get("", {})


def test_an_idle_analysts_server_is_stopped_by_the_culler(hub: Hub) -> None:
    analyst = f"{hub.prefix}an"
    assert hub.restart is not None
    hub.restart(SHORT)
    # A server another test started may have been idle for a while already: stop it, so that
    # the server measured here is new and its last activity no earlier than its start.
    api(hub, analyst, "DELETE", f"/hub/api/users/{analyst}/server")
    deadline = time.monotonic() + 60
    while _server(hub, analyst) and time.monotonic() < deadline:
        time.sleep(1)
    started = time.monotonic()
    ensure_server(hub, analyst)
    while _server(hub, analyst):
        if time.monotonic() - started > 10 * IDLE_TIMEOUT_S:
            pytest.fail(f"{10 * IDLE_TIMEOUT_S} 秒たっても止まりません:\n{hub.log_tail()}")
        time.sleep(1)
    idle_for = time.monotonic() - started
    log = hub.log.read_text(errors="replace")
    assert idle_for >= IDLE_TIMEOUT_S - 1, idle_for  # not before the timeout
    assert f"Culling server {analyst}" in log, log[-3000:]
