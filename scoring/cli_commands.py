"""The commands of :mod:`scoring.cli`, one function each (``args`` in, exit code out).

Each command imports what it needs inside itself, so that ``python -m scoring --help``
and the light commands stay fast; :mod:`scoring.cli` builds the parser around them. The
``sheets`` commands (the offline Excel 採点表) are in :mod:`scoring.cli_sheets`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .core.columns import HEADERS_JA

if TYPE_CHECKING:
    import pandas as pd

    from .round.loader import ReviewRound

__all__ = ["lab_settings_path"]


def _print_table(title: str, df: pd.DataFrame) -> None:
    import pandas as pd

    print(f"\n■ {title}")
    if df.empty:
        print("（なし）")
        return
    with pd.option_context(
        "display.unicode.east_asian_width",
        True,
        "display.max_columns",
        None,
        "display.width",
        250,
        "display.max_colwidth",
        60,
        "display.max_rows",
        500,
    ):
        print(df.to_string())


def _cmd_run(args: argparse.Namespace) -> int:
    from .reporting.overview import application_table, breakdown, problem_table
    from .reporting.report import received_times, write_applications_report
    from .round.loader import load_round

    rnd = load_round(args.round)
    _check_records(rnd, "run")
    print(f"審査ラウンド: {rnd.config.name}（{rnd.path}）")
    print(
        f"提出期限: {rnd.config.deadline.isoformat()}　評価基準: {rnd.rubric.name_ja}（版 {rnd.rubric.version}）"
    )
    print(
        f"応募: {len(rnd.applications)} 件　審査員: {len(rnd.reviewers)} 名　"
        f"問題: エラー {int((rnd.problems['severity'] == 'error').sum())} 件・"
        f"警告 {int((rnd.problems['severity'] == 'warning').sum())} 件・"
        f"情報 {int((rnd.problems['severity'] == 'info').sum())} 件"
    )
    from .cli_status import with_status

    summary = with_status(rnd, application_table(rnd.applications, rnd.problems, received_times(rnd)))
    cols = [
        *(HEADERS_JA[k] for k in ("prefecture_name", "block", "application_type", "theme")),
        "人材プールの状況",
        "市町村数（団体）",
        "受付日時（日本時間）",
        "期限後提出",
        "エラー数",
        "警告数",
        "区分",
        "対象外の理由",
    ]
    _print_table("応募一覧", summary[[c for c in cols if c in summary]])
    for title, table in breakdown(rnd.applications).items():
        _print_table(f"{title}別の件数", table.T)
    _print_table("問題一覧", problem_table(rnd.problems).drop(columns=["シート"]))
    out_dir = _out_dir(rnd, args.out)
    out = write_applications_report(rnd, out_dir / "applications.xlsx")
    print(f"\n書き出しました: {out}")
    return _committee_report(rnd, out_dir, scores_required=False)


def _out_dir(rnd: ReviewRound, out: str | None) -> Path:
    """Where a command writes: ``--out`` if given, else the round's own ``reports/`` folder."""
    return Path(out) if out else Path(rnd.path) / "reports"


def _committee_report(rnd: ReviewRound, out_dir: Path, *, scores_required: bool) -> int:
    """Write committee.html/.xlsx and print the proposed selection (run and report).

    A round without scores raises :class:`NoScoresError` when ``scores_required`` (the
    ``report`` command: exit 2, nothing written or removed); ``run`` notes it and goes on,
    since its applications report is useful before any review.
    """
    from .analysis.committee import build_committee
    from .cli_report import anchor_report, refuse_missing_store
    from .core.errors import NoScoresError
    from .reporting.committee_copy import write_committee_material
    from .reporting.committee_tables import selection_ja

    try:
        refuse_missing_store(rnd)  # a round without a store has no scores: none is created
        c = build_committee(rnd)
    except NoScoresError as e:
        if scores_required:
            raise
        print(f"\n選定委員会資料は作成しませんでした: {e}")
        return 0
    c = anchor_report(rnd, c)  # sign what the material is computed from (its 注記 shows it)
    paths = write_committee_material(rnd, out_dir, c)  # on a server round also the committee's copy
    for w in c.all_warnings:
        print(f"\n警告: {w}")
    if c.selection is not None:
        print("\n■ 選定案（選定委員会資料）")
        print(c.selection.summary_ja())
        table = selection_ja(c).set_index("順")
        _print_table("選定案の応募", table.drop(columns=["重点テーマ名"]).round(1))
    print(f"\n選定結果: {c.decision_status}　設定ハッシュ: {c.settings_hash}")
    for written in (p for k, p in paths.items() if not k.startswith("committee_")):  # 本体・参考・控え
        print(f"書き出しました: {written}")
    if "committee_html" in paths:
        print(f"選定委員用の資料（受領コードなし）: {paths['committee_html'].parent}")
    return 0


