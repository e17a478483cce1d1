"""On the real hub: the database owner's rewrite of a submitted score, with the checkpoint file
deleted and the database's count of checkpoints reset, is caught (issue 18, High 2).

R6 submits one pair in their own kernel (signed with R6's key); the analyst's ``audit`` signs a
checkpoint over it. Then, with the owner's URL, the attacker changes one of R6's submitted
scores to another valid level, re-hashes the chain and moves its head, deletes the round
copy's checkpoint file and empties ``score_checkpoint_count``. Nothing outside the database
is left but R6's signature: the analyst's ``audit`` names R6's submit event (署名) and exits 1,
``report`` exits 2 and writes nothing, and ``audit --public-keys`` with a copy of the keyring
taken before the attack, run with no private key, no old HMAC key and an empty home, exits 1.

The session's hub is shared with the other tests, so this one puts everything back in its
``finally``: the score (re-hashing with the original value gives the original hashes, which
the test checks), the checkpoint file (bytes, owner, mode) and the counter's row. The
append-only trigger is disabled only inside the attacker's transaction (``ALTER TABLE …
DISABLE TRIGGER``, which the owner may do) and enabled again in it, so the schema is never
left without it. R6's pair is one no other test scores (not R6's first or last application,
none of R1's), so the other tests see only one more valid, signed submission.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hubkit import Hub, run_in_kernel

from scoring import load_round
from scoring.admin.site import HubSite
from scoring.review.session import assigned_applications
from scoring.store.anchor_count import COUNTER_TABLE
from scoring.store.scores import event_hash

REPO = Path(__file__).resolve().parents[2]
#: The analyst's copy of the round's public keys, taken before the attack (in their home).
TRUSTED = "trusted_public_keys.json"

SUBMIT = """
import json
from scoring import load_round
rnd = load_round()
with rnd.store() as st:
    for c in rnd.rubric.criteria:
        st.record({me!r}, {app!r}, c.id, float(c.levels[-1]), "書き換えのテスト")
    code = st.submit({me!r}, {app!r})
print(json.dumps({{"code": code}}))
"""

#: The analyst before the attack: an audit (it signs a checkpoint over R6's submission) and a
#: copy of the keyring kept in their home.
BEFORE = """
import json, os, shutil, subprocess, sys
from pathlib import Path
import scoring
r = Path(os.environ["SCORING_ROUND"])
shutil.copy(r / "keys" / "public_keys.json", Path.home() / {trusted!r})
p = subprocess.run([sys.executable, "-m", "scoring", "audit"], capture_output=True, text=True)
print(json.dumps({{"audit": [p.returncode, p.stdout[-4000:], p.stderr[-2000:]], "package": scoring.__file__}}))
"""

#: The analyst after the attack: ``audit``, ``report``, then ``audit --public-keys`` with no secret.
AFTER = """
import json, os, subprocess, sys, tempfile
from pathlib import Path
r = Path(os.environ["SCORING_ROUND"])
trusted = str(Path.home() / {trusted!r})
url = (Path.home() / ".shinsa" / "database_url").read_text(encoding="utf-8").strip()

def files():
    return {{str(p): [p.stat().st_size, p.stat().st_mtime_ns] for p in r.rglob("*") if p.is_file()}}

def run(*args, env=None):
    p = subprocess.run([sys.executable, "-m", "scoring", *args], capture_output=True, text=True, env=env)
    return [p.returncode, p.stdout[-6000:], p.stderr[-3000:]]

out = {{}}
before = files()
out["audit"] = run("audit")
out["report"] = run("report")
after = files()
out["written"] = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
bare = tempfile.mkdtemp()
env = {{k: v for k, v in os.environ.items() if not k.startswith("SCORING_")}}
env.update(
    HOME=bare,
    SCORING_ROUND=str(r),
    SCORING_DATABASE_URL=url,
    SCORING_SIGNING_KEY=f"{{bare}}/nowhere/ed25519_key.pem",
    SCORING_LEGACY_KEY=f"{{bare}}/nowhere/signing.key",
)
out["public"] = run("audit", "--public-keys", trusted, env=env)
out["nowhere"] = os.path.exists(f"{{bare}}/nowhere")
out["written_by_public"] = sorted(k for k, v in files().items() if after.get(k) != v)
print(json.dumps(out, ensure_ascii=False))
"""


def _json(res: dict[str, str]) -> Any:
    assert not res["error"], res
    return json.loads(res["stdout"].strip().splitlines()[-1])


def _engine(hub: Hub) -> sa.Engine:
    return sa.create_engine(hub.admin_url.replace("postgresql://", "postgresql+psycopg://"))


def _events(hub: Hub) -> list[dict[str, Any]]:
    engine = _engine(hub)
    try:
        with engine.connect() as conn:
            return [
                dict(r) for r in conn.exec_driver_sql("SELECT * FROM score_events ORDER BY id").mappings()
            ]
    finally:
        engine.dispose()


def owner_rewrites_and_rehashes(hub: Hub, event_id: int, **fields: Any) -> None:
    """As the database owner: change one event, recompute its hash and every later one, move
    the chain head (the append-only trigger off for this transaction only)."""
    engine = _engine(hub)
    try:
        with engine.begin() as conn:
            rows = [
                dict(r) for r in conn.exec_driver_sql("SELECT * FROM score_events ORDER BY id").mappings()
            ]
            conn.exec_driver_sql("ALTER TABLE score_events DISABLE TRIGGER score_events_no_change")
            prev = None
            for ev in rows:
                if int(ev["id"]) == event_id:
                    ev.update(fields)
                if prev is not None:
                    ev["prev_hash"] = prev
                new = event_hash(ev)
                if int(ev["id"]) >= event_id:
                    conn.execute(
                        sa.text(
                            "UPDATE score_events SET score = :score, comment = :comment, "
                            "prev_hash = :prev_hash, hash = :hash WHERE id = :id"
                        ),
                        {**{k: ev[k] for k in ("score", "comment", "prev_hash", "id")}, "hash": new},
                    )
                ev["hash"] = prev = new
            conn.execute(
                sa.text("UPDATE score_chain_head SET last_id = :i, last_hash = :h WHERE id = 1"),
                {"i": rows[-1]["id"], "h": prev},
            )
            conn.exec_driver_sql("ALTER TABLE score_events ENABLE TRIGGER score_events_no_change")
    finally:
        engine.dispose()


def _counter(hub: Hub, rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The counter's rows (``rows``: put these back first, as the owner)."""
    engine = _engine(hub)
    try:
        with engine.begin() as conn:
            if rows is not None:
                conn.exec_driver_sql(f"DELETE FROM {COUNTER_TABLE}")
                for row in rows:
                    conn.execute(
                        sa.text(
                            f"INSERT INTO {COUNTER_TABLE} (id, written, last_digest) VALUES (:id, :w, :d)"
                        ),
                        {"id": row["id"], "w": row["written"], "d": row["last_digest"]},
                    )
            return [dict(r) for r in conn.exec_driver_sql(f"SELECT * FROM {COUNTER_TABLE}").mappings()]
    finally:
        engine.dispose()


