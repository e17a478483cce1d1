"""Command line: ``python -m scoring COMMAND``.

The parser is built here (one helper per group of commands); the commands themselves are
in :mod:`scoring.cli_commands` (the ``sheets`` commands in :mod:`scoring.cli_sheets`).

Commands
--------
run [--round DIR] [--out DIR]
    The main job: load and validate the round (default: ``$SCORING_ROUND`` or the demo
    round), print the applications and their problems, write ``applications.xlsx`` (and
    the committee material) into ``--out`` (default: the round's ``reports/`` folder).
validate DIR [--deadline ISO]
    Check a folder of 応募書 (or a round folder, with its recorded eligibility decisions);
    print the problems; exit 1 on any error (warnings and 情報 do not fail).
eligibility accept-late|correction|resubmission|withdraw|reinstate|push --round DIR --application CODE --by NAME --reason TEXT [--file F] [--original-received ISO]
    Record a decision on an application's receipt (期限後受理, 訂正 keeping the original
    receipt time, 再提出, 辞退, 辞退の取消, プッシュ型 as 総務省's decision) in the score store's
    hash chain.
eligibility list [--round DIR]
    Each application's receipt and eligibility, and every recorded decision.
template OUT.xlsx
    Write an empty 応募書 template.
lab-settings
    Make Japanese the default language of this environment's JupyterLab.
audit --round DIR [--public-keys FILE] | --archive DIR2
    Verify the score store's hash chain and every signed checkpoint outside the database
    (:mod:`scoring.store.checkpoints`); list altered, removed or forged events (the first
    bad one first); exit 1 if any. Needs no secret: checkpoints are checked with the round's
    public keys, or with the trusted keyring FILE.
    With ``--archive``: check a round archive with public keys only (:mod:`scoring.cli_archive`).
keys init [--round DIR]
    Create the analyst's Ed25519 key (once; ``$SCORING_SIGNING_KEY``, else
    ``~/.shinsa/ed25519_key.pem``) and list its public key in the round's signed keyring.
sign-tail [--round DIR]
    Sign the events a crash left after the last checkpoint, listing each one; refuses when
    the audit finds anything else or an event's author's signature does not verify.
verify-receipt --round DIR CODE
    Whether the store (and so the committee material) still holds exactly what a reviewer
    submitted with the receipt code CODE: exit 0 (naming reviewer and application), 1 when
    the scores changed since (listing what changed), 2 for an unknown code.
assign --round DIR --per-application R [--seed S] [--force]
    Propose who reviews what and write ``assignments.csv`` into the round folder.
demo --round DIR [--force]
    Write seeded simulated scores of the demo reviewers into DIR's store (once).
select [--round DIR] [--method M] [--alternatives N]
    Combine the round's scores and choose the balanced selection (round.yaml settings):
    print the selection, the price of balance, the alternatives and every applicant's
    reason; exit 1 (with the conflicting settings named) when no selection is possible.
report [--round DIR] [--out DIR]
    Write the committee material ``committee.html`` (static, offline) and
    ``committee.xlsx`` (default: into the round's ``reports/``) and print the proposed selection.
decide [--round DIR] --select CODES --by NAME... [--reason CODE=TEXT ...] [--force] [--lock CODES] [--exclude CODES]
    Record the committee's decision (the final list, locks, exclusions, a reason per
    applicant, who decided, the signed checkpoint it rests on) in the round's score store,
    hash-chained like the scores; every difference from the proposal needs a reason, a
    対象外 application needs ``--force`` and a reason; later changes of scores or settings
    show as a warning on the committee material.
reopen|excuse|reassign [--round DIR] --reviewer ID --application CODE --reason TEXT --by NAME [--to ID]
    The 事務局 reopens a submitted pair (再開), excuses a pair that will not be submitted (免除)
    or hands it to reviewer ``--to`` (担当替え); events of the hash chain, listed in the
    committee material's notes; ``progress`` counts a released pair as finished.
revise [--round DIR] --reviewer ID --application CODE --criterion ID --score N --reason TEXT [--by NAME]
    Record a second-stage score after the discussion (協議後の修正) of a submitted review;
    the committee material shows both stages and the totals use the revised score.
feedback [--round DIR] [--out DIR] [--drafts FILE.yaml] [--approve --by NAME]
    Write one 講評 per applicant (PDF and .xlsx: result, group scores against the cohort's
    median and range, strengths and points to improve); with ``--drafts`` first write the
    editable drafts YAML, then (once it exists) use its texts.
push-candidates [--round DIR] [--top N | --all]
    Rank the 47 prefectures by need for プッシュ型 support (push_candidates.yaml).
push-candidate [--round DIR] --prefecture NAME [--out FILE] [--by NAME] [--reason TEXT]
    Write a プッシュ型 応募書 for a prefecture that did not apply into the round's applications
    and record 総務省's decision (``eligibility push``; without it the form counts as 手上げ式).
progress [--round DIR] [--xlsx FILE] [--db URL]
    Review progress per reviewer and application (未着手/下書き/提出済) and the open pairs by
    name; exit 1 while anything assigned is not submitted.
packets [--round DIR] --out DIR [--zip] [--db URL]
    One folder (or zip) per reviewer: their 採点表, their non-conflicted 応募書, the anchors, 説明.txt.
db-setup --round DIR --admin-url URL [--credentials-dir DIR]
    On a shared PostgreSQL server: create or re-sync one database role per reviewer, one
    for the 事務局 and one for the committee, whose rights PostgreSQL enforces (blindness,
    conflicts; :mod:`scoring.admin.roles`); with ``--credentials-dir`` write one
    ``<hub_user>.url`` file (mode 0600) per account.
hub-setup --round DIR --admin-url URL [--site DIR] [--passwords FILE.yaml] [--home-base DIR]
    As root, set up the JupyterHub site of a round (deploy/jupyterhub_config.py reads it;
    :mod:`scoring.admin.setup`): every check first (names, existing accounts we did not
    create, passwords, the database), then the round copy, one system account per hub user
    (home 0700), its database role and ``~/.shinsa/database_url`` (0600), the sign-in
    passwords (from the file, else generated and printed once with each person's role).
    Run again after reviewers.yaml changes.
hub-remove [--site DIR]
    As root, remove what hub-setup made: the site's accounts (only those it created) and
    their homes, the group, the site folder, trial PostgreSQL clusters left behind.
archive --round DIR --out DIR2 [--zip]
    Write the round (applications, event log, checkpoints, public keys, decision, committee
    material, letters) as one BagIt bag for safekeeping, and check it (:mod:`scoring.cli_archive`).
sheets export --round DIR (--reviewer ID | --all) --out FILE_OR_DIR [--db URL]
    Write the offline Excel 採点表 of one reviewer (or of everyone into a folder).
sheets import --round DIR [--reviewer ID] [--db URL] [--overwrite --reason TEXT] [--submit] FILE...
    Validate returned 採点表 (each file all-or-nothing; signed manifest) and import the
    cells each sheet changed since its export; print a per-cell Japanese error list, and
    the diff of cells changed in the store meanwhile (the file is then stopped unless
    ``--overwrite --reason TEXT``); exit 1 when any file had an error or was stopped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .cli_archive import add_archive_command, add_audit_archive_option
from .cli_args import JapaneseArgumentParser, output_file, positive_int
from .cli_commands import (
    _cmd_assign,
    _cmd_audit,
    _cmd_db_setup,
    _cmd_decide,
    _cmd_demo,
    _cmd_eligibility,
    _cmd_hub_remove,
    _cmd_hub_setup,
    _cmd_lab_settings,
    _cmd_packets,
    _cmd_progress,
    _cmd_push_candidates,
    _cmd_report,
    _cmd_revise,
    _cmd_run,
    _cmd_select,
    _cmd_template,
    _cmd_validate,
    _cmd_verify_receipt,
    lab_settings_path,
)
from .cli_feedback import add_feedback_options, cmd_feedback
from .cli_push import cmd_push_candidate
from .cli_records import add_record_commands
from .cli_review import add_review_phase_commands
from .cli_sheets import _cmd_sheets_export, _cmd_sheets_import

__all__ = ["lab_settings_path", "main"]


def _eligibility_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    el = sub.add_parser(
        "eligibility", help="受付の判断（期限後受理・訂正・再提出・辞退）を記録する・一覧する"
    )
    els = el.add_subparsers(
        dest="eligibility_command",
        required=True,
        metavar="{list,accept-late,correction,resubmission,withdraw,reinstate,push}",
    )
    ls = els.add_parser("list", help="応募ごとの受付の状況と、記録された判断を表示する")
    _round_option(ls)
    ls.set_defaults(func=_cmd_eligibility)
    helps = {
        "accept-late": "期限後提出を受理する（選定の対象にする）",
        "correction": "訂正として記録する（受付日時は元の提出のまま）",
        "resubmission": "再提出として記録する（新しいファイルの受付日時を使う）",
        "withdraw": "辞退（取下げ）を記録する（審査・選定の対象外になる）",
        "reinstate": "辞退の記録を取り消す",
        "push": "プッシュ型（総務省の決定）として記録する（提出期限は適用せず、プッシュ型の枠で数える）",
    }
    for name, text in helps.items():
        e = els.add_parser(name, help=text)
        _round_option(e)
        e.add_argument(
            "--application", required=True, metavar="CODE", help="応募（都道府県コードまたは名前。例: 20）"
        )
        e.add_argument("--by", required=True, metavar="NAME", help="記録する人の名前（記録に残る）")
        e.add_argument("--reason", required=True, metavar="TEXT", help="理由（記録に残る）")
        if name in ("accept-late", "correction", "resubmission"):
            e.add_argument("--file", default=None, help="対象の応募書のファイル名（既定: 使用中の応募書）")
        if name == "correction":
            e.add_argument(
                "--original-received",
                default=None,
                metavar="ISO",
                help="元の提出の受付日時（例: 2026-02-20T16:40。既定: 置き換えられた以前の応募書の提出日時）",
            )
        e.set_defaults(func=_cmd_eligibility, file=None, original_received=None)


def _round_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--round", default=None, help="審査ラウンドのフォルダ（既定: $SCORING_ROUND またはデモ）"
    )


def _add_round_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add run, validate, template, lab-settings, audit and verify-receipt (the round and its store)."""
    r = sub.add_parser(
        "run", help="審査ラウンドを読み込み、一覧と問題を表示し、Excel を書き出す（既定: デモ）"
    )
    _round_option(r)
    r.add_argument("--out", default=None, help="出力フォルダ（既定: 審査ラウンドのフォルダの reports）")
    r.set_defaults(func=_cmd_run)
    v = sub.add_parser("validate", help="応募書のフォルダを検査し、エラーがあれば終了コード 1")
    v.add_argument("dir", help="応募書（.xlsx）のフォルダ、または審査ラウンドのフォルダ")
    v.add_argument("--deadline", default=None, help="提出期限（例: 2026-02-20T17:00:00+09:00）")
    v.set_defaults(func=_cmd_validate)
    t = sub.add_parser("template", help="応募書の様式（.xlsx）を書き出す")
    t.add_argument("out", type=output_file, help="出力ファイル（.xlsx）")
    t.set_defaults(func=_cmd_template)
    ls = sub.add_parser("lab-settings", help="JupyterLab の既定の言語を日本語にする")
    ls.set_defaults(func=_cmd_lab_settings)
    au = sub.add_parser(
        "audit", help="採点データベースのハッシュチェーンを検査し、改ざん・削除があれば終了コード 1"
    )
    _round_option(au)
    au.add_argument(
        "--public-keys", default=None, metavar="FILE", help="信頼できる公開鍵の一覧（秘密の鍵なしで監査する）"
    )
    au.set_defaults(func=_cmd_audit)
    add_audit_archive_option(au)
    vr = sub.add_parser(
        "verify-receipt", help="受領コードを確かめる（0 提出どおり、1 提出後に変更あり、2 不明なコード）"
    )
    _round_option(vr)
    vr.add_argument(
        "code", metavar="CODE", help="提出のときに表示された受領コード（例: 3f9a-1c22-7b0e-d4a1）"
    )
    vr.set_defaults(func=_cmd_verify_receipt)


