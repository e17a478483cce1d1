"""The review round (審査ラウンド): a folder with its settings, applications and reviewers.

A round folder holds::

    round.yaml        name, deadline (with time zone), rubric file, number to select,
                      balance settings, regional block scheme, and the committee's
                      locks / exclusions / eligibility_override (see RoundConfig)
    reviewers.yaml    reviewers: id, name, role, affiliation, conflicts, optional assignments
    applications/     one .xlsx 応募書 per application
    assignments.csv   optional: who reviews what (``python -m scoring assign``), when
                      reviewers.yaml does not list assignments
    scores.sqlite     the score store (:mod:`scoring.store`); for the demo round it is
                      created with simulated scores when missing

:func:`load_round` reads and validates all of it. Settings files that cannot be used
raise :class:`~scoring.yamlfile.ConfigError` (every problem with its file and line);
problems with single applications or reviewers never stop the load: they become rows of
``ReviewRound.problems``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from .applications import read_applications
from .assign import all_pairs, resolve_assignments
from .normalize import parse_prefecture
from .reference import BLOCK_SCHEMES, block_of
from .rubric import Rubric, load_rubric
from .schema import PROBLEM_COLUMNS
from .yamlfile import ConfigError, ConfigProblem, line_of, load_yaml, validate_yaml

if TYPE_CHECKING:
    from .store import ScoreStore

__all__ = [
    "DEMO_ROUND",
    "PROJECT_DIR",
    "ROLES",
    "Balance",
    "ReviewRound",
    "Reviewer",
    "ReviewerList",
    "RoundConfig",
    "SelectSpec",
    "load_round",
    "round_path",
]

PROJECT_DIR = Path(__file__).resolve().parent.parent
#: The embedded demo round, used when no other round is chosen.
DEMO_ROUND = PROJECT_DIR / "data" / "demo"
ROLES: tuple[str, ...] = ("総務省", "委託事業者", "有識者")


def _prefecture_codes(v: object) -> tuple[str, ...]:
    """A YAML list of prefectures (codes or names such as 長野県, 長野, 20) → JIS codes."""
    if not isinstance(v, (list, tuple)):
        raise ValueError("都道府県のリストにしてください（例: [\"20\", \"長野県\"]）")
    return tuple(parse_prefecture(x) for x in v)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SelectSpec(_Strict):
    """How many applications to select: a target and an allowed range (おおむね5団体程度)."""

    target: int = Field(5, ge=1)
    min: int | None = Field(None, ge=1)
    max: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _range(self) -> SelectSpec:
        lo = self.min if self.min is not None else self.target
        hi = self.max if self.max is not None else self.target
        if not lo <= self.target <= hi:
            raise ValueError(f"選定数の範囲が正しくありません: min {lo} ≤ target {self.target} ≤ max {hi} にしてください")
        return self


class Balance(_Strict):
    """Balance settings for the selection step. ``None`` means no limit."""

    max_per_block: int | None = Field(None, ge=1)
    max_per_theme: int | None = Field(None, ge=1)
    min_distinct_themes: int | None = Field(None, ge=1, le=6)
    max_push: int | None = Field(None, ge=0)
    min_push: int | None = Field(None, ge=0)


class RoundConfig(_Strict):
    """Contents of ``round.yaml``."""

    name: str = Field(min_length=1)
    deadline: AwareDatetime
    rubric: str = Field(min_length=1)
    select: SelectSpec = SelectSpec()
    block_scheme: str = "8blocks"
    balance: Balance = Balance()
    #: 必ず含める: applications the committee locks into the selection (codes or names).
    locks: tuple[str, ...] = ()
    #: Applications the committee excludes from the selection (codes or names).
    exclusions: tuple[str, ...] = ()
    #: Late applications (期限後提出) or applications with errors that the analyst
    #: nevertheless makes eligible for selection (codes or names).
    eligibility_override: tuple[str, ...] = ()
    description: str = ""

    @field_validator("locks", "exclusions", "eligibility_override", mode="before")
    @classmethod
    def _pref_codes(cls, v: object) -> object:
        return () if v is None else _prefecture_codes(v)

    @model_validator(mode="after")
    def _lock_exclusion(self) -> RoundConfig:
        both = sorted(set(self.locks) & set(self.exclusions))
        if both:
            raise ValueError(f"{'、'.join(both)} が locks（必ず含める）と exclusions（除外）の両方に指定されています。どちらかにしてください")
        return self

    @field_validator("select", mode="before")
    @classmethod
    def _select_int(cls, v: object) -> object:
        return {"target": v} if isinstance(v, int) else v

    @field_validator("block_scheme")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if v not in BLOCK_SCHEMES:
            raise ValueError(f"地方ブロック区分 '{v}' は定義されていません。次のいずれかにしてください: {'、'.join(BLOCK_SCHEMES)}")
        return v


class Reviewer(_Strict):
    """One reviewer (審査員) from ``reviewers.yaml``.

    ``conflicts`` (利害関係) and ``assignments`` are application ids (JIS codes); names
    such as 長野県 or 長野 are accepted in the file and normalised to codes.
    """

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: Literal["総務省", "委託事業者", "有識者"]
    affiliation: str = ""
    conflicts: tuple[str, ...] = ()
    assignments: tuple[str, ...] | None = None
    hub_user: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_str(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v

    @field_validator("conflicts", "assignments", mode="before")
    @classmethod
    def _codes(cls, v: object) -> object:
        return v if v is None else _prefecture_codes(v)


class ReviewerList(_Strict):
    """Contents of ``reviewers.yaml``."""

    reviewers: tuple[Reviewer, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ReviewerList:
        seen: set[str] = set()
        for r in self.reviewers:
            if r.id in seen:
                raise ValueError(f"審査員ID '{r.id}' が重複しています。IDは一意にしてください")
            seen.add(r.id)
        users = [r.hub_user for r in self.reviewers if r.hub_user]
        if len(users) != len(set(users)):
            raise ValueError("hub_user が重複しています。JupyterHub のユーザー名は一人一つにしてください")
        return self


@dataclass
class ReviewRound:
    """A loaded, validated review round.

    Attributes
    ----------
    path : Path
        The round folder.
    config : RoundConfig
        Settings from round.yaml.
    rubric : Rubric
        The rubric named by round.yaml.
    reviewers : list of Reviewer
        Each with an ``id``.
    applications : DataFrame
        One row per application, index ``application`` (JIS code); columns as documented
        in :func:`scoring.read_applications`, with ``block`` recomputed for the round's
        block scheme.
    problems : DataFrame
        Columns :data:`scoring.schema.PROBLEM_COLUMNS`: application files and round-level
        problems (e.g. an assignment to a conflicted application).
    assignment_frame : DataFrame, optional
        The valid assignments found at load (see :meth:`assignments`).
    assignment_source : str
        Where they came from: ``"reviewers.yaml"``, ``"assignments.csv"`` or ``"全件"``.
    """

    path: Path
    config: RoundConfig
    rubric: Rubric
    reviewers: list[Reviewer]
    applications: pd.DataFrame
    problems: pd.DataFrame
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    assignment_frame: pd.DataFrame | None = field(default=None, repr=False)
    assignment_source: str = ""

    @property
    def name(self) -> str:
        return self.config.name

    def reviewer(self, reviewer_id: str) -> Reviewer:
        """The reviewer with this id (``KeyError`` with a Japanese message if unknown)."""
        for r in self.reviewers:
            if r.id == reviewer_id:
                return r
        raise KeyError(f"審査員ID '{reviewer_id}' は reviewers.yaml にありません")

    def reviewers_frame(self) -> pd.DataFrame:
        """Reviewers as a table: index ``reviewer``; name, role, affiliation, conflicts."""
        rows = [
            {"reviewer": r.id, "name": r.name, "role": r.role, "affiliation": r.affiliation,
             "conflicts": "、".join(r.conflicts), "hub_user": r.hub_user or ""}
            for r in self.reviewers
        ]
        return pd.DataFrame(rows).set_index("reviewer")

    def assignments(self) -> pd.DataFrame:
        """Who reviews what: columns ``reviewer``, ``application``; one row per pair.

        From reviewers.yaml (``assignments:``), else ``assignments.csv`` in the round
        folder, else every reviewer × every application they are not in conflict with.
        Rows that break a rule (conflict, unknown reviewer or application) are left out
        and reported in :attr:`problems` at load.
        """
        if self.assignment_frame is None:
            return all_pairs(self.reviewers, self.applications)
        return self.assignment_frame.copy()

    def store(self, url: str | None = None) -> ScoreStore:
        """Open this round's score store (see :meth:`scoring.store.ScoreStore.open`)."""
        from .store import ScoreStore

        return ScoreStore.open(self, url)

    @property
    def has_errors(self) -> bool:
        """True when any problem has severity ``error``."""
        return bool((self.problems["severity"] == "error").any())


