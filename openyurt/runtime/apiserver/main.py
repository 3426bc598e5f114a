"""``openyurt apiserver``: run the embedded API server on a data directory until SIGTERM.

Once it is ready to serve it writes ``DIR/kubeconfig`` (mode 0600) and ``DIR/apiserver.json``
(``{"url", "token", "pid"}``) and prints the URL, so scripts and tests can wait for those files instead
of guessing. :func:`serve` is the same thing as an async context manager for in-process use.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import signal
import ssl
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from openyurt.adapters.store.protocol import Store
from openyurt.runtime.apiserver.app import ApiServer, ServerConfig


@dataclass
class Running:
    """A serving API server: where it is and how to reach it."""

    url: str
    token: str
    server: ApiServer
    port: int


def kubeconfig(url: str, token: str, ca_pem: bytes | None = None) -> str:
    """A kubeconfig for ``url``; with HTTPS the serving certificate (chain) is the trust anchor.

    Note: client-go (kubectl) sends credentials only over TLS, so kubectl needs the HTTPS mode.
    """
    cluster: dict[str, Any] = {"server": url}
    if url.startswith("https://"):
        if ca_pem:
            cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode()
        else:
            cluster["insecure-skip-tls-verify"] = True
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "openyurt", "cluster": cluster}],
        "users": [{"name": "openyurt-admin", "user": {"token": token}}],
        "contexts": [{"name": "openyurt", "context": {"cluster": "openyurt", "user": "openyurt-admin"}}],
        "current-context": "openyurt",
        "preferences": {},
    }
    return json.dumps(doc, indent=2) + "\n"


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


@contextlib.asynccontextmanager
async def serve(
    store: Store,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    config: ServerConfig | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[Running]:
    """Start the store and the server; yield once it serves; stop both on exit."""
    config = config or ServerConfig()
    config.token = token if token is not None else config.token
    await store.start()
    server = ApiServer(store, config)
    runner: web.AppRunner | None = None
    try:
        await server.start()
        runner = web.AppRunner(server.make_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=1024, reuse_address=True)
        await site.start()
        addrs = runner.addresses
        real_port = int(addrs[0][1]) if addrs else port
        scheme = "https" if ssl_context is not None else "http"
        shown = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "::"):
            shown = "127.0.0.1"
        url = f"{scheme}://{shown}:{real_port}"
        config.server_address = f"{shown}:{real_port}"
        yield Running(url=url, token=config.token or "", server=server, port=real_port)
    finally:
        await server.close()
        if runner is not None:
            await runner.cleanup()
        await store.close()


async def _main(
    data_dir: Path,
    host: str,
    port: int,
    token: str | None,
    tls_cert_file: Path | None,
    tls_private_key_file: Path | None,
    version_minor: int,
    compact_keep: int,
    self_signed_tls: bool = False,
) -> int:
    from openyurt.adapters.store.sqlite import SqliteStore

    data_dir.mkdir(parents=True, exist_ok=True)
    token = token or _stored_token(data_dir / "token")
    ctx: ssl.SSLContext | None = None
    if self_signed_tls and tls_cert_file is None and tls_private_key_file is None:
        from openyurt.runtime.apiserver.selfsigned import ensure_certificate

        tls_cert_file, tls_private_key_file = ensure_certificate(data_dir / "tls", [host])
    if tls_cert_file is not None or tls_private_key_file is not None:
        if tls_cert_file is None or tls_private_key_file is None:
            print("--tls-cert-file and --tls-private-key-file go together", file=sys.stderr)
            return 2
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(tls_cert_file), str(tls_private_key_file))
    store = SqliteStore(data_dir / "store.db", compact_keep=compact_keep)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    config = ServerConfig(version_minor=version_minor, compact_on_start=compact_keep)
    async with serve(store, host=host, port=port, token=token, config=config, ssl_context=ctx) as running:
        ca = tls_cert_file.read_bytes() if tls_cert_file is not None else None
        _write_private(data_dir / "kubeconfig", kubeconfig(running.url, token, ca))
        _write_private(
            data_dir / "apiserver.json", json.dumps({"url": running.url, "token": token, "pid": os.getpid()}) + "\n"
        )
        print(running.url, flush=True)
        if ctx is None:
            print(
                "note: serving plain HTTP; kubectl sends its token only over HTTPS, so use --self-signed-tls "
                "(or --tls-cert-file/--tls-private-key-file) to drive this server with kubectl",
                file=sys.stderr,
                flush=True,
            )
        await stop.wait()
    with contextlib.suppress(FileNotFoundError):
        (data_dir / "apiserver.json").unlink()
    return 0


def _stored_token(path: Path) -> str:
    """The data dir's token, made on first start: a restart must not lock out clients that hold it."""
    with contextlib.suppress(FileNotFoundError):
        stored = path.read_text().strip()
        if stored:
            return stored
    token = secrets.token_urlsafe(32)
    _write_private(path, token + "\n")
    return token


def run(
    *,
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 6443,
    token: str | None = None,
    tls_cert_file: Path | None = None,
    tls_private_key_file: Path | None = None,
    version_minor: int = 31,
    compact_keep: int = 1000,
    self_signed_tls: bool = False,
) -> int:
    """Serve until SIGTERM/SIGINT; returns the process exit code."""
    try:
        return asyncio.run(
            _main(
                Path(data_dir),
                host,
                port,
                token,
                tls_cert_file,
                tls_private_key_file,
                version_minor,
                compact_keep,
                self_signed_tls,
            )
        )
    except OSError as exc:
        print(f"apiserver: {exc}", file=sys.stderr)
        return 1
