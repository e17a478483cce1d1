"""The committee's material stays private on the real hub (issue 18, item 5).

The analyst runs ``python -m scoring report`` and ``progress --xlsx "$R/reports/…"`` in their
own kernel, as README's procedure says; then a reviewer's kernel tries to read every file of
the site, the committee's kernel reads its copy, and hub-setup is run again over the running
site (as README prescribes for adding a reviewer). One report for the module (it takes a while).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hubkit import Hub, run_in_kernel

from scoring import load_round
from scoring.admin.setup import setup_hub

#: A report (with the PDF twice: the analysts' and the committee's) on a 2-core machine.
REPORT_TIMEOUT_S = 900


def _json(res: dict[str, str]) -> dict:
    assert not res["error"], res
    return json.loads(res["stdout"].strip().splitlines()[-1])


@pytest.fixture(scope="module")
def reported(hub: Hub) -> dict:
    """The analyst's ``report`` and ``progress --xlsx`` in their own kernel (umask as the hub sets it)."""
    code = textwrap.dedent(
        """
        import json, os, subprocess, sys
        from pathlib import Path
        r = os.environ["SCORING_ROUND"]
        out = {"round": r}
        for cmd in (["report"], ["progress", "--xlsx", f"{r}/reports/progress.xlsx"]):
            p = subprocess.run([sys.executable, "-m", "scoring", *cmd], capture_output=True, text=True)
            out[cmd[0]] = [p.returncode, p.stderr[-2000:]]
        out["files"] = sorted(str(p) for p in Path(r).rglob("*") if p.is_file())
        print(json.dumps(out, ensure_ascii=False))
        """
    )
    out = _json(run_in_kernel(hub, f"{hub.prefix}an", code, timeout=REPORT_TIMEOUT_S))
    assert out["report"][0] == 0, out["report"]
    assert out["progress"][0] in (0, 1), out["progress"]  # 1: reviews still open
    return out


READ_ALL = """
import json, os
from pathlib import Path
site = Path({site!r})
mine = Path(os.environ["SCORING_ROUND"])
read, refused = [], []
for top in (site / "round", site / "reviewers", site / "hub", mine):
    for folder, dirs, files in os.walk(top, onerror=lambda e: refused.append(e.filename)):
        for name in files:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as f:
                    f.read(1)
                read.append(path)
            except PermissionError:
                refused.append(path)
direct = {{}}
for path in {direct!r}:
    try:
        open(path, "rb").read(1)
        direct[path] = "read"
    except OSError as e:
        direct[path] = type(e).__name__
print(json.dumps({{"read": read, "refused": refused, "direct": direct, "round": str(mine),
                  "people": (mine / "reviewers.yaml").read_text(encoding="utf-8"),
                  "assignments": (mine / "assignments.csv").read_text(encoding="utf-8")}}, ensure_ascii=False))
"""


def test_a_reviewers_kernel_reads_no_committee_file_and_no_names_after_the_analyst_reports(
    hub: Hub, reported: dict
) -> None:
    """Fails on the old code: reports/ was 0755/0644 in the shared round copy, which the
    reviewers read (committee.xlsx with every comment and receipt code, and reviewers.yaml)."""
    round_dir = Path(reported["round"])
    written = [f for f in reported["files"] if "/reports/" in f or "/committee/" in f]
    assert any(f.endswith("reports/committee.xlsx") for f in written), reported["files"]
    assert any(f.endswith("reports/progress.xlsx") for f in written), reported["files"]
    direct = [
        *written,
        str(round_dir / "reviewers.yaml"),
        str(round_dir / "assignments.csv"),
        *(str(hub.site / "reviewers" / hub.user(r) / "reviewers.yaml") for r in ("R6", "R2")),
    ]
    user = hub.user("R1")
    out = _json(run_in_kernel(hub, user, READ_ALL.format(site=str(hub.site), direct=direct)))
    assert all(v == "PermissionError" for v in out["direct"].values()), out["direct"]
    assert any(f.endswith("committee/committee.xlsx") for f in written), reported["files"]
    # Whatever the reviewer can open is their own view of the round, nothing of round/ or hub/.
    assert out["round"] == str(hub.site / "reviewers" / user)
    assert f"{out['round']}/reviewers.yaml" in out["read"]  # the reviewer does read their own view
    assert all(p.startswith(f"{out['round']}/") for p in out["read"]), out["read"]
    # Their view names no other reviewer, analyst or committee member, and only their pairs.
    rnd = load_round(hub.round_dir)
    others = [r for r in rnd.reviewers if r.id != "R1"]
    assert "R1" in out["people"] and not any(r.name in out["people"] or r.id in out["people"] for r in others)
    assert f"{hub.prefix}an" not in out["people"] and f"{hub.prefix}co" not in out["people"]
    rows = out["assignments"].strip().splitlines()[1:]
    assert rows and all(line.startswith("R1,") for line in rows), rows


