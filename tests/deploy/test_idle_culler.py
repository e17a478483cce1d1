"""The idle culler (jupyterhub-idle-culler as a hub service): an idle server is stopped.

The session's hub is restarted with a short timeout (and frequent activity reports), then
restarted as it was: the other tests' servers are never culled under them.
"""

from __future__ import annotations

import time

import pytest
from hubkit import Hub, api, ensure_server, hub_with_env

pytestmark = pytest.mark.ui
IDLE_TIMEOUT_S = 20
SHORT = {"SHINSA_IDLE_TIMEOUT": str(IDLE_TIMEOUT_S), "SHINSA_CULL_EVERY": "5", "SHINSA_ACTIVITY_INTERVAL": "5"}


def _server(hub: Hub, user: str) -> dict:
    status, info = api(hub, user, "GET", f"/hub/api/users/{user}")
    assert status == 200, info
    return (info.get("servers") or {}).get("", {})


def test_an_idle_analysts_server_is_stopped_by_the_culler(hub: Hub) -> None:
    analyst = f"{hub.prefix}an"
    with hub_with_env(hub, SHORT):
        ensure_server(hub, analyst)
        started = time.monotonic()
        assert _server(hub, analyst).get("ready")
        while _server(hub, analyst):
            if time.monotonic() - started > 8 * IDLE_TIMEOUT_S:
                pytest.fail(f"{8 * IDLE_TIMEOUT_S} 秒たっても止まりません:\n{hub.log_tail()}")
            time.sleep(2)
        idle_for = time.monotonic() - started
        log = hub.log.read_text(errors="replace")
    assert idle_for >= IDLE_TIMEOUT_S - 6, idle_for  # not before the timeout (activity is reported every 5 s)
    assert f"Culling server {analyst}" in log or f"Culling server for {analyst}" in log, log[-3000:]