def round_path(path: str | Path | None = None) -> Path:
    """The round folder to use: ``path`` if given, else ``$SCORING_ROUND``, else the demo round."""
    if path is not None and str(path) != "":
        return Path(path)
    env = os.environ.get("SCORING_ROUND", "").strip()
    return Path(env) if env else DEMO_ROUND


def _resolve_rubric(folder: Path, name: str) -> Path:
    """A rubric path from round.yaml: relative to the round folder, else in ``rubrics/``."""
    candidate = (folder / name).resolve()
    if candidate.exists():
        return candidate
    bundled = PROJECT_DIR / "rubrics" / name
    if bundled.exists():
        return bundled
    bundled_yaml = PROJECT_DIR / "rubrics" / f"{name}.yaml"
    return bundled_yaml if bundled_yaml.exists() else candidate


def _round_problems(folder: Path, reviewers: list[Reviewer], applications: pd.DataFrame, node: object) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    where = str(folder / "reviewers.yaml")
    for i, r in enumerate(reviewers):
        for code in r.assignments or ():
            line = line_of(node, ("reviewers", i, "assignments"))  # type: ignore[arg-type]
            cell = f"{line}行目" if line else ""
            if code in r.conflicts:
                rows.append(dict(file=where, sheet="", cell=cell, field=f"{r.id} の担当",
                                 severity="error",
                                 message=f"審査員 {r.id}（{r.name}）は応募 {code} と利害関係がありますが、担当に割り当てられています。",
                                 action="担当から外すか、利害関係の登録を見直してください。"))
            elif code not in applications.index:
                rows.append(dict(file=where, sheet="", cell=cell, field=f"{r.id} の担当",
                                 severity="warning",
                                 message=f"審査員 {r.id} の担当 {code} に対応する応募がありません。",
                                 action="応募書が届いているか、担当の都道府県コードを確認してください。"))
    return rows


