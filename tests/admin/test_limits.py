"""Per-user rlimits (scoring.admin.limits): read from site.json, applied in a real child process."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from scoring.admin.limits import GIB, Limits, with_rlimits
from scoring.core.errors import HubError


def test_defaults_for_a_24_gib_machine_and_site_json_values() -> None:
    assert Limits() == Limits.from_dict(None) == Limits.from_dict({})
    assert Limits().to_dict() == {"address_space": 6 * GIB, "cpu_seconds": 4 * 3600, "file_size": 2 * GIB}
    assert Limits.from_dict({"cpu_seconds": 60}) == Limits(cpu_seconds=60)


@pytest.mark.parametrize(
    "bad", [{"memory": 1}, {"cpu_seconds": 0}, {"file_size": "1G"}, {"address_space": True}]
)
def test_site_json_limits_that_cannot_be_used_are_refused(bad: dict) -> None:
    with pytest.raises(HubError, match=f"site.json の limits: {next(iter(bad))}"):
        Limits.from_dict(bad)


def test_a_child_started_with_the_preexec_fn_has_the_limits_then_runs_the_spawners_own() -> None:
    """The limits are set in the child, then the wrapped preexec_fn runs (here it lowers the
    open files limit, as the spawner's would switch the account); the parent is untouched."""
    limits = Limits(address_space=3 * GIB, cpu_seconds=1234, file_size=4096)

    def spawners_own() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (99, 99))

    code = (
        "import json, resource\n"
        "print(json.dumps([resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU, "
        "resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE)]))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=with_rlimits(spawners_own, limits),
    )
    assert json.loads(res.stdout) == [[3 * GIB] * 2, [1234] * 2, [4096] * 2, [99, 99]]
    assert resource.getrlimit(resource.RLIMIT_CPU) != (1234, 1234)  # this process is not limited
