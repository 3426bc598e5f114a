"""Shared rig of the manager integration tests: per module, one embedded API server (``--self-signed-tls``),
one ``openyurt manager`` subprocess running every controller, and the real kubectl.

Module-scoped, so each test module pays for one server and one manager; tests use their own objects.
The manager's log must end without ERROR lines or tracebacks.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.apiserver.conftest import REPO, Kubectl, ServerProc, kubectl_binary

DEADLINE = 20.0
#: upstream's registered names, as the manager logs them once started
STARTED = (
    "nodepool-controller",
    "hubleader-controller",
    "hubleaderconfig-controller",
    "hubleaderrbac-controller",
    "node-bucket-controller",
    "yurt-app-set-controller",
    "yurt-app-daemon-controller",
    "pod-binding-controller",
    "service-topology-endpoints-controller",
    "service-topology-endpointslice-controller",
    "daemon-pod-updater-controller",
    "image-preheat-controller",
)


def wait(cond: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``cond`` until it returns something truthy (an AssertionError counts as not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            last = cond()
        except AssertionError:
            last = None
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@dataclass
class ManagerRun:
    proc: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text()

    def reconciles(self, controller: str) -> float:
        """``controller_runtime_reconcile_total`` of ``controller``, from the manager's /metrics."""
        url = re.search(r"metrics (http://\S+)", self.text())
        assert url is not None, "the manager has not said where its metrics are"
        with urllib.request.urlopen(url.group(1) + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
        pattern = rf'^controller_runtime_reconcile_total{{controller="{re.escape(controller)}",result="\w+"}} (\S+)$'
        return sum(float(m.group(1)) for m in re.finditer(pattern, text, re.M))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProc]:
    srv = ServerProc(tmp_path_factory.mktemp("apiserver"), ["--self-signed-tls"])
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def manager(server: ServerProc, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerRun]:
    log_path = tmp_path_factory.mktemp("manager") / "manager.log"
    cmd = [
        sys.executable,
        "-c",
        "from openyurt.runtime.cli import main; main()",
        "manager",
        "--kubeconfig",
        str(server.kubeconfig),
        "--health-port",
        "0",
        "--metrics-port",
        "0",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    run = ManagerRun(proc, log_path)
    try:
        wait(lambda: "started controllers" in run.text() or proc.poll() is not None, "manager start")
        assert proc.poll() is None, run.text()
        started = next(line for line in run.text().splitlines() if "started controllers" in line)
        for name in STARTED:
            assert name in started
        yield run
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        print(run.text()[-5000:])
    errors = [line for line in run.text().splitlines() if line.startswith(("ERROR", "Traceback"))]
    assert not errors, "\n".join(errors[:20])


@pytest.fixture(scope="module")
def kubectl(server: ServerProc, manager: ManagerRun, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    home = tmp_path_factory.mktemp("home")
    return Kubectl(kubectl_binary(), server.kubeconfig, home)


def apply(k: Kubectl, text: str) -> None:
    k.run("apply", "-f", "-", input=text)


def get(k: Kubectl, *args: str) -> Any:
    return k.json("get", *args)


def set_ready(k: Kubectl, node: str, ready: bool, ip: str = "10.0.0.1") -> None:
    """Write the node's Ready condition and InternalIP (no kubelet here reports them)."""
    status = "True" if ready else "False"
    body = {
        "status": {
            "conditions": [{"type": "Ready", "status": status}],
            "addresses": [{"type": "InternalIP", "address": ip}],
        }
    }
    k.run("patch", "node", node, "--subresource=status", "--type=merge", "-p", json.dumps(body))
