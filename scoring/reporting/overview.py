"""Overview of a round's applications for people: Japanese tables and a tile map.

These functions turn the canonical tables of :mod:`scoring.intake.applications` into what the
analyst sees in ``01_applications.ipynb``, what the main job prints, and what goes into
``reports/applications.xlsx``. They compute nothing new; they only select, label, count
and draw.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import pandas as pd
from pandas.io.formats.style import Styler

from ..core.clock import JST
from ..core.columns import HEADERS_JA
from ..core.reference import TILE_GRID, prefectures
from ..core.schema import APPLICATION_TYPES, FIELDS, POOL_STATUSES, PROBLEM_COLUMNS, THEMES
from ..round.eligibility_records import ELIGIBILITY_ACTIONS, eligibility_log
from .figures import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from pandas.io.formats.style_render import CSSDict

    from ..round.loader import ReviewRound

__all__ = [
    "SEVERITY_JA",
    "analyst_table",
    "application_table",
    "application_view",
    "breakdown",
    "eligibility_log_table",
    "eligibility_table",
    "field_labels",
    "problem_table",
    "problem_view",
    "tile_map",
]

SEVERITY_JA = {"error": "エラー", "warning": "警告", "info": "情報"}

_PROBLEM_HEADERS = dict(
    zip(PROBLEM_COLUMNS, ("ファイル", "シート", "セル", "項目", "重要度", "内容", "対処"))
)

#: Columns of the summary table, with Japanese headers (units in the header).
_SUMMARY: dict[str, str] = {
    "prefecture_name": HEADERS_JA["prefecture_name"],
    "block": HEADERS_JA["block"],
    "application_type": HEADERS_JA["application_type"],
    "theme": HEADERS_JA["theme"],
    "theme_name": "重点テーマ名",
    "pool_status": "人材プールの状況",
    "pool_size_total": "人材プールの人数（人）",
    "target_headcount": "確保目標人数（人）",
    "municipalities": "市町村数（団体）",
    "towns_villages_share_pct": "町村の割合（％）",
    "pop_change_2015_2020_pct": "人口増減率 2015→2020（％）",
    "participating_municipalities": "参加予定の市町村数（団体）",
    "submitted_at": "提出日時（日本時間）",
    "received_at": "受付日時（日本時間）",
    "late": "期限後提出",
    "withdrawn": "辞退",
    "n_errors": "エラー数",
    "n_warnings": "警告数",
    "file": "ファイル",
}

_BREAKDOWNS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "block": (HEADERS_JA["block"], None),
    "theme": (HEADERS_JA["theme"], tuple(THEMES)),
    "pool_status": ("人材プールの状況", POOL_STATUSES),
    "application_type": (HEADERS_JA["application_type"], APPLICATION_TYPES),
}


def problem_table(problems: pd.DataFrame) -> pd.DataFrame:
    """The problems table with Japanese headers and severities, errors first.

    Input: a problems DataFrame with the columns :data:`scoring.core.schema.PROBLEM_COLUMNS`.
    Output columns: ファイル, シート, セル, 項目, 重要度 (エラー / 警告 / 情報), 内容, 対処.
    """
    out = problems.loc[:, list(PROBLEM_COLUMNS)].copy()
    order = out["severity"].map({"error": 0, "warning": 1, "info": 2}).fillna(3)
    out = out.assign(_o=order).sort_values(["_o", "file"], kind="stable").drop(columns="_o")
    out["severity"] = out["severity"].map(lambda s: SEVERITY_JA.get(s, s))
    return out.rename(columns=_PROBLEM_HEADERS).reset_index(drop=True)


def _error_counts(applications: pd.DataFrame, problems: pd.DataFrame) -> pd.DataFrame:
    by_file = problems.groupby(["file", "severity"]).size().unstack(fill_value=0)
    counts = pd.DataFrame(index=applications.index)
    for sev in ("error", "warning"):
        col = by_file[sev] if sev in by_file else pd.Series(dtype="int64")
        counts[f"n_{sev}s"] = applications["file"].map(col).fillna(0).astype("int64")
    return counts


def application_table(
    applications: pd.DataFrame, problems: pd.DataFrame | None = None, received: pd.Series | None = None
) -> pd.DataFrame:
    """One row per application with the columns a reader scans first, Japanese headers.

    Parameters
    ----------
    applications : DataFrame
        As returned by :func:`scoring.read_applications` (index ``application``).
    problems : DataFrame, optional
        The problems table; gives the エラー数 / 警告数 columns per file.
    received : Series, optional
        The recorded receipt time per application (``ReviewRound.eligibility["received_at"]``:
        a correction keeps the original submission's); shown as 受付日時 beside the typed 提出日時.

    Returns
    -------
    DataFrame
        Index 応募ID (the prefecture's JIS code); columns as in ``_SUMMARY`` that exist.
    """
    df = applications.copy()
    if problems is not None:
        df = df.drop(columns=[c for c in ("n_errors", "n_warnings") if c in df]).join(
            _error_counts(df, problems)
        )
    if "submitted_at" in df and len(df):
        ts = pd.to_datetime(df["submitted_at"], utc=True).dt.tz_convert(JST)
        df["submitted_at"] = ts.dt.tz_localize(None)
    if received is not None and len(df):
        got = pd.to_datetime(received.reindex(df.index), utc=True).dt.tz_convert(JST)
        df["received_at"] = got.dt.tz_localize(None)
    if "late" in df:
        df["late"] = df["late"].map({True: "期限後", False: ""}).fillna("")
    if "withdrawn" in df:
        df["withdrawn"] = df["withdrawn"].map({True: "辞退", False: ""}).fillna("")
    cols = [c for c in _SUMMARY if c in df.columns]
    out = df.loc[:, cols].rename(columns=_SUMMARY)
    out.index.name = HEADERS_JA["application"]
    return out


#: Japanese headers of the analyst's table columns that hold sentences (wrapped, never cut off).
WRAPPED_HEADERS: tuple[str, ...] = ("内容", "対処", "注意", "理由", "ファイル", "項目")
#: Minimum widths (CSS) so short Japanese names are never squeezed to one character a line.
MIN_WIDTHS: dict[str, str] = {
    HEADERS_JA["prefecture_name"]: "5.5em",
    "重点テーマ名": "9em",
    HEADERS_JA["block"]: "6.5em",
    "人材プールの状況": "8em",
    HEADERS_JA["application_type"]: "5.5em",
    "提出日時（日本時間）": "10em",
    "内容": "18em",
    "対処": "14em",
    "注意": "12em",
    "ファイル": "9em",
    "項目": "8em",
    "重要度": "3.5em",
}


def analyst_table(
    frame: pd.DataFrame,
    *,
    wrap: tuple[str, ...] = WRAPPED_HEADERS,
    min_widths: dict[str, str] | None = None,
    precision: int = 1,
    na_rep: str = "",
) -> Styler:
    """A table for the analyst's notebooks: every cell's full text, long text wrapped.

    ``DataFrame._repr_html_`` cuts strings at ``display.max_colwidth`` (50 characters,
    "...") and lets the browser squeeze narrow columns; this Styler prints each value in
    full, wraps the columns named in ``wrap`` (``white-space: normal``) and gives short
    columns such as 都道府県 a minimum width (``min_widths``, CSS lengths by header;
    default :data:`MIN_WIDTHS`). Numbers are shown with ``precision`` decimals, counts (columns
    whose values are all whole numbers) without decimals; missing values are ``na_rep`` (blank by
    default; e.g. 「不明」), never ``nan``. A table wider than the screen scrolls sideways inside
    its own box instead of being cut at the right.
    """
    widths = dict(MIN_WIDTHS if min_widths is None else min_widths)
    styles: list[CSSDict] = [
        # JupyterLab lays rendered tables out with ``table-layout: fixed`` (equal columns):
        # the table's own id selector wins and lets each column take the width it needs.
        {
            "selector": "",
            "props": "border-collapse: collapse; font-size: 12px; table-layout: auto; "
            "margin-left: 0; width: auto; display: block; max-width: 100%; overflow-x: auto;",
        },
        {
            "selector": "th",
            "props": "white-space: normal; min-width: 3em; text-align: center; background: #f2f2f2; "
            "padding: 3px 6px; vertical-align: bottom;",
        },
        {"selector": "tbody th", "props": "vertical-align: top; text-align: left;"},
        {
            "selector": "td",
            "props": "white-space: nowrap; text-align: left; padding: 2px 6px; "
            "vertical-align: top; border-bottom: 1px solid #eee;",
        },
    ]
    styler = Styler(frame, cell_ids=False, precision=precision, na_rep=na_rep)
    styler = _format_counts_and_gaps(styler, frame, na_rep)
    styler = styler.set_table_styles(styles).set_table_attributes("class='shinsa-analyst-table'")
    for i, col in enumerate(frame.columns):
        props = []
        if col in wrap:
            props.append("white-space: normal; overflow-wrap: anywhere; max-width: 36em;")
        if str(col) in widths:
            props.append(f"min-width: {widths[str(col)]};")
        if props:
            styler = styler.set_table_styles(
                {
                    col: [
                        {"selector": "td", "props": " ".join(props)},
                        {"selector": "th", "props": f"min-width: {widths.get(str(col), '0')};"},
                    ]
                },
                overwrite=False,
            )
    return styler


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    """A cell of a text column: a whole number mixed in (e.g. a head-count beside 「不明」) without decimals."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_count(column: pd.Series) -> bool:
    values = pd.to_numeric(column, errors="coerce").dropna()
    return pd.api.types.is_numeric_dtype(column) and bool(len(values)) and bool((values % 1 == 0).all())


def _format_counts_and_gaps(styler: Styler, frame: pd.DataFrame, na_rep: str) -> Styler:
    """Whole-number columns without decimals; NaN/None in text columns shown as ``na_rep``."""
    for col in frame.columns:
        column = frame[col]
        if pd.api.types.is_bool_dtype(column):
            continue
        if _is_count(column):
            styler = styler.format("{:.0f}", subset=[col], na_rep=na_rep)
        elif not pd.api.types.is_numeric_dtype(column):
            styler = styler.format(lambda v: na_rep if _missing(v) else _text(v), subset=[col])
    return styler


#: The CLI command of an eligibility decision inside a 対処 text (round/eligibility.py).
_ELIGIBILITY_COMMAND = re.compile(
    r"python -m scoring eligibility ([\w-]+) --round \S+ --application (\S+) --by 名前 --reason 理由"
)


def _to_the_panel(text: object) -> object:
    """A 対処 text for notebook 01: the panel below instead of a command with a server path."""
    if not isinstance(text, str):
        return text

    def panel(m: re.Match[str]) -> str:
        label = ELIGIBILITY_ACTIONS.get(m[1].replace("-", "_"), m[1])
        return f"下の「受付の判断」で、判断「{label}」・応募 {m[2]} を選び、記録する人と理由を入れて記録"

    return _ELIGIBILITY_COMMAND.sub(panel, text)


def problem_view(problems: pd.DataFrame) -> Styler:
    """:func:`problem_table` for notebook 01: 内容 and 対処 in full, wrapped; a 対処 that is a
    recorded 受付の判断 points to the panel below rather than to a command."""
    table = problem_table(problems)
    table["対処"] = table["対処"].map(_to_the_panel)
    return analyst_table(table).hide(axis="index")


def _minute(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, pd.Timestamp) and not pd.isna(value) else ""


def application_view(applications: pd.DataFrame, problems: pd.DataFrame | None = None) -> Styler:
    """:func:`application_table` for the screen: names never squeezed, dates to the minute."""
    table = application_table(applications, problems)
    styler = analyst_table(table)
    if "提出日時（日本時間）" in table:
        styler = styler.format(_minute, subset=["提出日時（日本時間）"])
    return styler


def eligibility_table(rnd: ReviewRound) -> pd.DataFrame:
    """Each application's receipt and eligibility (``rnd.eligibility``) with Japanese headers.

    Columns 都道府県, 応募区分 (the one that counts: プッシュ型 only with the ministry's
    recorded decision), ファイル, 受付日時（日本時間）(text to the minute), 受付の状況,
    記録された判断, 応募書の応募区分 (what the form says); index 応募.
    """
    assert rnd.eligibility is not None
    table = rnd.eligibility.copy()
    table["received_at"] = table["received_at"].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    table = table.drop(columns=["late", "withdrawn"]).rename(
        columns={
            "prefecture_name": HEADERS_JA["prefecture_name"],
            "application_type": HEADERS_JA["application_type"],
            "form_type": "応募書の応募区分",
            "file": "ファイル",
            "received_at": "受付日時（日本時間）",
            "status": "受付の状況",
            "records": "記録された判断",
        }
    )
    table.index.name = "応募"
    return table


def eligibility_log_table(rnd: ReviewRound) -> pd.DataFrame:
    """The recorded eligibility decisions (:func:`scoring.round.eligibility_records.eligibility_log`),
    Japanese headers, times as text to the minute; index イベント."""
    log = eligibility_log(rnd.eligibility_records, dict(rnd.applications["prefecture_name"]))
    for c in ("recorded_at", "original_received"):
        log[c] = log[c].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    return log.rename(
        columns={
            "event_id": "イベント",
            "recorded_at": "記録日時（日本時間）",
            "action": "判断",
            "application": "応募",
            "prefecture_name": HEADERS_JA["prefecture_name"],
            "file": "ファイル",
            "original_received": "元の受付日時",
            "by": "記録した人",
            "reason": "理由",
        }
    ).set_index("イベント")


def breakdown(applications: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Counts of applications by region, theme, pool status and 応募区分.

    Returns a dict title → DataFrame (one column 件数, categories in their natural order,
    zero counts kept for themes, pool statuses and 応募区分 so gaps are visible).
    """
    out: dict[str, pd.DataFrame] = {}
    for col, (title, order) in _BREAKDOWNS.items():
        if col not in applications:
            continue
        counts = applications[col].astype("string").value_counts()
        if order is not None:
            counts = counts.reindex(list(order), fill_value=0)
        if col == "theme":
            counts.index = [f"{c}) {THEMES[c]}" for c in counts.index]
        frame = counts.rename("件数").to_frame()
        frame.index.name = title
        out[title] = frame
    return out


def tile_map(
    applications: pd.DataFrame,
    *,
    highlight: pd.Series | None = None,
    title: str = "応募のあった都道府県",
) -> Figure:
    """A tile map of Japan (one square per prefecture); applicants coloured by theme.

    Drawn with matplotlib from :data:`scoring.core.reference.TILE_GRID`: no geodata, no
    internet. Japanese text uses the bundled IPAex font (``matplotlib_fontja``).

    Parameters
    ----------
    applications : DataFrame
        Index = JIS code; uses the ``theme`` column when present.
    highlight : Series of bool, optional
        Applications to outline in bold (e.g. the proposed selection).
    """
    from matplotlib.patches import Patch, Rectangle

    colours = dict(zip(THEMES, ("#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#B07AA1", "#76B7B2")))
    names = prefectures()["short_name"]
    fig = new_figure(7.5, 7.5)
    ax = fig.add_subplot()
    for code, (x, y) in TILE_GRID.items():
        applied = code in applications.index
        theme = str(applications.at[code, "theme"]) if applied and "theme" in applications else None
        face = colours.get(theme or "", "#9C9C9C") if applied else "#EEEEEE"
        bold = bool(highlight is not None and highlight.get(code, False))
        ax.add_patch(
            Rectangle(
                (x, -y),
                0.94,
                0.94,
                facecolor=face,
                edgecolor="black" if bold else "white",
                linewidth=3 if bold else 1,
            )
        )
        ax.text(
            x + 0.47,
            -y + 0.47,
            str(names[code]),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if applied else "#777777",
        )
    handles = [Patch(color=c, label=f"{k}) {THEMES[k]}") for k, c in colours.items()]
    handles.append(Patch(color="#EEEEEE", label="応募なし"))
    ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=False, title=HEADERS_JA["theme"])
    ax.set_xlim(-0.2, 12.2)
    ax.set_ylim(-11.2, 1.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title)
    return fig


def field_labels() -> pd.DataFrame:
    """The 応募書 schema as a table: key, 区分, 項目, 必須, 種類."""
    rows = [(f.key, f.section, f.display_label, "必須" if f.required else "", f.kind) for f in FIELDS]
    return pd.DataFrame(rows, columns=["key", "区分", "項目", "必須", "種類"]).set_index("key")
