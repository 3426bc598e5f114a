"""The cloud link relay: bytes pass and are counted; cut closes live connections and refuses new
ones; heal lets connections through again."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from openyurt.runtime.up.relay import Relay


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
    writer.close()


async def roundtrip(port: int, payload: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), 5)
    finally:
        writer.close()


async def test_relay_cut_and_heal() -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    relay = Relay("n1", "127.0.0.1", int(server.sockets[0].getsockname()[1]))
    await relay.start()
    try:
        assert await roundtrip(relay.port, b"hello") == b"hello"
        assert relay.bytes_from_cloud == 5 and relay.bytes_to_cloud == 5

        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 5) == b"x"
        await relay.set_cut(True)
        assert await asyncio.wait_for(reader.read(), 5) == b"", "live connection survived the cut"
        writer.close()
        with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
            await roundtrip(relay.port, b"refused")
        assert relay.refused_total >= 1

        await relay.set_cut(False)
        assert await roundtrip(relay.port, b"again") == b"again"
    finally:
        await relay.stop()
        server.close()
        await server.wait_closed()
