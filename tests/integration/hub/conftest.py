"""Real processes for hub tests: the embedded API server and the hub, each a subprocess we can
stop, restart on the same port, or kill -9; plus a kubectl runner with its own cache dir."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.apiserver.conftest import REPO, kubectl_binary, wait_for

NODE = "edge-1"


async def wait_until(cond: Callable[[], Awaitable[Any]], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            got = await cond()
        except (aiohttp.ClientError, OSError, AssertionError) as exc:
            got, last = None, exc
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last error: {last!r})")
        await asyncio.sleep(0.05)


class Proc:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def _spawn(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)


class ApiServer(Proc):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir.parent / f"{data_dir.name}.log")
        self.data_dir = data_dir
        self.port = 0
        self.url = ""
        self.token = ""

    def start(self) -> ApiServer:
        info = self.data_dir / "apiserver.json"
        info.unlink(missing_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "openyurt.runtime.cli", "apiserver", "--data-dir", str(self.data_dir)]
        token = ["--token", self.token] if self.token else []  # same credentials across restarts
        self._spawn([*cmd, "--port", str(self.port), *token])

        def ready() -> bool:
            if not self.alive():
                raise AssertionError(f"apiserver exited: {self.log.read_text()[-3000:]}")
            return info.exists()

        wait_for(ready, 30, "apiserver.json")
        d = json.loads(info.read_text())
        self.url, self.token = d["url"], d["token"]
        self.port = int(self.url.rsplit(":", 1)[1])
        return self

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Hub(Proc):
    def __init__(self, workdir: Path, api: ApiServer, *args: str, env: dict[str, str] | None = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        super().__init__(workdir / "hub.log")
        self.workdir = workdir
        self.api = api
        self.args = list(args)
        self.env = env
        self.proxy = ""
        self.admin = ""
        self.port = 0  # kept across restarts so clients' kubeconfigs stay valid

    @property
    def cache_dir(self) -> Path:
        return self.workdir / "cache"

    def start(self, wait_ready: bool = True) -> Hub:
        state = self.workdir / "hub.json"
        state.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "openyurt.runtime.hub",
            "--kubeconfig",
            str(self.api.kubeconfig),
            "--node-name",
            NODE,
            "--cache-dir",
            str(self.cache_dir),
            "--port",
            str(self.port),
            "--admin-port",
            "0",
            "--heartbeat-interval",
            "0.25",
            "--heartbeat-timeout",
            "1",
            "--state-file",
            str(state),
            *self.args,
        ]
        self._spawn(cmd, self.env)

        def up() -> bool:
            if not self.alive():
                raise AssertionError(f"hub exited: {self.log.read_text()[-3000:]}")
            return state.exists()

        wait_for(up, 30, "hub state file")
        d = json.loads(state.read_text())
        self.proxy, self.admin = d["proxy"], d["admin"]
        self.port = int(self.proxy.rsplit(":", 1)[1])
        if wait_ready:
            wait_for(self.ready, 30, "hub readyz")
        return self

    def ready(self) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.admin + "/v1/readyz", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def kubeconfig(self, path: Path) -> Path:
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "hub", "cluster": {"server": self.proxy}}],
            "users": [{"name": "anon", "user": {}}],
            "contexts": [{"name": "hub", "context": {"cluster": "hub", "user": "anon"}}],
            "current-context": "hub",
        }
        path.write_text(json.dumps(doc))
        return path


class Kubectl:
    def __init__(self, kubeconfig: Path, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.binary = kubectl_binary()
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home), "KUBECACHEDIR": str(home / "cache")}

    def run(self, *args: str, input: str | None = None, check: bool = True, timeout: float = 30) -> str:
        p = subprocess.run(
            [self.binary, *args], input=input, capture_output=True, text=True, timeout=timeout, env=self.env
        )
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}): {p.stderr}{p.stdout}")
        return p.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json"))

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )


@pytest.fixture
def apiserver(tmp_path: Path) -> Iterator[ApiServer]:
    srv = ApiServer(tmp_path / "api").start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[list[Hub]]:
    """Hubs a test starts are registered here and stopped whatever happens."""
    started: list[Hub] = []
    try:
        yield started
    finally:
        for h in started:
            h.stop()


async def http_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    ua: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    h = {"User-Agent": ua, "Accept": "application/json", **(headers or {})}
    async with session.request(method, url, json=body, headers=h) as r:
        raw = await r.read()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw
