# JupyterHub configuration of the 審査ワークベンチ (複数の審査員で使うサーバー).
#
#   jupyterhub -f deploy/jupyterhub_config.py          (as root; `make hub` does it all)
#
# What it reads: $SHINSA_SITE (default /srv/shinsa)/hub/site.json, written by
# `python -m scoring hub-setup --round DIR` (scoring/admin/setup.py): who has which role, where
# the round copy and the app notebooks are, the limits and the idle timeout. Run that command
# again after reviewers.yaml changes, then restart the hub.
#
# - Sign-in: PAM on the system accounts hub-setup created (JupyterHub's PAMAuthenticator, with
#   a lock-out after 5 failed sign-ins of a name from one address for 5 minutes, so that nobody
#   locks a reviewer out from elsewhere, and every failure as slow as PAM's slowest:
#   scoring/admin/authenticator.py). Behind a reverse proxy, set c.JupyterHub.trusted_proxies
#   (or tornado's xheaders) so that the address is the client's. For LDAP
#   or Entra ID see README「複数の審査員で使う（サーバー）」.
# - Servers: LocalProcessSpawner, each person's Jupyter server runs as their own system account,
#   with rlimits (address space, CPU time, file size; scoring/admin/limits.py).
# - Idle servers are stopped by jupyterhub-idle-culler, a hub service (scoring/admin/culler.py).
# - Roles: reviewer → the scoring app (02 in Voilà: no code, no files, no JupyterLab, no
#   terminal); analyst → JupyterLab; committee → the committee dashboard (04 in Voilà).
#   Nobody is a hub admin (an admin could open the others' servers).
# - Files: the analysts and the committee read the round copy (round/); its reports/ only the
#   analysts; each reviewer's SCORING_ROUND is their own view (reviewers/<user>/, site.json
#   "rounds"); every server runs with umask 027 (scoring/admin/siteaccess.py, limits.py).
# The guarantees (blind review, conflicts) are the database's (one PostgreSQL role per person,
# row-level security) and the file system's (homes 0700), not these screens'.
import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub provides get_config)

SITE = Path(os.environ.get("SHINSA_SITE", "/srv/shinsa"))
STATE = SITE / "hub"
site = json.loads((STATE / "site.json").read_text(encoding="utf-8"))
USERS: dict = site["users"]  # hub user -> reviewer | analyst | committee
sys.path.insert(0, site["pythonpath"])  # the workbench the site was set up from

import scoring.admin
from scoring.admin.culler import DEFAULT_CULL_EVERY, idle_culler
from scoring.admin.limits import Limits, limit_spawner
from scoring.admin.privileges import unprivileged

LIMITS = Limits.from_dict(site.get("limits"))

# --- where the hub listens and keeps its state (root only, 0700) ------------------------------
HUB_IP = os.environ.get("SHINSA_HUB_IP", "127.0.0.1")
c.JupyterHub.bind_url = f"http://{HUB_IP}:{os.environ.get('SHINSA_HUB_PORT', '8000')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('SHINSA_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('SHINSA_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
# The hub stays root (LocalProcessSpawner, PAM); the proxy needs no privilege: it runs as nobody.
c.ConfigurableHTTPProxy.command = unprivileged(["configurable-http-proxy"])
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.shutdown_on_logout = True
c.JupyterHub.cleanup_servers = True
# Japanese hub pages (sign-in, navigation): our templates first, JupyterHub's for the rest.
c.JupyterHub.template_paths = [str(Path(scoring.admin.__file__).parent / "hub_templates")]
c.JupyterHub.template_vars = {
    "announcement_login": "審査ワークベンチ: 事務局から受け取ったユーザー名とパスワードでログインしてください。"
}

# --- sign-in ----------------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "scoring.admin.authenticator.ShinsaPAMAuthenticator"
c.Authenticator.allowed_users = set(USERS)
c.Authenticator.admin_users = set()
c.Authenticator.allow_all = False
c.Authenticator.allow_existing_users = False  # only reviewers.yaml, never a user left in the hub's db
c.PAMAuthenticator.admin_groups = set()
c.ShinsaPAMAuthenticator.allowed_failed_logins = 5
c.ShinsaPAMAuthenticator.seconds_before_next_try = 300

