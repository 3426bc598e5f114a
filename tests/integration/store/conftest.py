"""Store fixtures: every contract test runs against the memory and the SQLite backend."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from openyurt.adapters.store.memory import MemoryStore
from openyurt.adapters.store.protocol import Store
from openyurt.adapters.store.sqlite import SqliteStore

StoreFactory = Callable[..., Awaitable[Store]]


@pytest.fixture(params=["memory", "sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_store(backend: str, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """Open (and later close) stores of the current backend; SQLite ones share one file, so a second
    call after ``close()`` is a restart. Asserts every store thread is gone afterwards."""
    threads_before = threading.active_count()
    opened: list[Store] = []

    async def make(**options: Any) -> Store:
        options.setdefault("compact_interval", None)
        store: Store = MemoryStore(**options) if backend == "memory" else SqliteStore(tmp_path / "kine.db", **options)
        await store.start()
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()
    assert threading.active_count() == threads_before, "store threads leaked"


@pytest.fixture
async def store(make_store: StoreFactory) -> Store:
    return await make_store()
