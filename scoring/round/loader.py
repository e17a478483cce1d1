"""The review round (審査ラウンド): a folder with its settings, applications and reviewers.

A round folder holds::

    round.yaml        name, deadline (with time zone), rubric file, number to select,
                      balance settings, regional block scheme, and the committee's
                      locks / exclusions / eligibility_override (see RoundConfig and
                      the README's round.yaml reference)
    reviewers.yaml    reviewers: id, name, role, affiliation, conflicts, optional assignments
    applications/     one .xlsx 応募書 per application
    assignments.csv   optional: who reviews what (``python -m scoring assign``), when
                      reviewers.yaml does not list assignments
    scores.sqlite     the score store (:mod:`scoring.store.scores`), created by the first
                      write (a score, an import, or ``python -m scoring demo``)

:func:`load_round` only reads: it never creates or writes a file. It applies the
eligibility decisions recorded in the round's store (期限後受理, 訂正, 再提出, 辞退:
:mod:`scoring.round.eligibility`) to ``applications`` and ``problems``, reading them
without creating the store. Settings files that
cannot be used raise :class:`~scoring.core.errors.ConfigError` (every problem with its
file and line); problems with single applications or reviewers never stop the load: they
become rows of ``ReviewRound.problems``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..config.round import ROUND_NAMES, Reviewer, ReviewerList, RoundConfig
from ..config.rubric import Rubric, RubricError, load_rubric
from ..config.yamlfile import line_of, load_yaml, validate_yaml
from ..core.environment import environment
from ..core.errors import ConfigError, ConfigProblem
from ..core.paths import DEMO_ROUND, RUBRICS_DIR
from ..core.reference import block_of
from ..core.roundfacts import ReviewerFacts, RoundFacts
from ..core.schema import PROBLEM_COLUMNS
from ..intake.applications import read_applications
from ..store.scores import ScoreStore, default_url
from .assign import all_pairs, resolve_assignments
from .eligibility import apply_eligibility
from .eligibility_records import EligibilityRecord, read_eligibility_at, recorded_files

__all__ = ["ReviewRound", "load_round", "no_scores_message", "round_path"]


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
        Columns :data:`scoring.core.schema.PROBLEM_COLUMNS`: application files and round-level
        problems (e.g. an assignment to a conflicted application).
    assignment_frame : DataFrame, optional
        The valid assignments found at load (see :meth:`assignments`).
    assignment_source : str
        Where they came from: ``"reviewers.yaml"``, ``"assignments.csv"`` or ``"全件"``.
    analysts, committee : tuple of str
        JupyterHub user names of the 事務局 and of the committee members (reviewers.yaml
        ``analysts`` / ``committee``; see :mod:`scoring.admin.roles`).
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
    analysts: tuple[str, ...] = ()
    committee: tuple[str, ...] = ()
    #: Receipt and eligibility per application after the recorded decisions (期限後受理, 訂正,
    #: 再提出, 辞退): columns :data:`~scoring.core.columns.ELIGIBILITY_COLUMNS` (see
    #: :func:`scoring.round.eligibility.apply_eligibility`).
    eligibility: pd.DataFrame | None = field(default=None, repr=False)
    #: The decisions themselves, oldest first (:mod:`scoring.round.eligibility_records`).
    eligibility_records: list[EligibilityRecord] = field(default_factory=list, repr=False)
    #: Files replaced by a newer submission (``Intake.superseded``).
    superseded: pd.DataFrame | None = field(default=None, repr=False)

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
            {
                "reviewer": r.id,
                "name": r.name,
                "role": r.role,
                "affiliation": r.affiliation,
                "conflicts": "、".join(r.conflicts),
                "hub_user": r.hub_user or "",
            }
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

    def store_facts(self) -> RoundFacts:
        """What the score store checks writes against (:class:`scoring.core.roundfacts.RoundFacts`).

        Built from the round as it is now (rubric, reviewers, applications, assignments).
        """
        apps = self.applications
        names = apps["prefecture_name"] if "prefecture_name" in apps.columns else pd.Series(dtype=str)
        pairs = self.assignments()
        return RoundFacts(
            name=self.config.name,
            path=Path(self.path),
            rubric_version=self.rubric.version,
            criteria=tuple(c.store_facts() for c in self.rubric.criteria),
            reviewers=tuple(ReviewerFacts(r.id, r.name, frozenset(r.conflicts)) for r in self.reviewers),
            applications={str(a): str(names.get(a, "")) for a in apps.index},
            assignments=tuple(zip(pairs["reviewer"].astype(str), pairs["application"].astype(str))),
            include_drafts=bool(getattr(self.config, "include_drafts", False)),
        )

    def store(self, url: str | None = None) -> ScoreStore:
        """Open this round's score store (see :meth:`scoring.store.scores.ScoreStore.open`)."""
        return ScoreStore.open(self, url)

    @property
    def has_errors(self) -> bool:
        """True when any problem has severity ``error``."""
        return bool((self.problems["severity"] == "error").any())


