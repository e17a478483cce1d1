"""Rubrics: 評価項目, 配点 and 評価基準, loaded from ``rubrics/*.yaml``.

A rubric is the analyst's (事務局) description of how reviewers (審査員) score an
application (応募書): groups of criteria (評価項目), each with a weight (配点, in
points), a scale (e.g. 1–5, step 1) and a written anchor (評価基準) for every
level of the scale.  The file is validated into frozen pydantic models; every
problem in a file is reported at once, in Japanese, with the file name, the
line and the criterion id, so that a non-programmer can fix the YAML.

YAML format
-----------
::

    id: r8_talent_pool
    name_ja: 令和8年度 人材プール伴走支援 審査基準（たたき台）
    name_en: FY2026 talent-pool support rubric (draft)
    description: 任意の説明
    scale: {min: 1, max: 5, step: 1}      # default scale, inherited by criteria
    anchors:                               # optional default anchors per level
      5: {ja: 特に優れている, en: Outstanding}
      1: {ja: 不十分, en: Insufficient}
    groups:
      - id: need
        label_ja: 支援の必要性
        label_en: Need for support
        criteria:
          - id: need_pool_gap
            label_ja: 人材プールの遅れ
            label_en: How far the pool lags
            guidance_ja: 応募書の「推進体制の現状」を見る
            weight: 15                     # 配点 (points), > 0
            # scale: {min: 1, max: 5, step: 1}   (optional, overrides default)
            anchors:                       # per level; ja required, en optional
              5: {ja: ..., en: ...}
              4: {ja: ...}
              3: {ja: ...}
              2: {ja: ...}
              1: {ja: ...}
            comment_required_at: [1, 5]    # levels that need a written reason
            indicators:                    # context for reviewers, never a score
              - id: municipalities
                label_ja: 市町村数
                label_en: Municipalities
                source: reference          # "application" or "reference"
                field: municipalities
                unit: 団体
    changelog:
      - {date: 2026-02-01, note: 初版}
    combining:                             # optional: the combining method chosen with these weights
      method: affine                       # mean, median, trimmed, zscore, additive, affine
      options: {}                          # the method's options (e.g. {prior_strength: 2.0})

A criterion inherits the default ``scale`` unless it sets its own, and inherits
each level's default anchor unless it gives its own for that level.  Every
level of the (effective) scale must end up with a Japanese anchor.

Indicator ``field`` is an open string naming a column.  Typical fields are
``municipalities`` (市町村数), ``towns_villages_share_pct`` (町村の割合, %),
``pop_change_2015_2020_pct`` (人口増減率 2015→2020, %), ``pool_size_total``
(人材プールの人数, from the application) and ``one_person_it_municipalities``
(1人情シスの市町村数).

Errors
------
:func:`load_rubric` and :func:`rubric_from_dict` raise :class:`RubricError`
(a ``ValueError``) whose ``problems`` list holds one :class:`RubricProblem`
per problem: YAML syntax errors, unknown or duplicated keys, missing fields,
levels without an anchor, duplicate ids, weights ≤ 0, invalid scales,
``comment_required_at`` levels outside the scale, a missing file, or a file
that is not a mapping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..core.columns import METHOD_LABELS
from ..core.errors import ConfigError, ConfigProblem, OptionError
from ..core.roundfacts import CriterionFacts, format_level, is_level, needs_comment, scale_levels
from ..core.roundfacts import find_level as _find_level
from .yamlfile import describe, duplicate_keys, line_of, load_yaml, pydantic_message
from .yamlfile import fmt as _fmt
from .yamlfile import join as _join
from .yamlfile import loc_text as _loc_text
from .yamlfile import num as _num
from .yamlfile import with_particle as _with

__all__ = [
    "Anchor",
    "ChangelogEntry",
    "Combining",
    "Criterion",
    "Group",
    "Indicator",
    "Rubric",
    "RubricError",
    "RubricProblem",
    "Scale",
    "format_level",
    "load_rubric",
    "rubric_from_dict",
]

#: Identifier of a group or criterion: usable as a column name.
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
#: Identifier of a rubric (may also contain ``.`` and ``-``).
RUBRIC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

_DICT_SOURCE = "<dict>"


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _fmt_levels(levels: Sequence[float]) -> str:
    return ", ".join(_fmt(v) for v in levels)


def _scale_text(scale: Scale) -> str:
    return f"{_fmt(scale.min)}〜{_fmt(scale.max)}、刻み {_fmt(scale.step)}"


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Anchor(_Model):
    """Written anchor (評価基準) for one level of a scale.

    Attributes
    ----------
    ja : str
        Japanese text (required, non-empty).
    en : str or None
        English text (optional).
    """

    ja: str = Field(min_length=1)
    en: str | None = None


class Scale(_Model):
    """A numeric scoring scale ``min, min + step, ..., max``.

    Requires ``min < max``, ``step > 0`` and ``(max - min) / step`` integral.
    """

    min: float
    max: float
    step: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if not self.min < self.max:
            raise PydanticCustomError(
                "rubric_scale_range",
                "scale min {min} must be less than max {max}",
                {"min": _num(self.min), "max": _num(self.max)},
            )
        if not self.step > 0:
            raise PydanticCustomError(
                "rubric_scale_step", "scale step {step} must be > 0", {"step": _num(self.step)}
            )
        n = (self.max - self.min) / self.step
        if abs(n - round(n)) > 1e-6:
            raise PydanticCustomError(
                "rubric_scale_step_range",
                "scale step {step} does not divide max - min",
                {"min": _num(self.min), "max": _num(self.max), "step": _num(self.step)},
            )
        return self

    @property
    def levels(self) -> list[int | float]:
        """Allowed scores, ascending (ints when integral)."""
        return scale_levels(self.min, self.max, self.step)


class Indicator(_Model):
    """A reference indicator shown to reviewers as context, never scored.

    Attributes
    ----------
    id : str
        Identifier, unique within the criterion.
    label_ja, label_en : str
        Labels shown to reviewers.
    source : {"application", "reference"}
        ``"application"``: a field of the application (応募書) table;
        ``"reference"``: a column of the prefecture reference data.
    field : str
        Column name, e.g. ``municipalities``, ``towns_villages_share_pct``,
        ``pop_change_2015_2020_pct``, ``pool_size_total``,
        ``one_person_it_municipalities``.
    unit : str or None
        Unit shown beside the value (e.g. ``%``, ``人``, ``団体``).
    """

    id: str = Field(pattern=ID_PATTERN)
    label_ja: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    source: Literal["application", "reference"]
    field: str = Field(min_length=1)
    unit: str | None = None


def _context_defaults(info: ValidationInfo) -> tuple[bool, Scale | None, dict[float, Anchor]]:
    """Return ``(has_context, default_scale, default_anchors)`` from a validation context."""
    ctx = info.context
    if not isinstance(ctx, dict) or "default_scale" not in ctx:
        return False, None, {}
    return True, ctx.get("default_scale"), dict(ctx.get("default_anchors") or {})


def _anchor_problems(
    scale: Scale,
    own: Mapping[float, Anchor] | None,
    defaults: Mapping[float, Anchor],
) -> PydanticCustomError | None:
    """Check that own anchors are on the scale and every level has an anchor."""
    levels = scale.levels
    off = [k for k in (own or {}) if _find_level(levels, k) is None]
    covered = {_find_level(levels, k) for k in list(defaults) + list(own or {})} - {None}
    missing = [lv for lv in levels if lv not in covered]
    if off or missing:
        return PydanticCustomError(
            "rubric_anchors",
            "anchors do not match the scale (missing {missing}; off-scale {off})",
            {
                "missing": _fmt_levels(missing),
                "off": _fmt_levels(off),
                "scale": _scale_text(scale),
                "has_own": own is not None,
            },
        )
    return None


def _comment_level_problems(scale: Scale, levels: Sequence[float]) -> PydanticCustomError | None:
    off = [v for v in levels if _find_level(scale.levels, v) is None]
    if off:
        return PydanticCustomError(
            "rubric_comment_levels",
            "comment_required_at levels {off} are not on the scale",
            {"off": _fmt_levels(off), "scale": _scale_text(scale)},
        )
    return None


class Criterion(_Model):
    """One criterion (評価項目).

    Attributes
    ----------
    id : str
        Identifier, unique in the rubric; used as the ``criterion`` value in
        the canonical score table.
    label_ja, label_en : str
        Labels.
    guidance_ja : str
        What the reviewer should look at in the application (着眼点).
    guidance_en : str or None
        English guidance (optional).
    weight : float
        配点 (points), > 0.  The rubric total is the sum of criterion weights.
    scale : Scale or None
        Own scale as written; ``None`` means the rubric's default scale.  Use
        :attr:`effective_scale` for the scale that applies.
    anchors : dict of level to Anchor, or None
        Own anchors as written; missing levels inherit the rubric's default
        anchors.  Use :meth:`anchor` for the anchor that applies.
    comment_required_at : list of float
        Levels at which a reviewer must write a comment (e.g. ``[1, 5]``).
    indicators : list of Indicator
        Reference indicators shown as context.
    """

    id: str = Field(pattern=ID_PATTERN)
    label_ja: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    guidance_ja: str = Field(min_length=1)
    guidance_en: str | None = None
    weight: float = Field(gt=0, allow_inf_nan=False)
    scale: Scale | None = None
    anchors: dict[float, Anchor] | None = Field(default=None, validate_default=True)
    comment_required_at: list[float] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)

    _scale: Scale | None = PrivateAttr(default=None)
    _anchors: dict[int | float, Anchor] = PrivateAttr(default_factory=dict)

    @field_validator("anchors", mode="after")
    @classmethod
    def _check_anchors(
        cls, v: dict[float, Anchor] | None, info: ValidationInfo
    ) -> dict[float, Anchor] | None:
        has_ctx, default_scale, default_anchors = _context_defaults(info)
        if not has_ctx or "scale" not in info.data:
            # Without context the Rubric checks once defaults are known; an
            # invalid own scale is reported on its own.
            return v
        scale = info.data["scale"] or default_scale
        if scale is None:  # invalid default scale: reported at the top level
            return v
        err = _anchor_problems(scale, v, default_anchors)
        if err is not None:
            raise err
        return v

    @field_validator("comment_required_at", mode="after")
    @classmethod
    def _check_comment_levels(cls, v: list[float], info: ValidationInfo) -> list[float]:
        _, default_scale, _ = _context_defaults(info)
        if "scale" not in info.data:
            return v
        scale = info.data["scale"] or default_scale
        if scale is not None:
            err = _comment_level_problems(scale, v)
            if err is not None:
                raise err
        return v

    @field_validator("indicators", mode="after")
    @classmethod
    def _check_indicator_ids(cls, v: list[Indicator]) -> list[Indicator]:
        seen: set[str] = set()
        for ind in v:
            if ind.id in seen:
                raise PydanticCustomError(
                    "rubric_duplicate_indicator",
                    "duplicate indicator id {id}",
                    {"id": ind.id},
                )
            seen.add(ind.id)
        return v

    # -- resolved view --------------------------------------------------------

    def _resolve(self, default_scale: Scale, default_anchors: Mapping[float, Anchor]) -> None:
        scale = self.scale or default_scale
        levels = scale.levels
        merged: dict[int | float, Anchor] = {}
        for source in (default_anchors, self.anchors or {}):
            for k, a in source.items():
                lv = _find_level(levels, k)
                if lv is not None:
                    merged[lv] = a
        self._scale = scale
        self._anchors = {lv: merged[lv] for lv in levels if lv in merged}

    @property
    def effective_scale(self) -> Scale:
        """The scale that applies (own scale, else the rubric default)."""
        if self._scale is not None:
            return self._scale
        if self.scale is not None:
            return self.scale
        raise ValueError(
            f"評価項目 {self.id} の尺度が決まっていません（ルーブリックの既定の尺度から読み込んでください）"
        )

    @property
    def levels(self) -> list[int | float]:
        """Allowed scores, ascending, e.g. ``[1, 2, 3, 4, 5]``."""
        return self.effective_scale.levels

    def anchor(self, level: float) -> Anchor:
        """Return the anchor (評価基準) for ``level``.

        Raises
        ------
        ValueError
            If ``level`` is not a level of the scale.
        """
        lv = _find_level(self.levels, level) if self.is_allowed(level) else None
        if lv is None:
            raise OptionError(
                f"評価項目 {self.id}: {_fmt(level)} は尺度"
                f"（{_scale_text(self.effective_scale)}）の水準ではありません"
            )
        if self._anchors:
            return self._anchors[lv]
        own = {_find_level(self.levels, k): a for k, a in (self.anchors or {}).items()}
        return own[lv]

    def is_allowed(self, score: object) -> bool:
        """Whether ``score`` is a level of the scale.

        Only real numbers (including NumPy scalars) can be allowed; NaN, bools and
        strings such as ``"3"`` are not (convert at the edges).
        """
        return is_level(score, self.levels)

    def comment_required(self, score: float) -> bool:
        """Whether a score at this level needs a written comment."""
        return needs_comment(score, self.levels, self.comment_required_at)

    def store_facts(self) -> CriterionFacts:
        """This criterion as the score store checks it (:class:`scoring.core.roundfacts.CriterionFacts`)."""
        s = self.effective_scale
        return CriterionFacts(id=self.id, label_ja=self.label_ja, scale_min=s.min, scale_max=s.max,
                              scale_step=s.step, comment_required_at=tuple(self.comment_required_at))


class Group(_Model):
    """A group of criteria (e.g. 支援の必要性).

    Attributes
    ----------
    id : str
        Identifier, unique in the rubric (shared namespace with criteria).
    label_ja, label_en : str
        Labels.
    criteria : list of Criterion
        At least one criterion.
    """

    id: str = Field(pattern=ID_PATTERN)
    label_ja: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)

    @property
    def weight(self) -> float:
        """Sum of the group's criterion weights (points)."""
        return float(sum(c.weight for c in self.criteria))