def _untouched_pair(hub: Hub) -> str:
    """One of R6's applications that no other test scores."""
    rnd = load_round(hub.round_dir)
    mine, r1 = assigned_applications(rnd, "R6"), set(assigned_applications(rnd, "R1"))
    return next(a for a in mine[1:-1] if a not in r1)


@pytest.fixture
def kept_records(hub: Hub) -> Iterator[dict[str, Any]]:
    """Whatever the attack changes, put back afterwards (see the module docstring)."""
    kept: dict[str, Any] = {}
    path = HubSite(hub.site).round_dir / "checkpoints.jsonl"
    trusted = hub.home / f"{hub.prefix}an" / TRUSTED
    try:
        yield kept
    finally:
        if "event" in kept:
            ev = kept["event"]
            owner_rewrites_and_rehashes(hub, int(ev["id"]), score=ev["score"], comment=ev["comment"])
        if "file" in kept:
            data, st = kept["file"]
            path.write_bytes(data)
            os.chown(path, st.st_uid, st.st_gid)
            os.chmod(path, st.st_mode & 0o7777)
        if "counter" in kept:
            _counter(hub, kept["counter"])
        trusted.unlink(missing_ok=True)


def test_the_owners_rewrite_with_the_checkpoint_file_deleted_and_the_count_reset_is_caught(
    hub: Hub, kept_records: dict[str, Any]
) -> None:
    """Fails on the old code: with the checkpoint file gone the analyst's next audit signed the
    rewritten log and said 「改ざん・削除は見つかりませんでした」 (exit 0); nothing but the file
    anchored the submissions."""
    me, app = "R6", _untouched_pair(hub)
    _json(run_in_kernel(hub, hub.user(me), SUBMIT.format(me=me, app=app)))
    before = _json(run_in_kernel(hub, f"{hub.prefix}an", BEFORE.format(trusted=TRUSTED)))
    assert before["audit"][0] == 0, before["audit"]
    assert before["package"].startswith(f"{REPO}/"), before["package"]  # the hub runs the tree under test

    events = _events(hub)
    submit = [e for e in events if e["kind"] == "submit" and (e["reviewer"], e["application"]) == (me, app)][
        -1
    ]
    target = next(
        e
        for e in events
        if e["kind"] == "score" and (e["reviewer"], e["application"]) == (me, app) and e["id"] < submit["id"]
    )
    path = HubSite(hub.site).round_dir / "checkpoints.jsonl"
    kept_records["file"] = (path.read_bytes(), path.stat())
    kept_records["counter"] = _counter(hub)
    assert kept_records["counter"] and kept_records["counter"][0]["written"] > 0
    hashes = [e["hash"] for e in events]

    # The attack: another valid level for one submitted score, re-hashed; no file, no count.
    rnd = load_round(hub.round_dir)
    lowest = float(next(c for c in rnd.rubric.criteria if c.id == target["criterion"]).levels[0])
    assert lowest != target["score"]
    kept_records["event"] = target
    owner_rewrites_and_rehashes(hub, int(target["id"]), score=lowest)
    path.unlink()
    _counter(hub, [])

    out = _json(run_in_kernel(hub, f"{hub.prefix}an", AFTER.format(trusted=TRUSTED), timeout=600))
    sid = int(submit["id"])
    named = re.compile(rf"\b{sid}\s+署名\s+イベント {sid}（審査員 {me} の応募 {app} の提出）")
    code, text, err = out["audit"]
    assert code == 1 and named.search(text), (code, text, err)
    assert "改ざん・削除は見つかりませんでした" not in text
    code, text, err = out["report"]
    assert code == 2 and "何も書き込みませんでした" in err, (code, text, err)
    assert out["written"] == [] and not path.exists(), out["written"]  # nothing signed, nothing written
    code, text, err = out["public"]
    assert code == 1 and named.search(text), (code, text, err)
    assert out["nowhere"] is False and out["written_by_public"] == []

    # Put back (the fixture does it too): the original score gives the original hashes.
    del kept_records["event"]
    owner_rewrites_and_rehashes(hub, int(target["id"]), score=target["score"], comment=target["comment"])
    assert [e["hash"] for e in _events(hub)][: len(hashes)] == hashes
