"""The rubric's scale, its levels and anchors (評価基準), and the reference indicators.

Private to :mod:`scoring.config`: the models are imported from :mod:`scoring.config.rubric`.
Also the checks of levels against a scale that :class:`~scoring.config.rubric.Criterion`
and :class:`~scoring.config.rubric.Rubric` share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from ..core.roundfacts import find_level as _find_level
from ..core.roundfacts import scale_levels
from .yamlfile import fmt as _fmt
from .yamlfile import num as _num

__all__ = ["ID_PATTERN", "RUBRIC_ID_PATTERN", "Anchor", "Indicator", "Scale"]

#: Identifier of a group or criterion: usable as a column name.
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
#: Identifier of a rubric (may also contain ``.`` and ``-``).
RUBRIC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


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