def _add_review_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add assign, demo and sheets (who reviews what, simulated scores, the offline 採点表)."""
    asg = sub.add_parser("assign", help="担当の割当案を作り、assignments.csv に書き出す")
    _round_option(asg)
    asg.add_argument("--per-application", type=int, required=True, metavar="R", help="1応募あたりの審査員数")
    asg.add_argument("--seed", type=int, default=0, help="乱数の種（同じ種なら同じ案）")
    asg.add_argument("--force", action="store_true", help="既存の assignments.csv を上書きする")
    asg.set_defaults(func=_cmd_assign)
    dm = sub.add_parser("demo", help="デモの架空の採点を採点データベースに書き込む（空のときだけ）")
    _round_option(dm)
    dm.add_argument("--force", action="store_true", help="デモ以外の審査ラウンドにも書き込む")
    dm.set_defaults(func=_cmd_demo)
    sh = sub.add_parser("sheets", help="オフライン採点用の Excel 採点表を書き出す・取り込む")
    shs = sh.add_subparsers(dest="sheets_command", required=True, metavar="{export,import}")
    se = shs.add_parser("export", help="審査員ごとの採点表（.xlsx）を書き出す")
    _round_option(se)
    who = se.add_mutually_exclusive_group(required=True)
    who.add_argument("--reviewer", help="審査員ID（例: R1）")
    who.add_argument("--all", action="store_true", help="全審査員の採点表をフォルダに書き出す")
    se.add_argument("--out", required=True, help="出力ファイル（.xlsx）またはフォルダ（--all のとき）")
    se.add_argument(
        "--db",
        default=None,
        help="採点データベースの URL（既定: ラウンドフォルダの SQLite。あれば下書きを記入済みにする）",
    )
    se.set_defaults(func=_cmd_sheets_export)
    si = shs.add_parser("import", help="記入済みの採点表を検査して取り込む（エラーがあれば終了コード 1）")
    _round_option(si)
    si.add_argument("--reviewer", default=None, help="この審査員の採点表に限る（審査員ID）")
    si.add_argument("--db", default=None, help="採点データベースの URL（既定: ラウンドフォルダの SQLite）")
    si.add_argument(
        "--overwrite",
        action="store_true",
        help="書き出し後に採点データベースで変更されたセルも採点表の値で上書きする（--reason が必要）",
    )
    si.add_argument(
        "--reason", default=None, metavar="TEXT", help="上書きの理由（採点の記録に残る。120 文字まで）"
    )
    si.add_argument(
        "--submit",
        action="store_true",
        help="審査員の最終的な回答として、すべての項目を採点した応募を提出済にする（以後は変更できない）",
    )
    si.add_argument(
        "--slips",
        default=None,
        metavar="DIR",
        help="--submit の受領票（.xlsx）の出力先（既定: reports/受領票）",
    )
    si.add_argument("files", nargs="+", help="記入済みの採点表（.xlsx）")
    si.set_defaults(func=_cmd_sheets_import)


def _add_selection_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add select, report and feedback (the selection, the committee material, the 講評)."""
    sel = sub.add_parser("select", help="バランスの条件の下で選定案を作り、理由・次善案を表示する")
    _round_option(sel)
    sel.add_argument(
        "--method",
        default=None,
        help="点数の統合方法（mean, median, trimmed, zscore, additive, affine。既定: scoring.combine.DEFAULT_METHOD）",
    )
    sel.add_argument("--alternatives", type=int, default=3, help="表示する次善案の数（既定: 3）")
    sel.set_defaults(func=_cmd_select)
    rp = sub.add_parser("report", help="選定委員会資料（committee.html と committee.xlsx）を書き出す")
    _round_option(rp)
    rp.add_argument("--out", default=None, help="出力フォルダ（既定: 審査ラウンドのフォルダの reports）")
    rp.set_defaults(func=_cmd_report)
    fb = sub.add_parser(
        "feedback", help="応募ごとの講評（PDF と .xlsx）を書き出す。--drafts で文面を編集できる"
    )
    _round_option(fb)
    fb.add_argument(
        "--out", default=None, help="講評の出力フォルダ（既定: 審査ラウンドのフォルダの reports/講評）"
    )
    fb.add_argument(
        "--drafts",
        default=None,
        type=output_file,
        metavar="FILE.yaml",
        help="講評の下書き（ないときは作成して終了、あるときはその文面を使う）",
    )
    add_feedback_options(fb)
    fb.set_defaults(func=cmd_feedback)


