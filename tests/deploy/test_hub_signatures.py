"""On the real hub: a reviewer's 提出 is signed in their own kernel with their own key
(issue 18, item 1), and nobody else can read that key.

Uses the session's hub (conftest.py): hub-setup made each reviewer's and the analyst's key
pair and the round's keyring.
"""

from __future__ import annotations

import json
import pwd
import subprocess

import sqlalchemy as sa
from hubkit import Hub, run_in_kernel

from scoring import load_round
from scoring.admin.site import HubSite
from scoring.core.keyring import Keyring
from scoring.review.session import assigned_applications
from scoring.store.statements import signature_receipt, submission_problems

SUBMIT = """
import json
from scoring import load_round
rnd = load_round()
with rnd.store() as st:
    for c in rnd.rubric.criteria:
        st.record({me!r}, {app!r}, c.id, float(c.levels[-1]), "署名のテスト")
    code = st.submit({me!r}, {app!r})
print(json.dumps({{"code": code}}))
"""


def _events(hub: Hub) -> list[dict]:
    """Every row of score_events, read as the database owner."""
    engine = sa.create_engine(hub.admin_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM score_events ORDER BY id"))]
    finally:
        engine.dispose()


def test_a_reviewers_submission_in_their_kernel_is_signed_with_their_own_key_in_the_keyring(hub: Hub) -> None:
    rnd = load_round(hub.round_dir)
    me = "R1"
    apps = assigned_applications(rnd, me)
    app = apps[len(apps) // 2]
    res = run_in_kernel(hub, hub.user(me), SUBMIT.format(me=me, app=app))
    assert not res["error"], res
    code = json.loads(res["stdout"].strip().splitlines()[-1])["code"]

    events = _events(hub)
    ev = [e for e in events if e["kind"] == "submit" and e["reviewer"] == me and e["application"] == app][-1]
    payload = json.loads(ev["payload"])
    assert payload["signed_by"] == me and ev["actor"] == me
    ring = Keyring.load(HubSite(hub.site).round_dir)
    assert ring.problems() == []
    assert payload["public_key"] == ring.public_key(me)  # the key hub-setup made in R1's home
    assert code == signature_receipt(payload["signature"])
    # Rebuilt from the log and checked with the public keys only: R1's own signature holds, and
    # so does every other submission on the hub (the analyst's simulated ones signed by the analyst).
    assert submission_problems(events, ring, round_name=rnd.name, reviewers_sign=True) == []


READ_KEY = """
import json
out = {{}}
for name, path in {paths!r}.items():
    try:
        open(path, "rb").read()
        out[name] = "read"
    except Exception as e:
        out[name] = type(e).__name__
print(json.dumps(out))
"""


def test_a_reviewers_private_key_cannot_be_read_by_the_analyst_or_the_database_owner(hub: Hub) -> None:
    path = hub.home / hub.user("R1") / ".shinsa" / "ed25519_key.pem"
    assert path.is_file()
    owner = pwd.getpwnam(hub.user("R1"))
    st = path.stat()
    assert (st.st_uid, st.st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (owner.pw_uid, 0o600, 0o700)
    paths = {"R1": str(path), "R1_folder": str(path.parent)}
    res = run_in_kernel(hub, f"{hub.prefix}an", READ_KEY.format(paths=paths))
    assert not res["error"], res
    assert json.loads(res["stdout"].strip().splitlines()[-1])["R1"] == "PermissionError"
    # The database owner's system account (the PostgreSQL server runs as postgres).
    pg = pwd.getpwnam("postgres")
    proc = subprocess.run(
        ["cat", str(path)], user=pg.pw_uid, group=pg.pw_gid, extra_groups=[], capture_output=True, check=False
    )
    assert proc.returncode != 0 and b"Permission denied" in proc.stderr
    # The analyst's own key is theirs alone too (another reviewer cannot read it).
    analyst_key = hub.home / f"{hub.prefix}an" / ".shinsa" / "ed25519_key.pem"
    res = run_in_kernel(hub, hub.user("R6"), READ_KEY.format(paths={"an": str(analyst_key)}))
    assert json.loads(res["stdout"].strip().splitlines()[-1])["an"] == "PermissionError"
