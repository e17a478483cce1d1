"""The round on the hub stays private (issue 18, item 5): the analysts' reports, the committee's
copy, each reviewer's view, and what a re-run of hub-setup keeps. Real files and modes, the
real ``report`` command; no accounts are created (tests/deploy does that on a real hub)."""

from __future__ import annotations

import grp
import json
import os
import stat
from pathlib import Path

import openpyxl
import pytest
import yaml

from scoring.admin.site import HubSite, copy_round
from scoring.admin.siteaccess import _protect_round, private_groups, reviewer_view
from scoring.analysis.committee import build_committee
from scoring.cli import main
from scoring.core.errors import HubError
from scoring.reporting.committee_copy import committee_copy
from scoring.review.identity import assigned_applications, identify_reviewer
from scoring.round.loader import load_round
from scoring.round.server import SERVER_FILE, server_round, write_server_file

#: A group this process may give its files to (its own), for the server round's two groups.
OWN_GROUP = grp.getgrgid(os.getgid()).gr_name


def _site_round(src: Path, tmp_path: Path) -> Path:
    """The round copied into a site as hub-setup does, marked a server round."""
    site = HubSite(tmp_path / "site")
    copy_round(load_round(src), site)
    write_server_file(site.round_dir, OWN_GROUP, OWN_GROUP)
    return site.round_dir


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _assignments(src: Path) -> None:
    (src / "assignments.csv").write_text(
        "reviewer,application\nR1,01\nR2,01\nR1,11\nR6,20\nR3,11\n", encoding="utf-8"
    )


# --------------------------------------------------------------------------- the round copy


