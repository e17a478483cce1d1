# JupyterHub configuration of the 審査ワークベンチ (複数の審査員で使うサーバー).
#
#   jupyterhub -f deploy/jupyterhub_config.py          (as root; `make hub` does it all)
#
# What it reads: $SHINSA_SITE (default /srv/shinsa)/hub/site.json, written by
# `python -m scoring hub-setup --round DIR` (scoring/ui/hub.py): who has which role, where the
# round copy and the app notebooks are. Run that command again after reviewers.yaml changes,
# then restart the hub.
#
# - Sign-in: NativeAuthenticator (passwords kept as bcrypt hashes in the hub's database; no
#   sign-up page: accounts come from reviewers.yaml only). For LDAP or Entra ID see README
#   「複数の審査員で使う（サーバー）」.
# - Servers: LocalProcessSpawner, each person's Jupyter server runs as their own system account.
# - Roles: reviewer → the scoring app (02 in Voilà: no code, no files, no JupyterLab, no
#   terminal); analyst → JupyterLab; committee → the committee dashboard (04 in Voilà).
#   Nobody is a hub admin (an admin could open the others' servers).
# The guarantees (blind review, conflicts) are the database's (one PostgreSQL role per person,
# row-level security) and the file system's (homes 0700), not these screens'.
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821  (JupyterHub provides get_config)

SITE = Path(os.environ.get("SHINSA_SITE", "/srv/shinsa"))
STATE = SITE / "hub"
site = json.loads((STATE / "site.json").read_text(encoding="utf-8"))
USERS: dict = site["users"]  # hub user -> reviewer | analyst | committee

# --- where the hub listens and keeps its state (root only, 0700) ------------------------------
HUB_IP = os.environ.get("SHINSA_HUB_IP", "127.0.0.1")
c.JupyterHub.bind_url = f"http://{HUB_IP}:{os.environ.get('SHINSA_HUB_PORT', '8000')}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('SHINSA_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('SHINSA_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.shutdown_on_logout = True
c.JupyterHub.cleanup_servers = True
c.JupyterHub.template_vars = {"announcement_login": "審査ワークベンチ: 事務局から受け取ったユーザー名とパスワードでログインしてください。"}

# --- sign-in ----------------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "native"
c.Authenticator.allowed_users = set(USERS)
c.Authenticator.admin_users = set()
c.NativeAuthenticator.enable_signup = False
c.NativeAuthenticator.open_signup = False
c.NativeAuthenticator.minimum_password_length = 8
c.NativeAuthenticator.check_common_password = True
c.NativeAuthenticator.allowed_failed_logins = 5
c.NativeAuthenticator.seconds_before_next_try = 300
c.NativeAuthenticator.allow_2fa = False

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
}
#: Jupyter server extensions a Voilà-only person gets: Voilà and nothing else.
VOILA_ONLY = {"voila": True, "jupyterlab": False, "notebook": False, "notebook_shim": False,
              "jupyter_lsp": False, "jupyter_server_terminals": False, "nbclassic": False}
VOILA_APP = {"reviewer": "02_review.ipynb", "committee": "04_committee.ipynb"}


def pre_spawn_hook(spawner):
    """The server of one person, by role (site.json): what it serves and where it lands."""
    name = spawner.user.name
    role = USERS.get(name)
    if role is None:  # allowed_users keeps others out; never start a server for them
        raise ValueError(f"{name} は reviewers.yaml にありません")
    common = ["--ServerApp.terminals_enabled=False" if role != "analyst" else "--ServerApp.terminals_enabled=True",
              "--ContentsManager.allow_hidden=False"]
    if role == "analyst":
        spawner.notebook_dir = "~"
        spawner.default_url = "/lab"
        spawner.args = common
        return
    folder = Path(site["app"]) / role
    spawner.notebook_dir = str(folder)
    spawner.default_url = f"/voila/render/{VOILA_APP[role]}"
    spawner.args = common + [
        f"--ServerApp.jpserver_extensions={VOILA_ONLY!r}",  # a Python literal, as traitlets reads it
        "--VoilaConfiguration.template=shinsa",
        "--VoilaConfiguration.show_tracebacks=False",
        # Voilà 0.5 cannot shut down a reloaded or closed page's kernel (403 without _xsrf,
        # voila-dashboards/voila#1458): idle ones are culled instead (the app saves on shutdown).
        "--MappingKernelManager.cull_idle_timeout=3600",
        "--MappingKernelManager.cull_interval=300",
    ]


c.Spawner.pre_spawn_hook = pre_spawn_hook
