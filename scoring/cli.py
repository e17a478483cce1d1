"""Command line: ``python -m scoring COMMAND``.

Commands
--------
run [--round DIR] [--out DIR]
    The main job: load and validate the round (default: ``$SCORING_ROUND`` or the demo
    round), print the applications and their problems, write ``applications.xlsx``.
validate DIR [--deadline ISO]
    Check a folder of 応募書 (or a round folder); print the problems; exit 1 on any error.
template OUT.xlsx
    Write an empty 応募書 template.
lab-settings
    Make Japanese the default language of this environment's JupyterLab.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = ["main"]


def _print_table(title: str, df: pd.DataFrame) -> None:
    print(f"\n■ {title}")
    if df.empty:
        print("（なし）")
        return
    with pd.option_context(
        "display.unicode.east_asian_width", True,
        "display.max_columns", None,
        "display.width", 250,
        "display.max_colwidth", 60,
        "display.max_rows", 500,
    ):
        print(df.to_string())


def _cmd_run(args: argparse.Namespace) -> int:
    from .overview import application_table, breakdown, problem_table
    from .report import write_applications_report
    from .round import load_round

    rnd = load_round(args.round)
    print(f"審査ラウンド: {rnd.config.name}（{rnd.path}）")
    print(f"提出期限: {rnd.config.deadline.isoformat()}　評価基準: {rnd.rubric.name_ja}（版 {rnd.rubric.version}）")
    print(f"応募: {len(rnd.applications)} 件　審査員: {len(rnd.reviewers)} 名　"
          f"問題: エラー {int((rnd.problems['severity'] == 'error').sum())} 件・"
          f"警告 {int((rnd.problems['severity'] == 'warning').sum())} 件")
    summary = application_table(rnd.applications, rnd.problems)
    cols = ["都道府県", "地方ブロック", "応募区分", "重点テーマ", "人材プールの状況", "市町村数（団体）",
            "提出日時（日本時間）", "期限後提出", "エラー数", "警告数"]
    _print_table("応募一覧", summary[[c for c in cols if c in summary]])
    for title, table in breakdown(rnd.applications).items():
        _print_table(f"{title}別の件数", table.T)
    _print_table("問題一覧", problem_table(rnd.problems).drop(columns=["シート"]))
    out = write_applications_report(rnd, Path(args.out) / "applications.xlsx")
    print(f"\n書き出しました: {out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .applications import read_applications
    from .overview import problem_table
    from .round import RoundConfig
    from .yamlfile import validate_yaml

    folder = Path(args.dir)
    deadline = dt.datetime.fromisoformat(args.deadline) if args.deadline else None
    if (folder / "round.yaml").exists():
        if deadline is None:
            deadline = validate_yaml(folder / "round.yaml", RoundConfig).deadline
        folder = folder / "applications"
    intake = read_applications(folder, deadline=deadline)
    n_err = int((intake.problems["severity"] == "error").sum())
    n_warn = int((intake.problems["severity"] == "warning").sum())
    print(f"{folder}: 応募 {len(intake.applications)} 件を読み込みました（エラー {n_err} 件・警告 {n_warn} 件）")
    _print_table("問題一覧", problem_table(intake.problems))
    return 1 if n_err else 0


def _cmd_template(args: argparse.Namespace) -> int:
    from .template import write_template

    out = write_template(args.out)
    print(f"応募書の様式を書き出しました: {out}")
    return 0


def lab_settings_path() -> Path:
    """JupyterLab's settings overrides file of the running Python environment."""
    return Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def _cmd_lab_settings(args: argparse.Namespace) -> int:
    path = lab_settings_path()
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data.setdefault("@jupyterlab/translation-extension:plugin", {})["locale"] = "ja_JP"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"JupyterLab の既定の言語を日本語にしました: {path}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m scoring", description="審査ワークベンチ（shinsa）")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    r = sub.add_parser("run", help="審査ラウンドを読み込み、一覧と問題を表示し、Excel を書き出す（既定: デモ）")
    r.add_argument("--round", default=None, help="審査ラウンドのフォルダ（既定: $SCORING_ROUND またはデモ）")
    r.add_argument("--out", default="reports", help="出力フォルダ（既定: reports）")
    r.set_defaults(func=_cmd_run)
    v = sub.add_parser("validate", help="応募書のフォルダを検査し、エラーがあれば終了コード 1")
    v.add_argument("dir", help="応募書（.xlsx）のフォルダ、または審査ラウンドのフォルダ")
    v.add_argument("--deadline", default=None, help="提出期限（例: 2026-02-20T17:00:00+09:00）")
    v.set_defaults(func=_cmd_validate)
    t = sub.add_parser("template", help="応募書の様式（.xlsx）を書き出す")
    t.add_argument("out", help="出力ファイル（.xlsx）")
    t.set_defaults(func=_cmd_template)
    ls = sub.add_parser("lab-settings", help="JupyterLab の既定の言語を日本語にする")
    ls.set_defaults(func=_cmd_lab_settings)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code. Settings errors print in Japanese, exit 2."""
    from .yamlfile import ConfigError

    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as e:
        print("設定ファイルに問題があります:", file=sys.stderr)
        print(str(e), file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"エラー: {e}", file=sys.stderr)
        return 2
