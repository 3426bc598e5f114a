"""Run a cluster in the foreground, start one in the background (``--detach``), and stop it (``down``).

The foreground run owns everything in its one process, so SIGINT/SIGTERM → :meth:`EdgeCluster.stop`
leaves nothing behind. ``--detach`` re-runs ``up`` in a new session (its own process group) with its
output in ``DATA/up.log`` and returns once ``DATA/up.json`` says every node is Ready; ``down`` asks the
control endpoint to stop and waits for the pid to disappear, killing the group as a last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from openyurt.runtime.up.cluster import EdgeCluster, UpConfig, read_state
from openyurt.runtime.up.control import ControlError, ControlServer, call
from openyurt.runtime.up.view import View, make_view

STATE_FILE = "up.json"


def _write_state(data_dir: Path, doc: dict[str, Any]) -> None:
    path = data_dir / STATE_FILE
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(doc) + "\n")
    os.replace(tmp, path)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def running_state(data_dir: Path) -> dict[str, Any] | None:
    """The state of a cluster running on ``data_dir``, or None."""
    try:
        doc = read_state(data_dir)
    except (FileNotFoundError, ValueError):
        return None
    pid = doc.get("pid")
    return doc if isinstance(pid, int) and pid_alive(pid) else None


async def serve_cluster(cfg: UpConfig, view: View, *, ready_timeout: float | None = None) -> int:
    """Start the cluster, serve until SIGINT/SIGTERM or ``/stop``, then stop it. Exit code."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    cluster = EdgeCluster(cfg)
    control: ControlServer | None = None
    code = 0
    began = time.monotonic()
    try:
        start = asyncio.create_task(cluster.start(view.progress))
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([start, stopper], return_when=asyncio.FIRST_COMPLETED)
        if not start.done():
            start.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await start
            return 130
        stopper.cancel()
        start.result()
        control = ControlServer(cluster, secrets.token_urlsafe(24), stop)
        await control.start()
        state = {
            "control": control.url,
            "token": control.token,
            "pid": os.getpid(),
            "apiserver": cluster.running.url if cluster.running else None,
            "kubeconfig": str(cluster.kubeconfig_path.resolve()),
            "nodes": sorted(cluster.nodes),
            "pools": cfg.pools,
            "ready": False,
        }
        _write_state(cfg.data_dir, state)
        ready_at: float | None = None
        while not stop.is_set():
            snap = cluster.snapshot()
            view.update(snap)
            if ready_at is None and snap["ready"]:
                ready_at = time.monotonic() - began
                state["ready"] = True
                state["ready_seconds"] = round(ready_at, 3)
                _write_state(cfg.data_dir, state)
                view.event(
                    f"all {len(cluster.nodes)} nodes Ready after {ready_at:.1f} s; kubeconfig {state['kubeconfig']}"
                )
            elif ready_at is None and ready_timeout is not None and time.monotonic() - began > ready_timeout:
                view.event(f"nodes not all Ready after {ready_timeout:.0f} s; stopping")
                code = 1
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        view.event("stopping")
    finally:
        with contextlib.suppress(FileNotFoundError):
            (cfg.data_dir / STATE_FILE).unlink()
        if control is not None:
            await control.close()
        await cluster.stop()
        view.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return code


def _log_to_file(path: Path) -> None:
    """Component logs go to a file: the terminal belongs to the live view (or the plain lines)."""
    root = logging.getLogger()
    if any(isinstance(h, logging.FileHandler) for h in root.handlers):
        return
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def run_foreground(cfg: UpConfig, *, live: bool | None = None, ready_timeout: float | None = None) -> int:
    if (st := running_state(cfg.data_dir)) is not None:
        print(
            f"openyurt up: already running on {cfg.data_dir} (pid {st['pid']}); `openyurt down` first", file=sys.stderr
        )
        return 1
    cfg.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _log_to_file(cfg.data_dir / "components.log")
    view = make_view(live)
    try:
        return asyncio.run(serve_cluster(cfg, view, ready_timeout=ready_timeout))
    except OSError as exc:
        print(f"openyurt up: {exc}", file=sys.stderr)
        return 1


def run_detached(cfg: UpConfig, child_args: list[str], *, timeout: float = 120.0) -> int:
    """Start ``up`` again in its own session; return once all nodes are Ready (print the kubeconfig)."""
    if (st := running_state(cfg.data_dir)) is not None:
        print(f"openyurt up: already running on {cfg.data_dir} (pid {st['pid']})", file=sys.stderr)
        return 1
    cfg.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    log_path = cfg.data_dir / "up.log"
    with open(log_path, "ab") as logf:
        proc = subprocess.Popen(
            [sys.executable, "-m", "openyurt.runtime.up", "up", *child_args, "--plain"],
            stdin=subprocess.DEVNULL,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"openyurt up: failed to start (exit {proc.returncode}); see {log_path}", file=sys.stderr)
            return 1
        with contextlib.suppress(FileNotFoundError, ValueError):
            st = read_state(cfg.data_dir)
            if st.get("pid") == proc.pid and st.get("ready"):
                print(st["kubeconfig"])
                return 0
        time.sleep(0.1)
    print(f"openyurt up: nodes not Ready after {timeout:.0f} s; stopping (see {log_path})", file=sys.stderr)
    _kill_group(proc.pid)
    proc.wait()
    return 1


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    end = time.monotonic() + 10
    while time.monotonic() < end and pid_alive(pid):
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def down(data_dir: Path, *, timeout: float = 30.0) -> int:
    """Stop the cluster running on ``data_dir`` and wait until its process is gone."""
    try:
        st = read_state(data_dir)
    except (FileNotFoundError, ValueError):
        print(f"openyurt down: nothing running on {data_dir}", file=sys.stderr)
        return 0
    pid = int(st.get("pid") or 0)
    try:
        call(str(st["control"]), str(st["token"]), "POST", "/stop")
    except ControlError:
        if pid and pid_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid and pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid and pid_alive(pid):
        _kill_group(pid)
    with contextlib.suppress(FileNotFoundError):
        if read_state(data_dir).get("pid") == pid:
            (data_dir / STATE_FILE).unlink()
    print(f"stopped (pid {pid})")
    return 0


def control_call(data_dir: Path, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A request to the cluster running on ``data_dir`` (ControlError when none runs)."""
    st = running_state(data_dir)
    if st is None:
        raise ControlError(f"no cluster running on {data_dir} (start one with `openyurt up`)")
    return call(str(st["control"]), str(st["token"]), method, path, body)
