"""The application (応募書) schema and the canonical column names, defined once.

Everything that reads or writes an 応募書 (the Excel template, the reader, the demo
generator, the reports) takes its field list, labels, types and ranges from here.
Column names of the canonical tables (problems, scores) are also defined here so that
they are converted only at the edges (Excel, SQL, widgets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import ScoreTableError

__all__ = [
    "APPLICATION_TYPES",
    "COORDINATION_STATES",
    "FIELDS",
    "FIELDS_BY_KEY",
    "LISTS_SHEET",
    "META_SHEET",
    "POOL_STATUSES",
    "PROBLEM_COLUMNS",
    "PUSH_TYPE",
    "SCORE_COLUMNS",
    "SCORE_KEY",
    "SECTIONS",
    "SEVERITIES",
    "TEMPLATE_SHEET",
    "TEMPLATE_VERSION",
    "THEMES",
    "THEME_CODES",
    "YES_NO",
    "Field",
    "problem_row",
    "require_score_table",
]

#: Version of the 応募書 template layout. Stored in the hidden meta sheet of every
#: template; the reader refuses files of another version with a clear message.
TEMPLATE_VERSION = "2026.1"
#: Name of the visible input sheet.
TEMPLATE_SHEET = "応募書"
#: Name of the hidden sheet that holds the template version.
META_SHEET = "_meta"
#: Name of the (hidden) sheet that holds the drop-down lists.
LISTS_SHEET = "選択肢"

#: The six 重点テーマ of the call (code → Japanese name).
THEMES: dict[str, str] = {
    "A": "システムの共同調達",
    "B": "自治体フロントヤード改革の推進",
    "C": "職員の業務改善に向けた庁内DXの推進",
    "D": "データ利活用",
    "E": "市区町村のデジタル人材の確保・育成に係る方針の策定支援",
    "F": "自治体のAIの利用促進",
}
THEME_CODES: tuple[str, ...] = tuple(THEMES)
#: 人材プールの状況.
POOL_STATUSES: tuple[str, ...] = ("未構築", "構築中", "構築済")
#: 応募区分: the prefecture applied (手上げ式) or MIC chose it from hearings (プッシュ型).
APPLICATION_TYPES: tuple[str, ...] = ("手上げ式", "プッシュ型")
#: プッシュ型: chosen by 総務省 itself, so the submission deadline does not apply to it.
PUSH_TYPE: str = APPLICATION_TYPES[1]
#: State of coordination with the prefecture's HR / finance departments.
COORDINATION_STATES: tuple[str, ...] = ("未着手", "調整中", "合意済")
YES_NO: tuple[str, ...] = ("あり", "なし")

FieldKind = Literal["text", "longtext", "int", "datetime", "date", "choice", "prefecture", "theme", "email"]


@dataclass(frozen=True)
class Field:
    """One input field of the 応募書.

    Attributes
    ----------
    key : str
        Column name in the applications DataFrame (ASCII, snake_case).
    label : str
        Japanese label shown in the template and in error messages.
    section : str
        Section heading of the template (1. 基本情報 …).
    kind : str
        How the value is parsed: text, longtext, int (numbers with units allowed),
        datetime / date (和暦 or Western), choice (one of ``choices``), prefecture
        (name with or without suffix, or JIS code), theme (A–F, full-width, or name),
        email.
    required : bool
        A missing required field is an error; a missing optional one is not reported.
    choices : tuple of str
        Allowed values for ``choice`` fields (also the drop-down list).
    min, max : int, optional
        Allowed range for ``int`` fields; a value outside is an error.
    unit : str
        Unit shown in the label (人, 団体); numbers may be typed with it.
    help : str
        記入上の注意 shown next to the input cell.
    """

    key: str
    label: str
    section: str
    kind: FieldKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None
    unit: str = ""
    help: str = ""
    example: object = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def display_label(self) -> str:
        """The label with its unit, e.g. ``人材プールの人数（人）``."""
        return f"{self.label}（{self.unit}）" if self.unit else self.label


S1 = "1. 基本情報"
S2 = "2. 推進体制の現状"
S3 = "3. 課題"
S4 = "4. 人材確保の計画"
S5 = "5. 重点テーマ"
S6 = "6. 実施体制・スケジュール"
SECTIONS: tuple[str, ...] = (S1, S2, S3, S4, S5, S6)

_N = 200  # generous upper bound for headcounts typed by a prefecture

FIELDS: tuple[Field, ...] = (
    # 1. 基本情報
    Field(
        "prefecture", "都道府県名", S1, "prefecture", True, help="一覧から選択してください（例: 長野県）。"
    ),
    Field("department", "担当部署", S1, "text", True, help="例: 企画振興部DX推進課"),
    Field("contact_name", "担当者名", S1, "text", True),
    Field("contact_email", "連絡先メールアドレス", S1, "email", True),
    Field("contact_phone", "連絡先電話番号", S1, "text"),
    Field(
        "submitted_at",
        "提出日時",
        S1,
        "datetime",
        True,
        help="例: 2026/2/18 15:00 または 令和8年2月18日 15時00分（日本時間）",
    ),
    Field(
        "application_type",
        "応募区分",
        S1,
        "choice",
        True,
        APPLICATION_TYPES,
        help="通常は手上げ式。総務省がヒアリングで選定した場合はプッシュ型。",
    ),
    # 2. 推進体制の現状
    Field("dx_body_exists", "県・市町村のDX推進体制（協議会等）", S2, "choice", True, YES_NO),
    Field("dx_body_since", "推進体制の設置時期", S2, "date", help="例: 2022/4/1 または 令和4年4月1日"),
    Field("pool_status", "人材プールの状況", S2, "choice", True, POOL_STATUSES),
    Field("pool_size_total", "人材プールの人数", S2, "int", True, min=0, max=_N, unit="人"),
    Field("pool_accelerators", "うち自治体DXアクセラレータ", S2, "int", min=0, max=_N, unit="人"),
    Field("pool_fixed_term", "うち任期付職員", S2, "int", min=0, max=_N, unit="人"),
    Field("pool_fulltime", "うち常勤職員", S2, "int", min=0, max=_N, unit="人"),
    Field("pool_outsourced", "うち外部委託", S2, "int", min=0, max=_N, unit="人"),
    Field("pool_secondees", "うち民間企業からの出向者", S2, "int", min=0, max=_N, unit="人"),
    Field(
        "municipalities_supported", "これまでに支援した市町村数", S2, "int", True, min=0, max=200, unit="団体"
    ),
    Field("support_so_far", "これまでの支援内容", S2, "longtext"),
    # 3. 課題
    Field("issue_recruitment", "課題: 人材の確保・採用", S3, "longtext", True),
    Field("issue_employment", "課題: 処遇・任用形態", S3, "longtext"),
    Field("issue_budget", "課題: 予算", S3, "longtext"),
    Field("issue_matching", "課題: 市町村ニーズとのマッチング", S3, "longtext"),
    Field(
        "one_person_it_municipalities", "いわゆる1人情シスの市町村数", S3, "int", min=0, max=200, unit="団体"
    ),
    Field("issue_geography", "課題: 地理的条件（離島・山間部等）", S3, "longtext"),
    # 4. 人材確保の計画
    Field("target_headcount", "確保目標人数", S4, "int", True, min=0, max=_N, unit="人"),
    Field("target_date", "確保目標時期", S4, "date", help="例: 2027/3/31 または 令和9年3月31日"),
    Field("planned_employment", "予定する任用形態", S4, "text", help="例: 任期付職員、会計年度任用職員"),
    Field("funding", "財源", S4, "text", help="例: 普通交付税措置、県単独予算"),
    Field("hr_coordination", "人事当局との調整状況", S4, "choice", True, COORDINATION_STATES),
    Field("finance_coordination", "財政当局との調整状況", S4, "choice", True, COORDINATION_STATES),
    # 5. 重点テーマ
    Field(
        "theme",
        "重点テーマ",
        S5,
        "theme",
        True,
        tuple(f"{code}) {name}" for code, name in THEMES.items()),
        help="A〜F から1つ選択してください。",
    ),
    Field("theme_reason", "テーマ選択の理由", S5, "longtext", True),
    Field("participating_municipalities", "参加予定の市町村数", S5, "int", True, min=0, max=200, unit="団体"),
    Field(
        "participating_names",
        "参加予定の市町村名",
        S5,
        "longtext",
        help="読点（、）で区切って記入してください。",
    ),
    Field("expected_outputs", "期待する成果", S5, "longtext"),
    Field("kpis", "KPI（成果指標）", S5, "longtext"),
    # 6. 実施体制・スケジュール
    Field("implementation", "実施体制", S6, "longtext"),
    Field("schedule", "令和8年度のスケジュール", S6, "longtext"),
)
FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}

#: Columns of every problems table (intake, rubric, round): one row per problem.
PROBLEM_COLUMNS: tuple[str, ...] = ("file", "sheet", "cell", "field", "severity", "message", "action")


def problem_row(
    file: str, severity: str, message: str, action: str, *, sheet: str = "", cell: str = "", field: str = ""
) -> dict[str, str]:
    """One row of a problems table (:data:`PROBLEM_COLUMNS`)."""
    return {
        "file": file,
        "sheet": sheet,
        "cell": cell,
        "field": field,
        "severity": severity,
        "message": message,
        "action": action,
    }


#: ``error`` blocks use of the value or the file; ``warning`` is shown but not blocking;
#: ``info`` (情報) only records what was done (e.g. a file replaced by a newer submission).
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")

#: The canonical long score table (one row per application × reviewer × criterion).
SCORE_COLUMNS: tuple[str, ...] = (
    "application",
    "reviewer",
    "criterion",
    "score",
    "comment",
    "updated_at",
    "rubric_version",
)

#: The key of the canonical score table: one score per application × reviewer × criterion.
SCORE_KEY: tuple[str, str, str] = ("application", "reviewer", "criterion")


def require_score_table(
    scores: object, *, what: str = "点数の表", columns: tuple[str, ...] = (*SCORE_KEY, "score")
) -> None:
    """Check that ``scores`` is a canonical long score table: a DataFrame with ``columns``.

    The one entry check of every function that takes scores (combining, reliability,
    disagreement, tuning, the score fingerprint); each then checks what it needs beyond it.

    Raises
    ------
    ScoreTableError
        ``scores`` is not a pandas DataFrame, or a column is missing (Japanese message
        naming it and the columns needed).
    """
    import pandas as pd

    if not isinstance(scores, pd.DataFrame):
        raise ScoreTableError(
            f"{what}は pandas の DataFrame で渡してください（受け取った型: {type(scores).__name__}）。"
        )
    missing = [c for c in columns if c not in scores.columns]
    if missing:
        raise ScoreTableError(
            f"{what}に列 {', '.join(missing)} がありません。必要な列: {', '.join(columns)}"
            "（scoring.core.schema.SCORE_COLUMNS の形にしてください）。"
        )
