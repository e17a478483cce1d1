"""Reliability of the reviewers' scores: Krippendorff's alpha, ICC and Kendall's W.

Three questions a committee asks of its own scores, answered on the canonical long
score table (:data:`scoring.core.schema.SCORE_COLUMNS`: ``application, reviewer,
criterion, score``) or on a plain targets × raters table:

* :func:`krippendorff_alpha` — do the reviewers agree, per 評価項目 and on the weighted
  total (合計点), with missing scores allowed (conflicts of interest, reviewers who
  score only their assigned applications)?
* :func:`icc` — the six intraclass correlations of Shrout & Fleiss (1979) for a
  complete targets × raters table, with F tests and confidence intervals.
* :func:`kendall_w` — do the reviewers *rank* the applications alike (Kendall's
  coefficient of concordance, corrected for ties)?

:func:`reviewer_totals` gives the weighted total each reviewer gives each application
(the quantity the totals rows are computed on), and :func:`reliability_table` puts
the numbers a committee needs per criterion and for the total in one table.

Reading the numbers (for the committee)
---------------------------------------
Krippendorff (2004, *Content Analysis*, §11.4) recommends relying on variables with
alpha ≥ 0.800 and drawing only tentative conclusions from 0.667 ≤ alpha < 0.800.
For ICCs, Koo & Li (2016) call < 0.50 poor, 0.50–0.75 moderate, 0.75–0.90 good and
> 0.90 excellent. With a handful of reviewers and 10–20 applications these
statistics are themselves uncertain: read them as a warning light for a criterion
whose anchors reviewers read differently, not as a pass mark.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from ..core.columns import ALPHA_COLUMNS, ICC_COLUMNS, KENDALL_COLUMNS, RELIABILITY_COLUMNS, TOTALS_COLUMNS
from .alpha import ALL_CRITERIA, LEVELS, TOTAL, alpha_judgement, krippendorff_alpha
from .icc_incomplete import icc_incomplete
from .raters import icc, kendall_w
from .scoretable import _criterion_order, check_scores, reviewer_totals

if TYPE_CHECKING:
    from ..config.rubric import Rubric

__all__ = [
    "ALL_CRITERIA",
    "ALPHA_COLUMNS",
    "ICC_COLUMNS",
    "KENDALL_COLUMNS",
    "LEVELS",
    "RELIABILITY_COLUMNS",
    "TOTAL",
    "TOTALS_COLUMNS",
    "alpha_judgement",
    "check_scores",
    "icc",
    "kendall_w",
    "krippendorff_alpha",
    "reliability_table",
    "reviewer_totals",
]


# ---------------------------------------------------------------------------
# One table for the committee
# ---------------------------------------------------------------------------


def reliability_table(
    scores: pd.DataFrame,
    rubric: Rubric | None = None,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Reliability per criterion and for the weighted total, in one table.

    Parameters
    ----------
    scores : pandas.DataFrame
        Canonical long score table.
    rubric, weights :
        As for :func:`reviewer_totals` (the ``"total"`` row).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RELIABILITY_COLUMNS`, one row per criterion (rubric order)
        and a last row ``"total"``:

        - ``criterion`` (str);
        - ``n_applications``, ``n_reviewers``, ``n_scores`` (int): what was scored;
        - ``complete`` (bool): every reviewer scored every application (needed for
          ICC and Kendall's W; conflicts of interest make a round incomplete);
        - ``alpha_interval``, ``alpha_ordinal`` (float): Krippendorff's alpha;
        - ``icc_a1``, ``icc_ak`` (float): ICC(A,1) (one reviewer) and ICC(A,k)
          (the mean of the reviewers), absolute agreement: Shrout & Fleiss' figures when
          complete; otherwise from the scored cells (:func:`icc_incomplete`, Henderson's
          Method III; k = the harmonic mean of reviewers per application);
        - ``kendall_w`` (float): W with tie correction; NaN when incomplete;
        - ``judgement`` (str): reading of ``alpha_interval``
          (:func:`alpha_judgement`).
    """
    scored = check_scores(scores)
    a_int = krippendorff_alpha(scores, "interval", rubric=rubric, weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a_ord = krippendorff_alpha(scores, "ordinal", rubric=rubric, weights=weights)
        totals = reviewer_totals(scores, rubric, weights=weights, warn=False)
    parts: list[tuple[str, pd.DataFrame]] = [
        (c, scored.loc[scored["criterion"] == c, ["application", "reviewer", "score"]])
        for c in _criterion_order(scored, rubric)
    ]
    parts.append(
        (TOTAL, totals.rename(columns={"total": "score"}).loc[:, ["application", "reviewer", "score"]])
    )
    rows = []
    for (label, part), ai, ao in zip(parts, a_int["alpha"], a_ord["alpha"]):
        n_app = int(part["application"].nunique())
        n_rev = int(part["reviewer"].nunique())
        complete = len(part) > 0 and len(part) == n_app * n_rev and n_app >= 2 and n_rev >= 2
        w = float("nan")
        estimate = icc_incomplete(part)
        icc_a1, icc_ak = estimate.icc_a1, estimate.icc_ak
        if complete:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                res = icc(part)
                icc_a1 = float(res.loc[res["type"] == "ICC(A,1)", "icc"].iloc[0])
                icc_ak = float(res.loc[res["type"] == "ICC(A,k)", "icc"].iloc[0])
                w = float(kendall_w(part)["W"].iloc[0])
        rows.append(
            {
                "criterion": label,
                "n_applications": n_app,
                "n_reviewers": n_rev,
                "n_scores": len(part),
                "complete": bool(complete),
                "alpha_interval": float(ai),
                "alpha_ordinal": float(ao),
                "icc_a1": icc_a1,
                "icc_ak": icc_ak,
                "kendall_w": w,
                "judgement": alpha_judgement(float(ai)),
            }
        )
    return pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))
