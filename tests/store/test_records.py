"""Records anyone can check (issue 18, items 2 and 3): checkpoints signed with the analyst's
Ed25519 key and checked with public keys only, the database's count of checkpoints, the
check before signing, the unsigned tail of a crash and ``sign-tail``, ``keys init``.

The attacker holds the database (owner's password) and can write the round folder, but not
the analyst's private key. Runs on SQLite and on PostgreSQL (``url``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from attack import drop_guards, tamper
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_checkpoints import fill, rewrite_and_rehash
from test_constraints import append_chained, chained_row

from scoring.cli import main
from scoring.core.keyring import Keyring, keyring_path
from scoring.core.keys import create_key_file, public_key_text
from scoring.round.loader import load_round
from scoring.store.anchor_count import COUNTER_TABLE
from scoring.store.checkpoints import cell_digest
from scoring.store.scores import ScoreStore


@pytest.fixture
def url(demo_round_copy: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The test's store: the round's own SQLite file, or a PostgreSQL schema."""
    if store_url.startswith("sqlite"):
        return f"sqlite:///{demo_round_copy / 'scores.sqlite'}"
    monkeypatch.setenv("SCORING_DATABASE_URL", store_url)
    return store_url


@pytest.fixture
def round_dir(demo_round_copy: Path, url: str) -> Path:
    """The demo round on the test's store, with two submissions (two checkpoints)."""
    with ScoreStore.open(load_round(demo_round_copy)) as s:
        assert s.url.split("?")[0] == url.split("?")[0]
        fill(s, "R1", "01")
        s.submit("R1", "01")
        fill(s, "R2", "02")
        s.submit("R2", "02")
    return demo_round_copy


def _no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process has no private key and no old HMAC key (an outside auditor's machine)."""
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(tmp_path / "nowhere" / "ed25519_key.pem"))
    monkeypatch.setenv("SCORING_LEGACY_KEY", str(tmp_path / "nowhere" / "signing.key"))
    monkeypatch.setenv("HOME", str(tmp_path / "nowhere"))


def _trusted_copy(round_dir: Path, tmp_path: Path) -> Path:
    """The auditor's own copy of the round's public keys, taken while the round was sound."""
    dest = tmp_path / "trusted_public_keys.json"
    shutil.copy(keyring_path(round_dir), dest)
    return dest


def _audit(round_dir: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "--round", str(round_dir), "--public-keys", str(keys)])
    got = capsys.readouterr()
    return code, got.out + got.err


def _owner_rewrites_a_submitted_score(round_dir: Path, url: str) -> None:
    with ScoreStore.open(load_round(round_dir)) as s:
        rewrite_and_rehash(s, url, 3, score=1.0)


# --------------------------------------------------------------------------- audit with public keys only


def test_audit_with_only_public_keys_passes_on_an_untouched_round_and_fails_on_a_rehash(
    round_dir, url, tmp_path, monkeypatch, capsys
):
    """No private key and no HMAC key on this machine: the audit still checks every line."""
    keys = _trusted_copy(round_dir, tmp_path)
    _no_secret(tmp_path, monkeypatch)
    code, text = _audit(round_dir, keys, capsys)
    assert code == 0, text
    assert "うち署名が有効 2 件" in text and "改ざん・削除は見つかりませんでした" in text
    _owner_rewrites_a_submitted_score(round_dir, url)
    code, text = _audit(round_dir, keys, capsys)
    assert code == 1 and "最初の問題: イベント 3" in text
    assert not (tmp_path / "nowhere").exists()  # nothing was created, no key looked for by writing


#: Rows appended past the store, correctly chained: three no person could type (issue 18,
#: Medium 3) and a plausible one (the control: the audit passes it).
APPENDED = {
    "1000 points": ({"score": 1000.0}, 1),
    "unknown criterion": ({"criterion": "no_such_criterion"}, 1),
    "not-a-time": ({"timestamp": "not-a-time"}, 1),
    "plausible": ({}, 0),
}


