"""Raven across real network namespaces: WireGuard (wireguard-go) between pools, VXLAN inside them.

The embedded API server runs in the root namespace on the management bridge, the gateway-pickup
controller runs as ``openyurt raven pickup``, and one ``raven agent`` runs inside each node namespace.
Checks: a pod of pool A reaches a pod on pool B's non-gateway node; intra-pool traffic does not touch
the tunnel; when A's gateway goes NotReady and its agent stops, the next endpoint takes over and the
ping works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from openyurt.adapters.kube.asyncio_client import AsyncioClient
from tests.e2e.raven.topology import MGMT_HOST, Topology

pytestmark = [
    pytest.mark.root,
    pytest.mark.slow,
    pytest.mark.timeout(180),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces and WireGuard"),
    pytest.mark.skipif(shutil.which("wireguard-go") is None, reason="wireguard-go is not installed"),
    pytest.mark.skipif(shutil.which("wg") is None, reason="wireguard-tools (wg) is not installed"),
    pytest.mark.skipif(shutil.which("ping") is None, reason="ping (iputils-ping) is not installed"),
    pytest.mark.skipif(
        shutil.which("iptables") is None or shutil.which("ipset") is None, reason="iptables/ipset are not installed"
    ),
]

REPO = Path(__file__).resolve().parents[3]


async def wait_for(cond: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        value = await asyncio.to_thread(cond)
        if value:
            return value
        if loop.time() > end:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.2)


class Processes:
    """Processes this test started, each in its own session so its whole group can be stopped."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        log.close()
        self.procs[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 15.0) -> int | None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return None
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        # whatever the group left behind (wireguard-go of a killed agent)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return proc.returncode

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)

    def log(self, name: str) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture
async def cluster() -> AsyncIterator[tuple[Topology, Processes, AsyncioClient, Path]]:
    topo = Topology()
    workdir = Path(tempfile.mkdtemp(prefix="raven-e2e-"))
    procs = Processes(workdir)
    client: AsyncioClient | None = None
    try:
        topo.build()
        data = workdir / "apiserver"
        procs.start(
            "apiserver",
            [
                sys.executable,
                "-m",
                "openyurt.runtime.cli",
                "apiserver",
                "--data-dir",
                str(data),
                "--port",
                "0",
                "--host",
                MGMT_HOST,
            ],
        )
        await wait_for(lambda: (data / "apiserver.json").exists(), "the API server", 30)
        client = await AsyncioClient.from_kubeconfig(data / "kubeconfig")
        yield topo, procs, client, workdir
    finally:
        if client is not None:
            await client.close()
        procs.stop_all()
        topo.destroy()
        for node in topo.nodes:
            shutil.rmtree(topo.wg_run_dir(node), ignore_errors=True)
        if os.environ.get("RAVEN_E2E_KEEP_LOGS"):
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def node_object(topo: Topology, name: str, ready: bool = True) -> dict[str, Any]:
    n = topo.nodes[name]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"raven.openyurt.io/gateway": f"gw-{n.pool}"}},
        "spec": {"podCIDR": n.pod_cidr},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "addresses": [{"type": "InternalIP", "address": n.private_ip}],
        },
    }


def gateway_object(name: str, endpoints: list[str], *, nat: bool, expose: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "tunnelConfig": {"Replicas": 1},
        "proxyConfig": {"Replicas": 0},
        "endpoints": [{"nodeName": n, "type": "tunnel", "underNAT": nat} for n in endpoints],
    }
    if expose:
        spec["exposeType"] = expose
    return {"apiVersion": "raven.openyurt.io/v1beta1", "kind": "Gateway", "metadata": {"name": name}, "spec": spec}


def status_of(workdir: Path, node: str) -> dict[str, Any]:
    path = workdir / f"state-{node}" / "status.json"
    try:
        return dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        return {}


