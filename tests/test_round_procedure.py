"""The README's procedure for a whole round, followed command by command.

The section 「審査の手順（様式配布から決定まで）」 of README.md is read, and every command of
its ``bash`` blocks is run in order with bash, in a fresh project folder (``.venv/bin/python``
is this interpreter, ``data/demo`` a copy of the demo round, ``~`` a temporary home). What
people do between the commands (edit round.yaml, receive the forms, fill in 採点表) is done
by this test at the step where the README says so. The round is like a real R8 round:

- 30 forms from prefectures, typed the way people type (全角, 「６人」, 「有」, theme names);
- 05 秋田 late (accepted), 13 東京 late (not accepted), 20 長野 sent with an error and
  corrected after the deadline (keeps its original receipt time), 46 鹿児島 resubmitted;
- a プッシュ型 application for 39 高知 written from the candidates and filed after the
  deadline (the deadline does not apply to it);
- 8 reviewers, three with conflicts, scoring offline in Excel; one returns late.

A change to the README's commands changes what this test runs; an example code in the
README that the round does not have (05, 13, 20, 39, 46, R3) fails it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from roundcopy import copy_demo_round
from warmpython import WarmPython

from scoring.demo.simulate import ReviewerBehaviour, latent_merit, simulate_scores
from scoring.intake.template import example_values, write_template
from scoring.review.sheets import FIRST_ROW, SCORE_SHEET, sheet_columns
from scoring.round.loader import load_round

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## 審査の手順"
D = dt.datetime

#: 30 applicants (JIS codes); 39 高知 becomes the プッシュ型 one in step 5.
CODES = [
    "01",
    "02",
    "03",
    "04",
    "05",
    "07",
    "08",
    "10",
    "13",
    "15",
    "16",
    "17",
    "18",
    "20",
    "22",
    "24",
    "26",
    "28",
    "30",
    "32",
    "33",
    "35",
    "36",
    "37",
    "40",
    "42",
    "43",
    "44",
    "46",
    "47",
]
THEMES = "ABCDEF"
#: How people type some of the cells (each value is read as the canonical one; tests/intake).
TYPED: list[dict[str, object]] = [
    {"dx_body_exists": "有"},
    {"pool_status": "構築済み"},
    {"theme": "Ａ"},
    {"application_type": "手上げ"},
    {"pool_size_total": "６人"},
    {"dx_body_exists": "○"},
    {"pool_status": "未 構 築"},
    {},
    {"hr_coordination": "合意済み"},
]
THEME_TYPED = {"A": "共同調達", "D": "ﾃﾞｰﾀ利活用", "F": "ＡＩ"}

REVIEWERS_YAML = """\
reviewers:
  - {id: R1, name: 試験 一郎, role: 総務省, conflicts: []}
  - {id: R2, name: 試験 二葉, role: 総務省, conflicts: []}
  - {id: R3, name: 試験 三郎, role: 総務省, conflicts: []}
  - {id: R4, name: 試験 四季, role: 委託事業者, conflicts: ["13"]}
  - {id: R5, name: 試験 五郎, role: 有識者, conflicts: []}
  - {id: R6, name: 試験 六花, role: 有識者, conflicts: [長野]}
  - {id: R7, name: 試験 七海, role: 有識者, conflicts: []}
  - {id: R8, name: 試験 八雲, role: 有識者, conflicts: ["46", "47"]}
"""
CONFLICTS = {("R4", "13"), ("R6", "20"), ("R8", "46"), ("R8", "47")}
LATE_REVIEWER = "R7"  # returns one application late (step 8)
NEVER_REVIEWER = "R8"  # never returns one application: excused in step 8


@dataclass
class Step:
    title: str
    commands: list[str] = field(default_factory=list)


def readme_steps() -> list[Step]:
    """The procedure section's steps (``#### N. title``) and their bash commands, in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + 1)
    section = text[start : end if end > 0 else None]
    steps: list[Step] = []
    in_block = False
    for line in section.splitlines():
        if line.startswith("#### "):
            steps.append(Step(line[5:].strip()))
        elif line.strip().startswith("```"):
            in_block = line.strip() == "```bash" if not in_block else False
        elif in_block and line.strip() and not line.lstrip().startswith("#"):
            steps[-1].commands.append(line.strip())
    return steps