# --- idle servers are stopped (jupyterhub-idle-culler as a hub service) ----------------------
# SHINSA_IDLE_TIMEOUT / SHINSA_CULL_EVERY / SHINSA_ACTIVITY_INTERVAL (seconds) override the site's
# settings (the tests use a short timeout). Activity is read from the proxy and the servers.
IDLE_TIMEOUT = int(os.environ.get("SHINSA_IDLE_TIMEOUT") or site.get("idle_timeout", 3600))
CULL_EVERY = int(os.environ.get("SHINSA_CULL_EVERY") or min(DEFAULT_CULL_EVERY, max(IDLE_TIMEOUT // 4, 5)))
ACTIVITY_INTERVAL = int(os.environ.get("SHINSA_ACTIVITY_INTERVAL") or min(300, max(IDLE_TIMEOUT // 4, 5)))
culler_service, culler_role = idle_culler(
    IDLE_TIMEOUT, CULL_EVERY, python=str(Path(site["python_bin"]) / "python")
)
# The culler only calls the hub's API with its token: it runs as nobody (with the site's group,
# which may run this Python), from / (root's home is not nobody's).
culler_service["command"] = unprivileged(culler_service["command"], groups=[site["group"]])
culler_service["cwd"] = "/"
c.JupyterHub.services = [culler_service]
c.JupyterHub.load_roles = [culler_role]
c.JupyterHub.last_activity_interval = ACTIVITY_INTERVAL
c.JupyterHub.activity_resolution = min(30, ACTIVITY_INTERVAL)

# --- each person's server, as their own system account ---------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(Path(site["python_bin"]) / "jupyterhub-singleuser")]
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    "SCORING_ROUND": site["round"],
    # The workbench's package and its offline Voilà template (scoring/ui/jupyter/voila).
    "PYTHONPATH": site["pythonpath"],
    "JUPYTER_PATH": site["voila_templates"],
    "LANG": "ja_JP.UTF-8",
    # How often each server tells the hub it is in use (the culler reads it).
    "JUPYTERHUB_ACTIVITY_INTERVAL": str(ACTIVITY_INTERVAL),
}
#: Jupyter server extensions a Voilà-only person gets: Voilà and nothing else.
VOILA_ONLY = {
    "voila": True,
    "jupyterlab": False,
    "notebook": False,
    "notebook_shim": False,
    "jupyter_lsp": False,
    "jupyter_server_terminals": False,
    "nbclassic": False,
}
VOILA_APP = {"reviewer": "02_review.ipynb", "committee": "04_committee.ipynb"}
#: Preheated kernels (scoring/admin/voila_preheat.py): a reviewer's server keeps one kernel of the
#: app ready, the notebook already run, so that a visit or a reload only sends the page (issue 22
#: item 6). Per person's server, with that person's environment: never shared between people; the
#: app keeps a waiting page current (it polls the store until the reviewer's first action). Not
#: the committee's: its dashboard is computed once and would show the round as it was when the
#: kernel was prepared. SHINSA_PREHEAT=0 (in the hub's environment) turns it off.
PREHEAT_ROLES = {"reviewer"} if os.environ.get("SHINSA_PREHEAT", "1") != "0" else set()


def pre_spawn_hook(spawner):
    """The server of one person, by role (site.json): what it serves and where it lands."""
    name = spawner.user.name
    role = USERS.get(name)
    if role is None:  # allowed_users keeps others out; never start a server for them
        raise ValueError(f"{name} は reviewers.yaml にありません")
    limit_spawner(spawner, LIMITS)  # rlimits of the server and its kernels (set before setuid)
    common = [
        "--ServerApp.terminals_enabled=False" if role != "analyst" else "--ServerApp.terminals_enabled=True",
        "--ContentsManager.allow_hidden=False",
    ]
    if role == "analyst":
        spawner.notebook_dir = "~"
        # lands in 01 (its first cell links to 03); the file browser opens on notebooks/
        spawner.default_url = "/lab/tree/notebooks/01_applications.ipynb"
        spawner.args = common
        return
    if role == "reviewer":
        # The reviewer's own view of the round (scoring/admin/siteaccess.py): their own entry of
        # reviewers.yaml only; the analysts' round/ (reports, every reviewer) is not readable to them.
        view = (site.get("rounds") or {}).get(name)
        if not view:
            raise ValueError(
                f"{name} の審査ラウンドがありません。root で hub-setup をもう一度実行してください"
            )
        spawner.environment = {**spawner.environment, "SCORING_ROUND": view}
    folder = Path(site["app"]) / role
    spawner.notebook_dir = str(folder)
    spawner.default_url = f"/voila/render/{VOILA_APP[role]}"
    preheated = role in PREHEAT_ROLES
    extensions = {**VOILA_ONLY, "scoring.admin.voila_preheat": True} if preheated else VOILA_ONLY
    preheat = [
        "--ServerApp.kernel_manager_class=scoring.admin.voila_preheat.PreheatKernelManager",
        f"--PreheatKernelManager.notebook={VOILA_APP[role]}",
    ]
    spawner.args = (
        common
        + (preheat if preheated else [])
        + [
            f"--ServerApp.jpserver_extensions={extensions!r}",  # a Python literal, as traitlets reads it
            "--VoilaConfiguration.template=shinsa",
            "--VoilaConfiguration.show_tracebacks=False",
            # Voilà 0.5 cannot shut down a reloaded or closed page's kernel (403 without _xsrf,
            # voila-dashboards/voila#1458): idle ones are culled instead (the app saves on shutdown).
            "--MappingKernelManager.cull_idle_timeout=3600",
            "--MappingKernelManager.cull_interval=300",
        ]
    )


c.Spawner.pre_spawn_hook = pre_spawn_hook
