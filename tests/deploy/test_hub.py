"""End to end on a real JupyterHub (deploy/jupyterhub_config.py), a real PostgreSQL and
Debian's chromium: who lands where, and what the database refuses even to a reviewer who
reaches the Jupyter REST API and runs their own Python.

The hub is started once (fixture ``hub`` in conftest.py). R1 and R6 are the reviewers under
test (R6 is in conflict with 20, 長野); R2–R5 have submitted simulated scores. The page R1 lands
on also reads as the README's picture of it says (docs/reviewer_form.txt, written by ``make docs``
on the demo round's hub).
"""

from __future__ import annotations

import difflib
import json
import re
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from hubkit import Hub, api, ensure_server, run_in_kernel
from playwright.sync_api import expect

from scoring import load_round
from scoring.review.session import assigned_applications

pytestmark = pytest.mark.ui
#: First start of a server + Voilà rendering notebook 02 on a 2-core machine.
LANDING_TIMEOUT_MS = 150_000
#: The visible text of the README's reviewer picture, written by ``make docs`` (scripts/make_docs.py)
#: from the demo round's hub as R1 (``r1``) sees it on landing.
DOCS_REVIEWER_TEXT = Path(__file__).resolve().parents[2] / "docs" / "reviewer_form.txt"


def _sign_in(browser, hub: Hub, user: str):
    """A fresh browser context signed in as ``user`` through the hub's login form."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="ja-JP")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.locator("#username_input").fill(user)
    page.locator("#password_input").fill(hub.passwords[user])
    page.locator("#login_submit").click()
    return context, page


def _rows(hub: Hub, where: str, **params: str) -> list[dict]:
    """Rows of score_events read as the database owner (what really is in the database)."""
    engine = sa.create_engine(hub.admin_url)
    try:
        with engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(sa.text(f"SELECT * FROM score_events WHERE {where}"), params)
            ]
    finally:
        engine.dispose()


def _page_text_as_in_docs(text: str, user: str) -> list[str]:
    """The reviewer page's visible text without what differs between the demo's hub (make docs)
    and this test's round: the account name, the list and number of the reviewer's applications
    (this round assigns about half of them), clock times and receipt codes."""
    text = re.sub(rf"(?<![\w-]){re.escape(user)}(?![\w-])", "<user>", text)
    text = re.sub(r"(?ms)^(応募書:)$.*?^(次へ ▶)$", r"\1\n<応募書の一覧>\n\2", text)
    text = re.sub(r"進捗 \d+ / \d+", "進捗 n / N", text)
    text = re.sub(r"(?m)^\d+ / \d+(?=\u3000)", "i / N", text)
    text = re.sub(r"\b\d{1,2}:\d{2}(:\d{2})?\b", "<時刻>", text)
    text = re.sub(r"\b[0-9A-Za-z]{4}(-[0-9A-Za-z]{4}){3}\b", "<受領コード>", text)
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _check_docs_text(page, user: str) -> None:
    """The page R1 lands on reads as docs/reviewer_form.txt (issue 21 item 5)."""
    docs_user = re.search(r"JupyterHub のユーザー「(.+?)」", DOCS_REVIEWER_TEXT.read_text(encoding="utf-8"))
    assert docs_user, f"{DOCS_REVIEWER_TEXT} にユーザー名の行がありません: make docs を実行してください"
    expected = _page_text_as_in_docs(DOCS_REVIEWER_TEXT.read_text(encoding="utf-8"), docs_user[1])
    page.wait_for_load_state("networkidle", timeout=LANDING_TIMEOUT_MS)
    deadline = time.monotonic() + 20  # the widgets of the last criteria may still be drawing
    while (shown := _page_text_as_in_docs(page.locator("body").inner_text(), user)) != expected:
        if time.monotonic() > deadline:
            diff = "\n".join(
                list(difflib.unified_diff(expected, shown, "docs", "hub", n=1, lineterm=""))[:60]
            )
            pytest.fail(
                "docs/reviewer_form.txt is stale (the hub reviewer's page reads otherwise): run `make docs` "
                f"as root (scripts/make_docs.py) and commit docs/reviewer_form.png and .txt.\n{diff}"
            )
        page.wait_for_timeout(500)


# --------------------------------------------------------------------------- 1. sign in and score


@pytest.mark.parametrize("reviewer", ["R1", "R6"])
def test_reviewer_signs_in_lands_on_the_app_sees_only_own_applications_and_scores(
    hub: Hub, browser, ui_artifacts: Path, reviewer: str
) -> None:
    rnd = load_round(hub.round_dir)
    user = hub.user(reviewer)
    mine = assigned_applications(rnd, reviewer)
    assert 0 < len(mine) < len(rnd.applications)
    crit = rnd.rubric.criteria[0]
    context, page = _sign_in(browser, hub, user)
    try:
        page.wait_for_url(f"**/user/{user}/voila/render/02_review.ipynb", timeout=LANDING_TIMEOUT_MS)
        current = page.locator(".shinsa-current-code")
        expect(current).to_have_count(1, timeout=LANDING_TIMEOUT_MS)
        if reviewer == "R1":
            page.screenshot(path=str(ui_artifacts / "hub_reviewer.png"))
            _check_docs_text(page, user)
        # The identity is the sign-in: no list of other reviewers to choose from.
        select = page.locator(".shinsa-reviewer-select select")
        assert select.count() == 0 or select.is_disabled()
        assert select.count() == 0 or len(select.locator("option").all_inner_texts()) <= 1
        expect(page.locator(".shinsa-app")).to_contain_text(user)
        # Only the assigned, non-conflicted applications.
        options = page.locator(".shinsa-jump select option").all_inner_texts()
        shown = [o.split()[0] for o in options]
        assert shown == mine
        if reviewer == "R6":
            assert "20" not in shown  # assigned in assignments.csv, but a conflict
        # No code, no JupyterLab on the page.
        assert (
            page.locator(".jp-InputArea-editor, .cm-editor, #jp-main-dock-panel, .jp-FileBrowser").count()
            == 0
        )
        assert "ReviewApp.open" not in page.locator("body").inner_text()
        # Score one criterion of the current application: saved in the database as this reviewer.
        app = current.inner_text().strip()
        page.locator(f".shinsa-score-{crit.id.replace('.', '_')}-3").click()
        expect(page.locator(".shinsa-saved")).to_contain_text("保存済み", timeout=30_000)
        rows = _rows(
            hub,
            "reviewer = :r AND application = :a AND criterion = :c AND kind = 'score'",
            r=reviewer,
            a=app,
            c=crit.id,
        )
        assert [(r["score"], r["source"]) for r in rows][-1:] == [(3.0, "widget")]
    finally:
        context.close()


def test_wrong_password_and_unknown_user_do_not_sign_in(hub: Hub) -> None:
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    user = hub.user("R1")
    for name, password in (
        (user, hub.passwords[user] + "x"),
        (f"{hub.prefix}nobody", "whatever-123"),
        (hub.user("R6"), hub.passwords[user]),
    ):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(f"{hub.url}/hub/login", timeout=30).read()
        xsrf = next(c.value for c in jar if c.name == "_xsrf")
        data = urllib.parse.urlencode({"username": name, "password": password, "_xsrf": xsrf}).encode()
        try:
            resp = opener.open(
                urllib.request.Request(f"{hub.url}/hub/login", data=data, method="POST"), timeout=60
            )
            status, url, body = resp.status, resp.url, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, url, body = e.code, e.url, e.read().decode()
        assert status in (200, 403) and url.split("?")[0].endswith("/hub/login"), (status, url)
        assert "Invalid username or password" in body or "ユーザー名またはパスワード" in body, body[:500]
        assert not any(c.name.startswith("jupyterhub-session") for c in jar)


# --------------------------------------------------------------------------- 2. the attacker's kernel

ATTACK = """
import datetime, json, os, sqlalchemy as sa
out = {{}}
try:
    open({other_cred!r}).read()
    out["read_other_credentials"] = "read"
