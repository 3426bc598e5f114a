"""The cloud side of the hub: which API servers exist, which are healthy, how to reach them.

yurthub balances over several API servers (round-robin over the healthy ones) and fails over when one
stops answering; the health checker (``health.py``) decides healthy/unhealthy, this module only keeps
the list, picks a backend and owns the one HTTP connection pool (keep-alive matters: every kubelet
request goes through here). Credentials come from the cloud kubeconfig: a bearer token (replaceable at
run time through the admin port's ``/v1/token``) and/or a client certificate, plus the CA to trust.
Requests that bring their own ``Authorization`` keep it (a pod's service-account token), as upstream.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import attrs


class KubeconfigError(ValueError):
    """The cloud kubeconfig cannot be used."""


@attrs.define
class CloudCredentials:
    """What the hub needs from a kubeconfig to talk to the cloud."""

    server: str
    token: str | None = None
    ca_pem: bytes | None = None
    insecure: bool = False
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None


def _read_maybe(base: Path, data: Any, file: Any) -> bytes | None:
    if isinstance(data, str) and data:
        return base64.b64decode(data)
    if isinstance(file, str) and file:
        p = Path(file)
        return (p if p.is_absolute() else base / p).read_bytes()
    return None


def _load_doc(path: Path) -> Mapping[str, Any]:
    text = path.read_text()
    try:
        doc = json.loads(text)
    except ValueError:
        import yaml  # only for YAML kubeconfigs: keeps the hub's import set small otherwise

        doc = yaml.safe_load(text)
    if not isinstance(doc, Mapping):
        raise KubeconfigError(f"{path}: not a kubeconfig")
    return doc


def _named(doc: Mapping[str, Any], section: str, name: str | None, inner: str) -> Mapping[str, Any]:
    items = doc.get(section) or []
    for item in items:
        if isinstance(item, Mapping) and (name is None or item.get("name") == name):
            value = item.get(inner)
            return value if isinstance(value, Mapping) else {}
    return {}


def load_kubeconfig(path: Path) -> CloudCredentials:
    """The current context's server and credentials (token, token-file, client cert, CA)."""
    doc = _load_doc(path)
    base = path.parent
    current = doc.get("current-context")
    ctx = _named(doc, "contexts", current if isinstance(current, str) and current else None, "context")
    cluster = _named(doc, "clusters", ctx.get("cluster") if ctx else None, "cluster")
    user = _named(doc, "users", ctx.get("user") if ctx else None, "user")
    server = cluster.get("server")
    if not isinstance(server, str) or not server:
        raise KubeconfigError(f"{path}: no server in the current context")
    token = user.get("token") if isinstance(user.get("token"), str) else None
    token_file = user.get("tokenFile")
    if token is None and isinstance(token_file, str) and token_file:
        token = Path(token_file).read_text().strip()
    return CloudCredentials(
        server=server.rstrip("/"),
        token=token,
        ca_pem=_read_maybe(base, cluster.get("certificate-authority-data"), cluster.get("certificate-authority")),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        client_cert_pem=_read_maybe(base, user.get("client-certificate-data"), user.get("client-certificate")),
        client_key_pem=_read_maybe(base, user.get("client-key-data"), user.get("client-key")),
    )


def ssl_context(creds: CloudCredentials) -> ssl.SSLContext | bool:
    """TLS settings for the cloud: its CA (or none, when the kubeconfig says skip), our client cert."""
    if creds.insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif creds.ca_pem is not None:
        ctx = ssl.create_default_context(cadata=creds.ca_pem.decode())
    else:
        ctx = ssl.create_default_context()
    if creds.client_cert_pem and creds.client_key_pem:
        # ssl wants files; keep them private and short-lived
        with tempfile.TemporaryDirectory() as d:
            cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
            for p, data in ((cert, creds.client_cert_pem), (key, creds.client_key_pem)):
                fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            ctx.load_cert_chain(cert, key)
    return ctx


@attrs.define(eq=False)
class Backend:
    """One cloud API server."""

    url: str
    healthy: bool = False

    @property
    def name(self) -> str:
        return self.url


class Cloud:
    """The configured API servers, round-robin over the healthy ones, and the shared HTTP pool."""

    def __init__(self, urls: list[str], creds: CloudCredentials, *, user_agent: str) -> None:
        if not urls:
            urls = [creds.server]
        self.backends = [Backend(u.rstrip("/")) for u in urls]
        self.creds = creds
        self.user_agent = user_agent
        self._rr = 0
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | bool | None = None

    @property
    def token(self) -> str | None:
        return self.creds.token

    def set_token(self, token: str) -> None:
        self.creds.token = token

    @property
    def tls(self) -> ssl.SSLContext | bool:
        """TLS settings shared by every connection to the cloud (False: plain HTTP only)."""
        if self._ssl is None:
            needs_tls = any(b.url.startswith("https://") for b in self.backends)
            self._ssl = ssl_context(self.creds) if needs_tls else False
        return self._ssl

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=0,
                ssl=self.tls,
                keepalive_timeout=60,
                enable_cleanup_closed=False,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # a proxy keeps no cookies; the default jar costs a lookup on every request and response
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=5),
            )
        return self._session

    def pick(self) -> Backend | None:
        """The next healthy backend in round-robin order, None when the cloud is unreachable."""
        n = len(self.backends)
        for i in range(n):
            b = self.backends[(self._rr + i) % n]
            if b.healthy:
                self._rr = (self._rr + i + 1) % n
                return b
        return None

    def any_healthy(self) -> bool:
        return any(b.healthy for b in self.backends)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.creds.token}"} if self.creds.token else {}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
