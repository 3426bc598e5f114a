"""Network namespaces for the raven end-to-end test: 2 pools x 2 nodes, an "internet", a management LAN.

Layout (every address lives only inside namespaces this module creates, plus one bridge in the root
namespace carrying the management LAN to the API server):

- ``<p>-sw``: a switch namespace with bridges ``br-a`` and ``br-b`` (one per pool) and ``br-i`` (the
  shared internet segment);
- ``<p>-a1`` ... ``<p>-b2``: one namespace per node with ``eth0`` on its pool bridge (the private IP),
  ``eth1`` on the internet (the public IP, default route), ``mgmt`` on the root bridge, and a pod
  address on ``pod0`` (one end of a veth pair). The CNI is emulated with static routes to the other
  pool member's pod CIDR, so intra-pool traffic never needs raven.

Everything is removed by :meth:`Topology.destroy`, which is safe to call on a half-built topology.
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
from collections.abc import Sequence

import attrs


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=30)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {proc.stderr.strip()}")
    return proc


@attrs.frozen
class NodeSpec:
    name: str
    pool: str
    private_ip: str
    public_ip: str
    mgmt_ip: str
    pod_cidr: str

    @property
    def pod_ip(self) -> str:
        return self.pod_cidr.replace(".0/24", ".1")


NODES = (
    NodeSpec("a1", "a", "172.16.1.11", "10.200.0.11", "10.213.77.11", "10.244.11.0/24"),
    NodeSpec("a2", "a", "172.16.1.12", "10.200.0.12", "10.213.77.12", "10.244.12.0/24"),
    NodeSpec("b1", "b", "172.16.2.11", "10.200.0.21", "10.213.77.21", "10.244.21.0/24"),
    NodeSpec("b2", "b", "172.16.2.12", "10.200.0.22", "10.213.77.22", "10.244.22.0/24"),
)
MGMT_HOST = "10.213.77.1"


class Topology:
    def __init__(self, nodes: Sequence[NodeSpec] = NODES) -> None:
        self.prefix = "rvt" + secrets.token_hex(2)
        self.nodes = {n.name: n for n in nodes}
        self.switch = f"{self.prefix}-sw"
        self.bridge = f"{self.prefix}m"
        self.namespaces: list[str] = []
        self.root_links: list[str] = []

    def ns(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    def exec(self, node: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", self.ns(node), *args, check=check)

    def _add_ns(self, name: str) -> None:
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")

    def build(self) -> None:
        if MGMT_HOST.rsplit(".", 1)[0] in sh("ip", "-4", "route").stdout:
            raise RuntimeError("the management subnet 10.213.77.0/24 is already routed on this host")
        self._add_ns(self.switch)
        for br in ("br-a", "br-b", "br-i"):
            sh("ip", "-n", self.switch, "link", "add", br, "type", "bridge")
            sh("ip", "-n", self.switch, "link", "set", br, "up")
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        self.root_links.append(self.bridge)
        sh("ip", "addr", "add", f"{MGMT_HOST}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for n in self.nodes.values():
            self._build_node(n)
        for n in self.nodes.values():  # the "CNI": pod routes to the other member of the pool
            for other in self.nodes.values():
                if other.pool == n.pool and other.name != n.name:
                    self.exec(n.name, "ip", "route", "add", other.pod_cidr, "via", other.private_ip, "dev", "eth0")

    def _build_node(self, n: NodeSpec) -> None:
        ns = self.ns(n.name)
        self._add_ns(ns)
        for sysctl in (
            "net.ipv4.ip_forward=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
        ):
            sh("ip", "netns", "exec", ns, "sysctl", "-qw", sysctl)
        # pool and internet legs, with their switch-side ends on the bridges
        for dev, bridge, addr in (
            ("eth0", f"br-{n.pool}", f"{n.private_ip}/24"),
            ("eth1", "br-i", f"{n.public_ip}/24"),
        ):
            peer = f"{n.name}{dev[-1]}"
            sh("ip", "-n", ns, "link", "add", dev, "type", "veth", "peer", "name", peer, "netns", self.switch)
            sh("ip", "-n", self.switch, "link", "set", peer, "master", bridge, "up")
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "route", "add", "default", "via", "10.200.0.1", "dev", "eth1", "onlink")
        # management leg into the root namespace
        root_end = f"{self.prefix}{n.name}"
        sh("ip", "link", "add", root_end, "type", "veth", "peer", "name", "mgmt", "netns", ns)
        self.root_links.append(root_end)
        sh("ip", "link", "set", root_end, "master", self.bridge, "up")
        sh("ip", "-n", ns, "addr", "add", f"{n.mgmt_ip}/24", "dev", "mgmt")
        sh("ip", "-n", ns, "link", "set", "mgmt", "up")
        # the pod: an address on one end of a veth pair inside the node
        sh("ip", "-n", ns, "link", "add", "pod0", "type", "veth", "peer", "name", "pod0p")
        sh("ip", "-n", ns, "addr", "add", f"{n.pod_ip}/32", "dev", "pod0")
        sh("ip", "-n", ns, "link", "set", "pod0", "up")
        sh("ip", "-n", ns, "link", "set", "pod0p", "up")

    def destroy(self) -> None:
        for link in reversed(self.root_links):
            with contextlib.suppress(Exception):
                sh("ip", "link", "del", link, check=False)
        for ns in reversed(self.namespaces):
            with contextlib.suppress(Exception):
                sh("ip", "netns", "del", ns, check=False)
        self.root_links.clear()
        self.namespaces.clear()

    def ping(self, src: str, dst: str, count: int = 1, size: int = 56) -> bool:
        s, d = self.nodes[src], self.nodes[dst]
        args = ("ping", "-n", "-q", "-c", str(count), "-i", "0.2", "-W", "1", "-s", str(size), "-I", s.pod_ip, d.pod_ip)
        return self.exec(src, *args, check=False).returncode == 0

    def wg_transfer(self, node: str) -> tuple[int, int]:
        """(received, sent) bytes summed over raven-wg0's peers, via the agent's private socket dir."""
        out = self.exec_wg(node, "wg", "show", "raven-wg0", "transfer")
        rx = tx = 0
        for line in out.splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                rx += int(parts[1])
                tx += int(parts[2])
        return rx, tx

    def exec_wg(self, node: str, *args: str) -> str:
        """Run a command where the node's agent keeps its WireGuard sockets (see ``agent_command``)."""
        run_dir = self.wg_run_dir(node)
        script = f"mount --bind {run_dir} /run/wireguard && exec " + " ".join(args)
        return self.exec(node, "unshare", "-m", "sh", "-c", script).stdout

    def wg_run_dir(self, node: str) -> str:
        return f"/tmp/{self.prefix}-{node}-wg"

    def agent_command(self, node: str, argv: Sequence[str]) -> list[str]:
        """``argv`` inside the node namespace with a private /run/wireguard (a per-node directory)."""
        run_dir = self.wg_run_dir(node)
        sh("mkdir", "-p", run_dir, "/run/wireguard")
        script = f"mount --bind {run_dir} /run/wireguard && exec " + " ".join(argv)
        return ["ip", "netns", "exec", self.ns(node), "unshare", "-m", "sh", "-c", script]