def _add_server_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add db-setup, hub-setup and hub-remove (the shared PostgreSQL server, the JupyterHub site)."""
    dbs = sub.add_parser(
        "db-setup",
        help="PostgreSQL に審査員・事務局・選定委員ごとのロールを作り、権限をデータベースで強制する",
    )
    _round_option(dbs)
    dbs.add_argument(
        "--admin-url",
        required=True,
        metavar="URL",
        help="データベースの所有者の URL（postgresql+psycopg://所有者:パスワード@ホスト/DB）",
    )
    dbs.add_argument(
        "--credentials-dir",
        default=None,
        metavar="DIR",
        help="アカウントごとの接続情報 <hub_user>.url（権限 600）を書き出すフォルダ",
    )
    dbs.set_defaults(func=_cmd_db_setup)
    hs = sub.add_parser(
        "hub-setup",
        help="複数の審査員で使うサーバー（JupyterHub）のアカウント・ロール・パスワードを準備する（root）",
    )
    _round_option(hs)
    hs.add_argument(
        "--admin-url",
        required=True,
        metavar="URL",
        help="データベースの所有者の URL（postgresql+psycopg://所有者:パスワード@ホスト/DB）",
    )
    hs.add_argument(
        "--site", default="/srv/shinsa", metavar="DIR", help="サーバーのフォルダ（既定: /srv/shinsa）"
    )
    hs.add_argument(
        "--passwords",
        default=None,
        metavar="FILE.yaml",
        help="ログインのパスワード（「ユーザー名: パスワード」の YAML）。ない人には作って一度だけ表示する",
    )
    hs.add_argument(
        "--home-base",
        default="/home",
        metavar="DIR",
        help="新しいアカウントのホームを作る場所（既定: /home）",
    )
    hs.set_defaults(func=_cmd_hub_setup)
    hr = sub.add_parser(
        "hub-remove", help="hub-setup が作ったアカウント・グループ・サーバーのフォルダを削除する（root）"
    )
    hr.add_argument(
        "--site", default="/srv/shinsa", metavar="DIR", help="サーバーのフォルダ（既定: /srv/shinsa）"
    )
    hr.set_defaults(func=_cmd_hub_remove)


def _add_decision_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add decide, push-candidates and push-candidate (the decision, プッシュ型 applications)."""
    de = sub.add_parser("decide", help="選定委員会の決定（選定結果）を採点データベースに記録する")
    _round_option(de)
    de.add_argument(
        "--select",
        required=True,
        action="append",
        metavar="CODES",
        help="選定する応募（都道府県コードまたは名前、カンマ区切り。例: 20,30,42,34,38）",
    )
    de.add_argument(
        "--by",
        required=True,
        nargs="+",
        action="extend",
        metavar="NAME",
        help="決定した人の名前（複数可: --by 委員長 副委員長）",
    )
    de.add_argument(
        "--reason",
        "--reason-for",
        dest="reason",
        action="append",
        metavar="CODE=TEXT",
        help="応募ごとの理由（繰り返し指定できます）。選定案との違いと対象外の選定には必須",
    )
    de.add_argument("--force", action="store_true", help="対象外の応募を委員会の判断で選定する（理由が必要）")
    de.add_argument(
        "--lock", action="append", metavar="CODES", help="委員会が必ず含めると決めた応募（カンマ区切り）"
    )
    de.add_argument(
        "--exclude", action="append", metavar="CODES", help="委員会が除外すると決めた応募（カンマ区切り）"
    )
    de.add_argument("--note", default=None, help="決定全体についての注記")
    de.set_defaults(func=_cmd_decide)
    pcs = sub.add_parser(
        "push-candidates", help="プッシュ型の候補: 47 都道府県を必要性の指標で順位付けして表示する"
    )
    _round_option(pcs)
    pcs.add_argument("--top", type=positive_int, default=15, help="表示する数（既定: 15）")
    pcs.add_argument("--all", action="store_true", help="47 都道府県すべてを表示する")
    pcs.set_defaults(func=_cmd_push_candidates)
    pc = sub.add_parser(
        "push-candidate", help="応募のない都道府県のプッシュ型の応募書を applications に書き出す"
    )
    _round_option(pc)
    pc.add_argument("--prefecture", required=True, help="都道府県名またはコード（例: 長野、20）")
    pc.add_argument(
        "--out", default=None, help="出力ファイル（既定: ラウンドの applications/<コード>_<名前>_push.xlsx）"
    )
    pc.add_argument("--by", default=None, help="プッシュ型の決定を記録する人（既定: 事務局）")
    pc.add_argument("--reason", default=None, help="プッシュ型とした理由（既定: 候補として選定）")
    pc.set_defaults(func=cmd_push_candidate)


