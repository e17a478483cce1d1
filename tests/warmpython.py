"""``python -m scoring`` without paying its imports at every command (tests only).

Each fresh interpreter spends 1–3 s of CPU importing pandas, SQLAlchemy, openpyxl, matplotlib,
WeasyPrint… before a command starts; the README replay (tests/test_round_procedure.py) runs
about 30 commands. :class:`WarmPython` starts a server (this file run as a script) that imports
them once and listens on a Unix socket; :meth:`WarmPython.write_shim` writes an executable that
stands for ``python``. Run as ``python -m scoring ARGS`` (by bash, from a README line, so the
shell's expansion, ``&&`` and exit codes are the README's), the shim hands its arguments,
working directory, environment and its stdin/stdout/stderr to the server; the server forks a
child that takes them over and runs ``scoring`` as ``__main__`` (``runpy``, as ``-m`` does),
and the shim exits with the child's exit code. Every other use of the shim is the real
interpreter (``exec``). Each command is still a process of its own with its own environment,
working directory and exit code; only the imported modules are shared (forked copies).
Tests that are about the process itself (``python -m scoring`` starting, the environment
variable of a fresh interpreter) use :mod:`subprocess` directly (tests/test_cli.py).

Importable from tests (``from warmpython import WarmPython``); the client side uses the
standard library only (the shim runs it with ``-S -E``).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import sys

#: Imported by the server before it forks any command (what the README's commands use).
PRELOAD = (
    "scoring.cli",
    "scoring.cli_commands",
    "scoring.analysis.committee",
    "scoring.reporting",
    "scoring.store.scores",
    "scoring.round.loader",
    "pandas",
    "numpy",
    "scipy.stats",
    "sqlalchemy",
    "openpyxl",
    "matplotlib.pyplot",
    "weasyprint",
)

_HEADER = struct.Struct("!Q")
_CODE = struct.Struct("!i")


# ---------------------------------------------------------------------------
# The client (the shim): standard library only
# ---------------------------------------------------------------------------


def _recv_exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("warm python: the server closed the connection")
        data += chunk
    return data


def client(sock_path: str, args: list[str]) -> int:
    """Run ``python ARGS`` through the server (``-m scoring …``) or the real interpreter."""
    if args[:2] != ["-m", "scoring"]:
        os.execv(sys.executable, [sys.executable, *args])
    body = json.dumps({"argv": args[2:], "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(sock_path)
        socket.send_fds(conn, [_HEADER.pack(len(body))], [0, 1, 2])
        conn.sendall(body)
        try:
            return int(_CODE.unpack(_recv_exactly(conn, _CODE.size))[0])
        except ConnectionError:  # the command's process ended without an exit code (a signal)
            print("warm python: the command ended without an exit code", file=sys.stderr)
            return 1


# ---------------------------------------------------------------------------
# The server: imports once, forks one child per command
# ---------------------------------------------------------------------------


def _run_child(request: dict[str, object], fds: list[int]) -> int:
    """In the forked child: become ``python -m scoring ARGV`` in the client's place."""
    import atexit
    import contextlib
    import runpy
    import traceback

    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update(dict(request["env"]))  # type: ignore[arg-type]
    sys.path[0] = os.getcwd()  # as `python -m` puts the working directory first
    sys.argv = ["-m", *list(request["argv"])]  # type: ignore[call-overload]
    code = 0
    try:
        runpy.run_module("scoring", run_name="__main__", alter_sys=True)
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 (reported as the interpreter reports an uncaught exception)
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    return code


def _reap(children: set[int], block: bool) -> None:
    """Wait for finished children (all of them with ``block``), so that their CPU time is
    counted in this server's, and so in the test's when the server ends."""
    for pid in list(children):
        done, _ = os.waitpid(pid, 0 if block else os.WNOHANG)
        if done:
            children.discard(pid)


def _warm_parses() -> None:
    """Parse the demo round's 応募書 once, as a round's first load in a process would: the README
    replay works on a copy of the demo, and the parse cache is keyed by each file's bytes
    (``scoring.intake._book._read``), so every command's first load finds them parsed."""
    from scoring.core.paths import DEMO_ROUND
    from scoring.intake.applications import read_applications

    read_applications(DEMO_ROUND / "applications")