class Runner:
    """Runs README lines with bash in a fresh project folder, keeping ``R`` between lines."""

    def __init__(self, tmp: Path) -> None:
        self.project = tmp / "project"
        self.home = tmp / "home"
        self.home.mkdir()
        copy_demo_round(self.project)
        shutil.rmtree(self.project / "rubrics")  # a copied round must find its rubric without it
        self.env = {k: v for k, v in os.environ.items() if k != "SCORING_DATABASE_URL"}
        self.env.update(HOME=str(self.home), LANG="C.UTF-8", COLUMNS="200")
        self.round: Path | None = None
        # .venv/bin/python: this interpreter; its `-m scoring` commands run as children of a warm
        # one that has the libraries imported already (tests/warmpython.py: ~2 s CPU fewer each)
        self.warm = WarmPython(tmp, self.env, self.project).start()
        venv_bin = self.project / ".venv" / "bin"
        venv_bin.mkdir(parents=True)
        self.warm.write_shim(venv_bin / "python")

    def close(self) -> None:
        self.warm.stop()

    def run(self, line: str, *, expect: int | tuple[int, ...] = 0) -> subprocess.CompletedProcess[str]:
        m = re.match(r"^R=(\S+)", line)
        if m:
            out = subprocess.run(
                ["bash", "-c", f'R={m.group(1)}; printf %s "$R"'],
                env=self.env,
                capture_output=True,
                text=True,
                check=True,
            )
            self.env["R"] = out.stdout
            self.round = Path(out.stdout)
            return out
        res = subprocess.run(
            ["bash", "-c", line],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        allowed = (expect,) if isinstance(expect, int) else expect
        assert res.returncode in allowed, (
            f"README: {line}\n終了コード {res.returncode}（期待 {allowed}）\n"
            f"{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
        )
        return res

    @property
    def r(self) -> Path:
        assert self.round is not None, "README の手順 1 が R= を設定していません"
        return self.round


def _form(code: str, i: int, **overrides: object) -> dict[str, object]:
    theme = THEMES[i % 6]
    values = example_values(
        code,
        theme=THEME_TYPED.get(theme, theme),
        submitted_at=D(2026, 2, 10 + i % 9, 9 + i % 8, 5 * (i % 12)),
        target_headcount=4 + (i * 7) % 17,
        pool_status=("未構築", "構築中", "構築済")[i % 3],
    )
    values.update(TYPED[i % len(TYPED)] if "theme" not in TYPED[i % len(TYPED)] or theme == "A" else {})
    values.update(overrides)
    return values


def receive_forms(apps: Path) -> None:
    """The forms as they arrive by the deadline (and the late ones); 20's has an error."""
    for i, code in enumerate(CODES):
        over: dict[str, object] = {}
        name = f"{code}_応募書.xlsx"
        if code == "05":
            over["submitted_at"] = D(2026, 2, 21, 10, 30)  # late, to be accepted
        elif code == "13":
            over["submitted_at"] = D(2026, 2, 24, 9, 0)  # late, not accepted
        elif code == "20":
            over.update(submitted_at=D(2026, 2, 19, 16, 40), pool_size_total="約６人")  # an error
        elif code == "46":
            over["submitted_at"] = D(2026, 2, 10, 11, 0)
        write_template(apps / name, _form(code, i, **over))
    # 46 sends a new version before the deadline (a resubmission)
    write_template(
        apps / "46_応募書_差し替え.xlsx",
        _form("46", CODES.index("46"), submitted_at=D(2026, 2, 18, 15, 0), target_headcount=14),
    )


def fill_sheet(path: Path, rnd_path: Path, scores: pd.DataFrame, skip: set[str]) -> Path:
    """Fill a reviewer's 採点表 with their simulated scores (applications in ``skip`` left blank)."""
    rnd = load_round(rnd_path)
    cols = {c.key: j for j, c in enumerate(sheet_columns(rnd.rubric), start=1)}
    wb = openpyxl.load_workbook(path)
    ws = wb[SCORE_SHEET]
    rows = {str(ws.cell(row=r, column=1).value): r for r in range(FIRST_ROW, ws.max_row + 1)}
    for rec in scores.itertuples():
        if rec.application in skip:
            continue
        r = rows[str(rec.application)]
        ws.cell(row=r, column=cols[f"score:{rec.criterion}"]).value = int(rec.score)
        if rec.comment:
            ws.cell(row=r, column=cols[f"comment:{rec.criterion}"]).value = str(rec.comment)
    wb.save(path)
    return path


def _pair_line(line: str, reviewer: str, application: str) -> str:
    """A README line with its example reviewer and application replaced by the round's."""
    line = re.sub(r"--reviewer \S+", f"--reviewer {reviewer}", line)
    return re.sub(r"--application \S+", f"--application {application}", line)


def _step_8_excuse_and_reopen(
    run: Runner, excuse: list[str], reopen: list[str], never: tuple[str, str], scores: pd.DataFrame
) -> None:
    """Step 8's records: the pair never returned is excused (progress then 0); a submitted review
    of 20 is reopened (the reviewer submits it again with the next import)."""
    assert excuse and reopen, "README の手順 8 に excuse と reopen がありません"
    assert "免除 1 組" in run.run(_pair_line(excuse[0], *never)).stdout
    who = min(set(scores.loc[scores["application"] == "20", "reviewer"]))
    assert "再開を記録しました" in run.run(_pair_line(reopen[0], who, "20")).stdout


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    """The README's commands in a fresh project folder in ``tmp_path`` (see :class:`Runner`)."""
    run = Runner(tmp_path)
    try:
        yield run
    finally:
        run.close()


def test_the_readme_procedure_runs_a_whole_round(runner: Runner) -> None:
    steps = readme_steps()
    titles = [s.title for s in steps]
    for word in (
        "準備",
        "様式配布",
        "受付",
        "受付の判断",
        "プッシュ型",
        "割当",
        "採点",
        "進捗確認",
        "統合",
        "協議",
        "委員会",
        "決定",
    ):
        assert any(word in t for t in titles), f"README の手順に「{word}」がありません: {titles}"
    run = runner
    by = {s.title.split(".", 1)[0]: s for s in steps}

    def commands(n: str, word: str = "") -> list[str]:
        return [c for c in by[n].commands if word in c]

    # 1. 準備: the commands, then the analyst edits round.yaml and reviewers.yaml as README says
    for line in by["1"].commands:
        run.run(line)
    r = run.r
    assert not list((r / "applications").glob("*.xlsx")) and not (r / "scores.sqlite").exists()
    ry = (r / "round.yaml").read_text(encoding="utf-8")
    ry = re.sub(
        r"^name:.*$",
        "name: 令和8年度 自治体デジタル人材確保支援事業 審査（手順のテスト）",
        ry,
        flags=re.MULTILINE,
    )
    ry = re.sub(r"^demo:.*\n", "", ry, flags=re.MULTILINE)
    (r / "round.yaml").write_text(ry, encoding="utf-8")
    (r / "reviewers.yaml").write_text(REVIEWERS_YAML, encoding="utf-8")

    # 2. 様式配布
    for line in by["2"].commands:
        run.run(line)
    assert (r / "様式" / "応募書様式.xlsx").is_file()

    # 3. 受付と検査: 20's form has an error → exit 1, with its cell
    receive_forms(r / "applications")
    res = run.run(commands("3", "validate")[0], expect=1)
    assert "20_応募書.xlsx" in res.stdout and "数値" in res.stdout
    assert "期限後" in res.stdout
    assert "置き換えられました" in res.stdout  # 46's first file, once, as information
    rnd = load_round(r)
    assert rnd.rubric.id and len(rnd.applications) == 30

    # 4. 受付の判断: the corrected 20 arrives after the deadline, then the README's records
    write_template(
        r / "applications" / "20_応募書_訂正.xlsx",
        _form("20", CODES.index("20"), submitted_at=D(2026, 2, 25, 10, 0)),
    )
    for line in by["4"].commands:
        res = run.run(line)
    rnd = load_round(r)
    el = rnd.eligibility
    assert el is not None
    assert "受理" in str(el.loc["05", "status"]), el.loc["05"].to_dict()
    assert "未受理" in str(el.loc["13", "status"]), el.loc["13"].to_dict()
    assert Path(str(el.loc["20", "file"])).name == "20_応募書_訂正.xlsx"  # the corrected file is used …
    received_20 = pd.Timestamp(el.loc["20", "received_at"])  # … with the original receipt time
    assert received_20.tz_convert("Asia/Tokyo").tz_localize(None) == pd.Timestamp(D(2026, 2, 19, 16, 40))
    assert not bool(el.loc["20", "late"])
    assert Path(str(el.loc["46", "file"])).name == "46_応募書_差し替え.xlsx"
    problems = rnd.problems
    assert (problems["severity"] != "error").all(), problems.to_string()
    superseded = problems[problems["message"].str.contains("置き換えられました")]
    assert sorted(superseded["file"].map(lambda f: Path(str(f)).name)) == ["20_応募書.xlsx", "46_応募書.xlsx"]
    assert (superseded["severity"] == "info").all()

    # 5. プッシュ型: the candidates, then the form for 39 高知, completed after the hearing (late)
    for line in by["5"].commands:
        res = run.run(line)
    pushed = sorted((r / "applications").glob("39_*.xlsx"))
    assert len(pushed) == 1
    write_template(
        pushed[0],
        example_values("39", application_type="プッシュ型", theme="E", submitted_at=D(2026, 3, 2, 14, 0)),
    )
    rnd = load_round(r)
    assert rnd.applications.loc["39", "application_type"] == "プッシュ型"
    assert not bool(rnd.applications.loc["39", "late"])
    assert bool(rnd.applications.loc["13", "late"])
    run.run(f'.venv/bin/python -m scoring validate "{r}"')

    # 6. 割当
    for line in by["6"].commands:
        run.run(line)
    asg = pd.read_csv(r / "assignments.csv", dtype=str)
    pairs = set(zip(asg["reviewer"], asg["application"]))
    assert not pairs & CONFLICTS
    # every application in the review; 13 (late, not accepted) is 対象外 and left out (issue 19)
    assert set(asg["application"]) == set(load_round(r).applications.index) - {"13"}

    # 7. 採点: packets, every reviewer fills in their 採点表 (R7 leaves one out), import with --submit
    packet_lines = [c for c in by["7"].commands if "packets" in c]
    import_lines = [c for c in by["7"].commands if "sheets import" in c]
    assert packet_lines and import_lines
    for line in packet_lines:
        run.run(line)
    rnd = load_round(r)
    merit = latent_merit(rnd.rubric, rnd.applications, seed=8)
    behaviour = {
        "R2": ReviewerBehaviour(bias=0.6),
        "R5": ReviewerBehaviour(bias=-0.6),
        "R8": ReviewerBehaviour(spread=0.6),
    }
    scores = simulate_scores(rnd.rubric, rnd.assignments(), merit, behaviour, seed=9)
    returned = r / "返送"
    returned.mkdir()
    late_app, never = "", ("", "")
    for z in sorted((r / "審査資料").glob("*.zip")):
        reviewer = z.stem.split("_")[-1]
        with zipfile.ZipFile(z) as zf:
            names = zf.namelist()
            in_packet = {
                Path(n).stem for n in names if "応募書" in n and n.endswith(".xlsx") and "採点表" not in n
            }
            mine = set(asg.loc[asg["reviewer"] == reviewer, "application"])
            assert {a for a in in_packet if a.isdigit()} <= mine, (reviewer, in_packet)
            assert not {a for (rv, a) in CONFLICTS if rv == reviewer} & in_packet
            sheet = next(n for n in names if Path(n).name.startswith("採点表_"))
            target = returned / Path(sheet).name
            target.write_bytes(zf.read(sheet))
        skip = set()
        if reviewer == LATE_REVIEWER:
            late_app = max(mine)
            skip = {late_app}
        elif reviewer == NEVER_REVIEWER:
            never = (reviewer, min(a for a in mine if a != "20"))
            skip = {never[1]}
        fill_sheet(target, r, scores[scores["reviewer"] == reviewer], skip)
    assert len(list(returned.glob("*.xlsx"))) == 8 and late_app
    for line in import_lines:
        run.run(line)

    # 8. 進捗確認: R7's missing application is named; after the late sheet, complete
    progress = commands("8", "progress")
    res = run.run(progress[0], expect=1)
    assert list((r / "reports" / "受領票").glob("受領票_*.xlsx"))  # written by the import with --submit
    assert LATE_REVIEWER in res.stdout and rnd.applications.loc[late_app, "prefecture_name"] in res.stdout
    assert (r / "reports" / "進捗.xlsx").is_file()
    late_sheet = next(returned.glob(f"*_{LATE_REVIEWER}.xlsx"))
    fill_sheet(
        late_sheet,
        r,
        scores[(scores["reviewer"] == LATE_REVIEWER) & (scores["application"] == late_app)],
        set(),
    )
    for line in import_lines:
        run.run(line)
    run.run(progress[0], expect=1)  # R8 never returns one
    _step_8_excuse_and_reopen(run, commands("8", "excuse"), commands("8", "reopen"), never, scores)
    for line in import_lines:  # the reopened review, submitted again from the same sheet
        run.run(line)
    run.run(progress[0], expect=0)

    # 9. 統合と選定案
    for line in by["9"].commands:
        res = run.run(line)
    assert "選定" in res.stdout

    # 10. 協議: the material, then the README's revision (by a reviewer who scored 20)
    report, revise = commands("10", "report"), commands("10", "revise")
    for line in report:
        run.run(line)
    for name in ("committee.html", "committee.xlsx", "committee.pdf"):
        assert (r / "reports" / name).is_file(), name
    assert not (run.project / "reports").exists()  # reports go to the round's folder
    assert revise
    scorers_20 = sorted(set(scores.loc[scores["application"] == "20", "reviewer"]))
    m = re.search(r"--reviewer (\S+).*--criterion (\S+) --score (\S+)", revise[0])
    assert m
    who = m.group(1) if m.group(1) in scorers_20 else scorers_20[0]
    crit = m.group(2)
    first = float(
        scores.loc[
            (scores["reviewer"] == who) & (scores["application"] == "20") & (scores["criterion"] == crit),
            "score",
        ].iloc[0]
    )
    new = float(m.group(3)) if float(m.group(3)) != first else (first % 5) + 1
    line = (
        revise[0]
        .replace(f"--reviewer {m.group(1)}", f"--reviewer {who}")
        .replace(f"--score {m.group(3)}", f"--score {new:g}")
    )
    run.run(line)

    # 11. 委員会: both stages and the reason are in the material
    for line in by["11"].commands:
        run.run(line)
    html = (r / "reports" / "committee.html").read_text(encoding="utf-8")
    reason = re.search(r'--reason "([^"]+)"', revise[0])
    assert reason and reason.group(1) in html
    assert "協議の一覧" in html and "選定ラインの近く" in html  # the 参考資料's 協議 lists
    assert "採点の再開・免除・担当替え" in html  # step 8's excuse and reopen, with their reasons
    assert "下書き" not in html or "含めて集計" not in html  # only submitted scores count

    # 12. 決定: the committee swaps one of the proposal; reasons are required, 対象外 refused
    from scoring.analysis.committee import build_committee

    c = build_committee(load_round(r), n_boot=50)
    assert c.selection is not None
    proposal = list(c.selection.selected)
    excluded = set(c.exclusion_reasons[c.exclusion_reasons != ""].index)
    assert "13" in excluded and "05" not in excluded and "20" not in excluded and "39" not in excluded
    assert "期限後" in c.exclusion_reasons["13"]
    ranked = [a for a in c.ranked.index if a not in proposal and a not in excluded]
    decided = proposal[:-1] + [ranked[0]]
    decide = commands("12", "decide")[0]
    head = decide.split(" --select ")[0]
    base = f"{head} --select {','.join(decided)} --by 委員長 副委員長"
    res = run.run(base, expect=2)  # differences without reasons
    assert ranked[0] in res.stderr + res.stdout and proposal[-1] in res.stderr + res.stdout
    res = run.run(f"{base} --reason {ranked[0]}=委員会の判断で追加 --reason 13=例外 --select 13", expect=2)
    assert "対象外" in res.stderr + res.stdout
    with_reasons = (
        f"{base} --reason {shlex.quote(ranked[0] + '=地域の波及効果を重視')}"
        f" --reason {shlex.quote(proposal[-1] + '=同じブロックの応募を優先')}"
    )
    res = run.run(with_reasons)
    assert "委員長" in res.stdout and "記録点" in res.stdout
    for line in by["12"].commands[1:]:
        run.run(line)
    letters = list((r / "reports" / "講評").glob("*.pdf"))
    assert len(letters) >= 30
    # one rank definition: the 順位 table, the reasons and the stability table agree (対象外 unranked)
    c = build_committee(load_round(r), n_boot=50)
    assert c.selection is not None
    ranks = pd.DataFrame(
        {"ranked": c.ranked["rank"], "reasons": c.selection.reasons["rank"], "stability": c.stability["rank"]}
    )
    assert len(ranks.dropna()) >= 25
    same = ranks.apply(lambda row: row.isna().all() or row.nunique(dropna=False) == 1, axis=1)
    assert same.all(), ranks[~same]
    assert ranks.loc["13"].isna().all()  # 対象外: no rank anywhere


@pytest.mark.parametrize(
    "word", ["validate", "eligibility", "packets", "sheets import", "progress", "decide"]
)
def test_the_procedure_names_the_command(word: str) -> None:
    assert any(word in c for s in readme_steps() for c in s.commands)
