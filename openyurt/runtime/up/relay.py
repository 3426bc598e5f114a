"""A node's cloud link: a loopback TCP relay between its yurthub and the API server that can be cut.

Edge autonomy is only worth something when the link to the cloud fails, so ``openyurt up`` puts each
hub behind its own relay. :meth:`Relay.cut` closes every live connection and refuses new ones (they are
accepted and closed at once, which a client sees as a reset link), :meth:`Relay.heal` lets them through
again. The relay copies bytes and never looks inside them, so TLS runs end to end between hub and API
server. Byte counters say how much each side sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


class Relay:
    """Listens on ``127.0.0.1:<port>`` and forwards every connection to ``target_host:target_port``."""

    def __init__(self, name: str, target_host: str, target_port: int, *, listen_port: int = 0) -> None:
        self.name = name
        self.target_host = target_host
        self.target_port = target_port
        self.listen_port = listen_port
        self.port = 0
        self.cut = False
        self.bytes_from_cloud = 0
        self.bytes_to_cloud = 0
        self.connections_total = 0
        self.refused_total = 0
        self._server: asyncio.Server | None = None
        self._live: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def live_connections(self) -> int:
        return len(self._live)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.listen_port, reuse_address=True)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._close_live()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
            self._server = None

    async def set_cut(self, cut: bool) -> None:
        """Cut (close live connections, refuse new ones) or heal the link."""
        if cut == self.cut:
            return
        self.cut = cut
        log.info("relay %s: link %s", self.name, "cut" if cut else "healed")
        if cut:
            await self._close_live()

    async def _close_live(self) -> None:
        for w in list(self._writers):
            w.transport.abort()
        tasks = list(self._live)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            self.refused_total += 1
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._live.add(task)
        self._writers.add(writer)
        self.connections_total += 1
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
            self._writers.add(up_writer)
            await asyncio.gather(self._pipe(reader, up_writer, False), self._pipe(up_reader, writer, True))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._live.discard(task)
            for w in (writer, up_writer):
                if w is not None:
                    self._writers.discard(w)
                    w.transport.abort()

    async def _pipe(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, from_cloud: bool) -> None:
        try:
            while True:
                data = await src.read(_CHUNK)
                if not data:
                    break
                if from_cloud:
                    self.bytes_from_cloud += len(data)
                else:
                    self.bytes_to_cloud += len(data)
                dst.write(data)
                await dst.drain()
        finally:
            if dst.can_write_eof() and not dst.transport.is_closing():
                with contextlib.suppress(OSError):
                    dst.write_eof()
