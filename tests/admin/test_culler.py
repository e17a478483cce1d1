"""The idle culler's service (scoring.admin.culler): the command runs, the role is minimal."""

from __future__ import annotations

import subprocess

from scoring.admin.culler import idle_culler


def test_the_service_command_is_accepted_by_the_culler_and_its_role_has_four_scopes() -> None:
    service, role = idle_culler(timeout=60, every=10)
    assert service["command"][-2:] == ["--timeout=60", "--cull-every=10"]
    res = subprocess.run(
        [*service["command"], "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert res.returncode == 0 and "--cull-every" in res.stdout, res.stderr[-2000:]
    assert role["services"] == [service["name"]]
    assert sorted(role["scopes"]) == ["delete:servers", "list:users", "read:servers", "read:users:activity"]