@pytest.mark.parametrize("case", list(APPENDED))
def test_audit_with_only_public_keys_names_an_appended_impossible_row(
    round_dir, url, tmp_path, monkeypatch, capsys, case
):
    """The owner drops the value rules and appends a correctly chained draft score of R3 (a pair
    nobody submitted, so only its value is wrong); an auditor with the public keys alone and no
    secret finds it. Fails on the old code: the database took the row and the audit signed it."""
    keys = _trusted_copy(round_dir, tmp_path)
    fields, expected = APPENDED[case]
    ev = chained_row(url, reviewer="R3", application="03", actor="R3", **fields)
    append_chained(url, ev, before=drop_guards(url))
    _no_secret(tmp_path, monkeypatch)
    code, text = _audit(round_dir, keys, capsys)
    assert code == expected, text
    if expected:
        assert f"最初の問題: イベント {ev['id']}（不正な値）" in text
        assert "改ざん・削除は見つかりませんでした" not in text
    assert not (tmp_path / "nowhere").exists()


def test_a_truncated_checkpoint_file_fails_the_audit(round_dir, tmp_path, monkeypatch, capsys):
    """The last line (the second submission's checkpoint) is cut off: the database counted it."""
    keys = _trusted_copy(round_dir, tmp_path)
    _no_secret(tmp_path, monkeypatch)
    path = round_dir / "checkpoints.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    code, text = _audit(round_dir, keys, capsys)
    assert code == 1
    assert "切り詰められています" in text and "2 件書かれた" in text


def test_a_deleted_checkpoint_file_is_reported_and_never_signed_by_the_next_audit(
    round_dir, url, tmp_path, monkeypatch, capsys
):
    """High 2: rewrite a submitted score, re-hash, delete the file: the next audit must not sign it."""
    _owner_rewrites_a_submitted_score(round_dir, url)
    (round_dir / "checkpoints.jsonl").unlink()
    assert main(["audit", "--round", str(round_dir)]) == 1
    out = capsys.readouterr()
    assert "がない、または空です" in out.out and "2 件書かれた" in out.out
    assert "改ざん・削除は見つかりませんでした" not in out.out
    assert not (round_dir / "checkpoints.jsonl").exists()  # nothing signed


def test_a_replaced_analyst_key_is_caught_with_the_trusted_public_keys(
    round_dir, url, tmp_path, monkeypatch, capsys
):
    """The forger rewrites a score, makes their own key, re-signs the round's keyring with it,
    replaces the checkpoint file by one of their own and sets the database's count to match.
    The round then audits clean against its own (forged) keyring, but not against the keyring
    the auditor kept."""
    keys = _trusted_copy(round_dir, tmp_path)
    _owner_rewrites_a_submitted_score(round_dir, url)
    forger_key = tmp_path / "forger" / "ed25519_key.pem"
    key = create_key_file(forger_key)
    ring = Keyring.load(round_dir)
    forged = Keyring(ring.round_name).with_person("analyst:forger", "analyst", public_key_text(key))
    forged.signed(key).save(keyring_path(round_dir))
    (round_dir / "checkpoints.jsonl").unlink()
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(forger_key))
    with ScoreStore.open(load_round(round_dir)) as s:
        s.checkpoint("report")
    tamper(url, f"UPDATE {COUNTER_TABLE} SET written = 1")
    # The forged keyring vouches for its own checkpoints, but not for the submissions: they
    # were signed by their submitter's key, which the forged keyring no longer lists.
    assert main(["audit", "--round", str(round_dir)]) == 1
    assert "署名" in capsys.readouterr().out
    _no_secret(tmp_path, monkeypatch)
    code, text = _audit(round_dir, keys, capsys)
    assert code == 1
    assert "事務局として登録されていない鍵" in text or "差し替えられた" in text