class ChangelogEntry(_Model):
    """One entry of the rubric's change log."""

    date: dt.date
    note: str = Field(min_length=1)
    author: str | None = None


class Combining(_Model):
    """The combining method saved with a rubric version (``combining:`` in the YAML).

    ``method`` is one of :data:`scoring.core.columns.METHOD_LABELS` (the combiners of
    :mod:`scoring.combine`); ``options`` its keyword options, checked when the combiner is
    made. A round that uses the rubric starts with this method (03, the committee material).
    """

    method: str
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("method", mode="after")
    @classmethod
    def _known_method(cls, v: str) -> str:
        if v not in METHOD_LABELS:
            raise ValueError(f"統合方法 '{v}' はありません。使える統合方法: {', '.join(METHOD_LABELS)}")
        return v


class Rubric(_Model):
    """A validated rubric.

    Build it with :func:`load_rubric` or :func:`rubric_from_dict`.

    Attributes
    ----------
    id, name_ja, name_en : str
        Identifier and names.
    description : str or None
        Free text.
    scale : Scale
        Default scale for criteria that do not set their own.
    anchors : dict of level to Anchor, or None
        Default anchors per level (generic, e.g. 5 特に優れている … 1 不十分).
    groups : list of Group
        At least one group.
    changelog : list of ChangelogEntry
        History of changes (optional).
    combining : Combining or None
        The combining method and options saved with this version (optional; ``None``: the
        workbench's default method).
    """

    id: str = Field(pattern=RUBRIC_ID_PATTERN)
    name_ja: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description: str | None = None
    scale: Scale
    anchors: dict[float, Anchor] | None = None
    groups: list[Group] = Field(min_length=1)
    changelog: list[ChangelogEntry] = Field(default_factory=list)
    combining: Combining | None = None

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("anchors", mode="after")
    @classmethod
    def _check_default_anchors(
        cls, v: dict[float, Anchor] | None, info: ValidationInfo
    ) -> dict[float, Anchor] | None:
        scale = info.data.get("scale")
        if v and scale is not None:
            off = [k for k in v if _find_level(scale.levels, k) is None]
            if off:
                raise PydanticCustomError(
                    "rubric_anchors",
                    "default anchors off the scale: {off}",
                    {"missing": "", "off": _fmt_levels(off), "scale": _scale_text(scale), "has_own": True},
                )
        return v

    @model_validator(mode="after")
    def _resolve_and_check(self, info: ValidationInfo) -> Rubric:
        ctx = info.context if isinstance(info.context, dict) else {}
        if not ctx.get("ids_checked"):
            seen: set[str] = set()
            for ident in [x for g in self.groups for x in [g.id, *(c.id for c in g.criteria)]]:
                if ident in seen:
                    raise PydanticCustomError(
                        "rubric_duplicate_id", "duplicate id {id}", {"id": ident, "first": ""}
                    )
                seen.add(ident)
        defaults = self.anchors or {}
        for crit in self.criteria:
            if "default_scale" not in ctx:  # not checked field by field
                err = _anchor_problems(
                    crit.scale or self.scale, crit.anchors, defaults
                ) or _comment_level_problems(crit.scale or self.scale, crit.comment_required_at)
                if err is not None:
                    raise err
            crit._resolve(self.scale, defaults)
        return self

    # -- accessors ------------------------------------------------------------

    @property
    def source(self) -> Path | None:
        """Path of the YAML file this rubric was loaded from (``None`` if from a dict)."""
        return self._source

    @property
    def criteria(self) -> list[Criterion]:
        """All criteria, in file order (group by group)."""
        return [c for g in self.groups for c in g.criteria]

    def criterion(self, criterion_id: str) -> Criterion:
        """Return the criterion with id ``criterion_id``.

        Raises
        ------
        KeyError
            If there is no such criterion (the message lists the valid ids).
        """
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(
            f"評価項目 '{criterion_id}' はありません。"
            f"使える評価項目: {', '.join(c.id for c in self.criteria)}"
        )

    def group_of(self, criterion_id: str) -> Group:
        """Return the group that contains criterion ``criterion_id``.

        Raises
        ------
        KeyError
            If there is no such criterion.
        """
        for g in self.groups:
            if any(c.id == criterion_id for c in g.criteria):
                return g
        self.criterion(criterion_id)  # raises the KeyError with the list of ids
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def total_weight(self) -> float:
        """Sum of all criterion weights (the maximum weighted total, in points)."""
        return float(sum(c.weight for c in self.criteria))

    @property
    def version(self) -> str:
        """Short content hash (12 hex chars) of the validated rubric.

        SHA-256 of a canonical JSON dump (sorted keys) of the validated model:
        YAML formatting, comments, key order and ``15`` vs ``15.0`` do not
        change it; any change of content (a weight, an anchor text, a label,
        the changelog) does.  The source path is not part of it.  Stored with
        each score as ``rubric_version``.
        """
        # A rubric without ``combining`` keeps the version it had before the key existed.
        payload = json.dumps(
            self.model_dump(mode="json", exclude={"combining"} if self.combining is None else None),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]

    def weights(self) -> pd.Series:
        """Criterion weights (配点).

        Returns
        -------
        pandas.Series
            float values, name ``"weight"``, index ``criterion`` (criterion ids
            in file order).
        """
        crits = self.criteria
        return pd.Series(
            [float(c.weight) for c in crits],
            index=pd.Index([c.id for c in crits], name="criterion"),
            name="weight",
            dtype="float64",
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion, in file order.

        Returns
        -------
        pandas.DataFrame
            Columns: ``group`` (group id), ``criterion`` (criterion id),
            ``label_ja``, ``label_en``, ``weight`` (float, points), ``min``,
            ``max``, ``step`` (float, of the effective scale).  RangeIndex.
        """
        rows = []
        for g in self.groups:
            for c in g.criteria:
                s = c.effective_scale
                rows.append(
                    {
                        "group": g.id,
                        "criterion": c.id,
                        "label_ja": c.label_ja,
                        "label_en": c.label_en,
                        "weight": float(c.weight),
                        "min": float(s.min),
                        "max": float(s.max),
                        "step": float(s.step),
                    }
                )
        columns = ["group", "criterion", "label_ja", "label_en", "weight", "min", "max", "step"]
        return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


#: One problem found in a rubric file (file, line, location, message, criterion, column);
#: the same record as every other settings file's problems.
RubricProblem = ConfigProblem


class RubricError(ConfigError):
    """A rubric file could not be loaded; ``problems`` lists every problem.

    ``str(error)`` has a header line, then one line per problem with file,
    line and message (which names the criterion id).
    """

    def __init__(self, problems: Sequence[RubricProblem]) -> None:
        self.problems: list[RubricProblem] = list(problems)
        files = sorted({p.file for p in self.problems})
        header = f"{', '.join(files)}: ルーブリックに {len(self.problems)} 件の問題があります"
        ValueError.__init__(self, "\n".join([header, *(str(p) for p in self.problems)]))


# ---------------------------------------------------------------------------
# Turning pydantic errors into Japanese problems
# ---------------------------------------------------------------------------

_JA_NAMES: dict[str, str] = {
    "id": "ID",
    "name_ja": "日本語名（name_ja）",
    "name_en": "英語名（name_en）",
    "label_ja": "日本語ラベル（label_ja）",
    "label_en": "英語ラベル（label_en）",
    "guidance_ja": "着眼点（guidance_ja）",
    "guidance_en": "英語の着眼点（guidance_en）",
    "description": "説明（description）",
    "weight": "配点",
    "scale": "尺度",
    "min": "最小値",
    "max": "最大値",
    "step": "刻み",
    "anchors": "評価基準",
    "ja": "日本語（ja）",
    "en": "英語（en）",
    "comment_required_at": "コメント必須の水準（comment_required_at）",
    "indicators": "参考指標",
    "source": "出典（source）",
    "field": "列名（field）",
    "unit": "単位（unit）",
    "groups": "グループ一覧（groups）",
    "criteria": "評価項目一覧（criteria）",
    "changelog": "変更履歴（changelog）",
    "date": "日付（date）",
    "note": "内容（note）",
    "author": "記入者（author）",
    "combining": "統合方法（combining）",
    "method": "方法（method）",
    "options": "設定（options）",
}


def _describe(path: Sequence[Any]) -> str:
    """Japanese name of a rubric field path (:func:`scoring.config.yamlfile.describe` with :data:`_JA_NAMES`)."""
    return describe(path, _JA_NAMES)


def _get(data: Any, path: Sequence[Any]) -> Any:
    for elem in path:
        if (
            isinstance(data, Mapping)
            and elem in data
            or isinstance(data, list)
            and isinstance(elem, int)
            and 0 <= elem < len(data)
        ):
            data = data[elem]
        else:
            return None
    return data


@dataclass(frozen=True)
class _Owner:
    """Which group/criterion a location belongs to."""

    kind: Literal["criterion", "group", "top"]
    id: str | None
    prefix_len: int  # length of the loc prefix naming the item

    def phrase(self, loc: Sequence[Any]) -> str:
        if self.kind == "top":
            return ""
        name = self.id or _loc_text(loc[: self.prefix_len])
        return f"{'評価項目' if self.kind == 'criterion' else 'グループ'} {name} "


def _owner(data: Any, loc: Sequence[Any]) -> _Owner:
    if (
        len(loc) >= 4
        and loc[0] == "groups"
        and isinstance(loc[1], int)
        and loc[2] == "criteria"
        and isinstance(loc[3], int)
    ):
        ident = _get(data, [*loc[:4], "id"])
        return _Owner("criterion", ident if isinstance(ident, str) else None, 4)
    if len(loc) >= 2 and loc[0] == "groups" and isinstance(loc[1], int):
        ident = _get(data, [*loc[:2], "id"])
        return _Owner("group", ident if isinstance(ident, str) else None, 2)
    return _Owner("top", None, 0)


def _message(err: Mapping[str, Any], subject: str, rest: Sequence[Any]) -> str:
    """Japanese message for one pydantic error dict."""
    etype: str = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    full = _join(subject, _describe(rest))

    if etype == "rubric_scale_range":
        return f"{full}の最小値 {ctx['min']} は最大値 {ctx['max']} より小さくしてください"
    if etype == "rubric_scale_step":
        return f"{full}の刻み（step）は 0 より大きくしてください（現在 {ctx['step']}）"
    if etype == "rubric_scale_step_range":
        return (
            f"{full}の刻み {ctx['step']} で最小値 {ctx['min']} から"
            f"最大値 {ctx['max']} にちょうど届きません。刻みか範囲を直してください"
        )
    if etype == "rubric_anchors":
        msgs = []
        if ctx.get("missing"):
            msgs.append(
                f"{_with(subject, 'の')}水準 {ctx['missing']} に評価基準（日本語 ja）がありません"
                f"（尺度 {ctx['scale']} のすべての水準に書いてください）"
            )
        if ctx.get("off"):
            msgs.append(f"{full}の水準 {ctx['off']} は尺度（{ctx['scale']}）にありません")
        return "。".join(msgs)
    if etype == "rubric_comment_levels":
        return f"{full}の水準 {ctx['off']} は尺度（{ctx['scale']}）にありません"
    if etype == "rubric_duplicate_indicator":
        return f"{full}で ID '{ctx['id']}' が重複しています"
    if etype == "rubric_duplicate_id":
        first = f"（最初の定義: {ctx['first']}）" if ctx.get("first") else ""
        return f"ID '{ctx['id']}' が重複しています{first}。グループと評価項目の ID はすべて別にしてください"
    return pydantic_message(err, subject, rest, names=_JA_NAMES, fallback_subject="ルーブリック")


# ---------------------------------------------------------------------------
# YAML node tree: line numbers and duplicate keys
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _problem(
    file: str, data: Any, root: yaml.Node | None, loc: Sequence[Any], message_for: Any
) -> RubricProblem:
    owner = _owner(data, loc)
    location = _loc_text(loc) or "(ルート)"
    if owner.id is not None:
        location += f" ({owner.id})"
    subject = owner.phrase(loc)
    return RubricProblem(
        file=file,
        line=line_of(root, loc),
        location=location,
        message=message_for(subject, list(loc[owner.prefix_len :])),
        criterion=owner.id if owner.kind == "criterion" else None,
    )


def _duplicate_id_problems(file: str, data: Mapping[str, Any], root: yaml.Node | None) -> list[RubricProblem]:
    first: dict[str, tuple[Any, ...]] = {}
    problems: list[RubricProblem] = []
    groups = data.get("groups")
    if not isinstance(groups, list):
        return problems
    locs: list[tuple[Any, ...]] = []
    for gi, g in enumerate(groups):
        if not isinstance(g, Mapping):
            continue
        locs.append(("groups", gi))
        crits = g.get("criteria")
        if isinstance(crits, list):
            locs.extend(("groups", gi, "criteria", ci) for ci in range(len(crits)))
    for loc in locs:
        ident = _get(data, [*loc, "id"])
        if not isinstance(ident, str):
            continue
        if ident in first:
            prior = first[ident]
            prior_line = line_of(root, [*prior, "id"])
            prior_text = _loc_text(prior) + (f"、{prior_line}行目" if prior_line else "")
            err = {"type": "rubric_duplicate_id", "ctx": {"id": ident, "first": prior_text}}
            problems.append(
                _problem(file, data, root, [*loc, "id"], lambda s, r, err=err: _message(err, s, r))
            )
        else:
            first[ident] = loc
    return problems


def _validate(data: Any, file: str, root: yaml.Node | None) -> Rubric:
    if data is None:
        raise RubricError(
            [
                RubricProblem(
                    file,
                    1 if root is not None else None,
                    "(ルート)",
                    "ファイルが空です。ルーブリックの内容を書いてください",
                )
            ]
        )
    if not isinstance(data, Mapping):
        raise RubricError(
            [
                RubricProblem(
                    file,
                    line_of(root, ()),
                    "(ルート)",
                    f"ルーブリックは対応表（「キー: 値」の行）で書いてください（現在 {_fmt(data)}）",
                )
            ]
        )

    problems: list[RubricProblem] = []
    if root is not None:
        for path, key, line in duplicate_keys(root):
            owner = _owner(data, path)
            loc_text = _loc_text([*path, key])
            subject = owner.phrase(path)
            problems.append(
                RubricProblem(
                    file,
                    line,
                    loc_text + (f" ({owner.id})" if owner.id else ""),
                    f"{_with(_join(subject, _describe(list(path[owner.prefix_len :]))), 'に')}"
                    f"キー '{key}' が2回書かれています（後の値だけが使われます）。1つにしてください",
                    criterion=owner.id if owner.kind == "criterion" else None,
                )
            )
    problems.extend(_duplicate_id_problems(file, data, root))

    # Defaults first, so that criteria can be checked against them field by field.
    context: dict[str, Any] = {"ids_checked": True, "default_scale": None, "default_anchors": {}}
    try:
        context["default_scale"] = Scale.model_validate(data.get("scale"))
    except ValidationError:
        pass
    try:
        default_anchors = TypeAdapter(dict[float, Anchor] | None).validate_python(data.get("anchors"))
        context["default_anchors"] = default_anchors or {}
    except ValidationError:
        pass

    rubric: Rubric | None = None
    try:
        rubric = Rubric.model_validate(dict(data), context=context)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(_problem(file, data, root, loc, lambda s, r, err=err: _message(err, s, r)))
    if problems or rubric is None:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise RubricError(problems)
    return rubric


def rubric_from_dict(data: Any, source: str | os.PathLike[str] = _DICT_SOURCE) -> Rubric:
    """Validate an already-parsed mapping into a :class:`Rubric`.

    Parameters
    ----------
    data : mapping
        The rubric as plain Python data (as ``yaml.safe_load`` returns it).
    source : str or path-like
        Name used in error messages; ``Rubric.source`` is set to it unless it
        is the default ``"<dict>"``.

    Returns
    -------
    Rubric

    Raises
    ------
    RubricError
        With one problem per error (no line numbers: there is no file).
    """
    file = os.fspath(source)
    rubric = _validate(data, file, None)
    rubric._source = None if file == _DICT_SOURCE else Path(file)
    return rubric


def load_rubric(path: str | os.PathLike[str]) -> Rubric:
    """Load and validate a rubric YAML file.

    Parameters
    ----------
    path : str or path-like
        e.g. ``"rubrics/r8_talent_pool.yaml"``.  Read as UTF-8.

    Returns
    -------
    Rubric
        With ``source`` set to ``Path(path)``.

    Raises
    ------
    RubricError
        Listing every problem: missing file, YAML syntax error (line and
        column), file not a mapping, unknown / duplicated / missing keys,
        levels without an anchor, duplicate ids, weights ≤ 0, invalid scales,
        ``comment_required_at`` levels outside the scale.
    """
    file = os.fspath(path)
    p = Path(file)
    try:
        data, root = load_yaml(p)
    except ConfigError as exc:
        raise RubricError(exc.problems) from None
    rubric = _validate(data, file, root)
    rubric._source = p
    return rubric
