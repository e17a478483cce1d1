"""The commands about the record's keys and signatures: ``keys init``, ``sign-tail``, and the
check every signing command runs first (:func:`check_records`).

Registered by :mod:`scoring.cli` (:func:`add_record_commands`); each handler takes ``args``
and returns the exit code, like those of :mod:`scoring.cli_commands`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .round.loader import ReviewRound

__all__ = ["add_record_commands", "check_records"]


def check_records(rnd: ReviewRound | str | os.PathLike[str] | None, command: str) -> None:
    """Audit the round's score store before ``command`` writes or signs anything.

    Nothing to check when the round has no store yet (no SQLite file: it is not created
    here) or when this account cannot audit (a reviewer's or the committee's role).

    Raises
    ------
    RecordsError
        Any problem (exit 2), naming the first bad event; an unsigned tail is named as such.
    """
    import sqlalchemy as sa

    from .round.loader import load_round, round_path
    from .store.record_checks import check_before_signing
    from .store.scores import ScoreStore, default_url

    if rnd is None or isinstance(rnd, (str, os.PathLike)):
        rnd = load_round(round_path(None if rnd is None else Path(rnd)))
    url = sa.engine.make_url(default_url(rnd))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return
    with ScoreStore.open(rnd) as store:
        if not store.anchors:
            return
        check_before_signing(store, command=command, round_arg=str(rnd.path))


def _cmd_keys_init(args: argparse.Namespace) -> int:
    from .core.keys import create_key_file, default_key_path, fingerprint, load_private_key, public_key_text
    from .round.loader import load_round
    from .store.checkpoint_sig import analyst_person, register_analyst

    path = default_key_path()
    if path.exists():
        key = load_private_key(path)
        print(f"署名の鍵は既にあります: {path}（作り直しません）")
    else:
        key = create_key_file(path)
        print(f"署名の鍵を作りました: {path}（本人だけが読めます。安全な場所に控えを保管してください）")
    pub = public_key_text(key)
    print(f"公開鍵: {pub}")
    print(f"公開鍵の指紋: {fingerprint(pub)}（{analyst_person()}）")
    if args.round is None:
        return 0
    rnd = load_round(args.round)
    ring, changed = register_analyst(rnd.path, rnd.config.name, key, add=True)
    what = "に登録しました" if changed else "に登録済みです"
    print(f"公開鍵の一覧 {ring.path} {what}（事務局の鍵の指紋: {'、'.join(ring.analyst_fingerprints())}）")
    return 0


def _cmd_sign_tail(args: argparse.Namespace) -> int:
    from .core.keys import fingerprint
    from .round.loader import load_round
    from .store.record_checks import is_unsigned_tail
    from .store.scores import ScoreStore

    rnd = load_round(args.round)
    with ScoreStore.open(rnd) as store:
        audit = store.audit()
        if audit.problems.empty:
            print(f"署名されていない記録はありません（最後の記録点はイベント {audit.last_signed} まで）。")
            return 0
        if not is_unsigned_tail(audit):
            first = audit.problems.iloc[0]
            print(
                f"sign-tail は何も署名しませんでした: 末尾の署名漏れ以外の問題があります。最初の問題はイベント "
                f"{int(first['event_id'])}（{first['problem']}）: {first['message']}\n"
                "python -m scoring audit で一覧を確認してください。"
            )
            return 2
        events, record = store.sign_tail(audit)
    print(f"次の {len(events)} 件（イベント {events[0]['id']}〜{events[-1]['id']}）に記録点を署名しました:")
    for ev in events:
        who = "・".join(str(ev[k]) for k in ("reviewer", "application", "criterion") if ev.get(k))
        print(f"  イベント {ev['id']}  {ev['timestamp']}  {ev['kind']}  {who}  記録した人 {ev['actor']}")
    print(
        f"記録点: イベント {record['head']['id']}・ハッシュ {record['head']['hash']}"
        f"・鍵の指紋 {fingerprint(record['public_key'])}"
    )
    return 0


def add_record_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``keys init`` and ``sign-tail`` to the parser."""
    ks = sub.add_parser("keys", help="署名の鍵（事務局の鍵の作成と、ラウンドの公開鍵の一覧への登録）")
    kss = ks.add_subparsers(dest="keys_command", required=True, metavar="SUBCOMMAND")
    ki = kss.add_parser(
        "init", help="事務局の署名の鍵を作り（既にあれば使い）、ラウンドの公開鍵の一覧に登録する"
    )
    ki.add_argument("--round", default=None, metavar="DIR", help="公開鍵を登録する審査ラウンドのフォルダ")
    ki.set_defaults(func=_cmd_keys_init)
    st = sub.add_parser(
        "sign-tail",
        help="中断で記録点が書かれなかった末尾の記録を確かめ、一覧を表示して記録点を署名する",
    )
    st.add_argument("--round", default=None, metavar="DIR", help="審査ラウンドのフォルダ")
    st.set_defaults(func=_cmd_sign_tail)
