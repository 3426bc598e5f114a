"""The Linux adapter in a throw-away namespace: apply, re-diff to nothing, tear down to nothing."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.raven.topology import sh

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces"),
    pytest.mark.skipif(shutil.which("wireguard-go") is None, reason="wireguard-go is not installed"),
    pytest.mark.skipif(shutil.which("wg") is None, reason="wireguard-tools (wg) is not installed"),
    pytest.mark.skipif(shutil.which("ipset") is None, reason="ipset is not installed"),
]
REPO = Path(__file__).resolve().parents[3]
EXAMPLE_ADDRESSES = frozenset(
    {
        "47.0.0.1",
        "120.0.0.2",
        "121.0.0.3",
        "192.168.0.195",
        "192.168.0.196",
        "172.16.2.103",
        "172.16.2.104",
        "172.16.1.89",
        "172.16.1.90",
    }
)


@pytest.mark.parametrize(
    ("node", "private_ip"), [("h1", "172.16.2.103"), ("h2", "172.16.2.104"), ("c1", "192.168.0.195")]
)
def test_apply_is_idempotent_and_teardown_complete(node: str, private_ip: str, tmp_path: Path) -> None:
    ns = f"rva{secrets.token_hex(3)}"
    sh("ip", "netns", "add", ns)
    run_dir = tmp_path / "wg"
    run_dir.mkdir()
    try:
        sh("ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p")
        sh("ip", "-n", ns, "addr", "add", f"{private_ip}/24", "dev", "eth0")
        # Every peer the example's plans name is given an address inside this namespace, so the
        # WireGuard handshakes and keep-alives the plan triggers stay on a test host we made.
        for peer in EXAMPLE_ADDRESSES - {private_ip}:
            sh("ip", "-n", ns, "addr", "add", f"{peer}/32", "dev", "eth0p")
        for dev in ("eth0", "eth0p", "lo"):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", ns, "route", "add", "default", "dev", "eth0")
        sh("mkdir", "-p", "/run/wireguard")
        script = (
            f"mount --bind {run_dir} /run/wireguard && exec {sys.executable} -m tests.e2e.raven.adapter_check {node}"
        )
        proc = subprocess.run(
            ["ip", "netns", "exec", ns, "unshare", "-m", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        assert result["mtu"] == 1420
        assert result["applied"] > 10 and result["errors"] == []
        assert result["again"] == [] and result["left"] == []
    finally:
        sh("ip", "netns", "del", ns, check=False)
