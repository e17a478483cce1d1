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
        letter:                            # optional: how the group is spoken of in a 講評
          kind: need                       # need: never a strength or weakness; merit (default)
          high: 支援の必要性が高いと判断しました。     # above the cohort's median (kind need)
          low: 支援の必要性は応募全体と比べて高くないと判断しました。
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

Import everything from here: the models live in private modules of
:mod:`scoring.config` (``_rubric_scale``: scale, anchors, indicators;
``_rubric_model``: criteria, groups, the rubric; ``_rubric_problems``: the
Japanese problems), loading and validation here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from ..core.errors import ConfigError, ConfigProblem
from ..core.roundfacts import format_level
from ._rubric_model import ChangelogEntry, Combining, Criterion, Group, Rubric
from ._rubric_problems import _describe, _duplicate_id_problems, _message, _owner, _problem
from ._rubric_scale import Anchor, Indicator, Scale
from .yamlfile import duplicate_keys, line_of, load_yaml, shown_key
from .yamlfile import fmt as _fmt
from .yamlfile import join as _join
from .yamlfile import loc_text as _loc_text
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

_DICT_SOURCE = "<dict>"


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
# Loading
# ---------------------------------------------------------------------------


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
                    f"キー {shown_key(key)} が2回書かれています（後の値だけが使われます）。1つにしてください",
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
