"""Reference data about the 47 prefectures and the regional block schemes.

The CSV files live in ``data/reference/`` (provenance in its README). Regional blocks are
a setting of the round (``block_scheme`` in round.yaml), not a constant: the textbook
8 blocks are the default and common alternatives are offered by name.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pandas as pd

from .errors import OptionError
from .paths import PROJECT_DIR

__all__ = [
    "BLOCK_SCHEMES",
    "REFERENCE_DIR",
    "TILE_GRID",
    "block_of",
    "normalise_name",
    "prefecture_blocks",
    "prefectures",
]

REFERENCE_DIR = PROJECT_DIR / "data" / "reference"

#: Block schemes: the textbook eight, and variants that move single prefectures.
#: Each variant is given as overrides of the textbook assignment (JIS code → block).
BLOCK_SCHEMES: dict[str, dict[str, str]] = {
    "8blocks": {},
    # 東海 split out of 中部 with 三重; 北陸信越; 山梨 in 関東; 沖縄 on its own.
    "10blocks": {
        "15": "北陸信越",
        "16": "北陸信越",
        "17": "北陸信越",
        "18": "北陸信越",
        "20": "北陸信越",
        "19": "関東",
        "21": "東海",
        "22": "東海",
        "23": "東海",
        "24": "東海",
        "47": "沖縄",
    },
}


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    base = pd.read_csv(REFERENCE_DIR / "prefectures.csv", dtype={"code": str})
    extra = pd.read_csv(REFERENCE_DIR / "prefectures_extra.csv", dtype={"code": str})
    extra = extra.drop(columns=["name_ja"])
    df = base.merge(extra, on="code", how="left", validate="one_to_one")
    df["code"] = df["code"].str.zfill(2)
    df["short_name"] = [_short(n) for n in df["name_ja"]]
    return df.set_index("code")


def _short(name: str) -> str:
    """北海道 stays; 東京都 → 東京, 大阪府 → 大阪, 長野県 → 長野."""
    if name == "北海道":
        return name
    return name[:-1] if name[-1] in "都府県" else name


def prefectures() -> pd.DataFrame:
    """The 47 prefectures, one row each, indexed by two-digit JIS code (``code``).

    Columns: ``name_ja`` (長野県), ``name_en``, ``short_name`` (長野), ``region_ja`` and
    ``region_en`` (textbook 8 blocks), ``municipalities`` (市町村, without Tokyo's 特別区),
    ``population_2020`` (thousands), ``cities_shi``, ``towns_machi``, ``villages_mura``,
    ``population_2020_exact``, ``population_2015_exact``, ``pop_change_2015_2020_pct``,
    ``avg_pop_per_municipality_2020``, ``towns_villages_share_pct``,
    ``mic_regional_bureau``. A copy is returned; callers may modify it.
    """
    return _load().copy()


def block_of(code: str, scheme: str = "8blocks") -> str:
    """Regional block of a prefecture (JIS code) under a block scheme.

    Raises
    ------
    ValueError
        If the scheme is unknown (the message lists the allowed schemes).
    """
    if scheme not in BLOCK_SCHEMES:
        allowed = "、".join(BLOCK_SCHEMES)
        raise OptionError(
            f"地方ブロック区分 '{scheme}' は定義されていません。次のいずれかを指定してください: {allowed}"
        )
    override = BLOCK_SCHEMES[scheme].get(code)
    return override if override is not None else str(_load().at[code, "region_ja"])


def prefecture_blocks(scheme: str = "8blocks") -> pd.Series:
    """Block of every prefecture under ``scheme``: Series indexed by code, name ``block``."""
    codes = _load().index
    return pd.Series([block_of(c, scheme) for c in codes], index=codes, name="block")


def normalise_name(text: str) -> str:
    """NFKC and strip spaces: the form in which prefecture names are compared."""
    return "".join(unicodedata.normalize("NFKC", text).split())


#: A tile-grid map of Japan: JIS code → (column, row), row 0 at the top. Drawn without
#: geodata or internet; each prefecture is one square, roughly in place.
TILE_GRID: dict[str, tuple[int, int]] = {
    "01": (11, 0),
    "02": (10, 1),
    "05": (9, 2),
    "03": (10, 2),
    "06": (9, 3),
    "04": (10, 3),
    "17": (6, 4),
    "16": (7, 4),
    "15": (8, 4),
    "07": (9, 4),
    "18": (6, 5),
    "21": (7, 5),
    "20": (8, 5),
    "10": (9, 5),
    "09": (10, 5),
    "32": (2, 6),
    "31": (3, 6),
    "28": (4, 6),
    "26": (5, 6),
    "25": (6, 6),
    "23": (7, 6),
    "19": (8, 6),
    "11": (9, 6),
    "08": (10, 6),
    "35": (1, 7),
    "34": (2, 7),
    "33": (3, 7),
    "27": (4, 7),
    "29": (5, 7),
    "24": (6, 7),
    "22": (7, 7),
    "14": (8, 7),
    "13": (9, 7),
    "12": (10, 7),
    "42": (0, 8),
    "41": (1, 8),
    "40": (2, 8),
    "38": (3, 8),
    "37": (4, 8),
    "30": (5, 8),
    "43": (1, 9),
    "44": (2, 9),
    "39": (3, 9),
    "36": (4, 9),
    "46": (1, 10),
    "45": (2, 10),
    "47": (0, 11),
}