def load_round(path: str | Path | None = None) -> ReviewRound:
    """Load and validate a review round folder.

    Parameters
    ----------
    path : str or Path, optional
        The round folder. Default: ``$SCORING_ROUND`` if set, else the demo round
        ``data/demo``.

    Returns
    -------
    ReviewRound
        With ``applications``, ``rubric``, ``reviewers`` and ``problems``.

    Raises
    ------
    ConfigError
        The folder, round.yaml, reviewers.yaml or the rubric cannot be used; the message
        lists every problem with its file and line.
    """
    folder = round_path(path)
    if not folder.is_dir():
        raise ConfigError([ConfigProblem(str(folder), None, "",
                                         "審査ラウンドのフォルダが見つかりません。パス（SCORING_ROUND）を確認してください。")])
    config = validate_yaml(folder / "round.yaml", RoundConfig)
    rubric = load_rubric(_resolve_rubric(folder, config.rubric))
    rdata, rnode = load_yaml(folder / "reviewers.yaml")
    reviewers = list(validate_yaml(folder / "reviewers.yaml", ReviewerList, data=rdata, node=rnode).reviewers)

    apps_dir = folder / "applications"
    if not apps_dir.is_dir():
        raise ConfigError([ConfigProblem(str(apps_dir), None, "",
                                         "applications フォルダがありません。応募書（.xlsx）をこのフォルダに置いてください。")])
    intake = read_applications(apps_dir, deadline=config.deadline)
    applications = intake.applications.copy()
    if len(applications):
        applications["block"] = [block_of(code, config.block_scheme) for code in applications.index]
    extra = pd.DataFrame(_round_problems(folder, reviewers, applications, rnode), columns=list(PROBLEM_COLUMNS))
    assignments, assignment_source, assignment_problems = resolve_assignments(folder, reviewers, applications)
    parts = [p for p in (intake.problems, extra, assignment_problems) if len(p)]
    problems = pd.concat(parts, ignore_index=True) if parts else intake.problems
    rnd = ReviewRound(folder, config, rubric, reviewers, applications, problems.reset_index(drop=True),
                      assignment_frame=assignments, assignment_source=assignment_source)
    _seed_demo_scores(rnd)
    return rnd


def _seed_demo_scores(rnd: ReviewRound) -> None:
    """The demo round gets simulated scores when its scores.sqlite is missing (or empty).

    Only for the bundled demo round and its default SQLite store (not when
    ``$SCORING_DATABASE_URL`` points elsewhere). A failure (e.g. a read-only folder) becomes
    a warning in ``rnd.problems``; it never stops the load.
    """
    from .store import DB_FILENAME, ENV_DATABASE_URL

    if rnd.path.resolve() != DEMO_ROUND.resolve() or os.environ.get(ENV_DATABASE_URL, "").strip():
        return
    db = rnd.path / DB_FILENAME
    if db.exists() and _has_events(db):
        return
    from sqlalchemy.exc import SQLAlchemyError

    from .simulate import ensure_demo_scores

    try:
        ensure_demo_scores(rnd)
    except (OSError, ValueError, SQLAlchemyError) as e:
        row = dict(file=str(rnd.path / DB_FILENAME), sheet="", cell="", field="採点データ", severity="warning",
                   message=f"デモの採点データを作成できませんでした: {e}",
                   action="フォルダの書き込み権限を確認し、python -m scoring demo --round で作成してください。")
        rnd.problems = pd.concat([rnd.problems, pd.DataFrame([row], columns=list(PROBLEM_COLUMNS))],
                                 ignore_index=True)


def _has_events(db: Path) -> bool:
    """Whether a SQLite score store already holds events (read only; False if unreadable)."""
    import sqlite3

    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = con.execute("SELECT last_id FROM score_chain_head WHERE id = 1").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])