def test_checkpoint_lines_carry_the_public_key_and_no_secret_salt(round_dir):
    """The file names its signer, and without the submissions' nonces (kept in the database) a
    criterion's digest cannot be matched by trying every level (530 of 792 scores came back so)."""
    lines = [
        json.loads(x) for x in (round_dir / "checkpoints.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    ring = Keyring.load(round_dir)
    assert {x["public_key"] for x in lines} == set(ring.analyst_keys())
    assert all(x["v"] == 2 and x["signer"].startswith("analyst:") for x in lines)
    receipts = [r for x in lines for r in x["receipts"]]
    assert receipts and not any("nonce" in r for r in receipts)
    text = (round_dir / "checkpoints.jsonl").read_text(encoding="utf-8")
    with ScoreStore.open(load_round(round_dir)) as s:
        nonces = s.events().query("kind == 'submit'")["comment"].tolist()
    assert nonces and not any(n in text for n in nonces)
    guesses = {cell_digest("", c, level, "") for r in receipts for c in r["cells"] for level in range(6)}
    assert not guesses & {d for r in receipts for d in r["cells"].values()}


# --------------------------------------------------------------------------- check before signing


def test_report_on_a_forged_store_writes_nothing_and_exits_2(round_dir, url, tmp_path, capsys):
    """Medium 9: report used to sign a checkpoint over the forged head and write the material."""
    _owner_rewrites_a_submitted_score(round_dir, url)
    before = (round_dir / "checkpoints.jsonl").read_bytes()
    out = tmp_path / "out"
    for cmd in (["report", "--out", str(out)], ["run", "--out", str(out)]):
        assert main([*cmd, "--round", str(round_dir)]) == 2
        err = capsys.readouterr().err
        assert "何も書き込みませんでした" in err and "イベント 3" in err, err
    assert not out.exists()
    assert (round_dir / "checkpoints.jsonl").read_bytes() == before


def test_every_signing_command_checks_the_record_first(round_dir, url, capsys):
    _owner_rewrites_a_submitted_score(round_dir, url)
    before = (round_dir / "checkpoints.jsonl").read_bytes()
    r = str(round_dir)
    for cmd in (
        ["decide", "--round", r, "--select", "01", "--by", "委員長"],
        ["revise", "--round", r, "--reviewer", "R1", "--application", "01", "--criterion", "theme_fit"]
        + ["--score", "5", "--reason", "協議"],
        ["feedback", "--round", r],
    ):
        assert main(cmd) == 2, cmd
        err = capsys.readouterr().err
        assert "何も書き込みませんでした" in err and "イベント 3" in err, (cmd, err)
    assert (round_dir / "checkpoints.jsonl").read_bytes() == before
    assert not (round_dir / "reports").exists()


def _decide_killed_before_its_checkpoint(round_dir: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Record a decision and stop the process right after its commit (before its checkpoint)."""
    from scoring.round.decision import record_decision
    from scoring.store.base import StoreBase

    with ScoreStore.open(load_round(round_dir)) as s:
        s.checkpoint("report")  # the decision rests on this one

        def killed(self: Any, reason: str, key: Any, receipts: Any = ()) -> dict[str, Any]:
            raise KeyboardInterrupt  # as a kill -9 between the commit and the checkpoint

        with monkeypatch.context() as m, pytest.raises(KeyboardInterrupt):
            m.setattr(StoreBase, "_anchor", killed)
            record_decision(s, ["01", "02"], by="委員長")
        return int(s.head()[0])


def test_a_kill_between_decides_commit_and_its_checkpoint_is_an_unsigned_tail_sign_tail_fixes(
    round_dir, url, monkeypatch, capsys
):
    """Low: that kill used to look like tampering. Now it is named as an unsigned tail, the
    signing commands refuse with the way out, and sign-tail lists the event and signs it."""
    eid = _decide_killed_before_its_checkpoint(round_dir, monkeypatch)
    r = str(round_dir)
    assert main(["report", "--round", r]) == 2
    err = capsys.readouterr().err
    assert f"イベント {eid} 以降" in err and "中断" in err and f"sign-tail --round {r}" in err
    assert main(["sign-tail", "--round", r]) == 0
    out = capsys.readouterr().out
    assert f"イベント {eid}" in out and "decision" in out and "1 件" in out
    assert main(["audit", "--round", r]) == 0
    assert main(["sign-tail", "--round", r]) == 0
    assert "署名されていない記録はありません" in capsys.readouterr().out


def test_sign_tail_refuses_a_tail_behind_other_problems_and_what_a_tail_check_refuses(
    round_dir, url, monkeypatch, capsys
):
    from scoring.store import record_checks

    eid = _decide_killed_before_its_checkpoint(round_dir, monkeypatch)
    r = str(round_dir)
    with monkeypatch.context() as m:
        m.setattr(
            record_checks,
            "TAIL_CHECKS",
            [lambda ctx, ev: "署名が一致しません" if ev["kind"] == "decision" else ""],
        )
        assert main(["sign-tail", "--round", r]) == 2
    assert f"イベント {eid} は署名できない" in capsys.readouterr().err
    _owner_rewrites_a_submitted_score(round_dir, url)
    assert main(["sign-tail", "--round", r]) == 2
    assert "末尾の署名漏れ以外の問題" in capsys.readouterr().out


def test_an_extra_record_check_runs_in_audit_and_before_signing(round_dir, monkeypatch, capsys):
    """The sigs and db helpers add their checks to one list; audit and report both run it."""
    from scoring.store import record_checks

    def no_r2(ctx: Any) -> list[tuple[int, str, str]]:
        return [(int(e["id"]), "追加", "R2 は記録できません") for e in ctx.events if e["reviewer"] == "R2"][
            :1
        ]

    monkeypatch.setattr(record_checks, "RECORD_CHECKS", [*record_checks.RECORD_CHECKS, no_r2])
    assert main(["audit", "--round", str(round_dir)]) == 1
    assert "R2 は記録できません" in capsys.readouterr().out
    assert main(["report", "--round", str(round_dir)]) == 2
    assert "R2 は記録できません" in capsys.readouterr().err


# --------------------------------------------------------------------------- keys


def test_a_missing_key_is_an_error_naming_where_it_was_looked_for(round_dir, tmp_path, monkeypatch, capsys):
    """Medium 6: report used to create a new key silently; then the real key's audit failed."""
    missing = tmp_path / "typo" / "ed25519_key.pem"
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(missing))
    assert main(["report", "--round", str(round_dir)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "python -m scoring keys init" in err
    assert not missing.exists() and not missing.parent.exists()


def test_another_key_than_the_rounds_analyst_key_is_refused(round_dir, tmp_path, monkeypatch, capsys):
    other = tmp_path / "other" / "ed25519_key.pem"
    create_key_file(other)
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(other))
    assert main(["report", "--round", str(round_dir)]) == 2
    assert "登録されていません" in capsys.readouterr().err


def test_keys_init_creates_the_key_once_and_lists_it_in_the_round(
    demo_round_copy, tmp_path, monkeypatch, capsys
):
    key = tmp_path / "home" / ".shinsa" / "ed25519_key.pem"
    monkeypatch.setenv("SCORING_SIGNING_KEY", str(key))
    assert main(["keys", "init", "--round", str(demo_round_copy)]) == 0
    out = capsys.readouterr().out
    assert "作りました" in out and key.exists() and (key.stat().st_mode & 0o777) == 0o600
    ring = Keyring.load(demo_round_copy)
    assert not ring.problems() and [p.role for p in ring.people] == ["analyst"]
    assert main(["keys", "init", "--round", str(demo_round_copy)]) == 0
    assert "既にあります" in capsys.readouterr().out
    assert Keyring.load(demo_round_copy).people == ring.people
    other = Ed25519PrivateKey.generate()
    assert public_key_text(other) not in ring.analyst_keys()


def test_a_rewrite_with_the_file_deleted_and_the_count_reset_is_caught_by_the_reviewers_signature(
    round_dir: Path,
    url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """High 2 with every outside anchor gone: the owner rewrites a submitted score, re-hashes,
    deletes the checkpoint file and resets the database's count. The submission's own signature
    (the reviewer's, or the analyst's on SQLite) no longer matches its scores."""
    from scoring.store.record_checks import is_unsigned_tail

    keys = _trusted_copy(round_dir, tmp_path)
    _owner_rewrites_a_submitted_score(round_dir, url)
    (round_dir / "checkpoints.jsonl").unlink()
    tamper(url, f"DELETE FROM {COUNTER_TABLE}")
    with ScoreStore.open(load_round(round_dir)) as s:
        audit = s.audit(public_keys=keys)
    assert not is_unsigned_tail(audit)  # a signature problem, not only a missing checkpoint
    assert 3 in audit.problems["event_id"].tolist() or 10 in audit.problems["event_id"].tolist()
    assert main(["sign-tail", "--round", str(round_dir)]) == 2  # never signed
    assert not (round_dir / "checkpoints.jsonl").exists()
    _no_secret(tmp_path, monkeypatch)
    code, text = _audit(round_dir, keys, capsys)
    assert code == 1 and "改ざん・削除は見つかりませんでした" not in text
