"""``--self-signed-tls``: kubectl works out of the box, and the certificate survives restarts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.integration.apiserver.conftest import ServerProc, kubectl_binary


def _kubectl(server: ServerProc, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KUBECACHEDIR=str(cache))
    return subprocess.run(
        [kubectl_binary(), "--kubeconfig", str(server.kubeconfig), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_kubectl_authenticates_over_the_self_signed_certificate(tmp_path: Path) -> None:
    server = ServerProc(tmp_path / "data", ["--self-signed-tls"]).start()
    try:
        assert server.url.startswith("https://127.0.0.1:")
        out = _kubectl(server, tmp_path / "cache", "get", "ns", "kube-system", "-o", "name")
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "namespace/kube-system"
        cert = (tmp_path / "data" / "tls" / "apiserver.crt").read_bytes()
        key = tmp_path / "data" / "tls" / "apiserver.key"
        assert key.stat().st_mode & 0o077 == 0, "the private key must be readable by its owner only"
    finally:
        assert server.stop() == 0
    server.start()
    try:
        # Same certificate after a restart, so clients that trusted it keep working.
        assert (tmp_path / "data" / "tls" / "apiserver.crt").read_bytes() == cert
        out = _kubectl(server, tmp_path / "cache", "get", "ns", "default", "-o", "name")
        assert out.returncode == 0, out.stderr
    finally:
        server.stop()


def test_plain_http_says_how_to_get_kubectl_working(tmp_path: Path) -> None:
    server = ServerProc(tmp_path / "data", []).start()
    try:
        assert server.url.startswith("http://")
    finally:
        server.stop()
    assert "--self-signed-tls" in server.log.read_text()


def test_token_survives_a_restart_so_clients_stay_logged_in(tmp_path: Path) -> None:
    server = ServerProc(tmp_path / "data", []).start()
    first = server.token
    server.stop()
    server.start()
    try:
        assert server.token == first
        assert (tmp_path / "data" / "token").stat().st_mode & 0o077 == 0
    finally:
        server.stop()
