"""The letters' settings in round.yaml (``letters:``): who sends them, their number and date.

:class:`LetterSettings` is the ``letters`` key of :class:`scoring.config.round.RoundConfig`;
every key is optional. The 講評 (:mod:`scoring.reporting.feedback`) print the sender, the
文書番号 and the date in 和暦 from here, say how far a non-selected application was from the
selection line only as a band when ``gap_band`` is true, and show an application outside
the review (対象外) its points only when ``scores_for_excluded`` is true.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LetterSettings"]


class LetterSettings(BaseModel):
    """Contents of ``letters:`` in round.yaml (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: 差出人, e.g. 「総務省 自治行政局 地域力創造グループ 地域情報化企画室長」 (default 審査事務局).
    sender: str = ""
    #: 文書番号, e.g. 「総行情第 123 号」 (default: none printed).
    document_number: str = ""
    #: 発信日 (default: the day the letters are written); printed in 和暦.
    date: dt.date | None = None
    #: Tell a non-selected application how far it was from the selection line, as a band only
    #: (「選定ラインまで 1 点未満」); off by default.
    gap_band: bool = False
    #: Show an application outside the review (対象外) its points (off by default: the letter
    #: says why it was not reviewed and nothing more).
    scores_for_excluded: bool = False
    #: 問い合わせ先 printed at the end of each letter (free text).
    contact: str = Field(default="")
