"""Kubernetes adapter fixtures: the embedded API server as a real subprocess, and a backend switch.

``apiserver`` starts ``openyurt apiserver`` in a temporary directory once per module and stops it
(even when a test fails); tests that restart or freeze it get their own with ``fresh_apiserver``.
``backend`` parametrises the contract suite over the in-memory client and the embedded server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from openyurt.adapters.kube.asyncio_client import AsyncioClient
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.adapters.kube.protocols import Client

# `python -m openyurt.runtime.cli` has no __main__ guard; call the console entry point directly.
SERVER_CMD = [sys.executable, "-c", "from openyurt.runtime.cli import main; main()", "apiserver"]
MANAGER_CMD = [sys.executable, "-c", "from openyurt.runtime.cli import main; main()", "manager"]


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class ApiServerProcess:
    """One embedded API server on a fixed data dir; restartable on the same port."""

    def __init__(self, data_dir: Path, *, compact_keep: int = 1000) -> None:
        self.data_dir = data_dir
        self.compact_keep = compact_keep
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.url = ""
        # fixed across restarts, so clients holding the kubeconfig keep working
        self.token = uuid.uuid4().hex
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "apiserver.log"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def start(self, *, compact_keep: int | None = None) -> None:
        if compact_keep is not None:
            self.compact_keep = compact_keep
        info = self.data_dir / "apiserver.json"
        with contextlib.suppress(FileNotFoundError):
            info.unlink()
        cmd = [
            *SERVER_CMD,
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--compact-keep",
            str(self.compact_keep),
            "--token",
            self.token,
        ]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc = self.proc

        def ready() -> dict[str, Any] | None:
            if proc.poll() is not None:
                raise AssertionError(f"apiserver exited with {proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                data: dict[str, Any] = json.loads(info.read_text())
            except (FileNotFoundError, ValueError):
                return None
            return data if data.get("pid") == proc.pid else None

        data = wait_for(ready, 30, "the embedded API server to start")
        self.url = data["url"]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def restart(self, *, compact_keep: int | None = None) -> None:
        self.stop()
        self.start(compact_keep=compact_keep)

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@contextlib.contextmanager
def running_apiserver(path: Path, **kwargs: Any) -> Iterator[ApiServerProcess]:
    server = ApiServerProcess(path, **kwargs)
    try:
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.resume()
        server.stop()


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServerProcess]:
    with running_apiserver(tmp_path_factory.mktemp("apiserver")) as server:
        yield server


@pytest.fixture
def fresh_apiserver(tmp_path: Path) -> Iterator[ApiServerProcess]:
    with running_apiserver(tmp_path / "apiserver") as server:
        yield server


@pytest.fixture(params=["memory", "apiserver"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Backend:
    """A client plus the two things only a test harness can do to its server: compact and restart."""

    def __init__(self, name: str, client: Client, server: ApiServerProcess | None, memory: MemoryClient | None):
        self.name = name
        self.client = client
        self.server = server
        self.memory = memory

    async def compact(self) -> None:
        if self.memory is not None:
            self.memory.compact()
        else:
            assert self.server is not None
            # the server compacts to --compact-keep revisions when it starts
            self.server.restart(compact_keep=1)


@pytest.fixture
async def kube(request: pytest.FixtureRequest, backend: str) -> AsyncIterator[Backend]:
    if backend == "memory":
        mem = MemoryClient()
        yield Backend("memory", mem, None, mem)
        await mem.close()
        return
    server: ApiServerProcess = request.getfixturevalue("apiserver")
    client = await AsyncioClient.from_kubeconfig(server.kubeconfig, request_timeout=10.0)
    try:
        yield Backend("apiserver", client, server, None)
    finally:
        await client.close()


@pytest.fixture
async def namespace(kube: Backend) -> str:
    """A fresh namespace per test (random suffix), created where the backend needs it."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    await kube.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


def env_without_pytest() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    return env
