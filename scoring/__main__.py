"""``python -m scoring``: see :mod:`scoring.cli`."""

from __future__ import annotations

import signal
import sys

from .cli import main

if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):  # `python -m scoring … | head`: end quietly, as other commands do
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