async def test_pods_reach_across_pools_and_fail_over(
    cluster: tuple[Topology, Processes, AsyncioClient, Path],
) -> None:
    topo, procs, client, workdir = cluster
    kubeconfig = workdir / "apiserver" / "kubeconfig"
    await client.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "raven-cfg", "namespace": "kube-system"},
            "data": {"enable-l3-tunnel": "true", "enable-l7-proxy": "false"},
        }
    )
    for name in topo.nodes:
        created = await client.create(node_object(topo, name))
        created["status"] = node_object(topo, name)["status"]
        await client.update_status(created)
    await client.create(gateway_object("gw-a", ["a1", "a2"], nat=False, expose="PublicIP"))
    await client.create(gateway_object("gw-b", ["b1", "b2"], nat=True))

    procs.start(
        "pickup", [sys.executable, "-m", "openyurt.runtime.raven.cli", "pickup", "--kubeconfig", str(kubeconfig)]
    )
    for name, n in topo.nodes.items():
        argv = [
            sys.executable, "-m", "openyurt.runtime.raven.cli", "agent",
            "--kubeconfig", str(kubeconfig), "--node-name", name, "--vpn-driver", "wireguard",
            "--public-ip", n.public_ip, "--state-dir", str(workdir / f"state-{name}"), "--sync-period", "20",
        ]  # fmt: skip
        procs.start(f"agent-{name}", topo.agent_command(name, argv))

    def roles() -> dict[str, str]:
        return {name: status_of(workdir, name).get("role", "") for name in topo.nodes}

    def converged() -> bool:
        r = roles()
        if r != {"a1": "gateway", "a2": "member", "b1": "gateway", "b2": "member"}:
            return False
        return all(
            any(i["kind"] == "peer" for i in status_of(workdir, g)["items"]) and not status_of(workdir, g)["errors"]
            for g in ("a1", "b1")
        )

    try:
        await wait_for(converged, "both gateways to be elected and peered", 45)
        # the private key file is root-only
        key_file = workdir / "state-a1" / "wg-private.key"
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"

        # A pod on pool A's member reaches a pod on pool B's member (VXLAN -> WireGuard -> VXLAN)
        await wait_for(lambda: topo.ping("a2", "b2"), "a2's pod to ping b2's pod", 30)
        assert topo.ping("b2", "a2")

        # Intra-pool traffic goes through the "CNI" routes, never through the tunnel
        _, tx_before = topo.wg_transfer("a1")
        assert topo.ping("a1", "a2", count=5, size=1200)
        _, tx_after = topo.wg_transfer("a1")
        assert tx_after - tx_before < 1000, "intra-pool traffic crossed the tunnel"
        # ...while cross-pool traffic from the gateway's own pod does
        assert topo.ping("a1", "b2", count=5, size=1200)
        _, tx_cross = topo.wg_transfer("a1")
        assert tx_cross - tx_after >= 5 * 1200

        # Failover: a1 stops its agent (which cleans up) and turns NotReady; a2 becomes the gateway
        assert procs.stop("agent-a1") == 0, procs.log("agent-a1")
        links = topo.exec("a1", "ip", "-br", "link").stdout
        assert "raven0" not in links and "raven-wg0" not in links
        a1 = await client.get("v1", "Node", "a1")
        a1["status"] = node_object(topo, "a1", ready=False)["status"]
        await client.update_status(a1)

        def failed_over() -> bool:
            if roles().get("a2") != "gateway":
                return False
            b1_peers = [i for i in status_of(workdir, "b1").get("items", []) if i["kind"] == "peer"]
            return [p["endpoint"] for p in b1_peers] == [f"{topo.nodes['a2'].public_ip}:4500"]

        await wait_for(failed_over, "a2 to take over as gateway and b1 to peer with it", 45)
        gw_a = await client.get("raven.openyurt.io/v1beta1", "Gateway", "gw-a")
        assert [e["nodeName"] for e in gw_a["status"]["activeEndpoints"]] == ["a2"]
        await wait_for(lambda: topo.ping("a2", "b2"), "the ping to work again after failover", 30)
        assert topo.ping("b2", "a2")
    except BaseException:
        for name in ["pickup", *(f"agent-{n}" for n in topo.nodes)]:
            print(f"===== {name}\n{procs.log(name)}")
        print(diagnostics(topo))
        raise


def diagnostics(topo: Topology) -> str:
    """The data plane of every node, for the failure report."""
    out = []
    for node in topo.nodes:
        for cmd in (
            "ip -br addr",
            "ip rule",
            "ip route show table all type unicast",
            "ip neigh show dev raven0",
            "bridge fdb show dev raven0",
            "iptables -t mangle -S -v",
            "iptables -t nat -S",
            "ipset list",
        ):
            res = topo.exec(node, *cmd.split(), check=False)
            out.append(f"--- {node}: {cmd}\n{res.stdout}{res.stderr}")
        try:
            out.append(f"--- {node}: wg show\n" + topo.exec_wg(node, "wg", "show"))
        except RuntimeError as exc:
            out.append(f"--- {node}: wg show failed: {exc}")
    return "\n".join(out)