def test_a_rerun_keeps_checkpoints_keys_and_reports_and_takes_the_source_again(
    demo_round_copy: Path, tmp_path: Path
) -> None:
    """Fails on the old code: copy_round removed the whole copy (checkpoints, reports) first."""
    site = HubSite(tmp_path / "site")
    copy_round(load_round(demo_round_copy), site)
    made = {
        "checkpoints-0123456789ab.jsonl": '{"n": 1}\n',
        "keys/public_keys.json": '{"people": []}',
        "reports/committee.xlsx": "full material",
        "reports/講評/01.pdf": "letter",
        "committee/committee.html": "committee copy",
        SERVER_FILE: "{}",
    }
    for rel, text in made.items():
        (site.round_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (site.round_dir / rel).write_text(text, encoding="utf-8")
    (site.round_dir / "stale.txt").write_text("gone from the source", encoding="utf-8")
    (demo_round_copy / "notes.md").write_text("new in the source", encoding="utf-8")

    copy_round(load_round(demo_round_copy), site)

    for rel, text in made.items():
        assert (site.round_dir / rel).read_text(encoding="utf-8") == text, rel
    assert not (site.round_dir / "stale.txt").exists()
    assert (site.round_dir / "notes.md").read_text(encoding="utf-8") == "new in the source"
    assert load_round(site.round_dir).config.name == load_round(demo_round_copy).config.name


def test_the_source_rounds_own_reports_store_and_checkpoints_are_not_copied(
    demo_round_copy: Path, tmp_path: Path
) -> None:
    for rel in ("reports/committee.xlsx", "committee/committee.xlsx", "checkpoints.jsonl", SERVER_FILE):
        (demo_round_copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (demo_round_copy / rel).write_text("local", encoding="utf-8")
    (demo_round_copy / "scores.sqlite").write_bytes(b"")
    site = HubSite(tmp_path / "site")
    copy_round(load_round(demo_round_copy), site)
    left = {p.name for p in site.round_dir.iterdir()}
    assert not left & {"reports", "committee", "checkpoints.jsonl", SERVER_FILE, "scores.sqlite"}


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to other groups needs root (tests/deploy runs as root)")
def test_the_round_is_the_staffs_and_its_reports_the_analysts_only(
    demo_round_copy: Path, tmp_path: Path
) -> None:
    site = HubSite(tmp_path / "site")
    copy_round(load_round(demo_round_copy), site)
    (site.round_dir / "reports").mkdir()
    (site.round_dir / "reports" / "committee.xlsx").write_text("x", encoding="utf-8")
    os.chmod(site.round_dir / "reports" / "committee.xlsx", 0o644)
    (site.round_dir / "checkpoints-x.jsonl").write_text("{}\n", encoding="utf-8")
    owner, analysts, staff = 4242, 4343, 4444
    _protect_round(site.round_dir, owner, analysts, staff)
    for p in [site.round_dir, *site.round_dir.rglob("*")]:
        st = p.stat()
        in_reports = p == site.round_dir / "reports" or (site.round_dir / "reports") in p.parents
        assert st.st_uid == owner, p
        assert st.st_gid == (analysts if in_reports else staff), p
        assert _mode(p) == (0o2750 if p.is_dir() else 0o640), p
        assert not st.st_mode & 0o007, p  # nothing for other accounts (the reviewers)
    assert (site.round_dir / "committee").is_dir()


def test_site_json_remembers_the_groups_set_up_made_across_re_runs(tmp_path: Path) -> None:
    from scoring.admin.limits import Limits
    from scoring.admin.site import HubUser, read_site, update_site, write_site

    site = HubSite(tmp_path / "site")
    site.state_dir.mkdir(parents=True)
    users = [HubUser("r1", "reviewer", "R1"), HubUser("jimu", "analyst")]
    for made in (["g-analysts", "g-staff"], []):  # the first set-up made them, the re-run did not
        write_site(site, users, "g", limits=Limits(), idle_timeout=60, created_group=True)
        update_site(site, {"created_private_groups": made, "rounds": {"r1": "/srv/x/reviewers/r1"}})
    data = read_site(site)
    assert data["created_private_groups"] == ["g-analysts", "g-staff"]
    assert data["rounds"] == {"r1": "/srv/x/reviewers/r1"} and data["users"]["jimu"] == "analyst"
    assert site.site_file.stat().st_mode & 0o777 == 0o600


def test_group_names_longer_than_a_system_group_may_be_are_refused() -> None:
    assert private_groups("shinsa") == ("shinsa-analysts", "shinsa-staff")
    with pytest.raises(HubError, match="32文字を超えます"):
        private_groups("g" * 25)


# --------------------------------------------------------------------------- a reviewer's view


def test_a_reviewers_view_holds_only_their_own_entry_and_assignments(
    demo_round_copy: Path, tmp_path: Path
) -> None:
    _assignments(demo_round_copy)
    round_dir = _site_round(demo_round_copy, tmp_path)
    (round_dir / "reports").mkdir()
    (round_dir / "reports" / "committee.xlsx").write_text("x", encoding="utf-8")
    (round_dir / "checkpoints-x.jsonl").write_text("{}\n", encoding="utf-8")
    view = reviewer_view(round_dir, tmp_path / "view", "R1")

    people = yaml.safe_load((view / "reviewers.yaml").read_text(encoding="utf-8"))
    assert set(people) == {"reviewers"}  # no analysts, no committee
    assert [r["id"] for r in people["reviewers"]] == ["R1"]
    text = (view / "reviewers.yaml").read_text(encoding="utf-8")
    assert "架空 二葉" not in text and "R2" not in text and "iin" not in text
    assert (view / "assignments.csv").read_text(encoding="utf-8").splitlines() == [
        "reviewer,application",
        "R1,01",
        "R1,11",
    ]
    assert not {p.name for p in view.iterdir()} & {"reports", "committee", SERVER_FILE, "checkpoints-x.jsonl"}
    # The app works from it: the signed-in reviewer is found, their assignments are there.
    rnd = load_round(view)
    assert [r.id for r in rnd.reviewers] == ["R1"] and not rnd.has_errors
    who = identify_reviewer(rnd, environ={"JUPYTERHUB_USER": "r1"})
    assert who.reviewer == "R1" and who.locked
    assert assigned_applications(rnd, "R1") == ["01", "11"]


# --------------------------------------------------------------------------- the committee's copy


@pytest.fixture(scope="module")
def scored_server_round(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A server round with the demo's simulated scores (submitted, with comments)."""
    from roundcopy import copy_demo_round

    tmp = tmp_path_factory.mktemp("server")
    round_dir = _site_round(copy_demo_round(tmp / "src"), tmp)
    assert main(["demo", "--round", str(round_dir)]) == 0
    return round_dir


def test_the_committees_copy_has_no_receipts_and_comments_only_when_allowed(
    scored_server_round: Path,
) -> None:
    c = build_committee(scored_server_round, n_boot=20)
    assert len(c.comments) and len(c.receipts)
    plain = committee_copy(c)
    assert plain.comments.empty and plain.receipts.empty
    assert list(plain.comments.columns) == list(c.comments.columns)
    shown = committee_copy(c, sees_comments=True)
    assert len(shown.comments) == len(c.comments) and shown.receipts.empty
    assert len(c.comments) and len(c.receipts)  # the analysts' material is not changed


def test_report_on_a_server_round_writes_private_files_and_the_committees_copy(
    scored_server_round: Path, capsys
) -> None:
    """Fails on the old code: reports/ was written with the umask (0644 files) and no
    committee copy existed (the committee could only be shown the full material)."""
    old = os.umask(0o022)
    try:
        assert main(["report", "--round", str(scored_server_round)]) == 0
    finally:
        os.umask(old)
    out = capsys.readouterr().out
    assert "選定委員用の資料" in out
    server = server_round(scored_server_round)
    assert server is not None
    committee_files = ["committee.html", "committee.pdf", "committee.xlsx", "committee_reference.pdf"]
    for folder, expected in (
        (server.reports, sorted([*committee_files, "records.pdf", "records.xlsx"])),
        (server.committee, committee_files),  # never the 事務局控え
    ):
        assert _mode(folder) == 0o2750
        names = sorted(p.name for p in folder.iterdir())
        assert names == expected, names
        for p in folder.iterdir():
            assert _mode(p) == 0o640, p
    # The 本体 and the 参考資料 hold no 受領コード and no comment the committee may not read: the
    # committee's copies are the analysts' documents, byte for byte (printed once).
    for doc in ("committee.pdf", "committee_reference.pdf"):
        assert (server.committee / doc).read_bytes() == (server.reports / doc).read_bytes(), doc
    full = openpyxl.load_workbook(server.reports / "committee.xlsx", read_only=True).sheetnames
    mine = openpyxl.load_workbook(server.committee / "committee.xlsx", read_only=True).sheetnames
    assert {"受領コード", "講評コメント"} <= set(full)
    assert not {"受領コード", "講評コメント"} & set(mine)
    assert set(mine) == set(full) - {"受領コード", "講評コメント"}
    page = (server.committee / "committee.html").read_text(encoding="utf-8")
    full_page = (server.reports / "committee.html").read_text(encoding="utf-8")
    c = build_committee(scored_server_round, n_boot=1)
    codes = [str(x) for x in c.receipts["receipt"]]
    comments = [
        str(x) for x in c.comments["comment"] if len(str(x)) >= 15 and "<" not in str(x) and "&" not in str(x)
    ]
    # the 受領コード are in the analysts' 事務局控え only; the comments in their full workbook
    records = openpyxl.load_workbook(server.reports / "records.xlsx", read_only=True)["受領コード"]
    kept = {str(v) for row in records.iter_rows(values_only=True) for v in row}
    assert all(code in kept for code in codes) and comments
    assert not any(code in page or code in full_page for code in codes)
    assert not any(text in page for text in comments)


def test_a_round_that_is_not_on_a_server_is_written_as_before(demo_round_copy: Path) -> None:
    assert server_round(demo_round_copy) is None
    (demo_round_copy / SERVER_FILE).write_text(json.dumps({"staff_group": "x"}), encoding="utf-8")
    with pytest.raises(HubError, match="hub-setup をもう一度実行"):
        server_round(demo_round_copy)