except PermissionError as e:
    out["read_other_credentials"] = "PermissionError"
try:
    os.listdir({other_home!r})
    out["list_other_home"] = "listed"
except PermissionError:
    out["list_other_home"] = "PermissionError"
url = open(os.path.expanduser("~/.shinsa/database_url")).read().strip()
engine = sa.create_engine(url)
with engine.connect() as c:
    out["other_rows"] = c.exec_driver_sql("SELECT count(*) FROM score_events WHERE reviewer <> {me!r}").scalar()
    out["own_rows"] = c.exec_driver_sql("SELECT count(*) FROM score_events WHERE reviewer = {me!r}").scalar()
# a plausible time: the database's own rules (scoring.store.constraints) would refuse another
# before its row-level security is asked, and this attack is about the security
now = datetime.datetime.now(datetime.timezone.utc).isoformat()
try:
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO score_events (id, timestamp, kind, reviewer, application, criterion, score, comment, "
            "rubric_version, source, actor, prev_hash, hash) VALUES (999999, '" + now + "', 'score', "
            "{other!r}, {app!r}, {crit!r}, 1, 'forged', 'x', 'widget', {other!r}, 'x', 'forged-hash')")
    out["insert_as_other"] = "written"
except Exception as e:
    out["insert_as_other"] = str(getattr(e, "orig", e)).splitlines()[0]