def _check_records(rnd: object, command: str) -> None:
    """:func:`scoring.cli_records.check_records`: the record's checks before ``command`` writes."""
    from .cli_records import check_records

    check_records(rnd, command)  # type: ignore[arg-type]


def _split_codes(values: Sequence[str] | None) -> list[str]:
    """``["20,30", "42"]`` or ``["20、30"]`` → ``["20", "30", "42"]``."""
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in str(v).replace("、", ",").replace("・", ",").split(",") if x.strip()]
    return out


def _cmd_decide(args: argparse.Namespace) -> int:
    from .analysis.committee import build_committee, record_committee_decision
    from .cli_review import example_code
    from .reporting.committee_tables import decision_ja
    from .round.loader import load_round

    rnd = load_round(args.round)
    _check_records(rnd, "decide")
    reasons: dict[str, str] = {}
    for item in args.reason or []:
        code, sep, text = str(item).partition("=")
        if not sep or not code.strip():
            print(
                f"エラー: --reason「{item}」は 応募=理由 の形にしてください（例: --reason 20=人材プールの課題が明確）。",
                file=sys.stderr,
            )
            return 2
        reasons[code.strip()] = text
    try:
        d = record_committee_decision(
            rnd,
            _split_codes(args.select),
            by=list(args.by),
            reasons=reasons,
            locks=_split_codes(args.lock),
            exclusions=_split_codes(args.exclude),
            note=args.note or "",
            force=bool(args.force),
        )
    except ValueError as e:
        print(f"選定結果を記録しませんでした: {e}", file=sys.stderr)
        if "対象外" in str(e) or "理由" in str(e):
            print(
                "（このコマンドでは、対象外の応募を選定するときは --force を、理由は応募ごとに "
                f"--reason 応募コード=理由 を指定します。例: --force --reason {example_code(rnd, e, args.select)}=委員会が認定）",
                file=sys.stderr,
            )
        return 2
    c = build_committee(rnd, n_boot=1)
    print(
        f"選定結果を記録しました（イベント {d.event_id}、{d.recorded_at_jst:%Y-%m-%d %H:%M} 日本時間、決定: {d.by}）"
    )
    print(
        f"根拠の記録点: イベント {d.checkpoint_id}・ハッシュ {d.checkpoint_hash}・鍵の指紋 {d.checkpoint_key}"
    )
    if d.forced:
        print(f"対象外から選定（--force）: {c.names(list(d.forced))}")
    print(f"選定: {c.names(d.selected)}")
    if d.proposed and set(d.proposed) != set(d.selected):
        added = [a for a in d.selected if a not in d.proposed]
        removed = [a for a in d.proposed if a not in d.selected]
        print(f"選定案との違い: 追加 {c.names(added)}　除外 {c.names(removed)}")
    print(f"設定ハッシュ: {d.settings_hash}")
    _print_table(
        "選定結果",
        decision_ja(c)
        .drop(columns=["記録した人", "記録日時（日本時間）"])
        .set_index(HEADERS_JA["application"]),
    )
    return 0


