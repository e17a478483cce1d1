"""Settings of the プッシュ型 candidate list: need indicators, their weights, known pool sizes.

The notice lets 総務省 propose prefectures that did not apply (プッシュ型). Which of the 47
prefectures need support most is ranked by a few indicators from the reference data
(:mod:`scoring.core.reference`) and the applications, each scaled 0–1 over the prefectures
where it is known (an unknown value contributes 0, never an imputed mean) and weighted as
this file says (:func:`scoring.analysis.push.push_candidates`).

The file is ``push_candidates.yaml`` in the round folder, else the bundled default
``rubrics/push_candidates.yaml`` (:func:`push_config_path`). Example::

    name: プッシュ型候補の必要性（令和8年度）
    indicators:                       # id: 重み（0 以上。合計が 1 でなくてもよい）
      towns_villages_share: 0.3       # 町村の割合（％）
      population_decline: 0.2         # 人口減少率 2015→2020（％）
      municipalities_per_pool_member: 0.3   # 人材プール登録者 1 人あたりの市町村数
      not_applied: 0.2                # 応募していない（1）／応募した（0）
    pool_members:                     # 応募のない都道府県の人材プール登録者（人、ヒアリング等）
      長野: 3

Every problem is one Japanese message naming the file and line
(:func:`scoring.config.yamlfile.validate_yaml`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.normalize import parse_prefecture
from ..core.paths import RUBRICS_DIR
from .yamlfile import validate_yaml

__all__ = [
    "PUSH_CONFIG_FILE",
    "PUSH_INDICATORS",
    "PUSH_NAMES",
    "PushConfig",
    "load_push_config",
    "push_config_path",
]

#: File name of the settings, in the round folder or (the bundled default) in ``rubrics/``.
PUSH_CONFIG_FILE = "push_candidates.yaml"

#: The need indicators that may be weighted: id → (Japanese label with unit, what it means).
#: A higher value always means more need.
PUSH_INDICATORS: dict[str, tuple[str, str]] = {
    "towns_villages_share": ("町村の割合（％）", "市町村のうち町村の割合（参照データ）"),
    "population_decline": ("人口減少率（％）", "2015→2020 年の国勢調査人口の減少率（増加はマイナス）"),
    "municipalities_per_pool_member": (
        "登録者1人あたりの市町村数（団体）",
        (
            "市町村数 ÷ 人材プール登録者数（登録者 0 人のときは市町村数そのもの）。登録者数は応募書、"
            "応募のない都道府県は pool_members の値。どちらもないときは不明（寄与 0。平均などで埋めない）"
        ),
    ),
    "not_applied": ("応募なし（1／0）", "応募していない都道府県は 1、応募した都道府県は 0"),
}

#: Japanese names of the keys, for error messages.
PUSH_NAMES: dict[str, str] = {
    "name": "名称（name）",
    "indicators": "指標と重み（indicators）",
    "pool_members": "人材プール登録者（pool_members）",
    "top": "候補として示す数（top）",
}


class PushConfig(BaseModel):
    """Contents of ``push_candidates.yaml``.

    Attributes
    ----------
    name : str
        A title for the list.
    indicators : dict
        Indicator id (:data:`PUSH_INDICATORS`) → weight (≥ 0; at least one > 0). Weights
        need not sum to 1; the score is Σ weight × value scaled 0–1 over the known values.
    pool_members : dict
        JIS code → known 人材プール登録者 (people) of prefectures without an application
        (names such as 長野 or 長野県 are accepted in the file). An application's own figure
        (人材プールの人数) takes precedence.
    top : int
        How many of the highest-ranked non-applicants the list marks as 候補.
    source : Path or None
        The file read (set by :func:`load_push_config`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("プッシュ型候補の必要性", min_length=1)
    indicators: dict[str, float] = Field(min_length=1)
    pool_members: dict[str, int] = Field(default_factory=dict)
    top: int = Field(5, ge=1, le=47)
    source: Path | None = Field(None, exclude=True)

    @field_validator("indicators")
    @classmethod
    def _known(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = [k for k in v if k not in PUSH_INDICATORS]
        if unknown:
            raise ValueError(
                f"指標 {'、'.join(repr(k) for k in unknown)} はありません。"
                f"使える指標: {'、'.join(PUSH_INDICATORS)}"
            )
        negative = [k for k, w in v.items() if not w >= 0]
        if negative:
            raise ValueError(f"指標 {'、'.join(repr(k) for k in negative)} の重みは 0 以上の数にしてください")
        if not any(w > 0 for w in v.values()):
            raise ValueError("重みがすべて 0 です。少なくとも 1 つの指標に 0 より大きい重みを付けてください")
        return v

    @field_validator("pool_members", mode="before")
    @classmethod
    def _codes(cls, v: object) -> object:
        if v is None:
            return {}
        if not isinstance(v, dict):
            return v  # pydantic reports the type
        out: dict[str, object] = {}
        for k, n in v.items():
            code = parse_prefecture(k)
            if code in out:
                raise ValueError(f"都道府県 {k} が2回書かれています。1つにしてください")
            out[code] = n
        return out

    @model_validator(mode="after")
    def _non_negative(self) -> PushConfig:
        bad = [k for k, n in self.pool_members.items() if n < 0]
        if bad:
            raise ValueError(f"pool_members の人数は 0 以上にしてください（{'、'.join(bad)}）")
        return self


def push_config_path(round_dir: str | Path) -> Path:
    """``push_candidates.yaml`` of the round folder if present, else the bundled default."""
    own = Path(round_dir) / PUSH_CONFIG_FILE
    return own if own.exists() else RUBRICS_DIR / PUSH_CONFIG_FILE


def load_push_config(path: str | Path) -> PushConfig:
    """Read and validate a ``push_candidates.yaml``.

    Raises
    ------
    ConfigError
        Missing file, bad YAML or invalid settings (Japanese, with file and line).
    """
    cfg = validate_yaml(path, PushConfig, names=PUSH_NAMES)
    return cfg.model_copy(update={"source": Path(path)})
