"""Reference data and block schemes."""

from __future__ import annotations

import pytest

from scoring.core.reference import BLOCK_SCHEMES, TILE_GRID, block_of, prefecture_blocks, prefectures


def test_reference_has_47_prefectures_with_published_totals():
    p = prefectures()
    assert len(p) == 47 and p.index[0] == "01" and p.index[-1] == "47"
    # DOMAIN.md: 1,718 市町村 (792 市, 743 町, 183 村), 1,741 with Tokyo's 23 特別区.
    assert p["municipalities"].sum() == 1718
    assert p["municipalities_incl_wards"].sum() == 1741
    assert (p["cities_shi"].sum(), p["towns_machi"].sum(), p["villages_mura"].sum()) == (792, 743, 183)
    assert p.at["20", "short_name"] == "長野" and p.at["01", "short_name"] == "北海道"


def test_block_schemes_are_settings():
    assert block_of("24") == "近畿"
    assert block_of("24", "10blocks") == "東海"
    assert block_of("47", "10blocks") == "沖縄"
    assert prefecture_blocks().value_counts()["関東"] == 7
    with pytest.raises(ValueError, match="8blocks"):
        block_of("01", "nine")
    assert set(BLOCK_SCHEMES) >= {"8blocks", "10blocks"}


def test_tile_grid_places_every_prefecture_once():
    assert set(TILE_GRID) == set(prefectures().index)
    assert len(set(TILE_GRID.values())) == 47