def _add_progress_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add progress and packets (the review's progress, the reviewers' packets)."""
    pg = sub.add_parser(
        "progress", help="採点の進み具合（未着手・下書き・提出済）。未提出があれば終了コード 1"
    )
    _round_option(pg)
    pg.add_argument(
        "--xlsx", default=None, type=output_file, metavar="FILE", help="督促用の一覧を .xlsx に書き出す"
    )
    pg.add_argument("--db", default=None, help="採点データベースの URL（既定: ラウンドフォルダの SQLite）")
    pg.set_defaults(func=_cmd_progress)
    pk = sub.add_parser(
        "packets", help="審査員ごとの審査資料（採点表・担当の応募書・評価基準・説明）を書き出す"
    )
    _round_option(pk)
    pk.add_argument("--out", required=True, help="出力フォルダ（審査員ごとにフォルダまたは zip を作る）")
    pk.add_argument("--zip", action="store_true", help="審査員ごとに zip ファイルにする")
    pk.add_argument(
        "--db",
        default=None,
        help="採点データベースの URL（既定: ラウンドフォルダの SQLite。あれば下書きを記入済みにする）",
    )
    pk.set_defaults(func=_cmd_packets)


def _add_revise_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add revise (a second-stage score after the discussion)."""
    rv = sub.add_parser("revise", help="協議の後に審査員が点数を修正する（2段階目として記録）")
    _round_option(rv)
    rv.add_argument("--reviewer", required=True, metavar="ID", help="審査員ID（例: R3）")
    rv.add_argument("--application", required=True, metavar="CODE", help="応募（都道府県コード、例: 20）")
    rv.add_argument("--criterion", required=True, metavar="ID", help="評価項目ID（評価基準の id）")
    rv.add_argument("--score", required=True, type=float, metavar="N", help="修正後の点数")
    rv.add_argument("--reason", required=True, metavar="TEXT", help="修正の理由（協議で分かったこと）")
    rv.add_argument("--by", default=None, metavar="NAME", help="記録する人（既定: 審査員本人）")
    rv.set_defaults(func=_cmd_revise)


