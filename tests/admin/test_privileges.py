"""Only the hub runs as root (scoring.admin.privileges), and every server writes with umask 027
(scoring.admin.limits): real child processes."""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import sys

import pytest

from scoring.admin.limits import Limits, with_rlimits
from scoring.admin.privileges import unprivileged


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root (the hub is root)")
def test_the_proxy_and_the_culler_are_started_as_nobody_without_root_groups() -> None:
    nobody = pwd.getpwnam("nobody")
    out = subprocess.run(
        unprivileged(["sh", "-c", "id -u; id -G; grep CapEff /proc/self/status"]),
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    ).stdout.split("\n")
    assert out[0] == str(nobody.pw_uid)
    assert out[1].split() == [str(nobody.pw_gid)]  # no supplementary group, not root's
    assert out[2].split()[-1] == "0000000000000000"  # no capability
    group = grp.getgrgid(os.getgid()).gr_name  # a group that exists (root's own, here)
    with_group = subprocess.run(
        unprivileged(["id", "-G"], groups=[group, "no-such-group-x"]),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert with_group == [str(nobody.pw_gid), str(os.getgid())]


def test_not_root_the_command_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert unprivileged(["configurable-http-proxy"]) == ["configurable-http-proxy"]


def test_a_server_started_by_the_hub_writes_files_others_cannot_read(tmp_path) -> None:
    """Fails on the old code: the servers kept the hub's umask (022), so a kernel's files
    (a report written with --out elsewhere) were readable by every account."""
    target = tmp_path / "written.txt"
    old = os.umask(0o022)
    try:
        subprocess.run(
            [sys.executable, "-c", f"open({str(target)!r}, 'w').write('x')"],
            check=True,
            preexec_fn=with_rlimits(None, Limits()),
        )
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o640
