"""Japan time and the canonical bytes: one definition each (scoring.core.clock, scoring.core.canonical)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
import pytest

from scoring.core.canonical import canonical_bytes, canonical_text, sha256_hex
from scoring.core.clock import JST, now_jst, to_jst
from scoring.core.errors import ShinsaError
from scoring.core.signing import sign


def test_jst_is_utc_plus_nine_and_names_the_zone_pandas_uses() -> None:
    noon_utc = dt.datetime(2026, 2, 18, 3, 0, tzinfo=dt.timezone.utc)
    assert to_jst(noon_utc).strftime("%Y-%m-%d %H:%M") == "2026-02-18 12:00"
    assert to_jst(dt.datetime(2026, 2, 18, 3, 0)).hour == 12  # naive: UTC, as the store writes
    assert now_jst().utcoffset() == dt.timedelta(hours=9)
    assert str(pd.DatetimeTZDtype("ns", JST)) == "datetime64[ns, Asia/Tokyo]"


def test_canonical_bytes_are_the_old_spelling_so_old_hashes_still_verify() -> None:
    data = {"b": [1, 2.5, None], "a": "日本語", "c": {"z": True, "y": "x"}}
    old = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert canonical_bytes(data) == old
    assert canonical_text(data) == old.decode("utf-8")
    assert sha256_hex(data) == hashlib.sha256(old).hexdigest()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_canonical_bytes_refuse_nan_and_infinities(bad: float) -> None:
    with pytest.raises(ShinsaError, match="NaN"):
        canonical_bytes({"score": bad})
    with pytest.raises(ShinsaError):
        sign({"score": bad}, b"k" * 32)
