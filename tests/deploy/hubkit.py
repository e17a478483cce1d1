"""Helpers of the end-to-end tests: the running hub, its REST API, code run in a user's kernel."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scoring.admin.limits import Limits
from scoring.round.loader import load_round


@dataclass
class Hub:
    """The running hub: its URL, the people (hub user → role / reviewer id / password)."""

    url: str
    prefix: str
    users: dict[str, str]  # hub user → role
    reviewers: dict[str, str]  # reviewer id → hub user
    passwords: dict[str, str]
    site: Path
    home: Path
    round_dir: Path
    admin_url: str
    log: Path
    limits: Limits = field(default_factory=Limits)
    group: str = ""
    #: Restart the hub with these environment variables added (None: as configured).
    restart: Callable[[dict[str, str] | None], None] | None = None
    #: The variables the hub now runs with beyond its configuration ({}: as configured).
    extra_env: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def user(self, reviewer_id: str) -> str:
        return self.reviewers[reviewer_id]

    def log_tail(self, n: int = 80) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def prefixed_round(dest: Path, copy_round: Callable[[Path], Path], prefix: str) -> Path:
    """The demo round with prefixed hub users, the analyst and the committee, and
    assignments.csv (each reviewer about half of the applications, R6 also given 20)."""
    round_dir = copy_round(dest)
    text = (round_dir / "reviewers.yaml").read_text(encoding="utf-8")
    text, n = re.subn(r"hub_user: r(\d)", rf"hub_user: {prefix}r\1", text)
    short = {"analysts": "an", "committee": "co"}
    text, m = re.subn(
        r"^(analysts|committee): \[\w+\]",
        lambda k: f"{k[1]}: [{prefix}{short[k[1]]}]",
        text,
        flags=re.MULTILINE,
    )
    assert (n, m) == (6, 2), "デモの reviewers.yaml の hub_user・analysts・committee が想定と違います"
    (round_dir / "reviewers.yaml").write_text(text, encoding="utf-8")
    rnd = load_round(round_dir)
    apps = [str(a) for a in rnd.applications.index]
    ids = [r.id for r in rnd.reviewers]
    rows = {(ids[(i + k) % len(ids)], a) for i, a in enumerate(apps) for k in range(3)}
    rows.add(("R6", "20"))
    lines = ["reviewer,application"] + [f"{r},{a}" for r, a in sorted(rows)]
    (round_dir / "assignments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return round_dir


# --------------------------------------------------------------------------- REST API and kernels


def login_session(hub: Hub, user: str) -> Any:
    """A ``requests``-like session signed in through the real login form (urllib + cookies)."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{hub.url}/hub/login", timeout=30) as resp:
        resp.read()
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    data = urllib.parse.urlencode({"username": user, "password": hub.passwords[user], "_xsrf": xsrf}).encode()
    req = urllib.request.Request(f"{hub.url}/hub/login", data=data, method="POST")
    with opener.open(req, timeout=180) as resp:
        resp.read()
    # The hub gives a new XSRF token with the session cookie after the sign-in.
    opener.xsrf = next(c.value for c in jar if c.name == "_xsrf")  # type: ignore[attr-defined]
    return opener


def user_token(hub: Hub, user: str) -> str:
    """An API token of ``user``, asked for by ``user`` (signed in) through the hub's REST API."""
    if user in hub.tokens:
        return hub.tokens[user]
    opener = login_session(hub, user)
    req = urllib.request.Request(
        f"{hub.url}/hub/api/users/{user}/tokens",
        method="POST",
        data=json.dumps({"note": "e2e", "expires_in": 3600}).encode(),
        headers={"X-XSRFToken": opener.xsrf, "Content-Type": "application/json"},
    )
    with opener.open(req, timeout=30) as resp:
        token = json.loads(resp.read())["token"]
    hub.tokens[user] = token
    return token


def api(
    hub: Hub, user: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    """Call ``{hub}{path}`` with ``user``'s token; returns (status, decoded JSON or text)."""
    tok = token or user_token(hub, user)
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{hub.url}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {tok}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            raw, status = resp.read(), resp.status
    except urllib.error.HTTPError as e:
        raw, status = e.read(), e.code
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode(errors="replace")


def ensure_server(hub: Hub, user: str) -> None:
    """Start ``user``'s server (if not running) and wait until it is ready."""
    api(hub, user, "POST", f"/hub/api/users/{user}/server")
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        status, info = api(hub, user, "GET", f"/hub/api/users/{user}")
        server = (info or {}).get("servers", {}).get("", {}) if status == 200 else {}
        if server.get("ready"):
            return
        time.sleep(1)
    pytest.fail(f"{user} のサーバーが起動しませんでした:\n{hub.log_tail()}")


def run_in_kernel(hub: Hub, user: str, code: str, timeout: float = 120) -> dict[str, str]:
    """Start a kernel on ``user``'s own server (REST), run ``code`` over the kernel's
    websocket, shut the kernel down. Returns ``{"stdout": ..., "error": "Ename: value"}``."""
    import websocket

    ensure_server(hub, user)
    token = user_token(hub, user)
    status, kernel = api(hub, user, "POST", f"/user/{user}/api/kernels", {"name": "python3"})
    assert status == 201, f"カーネルを起動できません（{status}）: {kernel}"
    ws_url = hub.url.replace("http://", "ws://") + f"/user/{user}/api/kernels/{kernel['id']}/channels"
    ws = websocket.create_connection(ws_url, timeout=timeout, header=[f"Authorization: token {token}"])
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": user,
                    "session": uuid.uuid4().hex,
                    "msg_type": "execute_request",
                    "version": "5.3",
                    "date": "",
                },
                "parent_header": {},
                "metadata": {},
                "channel": "shell",
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "buffers": [],
            }
        )
    )
    out: dict[str, str] = {"stdout": "", "error": ""}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out["stdout"] += content["text"]
            elif kind == "error":
                out["error"] = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                break
        else:
            pytest.fail(f"カーネルが {timeout} 秒以内に終わりませんでした: {out}")
    finally:
        ws.close()
        api(hub, user, "DELETE", f"/user/{user}/api/kernels/{kernel['id']}")
    return out