from scoring import load_round
rnd = load_round()
try:
    with rnd.store() as st:
        out["store_scores_reviewers"] = sorted(set(st.scores()["reviewer"]))
        st.record({other!r}, {app!r}, {crit!r}, 1.0, "forged")
    out["record_as_other"] = "written"
except Exception as e:
    out["record_as_other"] = type(e).__name__ + ": " + str(e)
for who in ("postgres", {other_role!r}):
    try:
        sa.create_engine(sa.engine.make_url(url).set(username=who, password="")).connect().close()
        out["connect_as_" + who] = "connected"
    except Exception as e:
        out["connect_as_" + who] = str(getattr(e, "orig", e)).splitlines()[0]
print(json.dumps(out, ensure_ascii=False))
"""


def test_reviewers_kernel_cannot_read_or_write_the_other_reviewers_rows(hub: Hub) -> None:
    rnd = load_round(hub.round_dir)
    me, other = "R1", "R6"
    user, other_user = hub.user(me), hub.user(other)
    app = (
        next(a for a in assigned_applications(rnd, other) if a in assigned_applications(rnd, me))
        if set(assigned_applications(rnd, other)) & set(assigned_applications(rnd, me))
        else assigned_applications(rnd, other)[0]
    )
    crit = rnd.rubric.criteria[0].id
    # R6 has a row the attacker looks for.
    run_in_kernel(
        hub,
        other_user,
        f"from scoring import load_round\nwith load_round().store() as st:\n"
        f"    st.record({other!r}, {app!r}, {crit!r}, 2.0, 'R6 の本当のコメント')\n",
    )
    before = _rows(hub, "reviewer = :r", r=other)
    assert before, "R6 の行がありません"
    engine = sa.create_engine(hub.admin_url)
    with engine.connect() as conn:
        other_role = conn.execute(
            sa.text("SELECT rolname FROM pg_roles WHERE rolname LIKE :p"), {"p": f"%\\_r\\_{other.lower()}"}
        ).scalar()
    engine.dispose()
    assert other_role

    code = ATTACK.format(
        other_cred=str(hub.home / other_user / ".shinsa" / "database_url"),
        other_home=str(hub.home / other_user),
        me=me,
        other=other,
        app=app,
        crit=crit,
        other_role=other_role,
    )
    res = run_in_kernel(hub, user, textwrap.dedent(code))
    assert not res["error"], res
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    assert out["read_other_credentials"] == "PermissionError"
    assert out["list_other_home"] == "PermissionError"
    assert out["other_rows"] == 0  # blind: the database shows none of the others' rows
    assert out["own_rows"] >= 0
    assert out["store_scores_reviewers"] in ([], [me])
    assert "row-level security" in out["insert_as_other"] or "permission denied" in out["insert_as_other"], (
        out
    )
    assert out["record_as_other"] != "written", out
    for who in ("postgres", other_role):
        assert (
            "password authentication failed" in out[f"connect_as_{who}"]
            or "no password supplied" in out[f"connect_as_{who}"]
        ), out
    # Nothing was written as R6, nor as R1 about R6's pair.
    assert _rows(hub, "reviewer = :r", r=other) == before
    assert not _rows(hub, "comment = 'forged'")


# --------------------------------------------------------------------------- 3. analyst and committee


def test_analyst_reads_every_reviewers_scores(hub: Hub) -> None:
    rnd = load_round(hub.round_dir)
    crit = rnd.rubric.criteria[1].id
    for reviewer in ("R1", "R6"):
        app = assigned_applications(rnd, reviewer)[-1]
        res = run_in_kernel(
            hub,
            hub.user(reviewer),
            f"from scoring import load_round\n"
            f"with load_round().store() as st:\n"
            f"    st.record({reviewer!r}, {app!r}, {crit!r}, 4.0, 'ok')\n",
        )
        assert not res["error"], res
    analyst = f"{hub.prefix}an"
    res = run_in_kernel(
        hub,
        analyst,
        "from scoring import load_round\nimport json\n"
        "with load_round().store() as st:\n"
        "    print(json.dumps(sorted(set(st.scores()['reviewer']))))\n",
    )
    assert not res["error"], res
    seen = json.loads(res["stdout"].strip().splitlines()[-1])
    assert {"R1", "R6", "R2", "R3", "R4", "R5"} <= set(seen)


def test_analyst_lands_in_01_with_03_one_click_away(hub: Hub, browser) -> None:
    analyst = f"{hub.prefix}an"
    context, page = _sign_in(browser, hub, analyst)
    try:
        page.wait_for_url(
            f"**/user/{analyst}/lab/tree/notebooks/01_applications.ipynb", timeout=LANDING_TIMEOUT_MS
        )
        expect(page.locator("#jp-main-dock-panel")).to_have_count(1, timeout=LANDING_TIMEOUT_MS)
        expect(page.locator(".jp-Notebook")).to_contain_text("01 応募書の確認", timeout=LANDING_TIMEOUT_MS)
        link = page.locator(".jp-Notebook a", has_text="03 配点の調整").first
        link.click()
        expect(page.locator(".lm-DockPanel-tabBar")).to_contain_text(
            "03_rubric_tuning.ipynb", timeout=LANDING_TIMEOUT_MS
        )
    finally:
        context.close()


def test_committee_dashboard_shows_the_ranking_and_no_comments(hub: Hub, browser, ui_artifacts: Path) -> None:
    committee = f"{hub.prefix}co"
    rnd = load_round(hub.round_dir)
    context, page = _sign_in(browser, hub, committee)
    try:
        page.wait_for_url(f"**/user/{committee}/voila/render/04_committee.ipynb", timeout=LANDING_TIMEOUT_MS)
        try:
            expect(page.locator("body")).to_contain_text("順位表", timeout=LANDING_TIMEOUT_MS)
        except AssertionError:
            errors = [line for line in hub.log_tail(400).splitlines() if "evalue" in line or "Error" in line]
            pytest.fail(
                "委員会の画面に順位表が出ません。サーバーのエラー:\n"
                + "\n".join(e[:1500] for e in errors[-5:])
            )
        expect(page.locator("body")).to_contain_text("審議事項と選定案", timeout=LANDING_TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=LANDING_TIMEOUT_MS)
        text = page.locator("body").inner_text()
        page.screenshot(path=str(ui_artifacts / "hub_committee.png"), full_page=False)
        names = [str(n) for n in rnd.applications["prefecture_name"]]
        assert sum(n in text for n in names) >= 5, text[:2000]
        assert "Traceback" not in text and "Error" not in text
        # what the committee may not read is said so, not shown as "none" (issue 21 item 7)
        assert "提出された採点はまだありません" not in text and "講評コメントはありません" not in text
        assert page.locator(".jp-InputArea-editor, .cm-editor").count() == 0
    finally:
        context.close()
    res = run_in_kernel(
        hub,
        committee,
        "import os, sqlalchemy as sa\n"
        "url = open(os.path.expanduser('~/.shinsa/database_url')).read().strip()\n"
        "with sa.create_engine(url).connect() as c:\n"
        "    c.exec_driver_sql('SELECT comment FROM score_events').fetchall()\n",
    )
    assert "permission denied" in res["error"], res


# --------------------------------------------------------------------------- 4. no JupyterLab, no terminal


def test_reviewer_has_no_jupyterlab_no_terminal(hub: Hub, browser) -> None:
    user, analyst = hub.user("R1"), f"{hub.prefix}an"
    ensure_server(hub, user)
    ensure_server(hub, analyst)
    for path in ("/lab", "/lab/tree/02_review.ipynb", "/tree", "/notebooks/02_review.ipynb", "/terminals/1"):
        status, _ = api(hub, user, "GET", f"/user/{user}{path}")
        assert status == 404, (path, status)
    status, body = api(hub, user, "POST", f"/user/{user}/api/terminals", {})
    assert status == 404, body
    status, _ = api(hub, user, "GET", f"/user/{user}/api/terminals")
    assert status == 404
    # The same requests work for the analyst: the test can tell the difference.
    assert api(hub, analyst, "GET", f"/user/{analyst}/lab")[0] == 200
    status, term = api(hub, analyst, "POST", f"/user/{analyst}/api/terminals", {})
    assert status == 200, term
    api(hub, analyst, "DELETE", f"/user/{analyst}/api/terminals/{term['name']}")
    # A reviewer's token does not open another person's server either.
    assert api(hub, user, "GET", f"/user/{analyst}/api/contents")[0] in (403, 404)
    # In the browser too.
    context, page = _sign_in(browser, hub, user)
    try:
        page.wait_for_url(f"**/user/{user}/voila/**", timeout=LANDING_TIMEOUT_MS)
        resp = page.goto(f"{hub.url}/user/{user}/lab")
        assert resp is not None and resp.status == 404
        assert page.locator("#jp-main-dock-panel").count() == 0
    finally:
        context.close()


# --------------------------------------------------------------------------- 5. resource limits

RLIMITS = """
import json, resource
names = {"address_space": resource.RLIMIT_AS, "cpu_seconds": resource.RLIMIT_CPU, "file_size": resource.RLIMIT_FSIZE}
out = {k: list(resource.getrlimit(v)) for k, v in names.items()}
try:
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    out["raise"] = "raised"
except (ValueError, OSError) as e:
    out["raise"] = type(e).__name__
print(json.dumps(out))
"""


@pytest.mark.parametrize("who", ["R1", "analyst"])
def test_kernels_run_with_the_configured_rlimits_and_cannot_raise_them(hub: Hub, who: str) -> None:
    user = hub.user(who) if who != "analyst" else f"{hub.prefix}an"
    res = run_in_kernel(hub, user, RLIMITS)
    assert not res["error"], res
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    expected = hub.limits.to_dict()
    assert {k: out[k] for k in expected} == {k: [v, v] for k, v in expected.items()}
    assert expected != type(hub.limits)().to_dict()  # the site's values, not the defaults
    assert out["raise"] == "ValueError"  # the hard limit cannot be raised from the kernel
