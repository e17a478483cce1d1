"""Preheated Voilà kernels in a hub server (issue 22 item 6: waiting times).

Voilà 0.5 preheats kernels (starts a kernel and runs the notebook before anyone asks, so that a
visit only sends the finished page) in its stand-alone app only: as a Jupyter server extension,
as the hub runs it, the server's kernel manager has no pool and every visit starts a kernel and
runs the notebook from the beginning. This module brings the pool to the server extension:

* :class:`PreheatKernelManager` is Voilà's own pooling kernel manager
  (``voila.voila_kernel_manager``) on the server's kernel manager, with one notebook (the role's
  app, :attr:`PreheatKernelManager.notebook`) kept ``pool_size`` kernels ahead; other notebooks
  are served as before;
* the server extension of this module (``jpserver_extensions``) gives it what Voilà's app would:
  the Voilà configuration and templates, and starts filling the pool when the server starts.

Identity stays right: a pool belongs to one person's server (its kernels get that server's
environment: the person's ``SCORING_ROUND`` and JupyterHub user), never shared between people.
A preheated page shows the data of the moment it was prepared: the reviewer app keeps itself
current until the reviewer's first action (scoring/ui/review_panel.py polls the store); the
committee dashboard does not, so deploy/jupyterhub_config.py preheats the reviewers' servers only.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Int, Unicode
from voila.configuration import VoilaConfiguration
from voila.notebook_renderer import NotebookRenderer
from voila.paths import collect_template_paths
from voila.utils import get_page_config
from voila.voila_kernel_manager import voila_kernel_manager_factory

__all__ = ["PreheatKernelManager"]

_VoilaPoolManager: Any = voila_kernel_manager_factory(AsyncMappingKernelManager, True, 0)


class PreheatKernelManager(_VoilaPoolManager):
    """The server's kernel manager with Voilà's pool of preheated kernels for one notebook."""

    notebook = Unicode("", config=True, help="The notebook (relative to the root) kept preheated.")
    pool_size = Int(1, config=True, help="How many kernels of that notebook are kept ready.")

    def __init__(self, **kwargs: Any) -> None:
        # Voilà's __init__ reads its own app (notebook_path) and fills at once; in a server the
        # Voilà configuration exists only when the extensions load: fill from start_pool().
        AsyncMappingKernelManager.__init__(self, **kwargs)
        self._wait_at_startup = True
        self.notebook_data: dict[str, Any] = {}
        self._pools: dict[str, list[Any]] = {}
        self.root_dir = self.parent.root_dir
        self.notebook_path = None
        self._voila: dict[str, Any] | None = None
        self.kernel_pools_config = {
            "default": {"pool_size": 0},
            **({self.notebook: {"pool_size": max(self.pool_size, 0)}} if self.notebook else {}),
        }

    def start_pool(self, voila: dict[str, Any]) -> None:
        """Start filling the pool (``voila``: configuration, template paths, settings)."""
        self._voila = voila
        if self.notebook:
            self.fill_if_needed(delay=0, notebook_name=self.notebook)

    def _notebook_renderer_factory(self, notebook_path: str | None = None) -> NotebookRenderer:
        voila = self._voila
        assert voila is not None, "start_pool() comes first"
        settings = voila["settings"]
        page_config = get_page_config(
            base_url=self.parent.base_url,
            settings=settings,
            log=self.log,
            voila_configuration=voila["configuration"],
        )
        return NotebookRenderer(
            voila_configuration=voila["configuration"],
            traitlet_config=self.parent.config,
            notebook_path=notebook_path,
            template_paths=voila["template_paths"],
            config_manager=settings.get("config_manager"),
            contents_manager=self.parent.contents_manager,
            base_url=self.parent.base_url,
            kernel_spec_manager=self.parent.kernel_spec_manager,
            page_config=page_config,
            mathjax_config=settings.get("mathjax_config"),
            mathjax_url=settings.get("mathjax_url"),
        )


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "scoring.admin.voila_preheat"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Hand the Voilà configuration to the pool and start filling it once the server runs."""
    manager = server_app.kernel_manager
    if not isinstance(manager, PreheatKernelManager):
        return
    configuration = VoilaConfiguration(parent=server_app)
    settings = server_app.web_app.settings
    # What Voilà's fill_if_needed reads from its app: the server's URL as the Voilà handler sees it.
    server_app.server_url = settings.get("server_url", "/")
    voila = {
        "configuration": configuration,
        "template_paths": collect_template_paths(["voila", "nbconvert"], configuration.template),
        "settings": settings,
    }
    from tornado.ioloop import IOLoop

    IOLoop.current().add_callback(manager.start_pool, voila)