def _cmd_revise(args: argparse.Namespace) -> int:
    from .round.loader import load_round
    from .round.pair_release import application_code
    from .store.scores import ScoreStore

    rnd = load_round(args.round)
    _check_records(rnd, "revise")
    args.application = application_code(rnd, args.application)  # a code or a prefecture name (熊本)
    with ScoreStore.open(rnd) as store:
        before = store.scores(include_drafts=True)
        cell = before[
            (before["reviewer"] == args.reviewer)
            & (before["application"] == args.application)
            & (before["criterion"] == args.criterion)
        ]
        old = float(cell["score"].iloc[0]) if len(cell) else float("nan")
        eid = store.revise(
            args.reviewer, args.application, args.criterion, args.score, reason=args.reason, by=args.by
        )
    label = rnd.rubric.criterion(args.criterion).label_ja
    print(
        f"協議後の修正を記録しました（イベント {eid}）: 審査員 {args.reviewer}・応募 {args.application}・"
        f"{label}: {old:g} → {args.score:g}（理由: {args.reason.strip()}）"
    )
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .round.loader import load_round

    rnd = load_round(args.round)
    _check_records(rnd, "report")
    print(f"審査ラウンド: {rnd.config.name}（{rnd.path}）")
    return _committee_report(rnd, _out_dir(rnd, args.out), scores_required=True)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .config.round import ROUND_NAMES, RoundConfig
    from .config.yamlfile import validate_yaml
    from .intake.applications import read_applications
    from .reporting.overview import problem_table

    folder = Path(args.dir)
    deadline = dt.datetime.fromisoformat(args.deadline) if args.deadline else None
    round_dir: Path | None = None
    config = None
    if (folder / "round.yaml").exists():
        round_dir = folder
        config = validate_yaml(folder / "round.yaml", RoundConfig, names=ROUND_NAMES)
        deadline = deadline or config.deadline
        folder = folder / "applications"
    records: list[Any] = []
    if round_dir is not None and config is not None:
        # the 事務局's recorded decisions (期限後受理, 訂正, 再提出, 辞退, プッシュ型) count here too
        from .round.eligibility_records import read_eligibility_at, recorded_files
        from .store.scores import default_url

        records = read_eligibility_at(default_url(round_dir), config.name)
    intake = read_applications(
        folder, deadline=deadline, recorded=recorded_files(records) if records else None
    )
    problems = intake.problems
    if round_dir is not None and config is not None:
        from .round.eligibility import apply_eligibility

        _, problems, _ = apply_eligibility(
            intake.applications,
            problems,
            records,
            deadline=deadline,
            superseded=intake.superseded,
            round_path=round_dir,
        )
    n_err = int((problems["severity"] == "error").sum())
    n_warn = int((problems["severity"] == "warning").sum())
    n_info = int((problems["severity"] == "info").sum())
    print(
        f"{folder}: 応募 {len(intake.applications)} 件を読み込みました"
        f"（エラー {n_err} 件・警告 {n_warn} 件・情報 {n_info} 件）"
    )
    _print_table("問題一覧", problem_table(problems))
    return 1 if n_err else 0


def _cmd_template(args: argparse.Namespace) -> int:
    from .intake.template import write_template

    out = write_template(args.out)
    print(f"応募書の様式を書き出しました: {out}")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    from .round.loader import load_round
    from .store.scores import ScoreStore

    rnd = load_round(args.round)
    with ScoreStore.open(rnd) as store:
        audit = store.audit(public_keys=args.public_keys)
        last_id, last_hash = audit.head
        print(f"採点データベース: {unquote(store.url)}")
        print(f"記録: {last_id} 件　チェーンの末尾: イベント {last_id}・ハッシュ {last_hash}")
    valid = [c for c in audit.checkpoints if c.valid]
    print(
        f"署名された記録点: {audit.checkpoint_path}（{len(audit.checkpoints)} 件、うち署名が有効 {len(valid)} 件）"
    )
    if valid:
        top = max(valid, key=lambda c: (c.head_id, c.line))  # the last line of the newest head
        print(f"最後の記録点: {top.label()}　イベント {top.head_id} まで")
    for w in audit.warnings:
        print(f"注意: {w}")
    problems = audit.problems
    if problems.empty:
        print("改ざん・削除は見つかりませんでした（ハッシュチェーンと署名された記録点は正常です）。")
        return 0
    _print_table(
        f"監査で見つかった問題（{len(problems)} 件）",
        problems.rename(columns={"event_id": "イベント", "problem": "種類", "message": "内容"}),
    )
    first = problems.iloc[0]
    print(f"\n最初の問題: イベント {int(first['event_id'])}（{first['problem']}）", file=sys.stderr)
    print("採点の記録が変更または削除されています。事務局で原因を確認してください。", file=sys.stderr)
    return 1