def round_path(path: str | Path | None = None) -> Path:
    """The round folder to use: ``path`` if given, else ``$SCORING_ROUND``, else the demo round."""
    if path is not None and str(path) != "":
        return Path(path)
    env = environment().round
    return Path(env) if env else DEMO_ROUND


def _resolve_rubric(folder: Path, name: str) -> tuple[Path, list[dict[str, str]]]:
    """The rubric file named by round.yaml's ``rubric:``, and an 情報 row when it was found by name.

    Tried in order: the path relative to the round folder (or absolute); the bundled
    ``rubrics/`` folder (:data:`scoring.core.paths.RUBRICS_DIR`) with that path, with
    ``.yaml`` added (``rubric: r8_talent_pool``), and by the file name alone (so that a copy of
    ``data/demo`` whose ``../../rubrics/...`` no longer resolves still finds the bundled
    rubric; an 情報 row says which file was used).

    Raises
    ------
    RubricError
        (a :class:`ConfigError`) Nothing found: the message names the key and every path tried.
    """
    tried: list[Path] = []
    for candidate in ((folder / name), RUBRICS_DIR / name, RUBRICS_DIR / f"{name}.yaml"):
        tried.append(candidate.resolve())
        if candidate.is_file():
            return candidate.resolve(), []
    base = Path(name).name
    for candidate in (RUBRICS_DIR / base, RUBRICS_DIR / f"{base}.yaml"):
        if candidate.resolve() in tried:
            continue
        tried.append(candidate.resolve())
        if candidate.is_file():
            note = {
                "file": str(folder / "round.yaml"),
                "sheet": "",
                "cell": "",
                "field": ROUND_NAMES["rubric"],
                "severity": "info",
                "message": (
                    f"rubric「{name}」はこのフォルダからの相対パスでは見つからないため、"
                    f"同梱の評価基準 {candidate.resolve()} を使いました。"
                ),
                "action": f"意図どおりなら対処は不要です（rubric: {candidate.stem} と書けばこの表示は出ません）。",
            }
            return candidate.resolve(), [note]
    listing = "\n".join(f"  - {t}" for t in tried)
    raise RubricError(
        [
            ConfigProblem(
                str(folder / "round.yaml"),
                None,
                ROUND_NAMES["rubric"],
                f"{ROUND_NAMES['rubric']}に書かれた評価基準のファイル「{name}」が見つかりません。"
                f"次の場所を探しました:\n{listing}\n"
                f"round.yaml の rubric に、ラウンドのフォルダからの相対パス・絶対パス、"
                f"または同梱の評価基準の名前（例: r8_talent_pool）を書いてください。",
            )
        ]
    )


def _demo_problems(folder: Path, config: RoundConfig) -> list[dict[str, str]]:
    """A warning when a copied folder still says ``demo: true`` (the demo's setting must not
    silently carry into a real round: ``python -m scoring demo`` would write simulated scores)."""
    if not config.demo or folder.resolve() == DEMO_ROUND.resolve():
        return []
    return [
        {
            "file": str(folder / "round.yaml"),
            "sheet": "",
            "cell": "",
            "field": ROUND_NAMES["demo"],
            "severity": "warning",
            "message": (
                "round.yaml に demo: true（架空のデモ）があります。このフォルダは同梱のデモではありません。"
                "demo: true のままだと python -m scoring demo で架空の採点を書き込めてしまいます。"
            ),
            "action": "実際の審査ラウンドであれば round.yaml の demo: true の行を削除してください。",
        }
    ]


