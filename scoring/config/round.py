"""Settings models of a review round: ``round.yaml`` and ``reviewers.yaml``.

:class:`RoundConfig` (with :class:`SelectSpec` and :class:`Balance`, the selection step's
settings) and :class:`Reviewer` / :class:`ReviewerList` are pydantic models: every problem
in a file becomes a Japanese message with its file and line (:mod:`scoring.config.yamlfile`).
Reading the round folder itself is :func:`scoring.round.load_round`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.errors import ConfigError, ConfigProblem
from ..core.normalize import parse_prefecture
from ..core.reference import BLOCK_SCHEMES
from .letters import LetterSettings
from .yamlfile import read_settings_text

__all__ = [
    "ROLES",
    "ROUND_NAMES",
    "Balance",
    "Reviewer",
    "ReviewerList",
    "RoundConfig",
    "SelectSpec",
    "set_round_rubric",
]

ROLES: tuple[str, ...] = ("総務省", "委託事業者", "有識者")
#: Japanese names of the keys of round.yaml and reviewers.yaml, for error messages.
ROUND_NAMES: dict[str, str] = {
    "name": "名称（name）",
    "deadline": "提出期限（deadline）",
    "rubric": "評価基準（rubric）",
    "select": "選定数（select）",
    "target": "目標（target）",
    "min": "最小（min）",
    "max": "最大（max）",
    "block_scheme": "地方ブロック区分（block_scheme）",
    "balance": "バランスの条件（balance）",
    "max_per_block": "同一ブロックの上限（max_per_block）",
    "max_per_theme": "同一テーマの上限（max_per_theme）",
    "min_distinct_themes": "テーマの種類の下限（min_distinct_themes）",
    "max_push": "プッシュ型の上限（max_push）",
    "min_push": "プッシュ型の下限（min_push）",
    "locks": "必ず含める応募（locks）",
    "exclusions": "除外する応募（exclusions）",
    "eligibility_override": "審査対象とする例外（eligibility_override）",
    "description": "説明（description）",
    "demo": "デモ（demo）",
    "show_reviewer_names": "審査員の氏名を委員会資料に表示（show_reviewer_names）",
    "reviewers": "審査員（reviewers）",
    "id": "ID",
    "role": "立場（role）",
    "affiliation": "所属（affiliation）",
    "conflicts": "利害関係（conflicts）",
    "assignments": "担当（assignments）",
    "hub_user": "JupyterHub のユーザー名（hub_user）",
    "analysts": "事務局の JupyterHub ユーザー名（analysts）",
    "committee": "選定委員の JupyterHub ユーザー名（committee）",
    "committee_sees_comments": "選定委員に審査員のコメントを見せる（committee_sees_comments）",
    "letters": "講評の書式（letters）",
    "sender": "差出人（sender）",
    "document_number": "資料番号・文書番号（document_number）",
    "date": "発信日（date）",
    "contact": "問い合わせ先（contact）",
    "gap_band": "選定ラインまでの差を幅で示す（gap_band）",
    "scores_for_excluded": "審査対象外にも得点を示す（scores_for_excluded）",
    "meeting_date": "選定委員会の開催日（meeting_date）",
}


def _prefecture_codes(v: object) -> tuple[str, ...]:
    """A YAML list of prefectures (codes or names such as 長野県, 長野, 20) → JIS codes."""
    if not isinstance(v, (list, tuple)):
        raise ValueError('都道府県のリストにしてください（例: ["20", "長野県"]）')  # noqa: TRY004 - pydantic reports only ValueError
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
            raise ValueError(
                f"選定数の範囲が正しくありません: min {lo} ≤ target {self.target} ≤ max {hi} にしてください"
            )
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
    #: Applications made eligible for selection although late (期限後提出) or with errors in
    #: their 応募書 (codes or names). Kept for existing rounds: a late acceptance is better
    #: recorded with ``python -m scoring eligibility accept-late`` (who, when, why, in the
    #: hash chain); this key remains the only way to accept an application with errors.
    eligibility_override: tuple[str, ...] = ()
    #: Free text about the round (shown nowhere else; for the people who keep the folder).
    description: str = ""
    #: A demo round (架空): only then does ``python -m scoring demo`` write simulated
    #: scores into its store. Nothing else, and never the round's name, makes a round a demo.
    demo: bool = False
    #: The committee material names reviewers in the 講評コメント / 未提出 section only when
    #: true; by default they are 審査員A, B, … (a stable mapping per round).
    show_reviewer_names: bool = False
    #: On a shared PostgreSQL server with per-person roles (:mod:`scoring.admin.roles`), the
    #: committee's role may read the reviewers' comments only when true; by default it reads
    #: scores but never the ``comment`` column.
    committee_sees_comments: bool = False
    #: Count draft (下書き, not submitted) scores in the combination, the selection and the
    #: committee material. Off by default: only 提出済 scores count; when on, every
    #: committee output shows a warning with the number of drafts counted.
    include_drafts: bool = False
    #: The 講評's sender, 文書番号, date and options (:class:`scoring.config.letters.LetterSettings`).
    letters: LetterSettings = LetterSettings()
    #: 資料番号 printed on the committee material (e.g. 「資料2」); "" prints none.
    document_number: str = ""
    #: The date of the 選定委員会 (会議日), printed on the committee material in 和暦.
    meeting_date: dt.date | None = None

    @field_validator("locks", "exclusions", "eligibility_override", mode="before")
    @classmethod
    def _pref_codes(cls, v: object) -> object:
        return () if v is None else _prefecture_codes(v)

    @model_validator(mode="after")
    def _lock_exclusion(self) -> RoundConfig:
        both = sorted(set(self.locks) & set(self.exclusions))
        if both:
            raise ValueError(
                f"{'、'.join(both)} が locks（必ず含める）と exclusions（除外）の両方に指定されています。どちらかにしてください"
            )
        return self

    @field_validator("select", mode="before")
    @classmethod
    def _select_int(cls, v: object) -> object:
        return {"target": v} if isinstance(v, int) else v

    @field_validator("block_scheme")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if v not in BLOCK_SCHEMES:
            raise ValueError(
                f"地方ブロック区分 '{v}' は定義されていません。次のいずれかにしてください: {'、'.join(BLOCK_SCHEMES)}"
            )
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
    """Contents of ``reviewers.yaml``.

    Besides ``reviewers``, two optional lists of JupyterHub user names for a shared server
    (:mod:`scoring.admin.roles`): ``analysts`` (事務局, who import, reopen and report) and
    ``committee`` (選定委員, who read the combined results). A hub user name appears at most
    once across the reviewers' ``hub_user``, ``analysts`` and ``committee``.
    """

    reviewers: tuple[Reviewer, ...] = Field(min_length=1)
    analysts: tuple[str, ...] = ()
    committee: tuple[str, ...] = ()

    @field_validator("analysts", "committee", mode="before")
    @classmethod
    def _names(cls, v: object) -> object:
        if v is None:
            return ()
        if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and x.strip() for x in v):
            raise ValueError('JupyterHub のユーザー名のリストにしてください（例: ["jimukyoku1"]）')
        return tuple(x.strip() for x in v)

    @model_validator(mode="after")
    def _unique(self) -> ReviewerList:
        seen: set[str] = set()
        for r in self.reviewers:
            if r.id in seen:
                raise ValueError(f"審査員ID '{r.id}' が重複しています。IDは一意にしてください")
            seen.add(r.id)
        users = (
            [r.hub_user for r in self.reviewers if r.hub_user] + list(self.analysts) + list(self.committee)
        )
        twice = sorted({u for u in users if users.count(u) > 1})
        if twice:
            raise ValueError(
                f"JupyterHub のユーザー名 {'、'.join(twice)} が複数回出てきます（hub_user・analysts・committee の間で"
                "重複しています）。JupyterHub のユーザー名は一人一つ、役割も一つにしてください"
            )
        return self


_RUBRIC_LINE = re.compile(
    r"^(?P<key>rubric[ \t]*:[ \t]*)(?P<value>(?:\"[^\"]*\"|'[^']*'|[^#\r\n]*?))"
    r"(?P<gap>[ \t]*)(?P<comment>#[^\r\n]*)?(?P<eol>\r?\n|$)",
    re.MULTILINE,
)


def set_round_rubric(round_yaml: str | os.PathLike[str], rubric: str | os.PathLike[str]) -> str:
    """Point ``round.yaml`` at another rubric file: rewrite only its top-level ``rubric:`` line.

    Comments, the other keys and the line's own trailing comment are kept. The value written
    is the rubric's path relative to the round folder (as round.yaml documents it), in
    forward slashes.

    Returns
    -------
    str
        The value written.

    Raises
    ------
    ConfigError
        The file has no top-level ``rubric:`` line (Japanese message; nothing is written).
    """
    path = Path(round_yaml)
    text = read_settings_text(path)
    value = Path(os.path.relpath(Path(rubric).resolve(), path.parent.resolve())).as_posix()
    matches = list(_RUBRIC_LINE.finditer(text))
    if len(matches) != 1:
        raise ConfigError(
            [
                ConfigProblem(
                    str(path),
                    None,
                    "rubric",
                    f"rubric: の行が{'ありません' if not matches else '複数あります'}。"
                    "round.yaml の rubric を手で書き換えてください。",
                )
            ]
        )
    m = matches[0]
    quoted = value if re.fullmatch(r"[\w./\-]+", value) else '"' + value.replace('"', '\\"') + '"'
    gap = m.group("gap") or (" " if m.group("comment") else "")
    line = f"{m.group('key')}{quoted}{gap if m.group('comment') else ''}{m.group('comment') or ''}{m.group('eol')}"
    new = text[: m.start()] + line + text[m.end() :]
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(new, encoding="utf-8", newline="")
    os.replace(tmp, path)
    return value