def _cmd_verify_receipt(args: argparse.Namespace) -> int:
    from .round.loader import load_round
    from .store.scores import ScoreStore

    rnd = load_round(args.round)
    with ScoreStore.open(rnd) as store:
        check = store.check_receipt(args.code)
    out = sys.stdout if check.status == "一致" else sys.stderr
    verdict = {"一致": "確認できました", "変更": "提出後に変更があります", "不明": "不明なコードです"}[
        check.status
    ]
    print(f"{verdict}: {check.message}", file=out)
    for line in check.changes:
        print(f"  変更: {line}", file=out)
    for line in check.notes:
        print(f"  注意: {line}", file=out)
    return check.exit_code


def _cmd_assign(args: argparse.Namespace) -> int:
    from .core.errors import OptionError
    from .reporting.overview import problem_table
    from .round.assign import ASSIGNMENT_FILE, propose_assignments, write_assignments
    from .round.loader import load_round

    rnd = load_round(args.round)
    if not 1 <= args.per_application <= len(rnd.reviewers):
        raise OptionError(
            f"--per-application「{args.per_application}」は使えません。1応募あたりの審査員数を 1 以上の整数で、"
            f"審査員の数（このラウンドは {len(rnd.reviewers)} 名）以下で指定してください。"
        )
    if rnd.assignment_source == "reviewers.yaml":
        print(
            f"{rnd.path / 'reviewers.yaml'} に担当（assignments）があるため、割当案は作りません。"
            "案を作る場合は reviewers.yaml の assignments を削除してください。",
            file=sys.stderr,
        )
        return 1
    path = rnd.path / ASSIGNMENT_FILE
    if path.exists() and not args.force:
        print(
            f"{path} は既にあります（事務局が編集している可能性があります）。"
            "作り直す場合は --force を付けてください。",
            file=sys.stderr,
        )
        return 1
    import pandas as pd

    from .cli_status import print_left_out
    from .round.status import assignable

    rnd, left_out = assignable(rnd)  # never an application that is 対象外 (issue 19)
    print_left_out(rnd, left_out)
    df, notes = propose_assignments(rnd, args.per_application, seed=args.seed)
    roles = {r.id: r.role for r in rnd.reviewers}
    names = rnd.applications["prefecture_name"]
    groups = df.groupby("application")["reviewer"]
    table = pd.DataFrame(
        {
            HEADERS_JA["prefecture_name"]: [names.get(a, "") for a in groups.groups],
            "審査員": ["・".join(sorted(g)) for _, g in groups],
            "人数": [len(g) for _, g in groups],
            "立場": ["・".join(sorted({roles[r] for r in g})) for _, g in groups],
        },
        index=pd.Index(list(groups.groups), name="応募"),
    )
    _print_table("担当の割当案", table)
    loads = df["reviewer"].value_counts().reindex([r.id for r in rnd.reviewers], fill_value=0)
    _print_table(
        "審査員ごとの担当数",
        pd.DataFrame(
            {"立場": [roles[r] for r in loads.index], "担当数": loads.to_numpy()},
            index=pd.Index(loads.index, name="審査員"),
        ),
    )
    if len(notes):
        _print_table("注意", problem_table(notes).drop(columns=["シート", "セル"]))
    out = write_assignments(rnd, df)
    print(f"\n書き出しました: {out}（Excel で編集できます。読み込み時に規則違反を検査します）")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .core.errors import StoreError
    from .demo.simulate import is_demo_round, write_demo_scores
    from .round.loader import load_round
    from .store.scores import ScoreStore

    rnd = load_round(args.round)
    if not is_demo_round(rnd) and not args.force:
        print(
            f"審査ラウンド「{rnd.config.name}」はデモではない（round.yaml に demo: true がない）ため、"
            "架空の採点は書き込みません。本当に書き込む場合は --force を付けてください。",
            file=sys.stderr,
        )
        return 1
    with ScoreStore.open(rnd) as store:
        try:
            n = write_demo_scores(rnd, store)
            print(f"デモの採点 {n} 件を書き込みました: {store.url}")
        except StoreError:
            if store.head()[0] == 0:
                raise
            # not a failure: `make lab`/`make demo` run this every time; the scores are kept
            print(f"デモの採点は既にあります（記録 {store.head()[0]} 件）。そのまま使います。")
        counts = store.statuses()["status"].value_counts()
        print("状況: " + "　".join(f"{k} {int(counts.get(k, 0))} 組" for k in ("提出済", "下書き", "未着手")))
    return 0


