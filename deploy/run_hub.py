"""`make hub`: set up the JupyterHub site of a round and run the hub until Ctrl-C (as root).

    python deploy/run_hub.py --round data/demo [--admin-url URL] [--site /srv/shinsa]
                             [--passwords FILE.yaml] [--port 8000]

With ``--admin-url`` (or ``$HUB_DATABASE_URL``) the round's store lives in that PostgreSQL
database (its owner's URL). Without it this is a trial run: a throw-away PostgreSQL cluster
is started (password authentication, :mod:`scoring.admin.trialdb`) and removed when the hub
stops, with everything scored in it. For the demo round the simulated scores of every
reviewer but R1 are written first, so the committee dashboard has a ranking and ``r1`` can
score. Passwords that were not given are printed once, each with the person's role
(審査員 R1 / 事務局 / 選定委員). The site folder and the accounts stay until
``python -m scoring hub-remove --site DIR`` (README「複数の審査員で使う（サーバー）」).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scoring.admin.analyst_key import analyst_key_path
from scoring.admin.passwords import password_lines, read_passwords
from scoring.admin.setup import setup_hub
from scoring.admin.site import HubSite, hub_users
from scoring.admin.sysaccounts import (
    SHINSA_GROUP,
    grant_python_access,
    group_exists,
    python_path_dirs,
    revoke_python_access,
)
from scoring.admin.trialdb import temp_pg_cluster
from scoring.core.errors import ShinsaError
from scoring.demo.simulate import write_demo_scores
from scoring.round.loader import load_round
from scoring.store.scores import ScoreStore

#: The demo reviewer who is left without simulated scores, to try the scoring app.
TRIAL_REVIEWER = "R1"


@contextlib.contextmanager
def _database(admin_url: str | None) -> Iterator[str]:
    if admin_url:
        yield admin_url
        return
    print(
        "PostgreSQL の URL が指定されていないため、試用の一時的なクラスターを起動します"
        "（ハブを止めると、採点を含めて削除されます）。"
    )
    with temp_pg_cluster(password_auth=True) as url:
        yield url


def _demo_scores(rnd, admin_url: str, site: HubSite) -> None:
    # the simulated submissions' checkpoints are signed with the analyst's key (hub-setup made
    # it) into the round's one checkpoint file, handed to the analyst (who appends to it later)
    analyst = pwd.getpwnam(next(u for u in hub_users(rnd) if u.role == "analyst").name)
    os.environ["SCORING_SIGNING_KEY"] = str(analyst_key_path(analyst))
    with ScoreStore(admin_url, rnd) as store:
        if len(store.events()):
            return
        write_demo_scores(rnd, store, leave_out=[TRIAL_REVIEWER])
        if store.checkpoint_path.exists():
            os.chown(store.checkpoint_path, analyst.pw_uid, analyst.pw_gid)
    print(f"デモの模擬の採点を書き込みました（{TRIAL_REVIEWER} 以外の審査員）。")


def main() -> int:
    p = argparse.ArgumentParser(description="審査ワークベンチの JupyterHub を準備して起動する（root）")
    p.add_argument("--round", default=os.environ.get("SCORING_ROUND") or str(REPO / "data" / "demo"))
    p.add_argument("--admin-url", default=os.environ.get("HUB_DATABASE_URL") or None)
    p.add_argument("--site", default="/srv/shinsa")
    p.add_argument("--passwords", default=None)
    p.add_argument("--port", default="8000")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it like Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        rnd = load_round(args.round)
        passwords = read_passwords(args.passwords) if args.passwords else None
        with _database(args.admin_url) as admin_url:
            site = HubSite(Path(args.site).resolve())
            opened = python_path_dirs()
            new_group = not group_exists(
                SHINSA_GROUP
            )  # made here (for the ACL) or by set-up: hub-remove deletes it
            if opened:  # e.g. a pyenv under /root (0700): the accounts could not run this Python
                print(
                    f"試用のため、グループ {SHINSA_GROUP} に {', '.join(map(str, opened))} の通過（x）だけを許可します"
                    "（停止時に戻します。本番では全員が読める場所の Python を使ってください）。"
                )
                grant_python_access()
            generated = setup_hub(rnd, admin_url, site.root, passwords=passwords, group_created=new_group)
            if rnd.config.demo:
                _demo_scores(load_round(site.round_dir), admin_url, site)
            if generated:
                print("パスワード（この一度だけ表示。役割・ユーザー名・パスワード）:")
                print("\n".join(password_lines(generated, hub_users(rnd))))
            env = {**os.environ, "SHINSA_SITE": str(site.root), "SHINSA_HUB_PORT": str(args.port)}
            print(f"JupyterHub: http://127.0.0.1:{args.port}/ （Ctrl-C で停止）")
            hub = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "jupyterhub"),
                    "-f",
                    str(REPO / "deploy" / "jupyterhub_config.py"),
                ],
                cwd=site.state_dir,
                env=env,
            )
            try:
                return hub.wait()
            except KeyboardInterrupt:
                hub.send_signal(signal.SIGINT)
                return hub.wait()
            finally:
                revoke_python_access(opened)
    except ShinsaError as e:
        print(f"エラー: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
