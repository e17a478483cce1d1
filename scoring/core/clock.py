"""Japan time, defined once: what every date shown to a person is written in.

The store records times in UTC (ISO 8601); everything a person reads — the committee
material, letters, the reviewer's screen, the CLI — shows them in Japan Standard Time (JST,
UTC+9), through :data:`JST` and :func:`to_jst`; the 応募書's dates are read as JST
(``datetime64[ns, Asia/Tokyo]`` columns).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

__all__ = ["JST", "now_jst", "to_jst"]

#: Japan Standard Time, the IANA zone ``Asia/Tokyo`` (UTC+9). pandas takes it as it is
#: (``Series.dt.tz_convert(JST)``, ``pd.DatetimeTZDtype("ns", JST)``).
JST = ZoneInfo("Asia/Tokyo")


def now_jst() -> dt.datetime:
    """The current time in JST (time-zone aware)."""
    return dt.datetime.now(JST)


def to_jst(when: dt.datetime) -> dt.datetime:
    """``when`` (time-zone aware) in JST; a naive time is taken as UTC, as the store writes."""
    return (when if when.tzinfo is not None else when.replace(tzinfo=dt.timezone.utc)).astimezone(JST)