def _cmd_select(args: argparse.Namespace) -> int:
    from .combine import DEFAULT_METHOD, METHODS, combine
    from .core.columns import METHOD_LABELS
    from .core.errors import NoScoresError, OptionError
    from .round.loader import load_round, no_scores_message
    from .selection import SelectionInfeasible, select_round
    from .store.scores import ScoreStore

    method = args.method or DEFAULT_METHOD
    if method not in METHODS:
        raise OptionError(
            f"--method「{method}」はありません。使える統合方法: "
            f"{'、'.join(f'{m}（{METHOD_LABELS[m]}）' for m in METHODS)}。このどれかを指定してください。"
        )
    rnd = load_round(args.round)
    with ScoreStore.open(rnd) as store:
        scores = store.counted_scores()
        if not scores["score"].notna().any():
            raise NoScoresError(no_scores_message(rnd, store.url))
    totals = combine(scores, rnd.rubric, method=method)
    cfg = rnd.config
    bal = {k: v for k, v in cfg.balance.model_dump().items() if v is not None}
    print(f"審査ラウンド: {cfg.name}（{rnd.path}）　統合方法: {method}")
    print(
        f"選定数: {cfg.select.target} 件（範囲 {cfg.select.min or cfg.select.target}〜{cfg.select.max or cfg.select.target} 件）"
        f"　バランスの条件: {', '.join(f'{k}={v}' for k, v in bal.items()) or 'なし'}"
    )
    if cfg.locks or cfg.exclusions or cfg.eligibility_override:
        print(
            f"必ず含める: {'、'.join(cfg.locks) or 'なし'}　除外: {'、'.join(cfg.exclusions) or 'なし'}"
            f"　審査対象とする例外: {'、'.join(cfg.eligibility_override) or 'なし'}"
        )
    try:
        res = select_round(rnd, totals, n_alternatives=args.alternatives)
    except SelectionInfeasible as e:
        print(f"\n選定できません。\n{e}", file=sys.stderr)
        return 1
    print()
    print(res.summary_ja())
    h = HEADERS_JA
    reasons = res.reasons.rename(columns={**h, "gap": "選定までの不足点", "reason": "理由"})
    reasons.index.name = "応募"
    # the type that counts (プッシュ型 only with the ministry's recorded decision, issue 19)
    reasons[h["application_type"]] = rnd.applications["application_type"].reindex(reasons.index).to_numpy()
    cols = [
        h["prefecture_name"],
        h["application_type"],
        h["status"],
        h["rank"],
        h["total"],
        "選定までの不足点",
    ]
    _print_table("応募ごとの結果と理由", reasons[[*cols, "理由"]].round(2))
    alts = res.alternatives_frame().rename(
        columns={
            "total": "合計点",
            "difference": "選定案との差",
            "selected": "選定",
            "added": "入る",
            "removed": "外れる",
        }
    )
    alts.index.name = "次善案"
    _print_table("次善の選定案", alts.round(2))
    b = res.by_k  # the same columns as the committee material's 選定数別
    by_k = b[[]].assign(
        条件を満たす=b["feasible"].map({True: "はい", False: "いいえ"}),
        **{"合計点（点）": b["total"].round(2), "目標件数の案との差（点）": b["difference"].round(2)},
        選定=b["selected"].map(lambda v: "・".join(res.names.get(x, x) for x in str(v).split(",") if x)),
        目標件数=b["is_target"].map({True: "目標", False: ""}),
    )
    by_k.index.name = "選定数（件）"
    _print_table("選定数ごとの最良案", by_k)
    return 0