def _parser() -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = JapaneseArgumentParser(
        prog="python -m scoring",
        description="審査ワークベンチ（shinsa）",
        epilog="終了コード: 0 正常、1 問題あり（検査・監査・取り込み）、2 使えない入力または失敗",
    )
    p.add_argument("--debug", action="store_true", help="エラーのときに詳細（トレースバック）を表示する")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_round_commands(sub)
    _add_review_commands(sub)
    _add_selection_commands(sub)
    _add_server_commands(sub)
    _add_decision_commands(sub)
    _add_progress_commands(sub)
    _eligibility_parser(sub)
    _add_revise_command(sub)
    add_archive_command(sub)
    add_record_commands(sub)
    add_review_phase_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code.

    0: done. 1: the command ran and found problems (``validate``, ``audit``, ``sheets
    import``, an infeasible ``select``). 2: unusable input or a failure: every
    :class:`~scoring.core.errors.ShinsaError` (its Japanese message), a file that cannot be
    read or written, and any unexpected exception (one Japanese line; ``--debug`` adds the
    traceback).
    """
    args = _parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("中断しました。", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - mapped to an exit code and one Japanese line
        code = _report_error(e)
        if args.debug:
            import traceback

            traceback.print_exception(e)
        return code


def _report_error(e: Exception) -> int:
    """Print one Japanese line (or the settings problems) for ``e``; return the exit code."""
    from .core.errors import ConfigError, ShinsaError

    if isinstance(e, ConfigError):
        print("設定ファイルに問題があります:", file=sys.stderr)
        print(str(e), file=sys.stderr)
        return e.exit_code
    if isinstance(e, ShinsaError):
        print(f"エラー: {e}", file=sys.stderr)
        return e.exit_code
    if isinstance(e, OSError):
        where = f"（{e.filename}）" if getattr(e, "filename", None) else ""
        print(
            f"エラー: ファイルの読み書きに失敗しました{where}: {e.strerror or e}。"
            "パスと権限を確認してください。",
            file=sys.stderr,
        )
        return 2
    print(
        f"エラー: 予期しないエラーが発生しました（{type(e).__name__}: {e}）。"
        "--debug を付けて再実行すると詳細が表示されます。続くときは開発者に連絡してください。",
        file=sys.stderr,
    )
    return 2