COMMITTEE_READS = """
import json, openpyxl
out = {{}}
for key, path in (("copy", {copy!r}), ("full", {full!r})):
    try:
        out[key] = openpyxl.load_workbook(path, read_only=True).sheetnames
    except PermissionError:
        out[key] = "PermissionError"
page = open({page!r}, encoding="utf-8").read()
out["comment_in_page"] = [c for c in {comments!r} if c in page]
print(json.dumps(out, ensure_ascii=False))
"""


def test_the_committee_reads_its_copy_without_comments_or_receipts_and_not_the_analysts(
    hub: Hub, reported: dict
) -> None:
    """Fails on the old code: there was no committee copy, and the committee's account read
    reports/committee.xlsx with the comments its database role is refused."""
    import openpyxl

    round_dir = Path(reported["round"])
    full = openpyxl.load_workbook(round_dir / "reports" / "committee.xlsx", read_only=True)
    secret: list[str] = []
    for sheet, column in (("講評コメント", "講評コメント"), ("受領コード", "受領コード")):
        rows = list(full[sheet].values)
        at = list(rows[0]).index(column)
        secret += [
            str(r[at])
            for r in rows[1:]
            if r[at] and len(str(r[at])) >= 8 and not set("<>&'\"") & set(str(r[at]))
        ]
    assert secret, "報告に講評コメントも受領コードもありません"
    code = COMMITTEE_READS.format(
        copy=str(round_dir / "committee" / "committee.xlsx"),
        full=str(round_dir / "reports" / "committee.xlsx"),
        page=str(round_dir / "committee" / "committee.html"),
        comments=secret,
    )
    out = _json(run_in_kernel(hub, f"{hub.prefix}co", code))
    assert out["full"] == "PermissionError", out
    assert isinstance(out["copy"], list) and "順位" in out["copy"], out
    assert "受領コード" not in out["copy"] and "講評コメント" not in out["copy"], out["copy"]
    assert out["comment_in_page"] == []  # no comment, no receipt code of the analysts' material


def test_rerunning_hub_setup_keeps_checkpoints_keys_and_reports(hub: Hub, reported: dict) -> None:
    """Fails on the old code: copy_round removed the round copy with its checkpoint file and
    reports/ before copying the source round again."""
    site_round = hub.site / "round"
    analyst_home = hub.home / f"{hub.prefix}an"
    keys = site_round / "keys" / "public_keys.json"
    own_key = analyst_home / ".shinsa" / "ed25519_key.pem"
    made = [p for p in (keys, own_key) if not p.exists()]  # stand-ins where set-up made none
    new_dir = not keys.parent.exists()
    for p in made:
        p.parent.mkdir(exist_ok=True)
        p.write_text("stand-in", encoding="utf-8")
    try:
        _rerun_keeps(hub, site_round, [keys, own_key], reported)
    finally:
        for p in [*made, *hub.site.rglob("public_keys.json")]:
            if p.exists() and p.read_text(encoding="utf-8") == "stand-in":
                p.unlink()
                if new_dir and p.parent.name == "keys" and not any(p.parent.iterdir()):
                    p.parent.rmdir()


def _rerun_keeps(hub: Hub, site_round: Path, keys: list[Path], reported: dict) -> None:
    kept = [
        *sorted(site_round.glob("checkpoints*.jsonl")),
        *keys,
        *(Path(f) for f in reported["files"] if "/reports/" in f or "/committee/" in f),
    ]
    assert any(p.name.startswith("checkpoints") for p in kept), "報告の記録点がありません"
    before = {p: p.read_bytes() for p in kept}

    assert (
        setup_hub(
            load_round(hub.round_dir),
            hub.admin_url,
            hub.site,
            passwords=hub.passwords,
            home_base=hub.home,
            group=hub.group,
            limits=hub.limits,
        )
        == {}
    )

    after = {p: p.read_bytes() if p.exists() else None for p in kept}
    assert after == before, [str(p) for p in kept if after[p] != before[p]]
    # Still private after the re-run, and the analyst still writes there.
    assert (site_round / "reports").stat().st_mode & 0o7777 == 0o2750
    assert (site_round / "reports" / "committee.xlsx").stat().st_mode & 0o777 == 0o640
    res = run_in_kernel(
        hub,
        f"{hub.prefix}an",
        "import os, pathlib\n"
        "p = pathlib.Path(os.environ['SCORING_ROUND']) / 'reports' / 'again.txt'\n"
        "p.write_text('x'); print(oct(p.stat().st_mode & 0o777))\n",
    )
    assert not res["error"] and res["stdout"].strip().endswith("0o640"), res