def lab_settings_path() -> Path:
    """JupyterLab's settings overrides file of the running Python environment."""
    return Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def _cmd_lab_settings(args: argparse.Namespace) -> int:
    path = lab_settings_path()
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.setdefault("@jupyterlab/translation-extension:plugin", {})["locale"] = "ja_JP"
    # No news pop-up and no update checks (offline machines; reviewers should not be asked).
    notification = data.setdefault("@jupyterlab/apputils-extension:notification", {})
    notification["fetchNews"] = "false"
    notification["checkForUpdates"] = False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"JupyterLab の既定の言語を日本語にし、ニュースと更新の確認を止めました: {path}")
    return 0


def _check_admin_url(url: str) -> None:
    """``--admin-url`` must read as a database URL: one Japanese line otherwise, not an unexpected error."""
    import sqlalchemy as sa

    from .core.errors import OptionError

    try:
        sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise OptionError(
            "--admin-url はデータベースの URL として読めません。"
            "postgresql+psycopg://所有者:パスワード@ホスト/DB の形で指定してください。"
        ) from None


def _cmd_db_setup(args: argparse.Namespace) -> int:
    from .admin.credentials import write_credentials
    from .admin.roles import accounts, allowed_pairs, default_role_prefix, provision
    from .admin.site import ROLE_NAMES_JA as kind_ja
    from .round.loader import load_round

    _check_admin_url(args.admin_url)
    rnd = load_round(args.round)
    urls = provision(args.admin_url, rnd)
    prefix = default_role_prefix(args.admin_url)
    counts = allowed_pairs(rnd)["reviewer"].value_counts()
    print(
        f"審査ラウンド「{rnd.config.name}」のデータベースのロールを設定しました（パスワードは新しくなりました）。"
    )
    for a in accounts(rnd, prefix):
        what = (
            f"審査員 {a.reviewer}: 採点できる応募 {int(counts.get(a.reviewer, 0))} 組"
            if a.kind == "reviewer"
            else kind_ja[a.kind]
            + (
                "（コメントも読める）"
                if a.kind == "committee" and rnd.config.committee_sees_comments
                else "（コメントは読めない）"
                if a.kind == "committee"
                else "（すべて読める・再開と選定結果を記録できる）"
            )
        )
        print(f"  {a.account}: ロール {a.role} — {what}")
    if args.credentials_dir:
        out = Path(args.credentials_dir)
        for account, url in urls.items():
            write_credentials(url, out / f"{account}.url")
        print(
            f"接続情報を {out} に書きました（{len(urls)} 件、各ファイルの権限 600）。各アカウントの "
            "~/.shinsa/database_url に置いてください。"
        )
    else:
        print("接続情報（パスワード入り）は書き出していません。--credentials-dir を指定してください。")
    return 0


def _cmd_hub_setup(args: argparse.Namespace) -> int:
    from .admin.passwords import password_lines, read_passwords
    from .admin.setup import setup_hub
    from .admin.site import HubSite, describe, hub_users
    from .round.loader import load_round

    rnd = load_round(args.round)
    passwords = read_passwords(args.passwords) if args.passwords else None
    generated = setup_hub(rnd, args.admin_url, args.site, passwords=passwords, home_base=args.home_base)
    site = HubSite(Path(args.site).resolve())
    users = hub_users(rnd)
    print(f"審査ラウンド「{rnd.config.name}」のサーバーを準備しました: {site.root}")
    print("\n".join(describe(users)))
    if generated:
        print(
            "次のパスワードを作りました。この一度だけ表示します。本人に渡してください（役割・ユーザー名・パスワード）:"
        )
        print("\n".join(password_lines(generated, users)))
    print(f"起動: SHINSA_SITE={site.root} jupyterhub -f deploy/jupyterhub_config.py（root で）")
    return 0


def _cmd_hub_remove(args: argparse.Namespace) -> int:
    from .admin.setup import remove_hub

    removed = remove_hub(args.site)
    print(f"サーバーのフォルダを削除しました: {removed.site}")
    print(f"アカウント（ホームも）: {'、'.join(removed.accounts) or 'なし'}")
    if removed.group:
        print(f"グループ: {removed.group}")
    for folder in removed.clusters:
        print(f"残っていた試用の PostgreSQL クラスター: {folder}")
    print("データベースのロールは削除していません（本番のデータベースでは管理者が削除します）。")
    return 0