def _round_problems(
    folder: Path, reviewers: list[Reviewer], applications: pd.DataFrame, node: object
) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    where = str(folder / "reviewers.yaml")
    for i, r in enumerate(reviewers):
        for code in r.assignments or ():
            line = line_of(node, ("reviewers", i, "assignments"))  # type: ignore[arg-type]
            cell = f"{line}行目" if line else ""
            if code in r.conflicts:
                rows.append(
                    {
                        "file": where,
                        "sheet": "",
                        "cell": cell,
                        "field": f"{r.id} の担当",
                        "severity": "error",
                        "message": f"審査員 {r.id}（{r.name}）は応募 {code} と利害関係がありますが、担当に割り当てられています。",
                        "action": "担当から外すか、利害関係の登録を見直してください。",
                    }
                )
            elif code not in applications.index:
                rows.append(
                    {
                        "file": where,
                        "sheet": "",
                        "cell": cell,
                        "field": f"{r.id} の担当",
                        "severity": "warning",
                        "message": f"審査員 {r.id} の担当 {code} に対応する応募がありません。",
                        "action": "応募書が届いているか、担当の都道府県コードを確認してください。",
                    }
                )
    return rows


def _require_folder(folder: Path, message: str) -> None:
    """Raise a :class:`ConfigError` naming ``folder`` with ``message`` when it is not a folder."""
    if not folder.is_dir():
        raise ConfigError([ConfigProblem(str(folder), None, "", message)])


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
    _require_folder(
        folder, "審査ラウンドのフォルダが見つかりません。パス（SCORING_ROUND）を確認してください。"
    )
    config = validate_yaml(folder / "round.yaml", RoundConfig, names=ROUND_NAMES)
    rubric_path, rubric_notes = _resolve_rubric(folder, config.rubric)
    rubric = load_rubric(rubric_path)
    rdata, rnode = load_yaml(folder / "reviewers.yaml")
    people = validate_yaml(folder / "reviewers.yaml", ReviewerList, data=rdata, node=rnode, names=ROUND_NAMES)
    reviewers = list(people.reviewers)

    apps_dir = folder / "applications"
    _require_folder(
        apps_dir, "applications フォルダがありません。応募書（.xlsx）をこのフォルダに置いてください。"
    )
    records = read_eligibility_at(default_url(folder), config.name)
    intake = read_applications(apps_dir, deadline=config.deadline, recorded=recorded_files(records))
    applications, intake_problems, eligibility = apply_eligibility(
        intake.applications,
        intake.problems,
        records,
        deadline=config.deadline,
        superseded=intake.superseded,
        round_path=folder,
    )
    if len(applications):
        applications["block"] = [block_of(code, config.block_scheme) for code in applications.index]
    extra = pd.DataFrame(
        _round_problems(folder, reviewers, applications, rnode)
        + rubric_notes
        + _demo_problems(folder, config),
        columns=list(PROBLEM_COLUMNS),
    )
    assignments, assignment_source, assignment_problems = resolve_assignments(folder, reviewers, applications)
    parts = [p for p in (intake_problems, extra, assignment_problems) if len(p)]
    problems = pd.concat(parts, ignore_index=True) if parts else intake_problems
    rnd = ReviewRound(
        folder,
        config,
        rubric,
        reviewers,
        applications,
        problems.reset_index(drop=True),
        assignment_frame=assignments,
        assignment_source=assignment_source,
        analysts=people.analysts,
        committee=people.committee,
        eligibility=eligibility,
        eligibility_records=list(records),
        superseded=intake.superseded,
    )
    return rnd


def no_scores_message(rnd: ReviewRound, where: str | None = None) -> str:
    """What to tell a user who opens a round without scores: how to create or import them.

    ``where`` is the store's URL when known (shown so that a wrong database is noticed).
    """
    at = f"（採点データベース: {where}）" if where else ""
    demo = (
        f"デモのラウンドなので、架空の採点を python -m scoring demo --round {rnd.path} で作れます。"
        if rnd.config.demo
        else ""
    )
    return (
        f"審査ラウンド「{rnd.config.name}」にはまだ採点がありません{at}。"
        "審査員が 02_review.ipynb で採点するか、事務局が採点表を取り込んでください"
        f"（python -m scoring sheets import --round {rnd.path} 採点表/*.xlsx）。{demo}"
    )
