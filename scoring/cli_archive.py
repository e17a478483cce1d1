"""Command line: ``archive`` (the round as one BagIt bag) and ``audit --archive`` (its check).

``archive --round DIR --out DIR2 [--zip]``
    Write the round's archive (:mod:`scoring.round.archive`) into the new folder DIR2
    (and DIR2.zip with ``--zip``); print what it holds and its check; exit 1 if the check
    found a problem.
``audit --archive DIR2``
    Check an archive (a bag folder or its zip) with no secret and no database
    (:func:`scoring.store.archive.audit_archive`); exit 1 on any problem. Without
    ``--archive``, ``audit`` checks the round's live store as before.

Like :mod:`scoring.cli_commands`, each command imports its modules inside the command.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .store.archive import ArchiveAudit

__all__ = ["add_archive_command", "add_audit_archive_option"]


def add_archive_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``archive``."""
    ar = sub.add_parser(
        "archive",
        help="審査ラウンドの記録一式を BagIt のバッグ（行政文書の保存用）に書き出し、検証する",
    )
    ar.add_argument("--round", default=None, help="審査ラウンドのフォルダ（既定: $SCORING_ROUND またはデモ）")
    ar.add_argument(
        "--out", required=True, metavar="DIR", help="書き出す新しいフォルダ（既存の空でないフォルダは不可）"
    )
    ar.add_argument("--zip", action="store_true", help="バッグを1つの zip ファイル（DIR.zip）にも書き出す")
    ar.set_defaults(func=_cmd_archive)


def add_audit_archive_option(audit: argparse.ArgumentParser) -> None:
    """Give ``audit`` the option ``--archive DIR`` (checked by :func:`_cmd_audit_any`)."""
    audit.add_argument(
        "--archive",
        default=None,
        metavar="DIR",
        help="アーカイブ（archive が書き出したフォルダまたは zip）を公開鍵だけで検証する（データベース・秘密鍵は不要）",
    )
    previous = audit.get_default("func")

    def _cmd_audit_any(args: argparse.Namespace) -> int:
        if args.archive is None:
            return int(previous(args))
        return _cmd_audit_archive(args)

    audit.set_defaults(func=_cmd_audit_any)


def _print_check(check: ArchiveAudit) -> int:
    """Print an archive's check (problems to stderr); its exit code."""
    print(f"アーカイブ: {check.path}")
    if check.round_name:
        print(f"審査ラウンド: {check.round_name}")
        print(
            f"採点の記録: {check.events} 件　チェーンの末尾: イベント {check.head[0]}・ハッシュ {check.head[1]}"
        )
        print(f"記録点: {check.checkpoints} 件")
    for fp in check.analyst_fingerprints:
        print(f"事務局の公開鍵の指紋: {fp}")
    for w in check.warnings:
        print(f"注意: {w}")
    if check.ok:
        print(
            "改ざん・欠落は見つかりませんでした（バッグの検証、ハッシュチェーン、記録点との照合は正常です）。"
        )
        return 0
    for text in check.bag_problems:
        print(f"バッグ: {text}", file=sys.stderr)
    for event_id, kind, message in check.problems:
        where = f"イベント {event_id}" if event_id else "アーカイブ"
        print(f"{where}（{kind}）: {message}", file=sys.stderr)
    print("アーカイブが作成後に変更されているか、記録に問題があります。", file=sys.stderr)
    return 1


def _cmd_archive(args: argparse.Namespace) -> int:
    from .round.archive import write_archive

    result = write_archive(args.round, args.out, zip_file=args.zip)
    print(f"アーカイブを書き出しました: {result.bag}（ファイル {result.files} 件、BagIt、SHA-256・SHA-512）")
    if result.zip_path is not None:
        print(f"zip ファイル: {result.zip_path}")
    print(
        f"採点の記録 {result.events} 件　チェーンの末尾: イベント {result.head[0]}・ハッシュ {result.head[1]}"
    )
    print("書き出したアーカイブを検証します（python -m scoring audit --archive と同じ）:")
    return _print_check(result.check)


def _cmd_audit_archive(args: argparse.Namespace) -> int:
    from .core.errors import OptionError
    from .store.archive import audit_archive

    if args.round is not None:
        raise OptionError(
            "--archive と --round は同時に指定できません（アーカイブの検証はラウンドのフォルダを使いません）。"
        )
    return _print_check(audit_archive(args.archive))