def _cmd_push_candidates(args: argparse.Namespace) -> int:
    from .analysis.push import push_candidates, push_candidates_ja
    from .round.loader import load_round

    rnd = load_round(args.round)
    table = push_candidates(rnd)
    print(f"{table.attrs['name']}（設定: {table.attrs['source']}）")
    print("得点 = Σ 重み × 指標（値の分かっている都道府県の中で 0〜1。不明な値は寄与 0、平均で埋めない）")
    ja = push_candidates_ja(table)
    _print_table("プッシュ型の候補（必要性の高い順）", ja if args.all else ja.head(args.top))
    return 0


def _cmd_progress(args: argparse.Namespace) -> int:
    import pandas as pd

    from .review.progress import progress_ja, round_progress, write_progress_workbook
    from .round.loader import load_round

    rnd = load_round(args.round)
    prog = round_progress(rnd, args.db)
    counts = prog.counts()
    print(f"審査ラウンド: {rnd.config.name}（{rnd.path}）")
    print(prog.headline())
    tables = progress_ja(prog)
    _print_table("審査員ごとの進み具合", tables["審査員別"].set_index("審査員"))
    _print_table(
        "応募ごとの進み具合",
        tables["応募別"].drop(columns=["未提出の審査員"]).set_index(HEADERS_JA["application"]),
    )
    open_pairs = tables["未提出の一覧"]
    _print_table(
        "未提出の採点（督促用）", open_pairs.set_index(pd.Index(range(1, len(open_pairs) + 1), name="番号"))
    )
    if args.xlsx:
        print(f"\n書き出しました: {write_progress_workbook(prog, args.xlsx)}")
    if prog.complete:
        print(
            "\n割り当てられた採点はすべて提出されています"
            + ("（事務局が免除・担当替えした組を除く）。" if len(counts) > 3 else "。")
        )
        return 0
    print(f"\n未提出の採点が {counts['未着手'] + counts['下書き']} 組あります。", file=sys.stderr)
    return 1


def _cmd_packets(args: argparse.Namespace) -> int:
    from .review.packets import write_packets
    from .review.progress import open_existing_store
    from .round.loader import load_round

    rnd = load_round(args.round)
    store = open_existing_store(rnd, args.db)
    try:
        packets = write_packets(rnd, args.out, store=store, zip_packets=args.zip)
    finally:
        if store is not None:
            store.close()
    names = rnd.applications["prefecture_name"]
    for p in packets:
        print(
            f"{p.reviewer}: {p.path}（応募書 {len(p.applications)} 件: "
            f"{'、'.join(str(names.get(a, a)) for a in p.applications)}）"
        )
    skipped = [r.id for r in rnd.reviewers if r.id not in {p.reviewer for p in packets}]
    if skipped:
        print(f"採点する応募がないため作らなかった審査員: {'、'.join(skipped)}")
    print(f"審査資料 {len(packets)} 人分を書き出しました: {args.out}")
    return 0


def _cmd_eligibility(args: argparse.Namespace) -> int:
    from .core.clock import to_jst
    from .reporting.overview import eligibility_log_table, eligibility_table
    from .round.eligibility import record_eligibility
    from .round.loader import load_round

    rnd = load_round(args.round)
    if args.eligibility_command != "list":
        rec = record_eligibility(
            rnd,
            args.eligibility_command,
            args.application,
            by=args.by,
            reason=args.reason,
            file=args.file,
            original_received=args.original_received,
        )
        when = to_jst(rec.recorded_at)
        orig = (
            f"　元の受付日時: {to_jst(rec.original_received):%Y-%m-%d %H:%M}" if rec.original_received else ""
        )
        print(
            f"記録しました: 応募 {rec.application} {rec.action_ja}（イベント {rec.event_id}、"
            f"{when:%Y-%m-%d %H:%M} 日本時間、記録: {rec.by}）{orig}"
        )
        rnd = load_round(args.round)
    _print_table("応募ごとの受付の状況", eligibility_table(rnd))
    _print_table(
        "記録された受付の判断（採点データベースのハッシュチェーンに記録）", eligibility_log_table(rnd)
    )
    return 0
