"""The rubric's criteria (評価項目), groups, changelog and the rubric itself.

Private to :mod:`scoring.config`: the models are imported from :mod:`scoring.config.rubric`,
which also loads and validates them from YAML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..core.columns import METHOD_LABELS
from ..core.errors import OptionError
from ..core.roundfacts import CriterionFacts, is_level, needs_comment
from ..core.roundfacts import find_level as _find_level
from ._rubric_scale import (
    ID_PATTERN,
    RUBRIC_ID_PATTERN,
    Anchor,
    Indicator,
    Scale,
    _anchor_problems,
    _comment_level_problems,
    _context_defaults,
    _fmt_levels,
    _Model,
    _scale_text,
)
from .yamlfile import fmt as _fmt

__all__ = ["ChangelogEntry", "Combining", "Criterion", "Group", "GroupLetter", "Rubric"]


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
        return CriterionFacts(
            id=self.id,
            label_ja=self.label_ja,
            scale_min=s.min,
            scale_max=s.max,
            scale_step=s.step,
            comment_required_at=tuple(self.comment_required_at),
        )


class GroupLetter(_Model):
    """How a group is spoken of in a letter to the applicant (``letter:`` of a group).

    Attributes
    ----------
    kind : {"merit", "need"}
        ``merit`` (default): the group's criteria give 評価された点 and 改善が望まれる点.
        ``need``: the group measures how much the applicant needs support; its criteria are
        never strengths or weaknesses, the letter says only ``high`` or ``low``.
    high, low : str
        The sentence for an applicant above / at-or-below the cohort's median of the
        group's points (kind ``need``), e.g. 「支援の必要性が高いと判断しました。」.
    """

    kind: Literal["merit", "need"] = "merit"
    high: str = ""
    low: str = ""

    @model_validator(mode="after")
    def _need_sentences(self) -> GroupLetter:
        if self.kind == "need" and not (self.high.strip() and self.low.strip()):
            raise PydanticCustomError(
                "rubric_letter",
                "letter of kind need needs high and low",
                {},
            )
        return self


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
    letter : GroupLetter or None
        How the group is spoken of in a 講評 (``None``: as merit, :class:`GroupLetter`).
    """

    id: str = Field(pattern=ID_PATTERN)
    label_ja: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    criteria: list[Criterion] = Field(min_length=1)
    letter: GroupLetter | None = None

    @property
    def letter_kind(self) -> str:
        """``need`` or ``merit`` (:class:`GroupLetter`)."""
        return self.letter.kind if self.letter is not None else "merit"

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
        # A rubric without ``combining`` (or without ``letter:`` in its groups) keeps the
        # version it had before the key existed.
        exclude: dict[str, Any] = {"combining": True} if self.combining is None else {}
        no_letter = [i for i, g in enumerate(self.groups) if g.letter is None]
        if no_letter:
            exclude["groups"] = {i: {"letter"} for i in no_letter}
        payload = json.dumps(
            self.model_dump(mode="json", exclude=exclude or None),
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
