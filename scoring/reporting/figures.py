"""The one figure factory: every chart people see is drawn through :func:`new_figure`.

matplotlib's object API (no pyplot state, so it works in a headless kernel, a server and
the tests alike), the non-interactive Agg canvas, and the bundled Japanese font (IPAex, from
``matplotlib_fontja``: offline, nothing downloaded). :func:`png_bytes` turns a figure into the
PNG bytes the HTML, the PDF, the workbook and the widgets embed.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["new_figure", "png_bytes"]


def new_figure(
    width: float, height: float, *, dpi: float = 100, layout: Literal["constrained", "tight"] | None = None
) -> Figure:
    """An empty figure of ``width`` × ``height`` inches with the Japanese font registered."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib_fontja  # noqa: F401  (registers the bundled Japanese font)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, layout=layout)


def png_bytes(fig: Figure, **savefig: Any) -> bytes:
    """The figure as PNG bytes (``savefig`` options passed on, e.g. ``dpi``, ``bbox_inches``)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **savefig)
    return buf.getvalue()