def _warm_round(request: dict[str, object]) -> None:
    """Before forking a command with ``--round DIR``: parse DIR's 応募書 in the server, so that
    the command finds them parsed (the cache is the server's, so each new or changed form is
    parsed once for all the commands, not once in each). A form that fails here fails the same
    way in the command, which reports it."""
    import contextlib
    from pathlib import Path

    from scoring.intake.applications import read_applications

    argv = [str(a) for a in request["argv"]]  # type: ignore[attr-defined]
    if "--round" not in argv[:-1]:
        return
    folder = Path(str(request["cwd"])) / argv[argv.index("--round") + 1] / "applications"
    if folder.is_dir():
        with contextlib.suppress(Exception):  # the command itself meets and reports the same problem
            read_applications(folder)


def serve(sock_path: str) -> None:
    """Import :data:`PRELOAD`, then fork a child per command (several may run at once, e.g. in
    a pipe) until the parent goes away or sends SIGTERM; then end the children still running."""
    import importlib
    import signal

    for name in PRELOAD:
        importlib.import_module(name)
    _warm_parses()
    parent = os.getppid()
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    children: set[int] = set()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(sock_path)
        listener.listen(8)
        listener.settimeout(0.5)
        print("ready", flush=True)
        while os.getppid() == parent and not stopping:
            _reap(children, block=False)
            try:
                conn, _ = listener.accept()
            except (TimeoutError, InterruptedError):
                continue
            with conn:
                conn.settimeout(None)
                msg, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 3)
                request = json.loads(_recv_exactly(conn, _HEADER.unpack(msg)[0]))
                _warm_round(request)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:  # the child: never returns into the loop
                    code = 1
                    try:
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                        listener.close()
                        code = _run_child(request, fds)
                        conn.sendall(_CODE.pack(code))
                    finally:
                        os._exit(code)
                children.add(pid)
                for fd in fds:
                    os.close(fd)
    for pid in children:  # commands still running when the test ends (a failure, a timeout)
        os.kill(pid, signal.SIGTERM)
    _reap(children, block=True)


class WarmPython:
    """The server for one test (:meth:`start`, :meth:`stop`): ``write_shim(path)`` makes ``path``
    a ``python`` whose ``-m scoring`` commands run in children of the warm server.

    ``env`` and ``cwd`` are the server's (its imports see them: use the commands' own
    ``HOME``, so that matplotlib's font cache is the one the commands would use).
    """

    def __init__(
        self, folder: os.PathLike[str] | str, env: dict[str, str], cwd: os.PathLike[str] | str
    ) -> None:
        import tempfile

        self._dir = tempfile.mkdtemp(prefix="warmpy-")  # short: a socket path has ≤ 107 bytes
        self.socket = os.path.join(self._dir, "s")
        self.log = os.path.join(os.fspath(folder), "warmpython.log")
        self.env = env
        self.cwd = os.fspath(cwd)
        self.proc: object = None

    def start(self) -> WarmPython:
        """Start the server and wait until it has imported :data:`PRELOAD`."""
        import subprocess

        with open(self.log, "wb") as log:
            self.proc = proc = subprocess.Popen(
                [sys.executable, __file__, "serve", self.socket],
                cwd=self.cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != b"ready":
            proc.kill()
            proc.wait()
            with open(self.log, encoding="utf-8", errors="replace") as f:
                raise RuntimeError(f"warm python did not start:\n{f.read()[-4000:]}")
        return self

    def stop(self) -> None:
        import shutil
        import subprocess

        proc = self.proc
        assert isinstance(proc, subprocess.Popen)
        proc.terminate()  # it ends the commands still running and waits for them
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def write_shim(self, path: os.PathLike[str] | str) -> None:
        """Write an executable ``python`` at ``path`` (see the module's docstring)."""
        script = (
            "#!/bin/sh\n"
            f'exec "{sys.executable}" -S -E "{os.path.abspath(__file__)}" client "{self.socket}" "$@"\n'
        )
        with open(path, "w", encoding="utf-8") as f:
            f.write(script)
        os.chmod(path, 0o755)


if __name__ == "__main__":
    if sys.argv[1] == "client":
        sys.exit(client(sys.argv[2], sys.argv[3:]))
    serve(sys.argv[2])
