"""Assignments: the proposal's rules, the editable CSV, and the problems reported at load."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.cli import main
from scoring.config.round import ROLES, Reviewer
from scoring.round.assign import (
    ASSIGNMENT_COLUMNS,
    assignment_components,
    is_connected,
    propose_assignments,
    read_assignments,
    write_assignments,
)
from scoring.round.loader import load_round

# --------------------------------------------------------------------------- helpers


def check_rules(rnd, df: pd.DataFrame, per_application: int) -> None:
    """The rules every proposal must satisfy, checked independently of the algorithm."""
    assert list(df.columns) == list(ASSIGNMENT_COLUMNS)
    assert not df.duplicated().any()
    conflicts = {r.id: set(r.conflicts) for r in rnd.reviewers}
    for r, a in zip(df["reviewer"], df["application"]):
        assert a not in conflicts[r], f"{r} assigned to conflicted {a}"
    counts = df.groupby("application").size()
    for a in rnd.applications.index:
        eligible = sum(a not in c for c in conflicts.values())
        assert counts.get(a, 0) == min(per_application, eligible)


def bfs_connected(df: pd.DataFrame) -> bool:
    """An independent breadth-first search over the bipartite graph."""
    edges = list(zip("r" + df["reviewer"], "a" + df["application"]))
    nodes = {n for e in edges for n in e}
    if not nodes:
        return True
    adj: dict[str, list[str]] = {n: [] for n in nodes}
    for u, v in edges:
        adj[u].append(v)
        adj[v].append(u)
    start = next(iter(nodes))
    seen, frontier = {start}, [start]
    while frontier:
        frontier = [m for n in frontier for m in adj[n] if m not in seen and not seen.add(m)]  # type: ignore[func-returns-value]
    return seen == nodes


def make_round(base, reviewers: list[Reviewer], codes: list[str], path: Path | None = None):
    """A ReviewRound with these reviewers and a subset of the demo applications (or made-up rows)."""
    apps = base.applications
    known = [c for c in codes if c in apps.index]
    extra = [c for c in codes if c not in apps.index]
    frame = pd.concat(
        [
            apps.loc[known],
            pd.DataFrame(
                {"prefecture_name": [f"県{c}" for c in extra]}, index=pd.Index(extra, name="application")
            ),
        ]
    )
    return dataclasses.replace(
        base,
        reviewers=reviewers,
        applications=frame,
        path=path or base.path,
        assignment_frame=None,
        assignment_source="",
    )


# --------------------------------------------------------------------------- graph


def test_components_by_breadth_first_search():
    two = pd.DataFrame({"reviewer": ["R1", "R1", "R2", "R3"], "application": ["01", "02", "02", "05"]})
    comps = assignment_components(two)
    assert comps == [
        {("reviewer", "R1"), ("reviewer", "R2"), ("application", "01"), ("application", "02")},
        {("reviewer", "R3"), ("application", "05")},
    ]
    assert not is_connected(two)
    joined = pd.concat([two, pd.DataFrame({"reviewer": ["R3"], "application": ["01"]})])
    assert is_connected(joined)
    assert is_connected(pd.DataFrame({"reviewer": [], "application": []}))


# --------------------------------------------------------------------------- proposal on the demo round


@pytest.mark.parametrize("per_application", [2, 3, 4])
def test_demo_proposal_follows_every_rule(store_round, per_application):
    df, notes = propose_assignments(store_round, per_application, seed=0)
    check_rules(store_round, df, per_application)
    loads = df["reviewer"].value_counts().reindex([r.id for r in store_round.reviewers], fill_value=0)
    assert loads.max() - loads.min() <= 1
    assert loads.sum() == 16 * per_application
    roles = {r.id: r.role for r in store_round.reviewers}
    for _, group in df.groupby("application"):
        assert len({roles[r] for r in group["reviewer"]}) >= 2
    assert is_connected(df) and bfs_connected(df)
    assert notes.empty


def test_proposal_is_reproducible_by_seed(store_round):
    a, _ = propose_assignments(store_round, 3, seed=7)
    b, _ = propose_assignments(store_round, 3, seed=7)
    pd.testing.assert_frame_equal(a, b)
    others = [propose_assignments(store_round, 3, seed=s)[0] for s in (1, 2, 3)]
    assert any(not o.equals(a) for o in others)


def test_conflicts_leave_fewer_reviewers_and_say_so(store_round):
    df, notes = propose_assignments(store_round, 6, seed=0)
    check_rules(store_round, df, 6)
    assert (df["application"] == "20").sum() == 5
    assert ("R6", "20") not in set(zip(df["reviewer"], df["application"]))
    row = notes[notes["field"] == "20"]
    assert row["message"].tolist() == [
        "応募 20（長野県）は利害関係のため、審査員が 5 名になります（指定 6 名）。"
    ]
    assert set(notes["severity"]) == {"warning"}


def test_more_reviewers_than_exist_and_one_per_application(store_round):
    _, notes = propose_assignments(store_round, 7)
    assert "1応募あたり 7 名を指定しましたが、審査員は 6 名です。" in notes["message"].tolist()
    df, notes = propose_assignments(store_round, 1)
    check_rules(store_round, df, 1)
    assert not is_connected(df)
    assert any("つのグループに分かれています（1応募1名では" in m for m in notes["message"])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_per_application_must_be_a_positive_integer(store_round, bad):
    with pytest.raises(
        ValueError, match="1応募あたりの審査員数「.*」が正しくありません。1以上の整数にしてください。"
    ):
        propose_assignments(store_round, bad)


# --------------------------------------------------------------------------- harder rounds


def test_balance_comes_first_then_roles_are_mixed_as_far_as_possible(store_round):
    reviewers = [
        Reviewer(id="M1", name="架空 甲", role="総務省"),
        Reviewer(id="M2", name="架空 乙", role="総務省"),
        Reviewer(id="M3", name="架空 丙", role="総務省", conflicts=("01", "02")),
        Reviewer(id="C1", name="架空 丁", role="委託事業者", conflicts=("03",)),
        Reviewer(id="E1", name="架空 戊", role="有識者", conflicts=("05", "10", "11")),
    ]
    codes = ["01", "02", "03", "05", "10", "11", "20", "29", "30", "32"]
    rnd = make_round(store_round, reviewers, codes)
    df, notes = propose_assignments(rnd, 2, seed=3)
    check_rules(rnd, df, 2)
    loads = df["reviewer"].value_counts().reindex([r.id for r in reviewers], fill_value=0)
    assert loads.tolist() == [4, 4, 4, 4, 4]
    # C1 and E1 (the only non-総務省 reviewers) have 8 places for 10 applications: at best
    # two applications are reviewed by 総務省 only, and they are reported
    roles = {r.id: r.role for r in reviewers}
    unmixed = sorted(a for a, g in df.groupby("application") if len({roles[r] for r in g["reviewer"]}) < 2)
    assert len(unmixed) == 2
    assert sorted(notes["field"]) == unmixed
    assert all("の審査員が同じ立場（総務省）だけになりました" in m for m in notes["message"])
    assert bfs_connected(df)


def test_an_application_everyone_is_conflicted_with(store_round):
    reviewers = [Reviewer(id=f"X{i}", name=f"架空 {i}", role="総務省", conflicts=("01",)) for i in range(3)]
    rnd = make_round(store_round, reviewers, ["01", "02", "03"])
    df, notes = propose_assignments(rnd, 2)
    assert "01" not in set(df["application"])
    assert any("応募 01（北海道）は利害関係のため、審査員が 0 名になります" in m for m in notes["message"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_rounds_keep_the_rules(store_round, data):
    n_rev = data.draw(st.integers(2, 7), label="reviewers")
    n_app = data.draw(st.integers(2, 14), label="applications")
    per_app = data.draw(st.integers(1, 4), label="per_application")
    codes = [f"{i:02d}" for i in range(1, n_app + 1)]
    with_conflicts = data.draw(st.booleans(), label="conflicts")
    reviewers = [
        Reviewer(
            id=f"R{i}",
            name=f"架空 {i}",
            role=data.draw(st.sampled_from(ROLES)),
            conflicts=tuple(data.draw(st.lists(st.sampled_from(codes), max_size=2, unique=True)))
            if with_conflicts
            else (),
        )
        for i in range(n_rev)
    ]
    rnd = make_round(store_round, reviewers, codes)
    df, notes = propose_assignments(rnd, per_app, seed=data.draw(st.integers(0, 5)))
    check_rules(rnd, df, per_app)
    messages = " ".join(notes["message"])
    loads = df["reviewer"].value_counts().reindex([r.id for r in reviewers], fill_value=0)
    if loads.max() - loads.min() > 1:
        assert "担当数を均等にできませんでした" in messages
    if not bfs_connected(df):
        assert "つのグループに分かれています" in messages
    if not any(r.conflicts for r in reviewers):
        assert loads.max() - loads.min() <= 1
        # enough places for a spanning tree with balanced loads: then it must be connected
        # (with fewer, balance wins and the split is reported, as checked above)
        if per_app >= 2 and n_app * min(per_app, n_rev) >= n_rev + n_app:
            assert bfs_connected(df)


# --------------------------------------------------------------------------- the CSV file


def test_written_file_opens_in_excel_and_is_read_back_at_load(demo_round_copy):
    rnd = load_round(demo_round_copy)
    assert rnd.assignment_source == "全件"
    df, _ = propose_assignments(rnd, 3, seed=1)
    path = write_assignments(rnd, df)
    assert path == demo_round_copy / "assignments.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows the Japanese correctly
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "reviewer,application,prefecture_name"
    assert "\r\n" in text
    first = pd.read_csv(path, encoding="utf-8-sig", dtype=str)
    assert (
        first.loc[0, "prefecture_name"]
        == rnd.applications.loc[first.loc[0, "application"], "prefecture_name"]
    )
    again = load_round(demo_round_copy)
    assert again.assignment_source == "assignments.csv"
    pd.testing.assert_frame_equal(again.assignments(), df)
    assert len(again.problems) == len(rnd.problems)


def _edit(path: Path, lines: list[str], encoding: str = "utf-8-sig") -> None:
    path.write_text("\r\n".join(["reviewer,application,prefecture_name", *lines]) + "\r\n", encoding=encoding)


def test_an_edited_file_that_breaks_rules_is_reported_at_load(demo_round_copy):
    rnd = load_round(demo_round_copy)
    base_problems = len(rnd.problems)
    _edit(
        demo_round_copy / "assignments.csv",
        [
            "R1,01,北海道",
            "R6,20,長野県",  # conflict
            "R9,02,青森県",  # unknown reviewer
            "R2,13,東京都",  # no such application in the round
            "R1,1,北海道",  # Excel turned 01 into 1: the same pair again
            "R2,,青森県",  # code left empty: the name is used
            "R3,03,秋田県",  # name does not match the code
            "R3,xx,",  # not a prefecture
            ",,",  # an empty line is ignored
        ],
    )
    loaded = load_round(demo_round_copy)
    got = loaded.problems.iloc[base_problems:]
    by_cell = {(c, s): m for c, s, m in zip(got["cell"], got["severity"], got["message"])}
    assert by_cell[("3行目", "error")] == (
        "審査員 R6（架空 六花）は応募 20（長野県）と利害関係がありますが、"
        "担当に割り当てられています（この割当は使いません）。"
    )
    assert by_cell[("4行目", "error")] == "審査員ID「R9」は reviewers.yaml にありません。"
    assert (
        by_cell[("5行目", "warning")]
        == "審査員 R2 の担当 13 に対応する応募がありません（この割当は使いません）。"
    )
    assert by_cell[("6行目", "warning")] == "審査員 R1 と応募 01（北海道）の割当が重複しています。"
    assert "都道府県名「秋田県」がコード 03 と一致しません" in by_cell[("8行目", "warning")]
    assert by_cell[("9行目", "error")].startswith(
        "応募を特定できません: 「xx」は都道府県名として認識できません"
    )
    assert set(got.loc[got["cell"] == "4行目", "action"]) == {
        "登録済みの審査員ID（R1、R2、R3、R4、R5、R6）にしてください。"
    }
    assert (got["file"].iloc[0]) == str(demo_round_copy / "assignments.csv")
    # coverage: most applications now have nobody, and that is reported too
    assert any(m.startswith("応募 11（埼玉県）を担当する審査員がいません") for m in got["message"])
    # … but not for the late 秋田, which is 対象外 (assign leaves it out; issue 19)
    assert not any(m.startswith("応募 05（秋田県）を担当する審査員がいません") for m in got["message"])
    assert sorted(zip(loaded.assignments()["reviewer"], loaded.assignments()["application"])) == [
        ("R1", "01"),
        ("R2", "02"),
        ("R3", "03"),
    ]
    assert loaded.has_errors


def test_a_disconnected_file_is_reported(demo_round_copy):
    rnd = load_round(demo_round_copy)
    lines = [f"{r},{a}," for a in rnd.applications.index[:8] for r in ("R1", "R2")]
    lines += [f"{r},{a}," for a in rnd.applications.index[8:] for r in ("R3", "R4")]
    _edit(demo_round_copy / "assignments.csv", lines)
    loaded = load_round(demo_round_copy)
    msgs = loaded.problems["message"].tolist()
    assert (
        "審査員と応募のつながりが 2 つのグループに分かれています（R1・R2 ／ R3・R4）。グループ間で審査員の甘辛（バイアス）を比べられません。"
        in msgs
    )


def test_shift_jis_file_saved_by_excel_is_read(demo_round_copy, store_round):
    path = demo_round_copy / "assignments.csv"
    _edit(path, ["R1,01,北海道", "R2,1,北海道"], encoding="cp932")
    df, problems = read_assignments(path, store_round.reviewers, store_round.applications)
    assert problems.empty
    assert list(zip(df["reviewer"], df["application"])) == [("R1", "01"), ("R2", "01")]


def test_unusable_files_are_one_error(tmp_path, store_round):
    bad_header = tmp_path / "a.csv"
    bad_header.write_text("審査員,応募\nR1,01\n", encoding="utf-8")
    df, problems = read_assignments(bad_header, store_round.reviewers, store_round.applications)
    assert df.empty and problems["severity"].tolist() == ["error"]
    assert problems["message"].iloc[0] == "担当の割当ファイルの見出しが正しくありません（審査員、応募）。"
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\x00")
    _, problems = read_assignments(binary, store_round.reviewers, store_round.applications)
    assert problems["message"].tolist() == ["担当の割当ファイルの文字コードを判別できません。"]
    _, problems = read_assignments(tmp_path / "missing.csv", store_round.reviewers, store_round.applications)
    assert problems["message"].iloc[0].startswith("担当の割当ファイルを読めません")


def _set_yaml_assignments(folder: Path, listed: dict[str, list[str]]) -> None:
    path = folder / "reviewers.yaml"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        out.append(line)
        if line.strip().startswith("- id:"):
            rid = line.split(":", 1)[1].strip()
            if rid in listed:
                out.append(f"    assignments: {listed[rid]!r}".replace("'", '"'))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_reviewers_yaml_assignments_take_precedence(demo_round_copy):
    _edit(demo_round_copy / "assignments.csv", ["R1,01,北海道"])
    _set_yaml_assignments(
        demo_round_copy,
        {
            "R1": ["01", "02"],
            "R2": ["02", "03"],
            "R3": ["01", "03"],
            "R4": ["01"],
            "R5": ["02"],
            "R6": ["03", "20"],
        },
    )
    rnd = load_round(demo_round_copy)
    assert rnd.assignment_source == "reviewers.yaml"
    pairs = set(zip(rnd.assignments()["reviewer"], rnd.assignments()["application"]))
    assert ("R6", "20") not in pairs and ("R2", "03") in pairs and len(pairs) == 9
    msgs = rnd.problems["message"].tolist()
    assert "reviewers.yaml に担当があるため、assignments.csv は使いません。" in msgs
    assert any(
        "審査員 R6（架空 六花）は応募 20 と利害関係があります" in m for m in msgs
    )  # the loader's own check
    assert any(m.startswith("応募 10（群馬県）を担当する審査員がいません") for m in msgs)
    assert main(["assign", "--round", str(demo_round_copy), "--per-application", "3"]) == 1


def test_missing_yaml_assignments_of_one_reviewer_is_a_warning(demo_round_copy):
    _set_yaml_assignments(demo_round_copy, {"R1": ["01"]})
    rnd = load_round(demo_round_copy)
    msgs = rnd.problems["message"].tolist()
    assert "審査員 R2（架空 二葉）の担当が reviewers.yaml にありません（担当なしとして扱います）。" in msgs


def test_default_is_everyone_except_conflicts(store_round):
    df = store_round.assignments()
    assert store_round.assignment_source == "全件"
    assert len(df) == 6 * 16 - 1
    assert ("R6", "20") not in set(zip(df["reviewer"], df["application"]))


# --------------------------------------------------------------------------- command line


def test_cli_assign_writes_and_refuses_to_overwrite(demo_round_copy, capsys):
    assert main(["assign", "--round", str(demo_round_copy), "--per-application", "3", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "担当の割当案" in out and "審査員ごとの担当数" in out and "書き出しました" in out
    written = (demo_round_copy / "assignments.csv").read_bytes()
    assert main(["assign", "--round", str(demo_round_copy), "--per-application", "2"]) == 1
    assert "は既にあります" in capsys.readouterr().err
    assert (demo_round_copy / "assignments.csv").read_bytes() == written
    assert main(["assign", "--round", str(demo_round_copy), "--per-application", "2", "--force"]) == 0
    rnd = load_round(demo_round_copy)
    assert len(rnd.assignments()) == 30  # 15 × 2: the late 秋田 (05) is 対象外, left out (issue 19)
    with rnd.store() as store:  # the store's status table follows the assignments
        assert len(store.statuses()) == 30
