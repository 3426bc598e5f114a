"""The Store contract, run against both backends (memory and SQLite): CRUD, revisions, lists, watches,
compaction, concurrency, restart and durability."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from pathlib import Path

import pytest

from openyurt.adapters.store._watch import StoreClosed, WatchOverflow
from openyurt.adapters.store.memory import MemoryStore
from openyurt.adapters.store.protocol import (
    Compacted,
    FutureRevision,
    KeyExists,
    KeyNotFound,
    KeyValue,
    RevisionConflict,
    Store,
    WatchEvent,
)
from openyurt.adapters.store.sqlite import SqliteStore, prefix_end

StoreFactory = Callable[..., Awaitable[Store]]
REPO = Path(__file__).resolve().parents[3]


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` on the loop until it holds; TimeoutError at the deadline."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


async def take(it: AsyncIterator[WatchEvent], n: int, timeout: float = 10.0) -> list[WatchEvent]:
    """The next ``n`` events of a watch; TimeoutError at the deadline."""
    out: list[WatchEvent] = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await anext(it))
    return out


def summary(events: list[WatchEvent]) -> list[tuple[str, str, bytes, int]]:
    return [(e.type, e.kv.key, e.kv.value, e.kv.mod_revision) for e in events]


# ----------------------------------------------------------------------------- CRUD and errors


async def test_create_get_update_delete(store: Store) -> None:
    assert await store.get("/r/a") is None
    created = await store.create("/r/a", b"v1")
    assert created == KeyValue("/r/a", b"v1", created.mod_revision, created.mod_revision)
    assert await store.get("/r/a") == created
    updated = await store.update("/r/a", b"v2", created.mod_revision)
    assert updated.value == b"v2"
    assert updated.mod_revision > created.mod_revision
    assert updated.create_revision == created.create_revision
    unconditional = await store.update("/r/a", b"v3", None)
    assert await store.get("/r/a") == unconditional
    deleted = await store.delete("/r/a", unconditional.mod_revision)
    # delete returns the last value, stamped with the deletion revision (like the DELETED event)
    assert deleted.value == b"v3"
    assert deleted.mod_revision == store.current_revision() > unconditional.mod_revision
    assert deleted.create_revision == created.create_revision
    assert await store.get("/r/a") is None
    again = await store.create("/r/a", b"v4")
    assert again.create_revision == again.mod_revision > deleted.mod_revision


async def test_errors(store: Store) -> None:
    kv = await store.create("/r/a", b"1")
    with pytest.raises(KeyExists):
        await store.create("/r/a", b"2")
    with pytest.raises(KeyNotFound):
        await store.update("/r/missing", b"x", None)
    with pytest.raises(KeyNotFound):
        await store.delete("/r/missing", None)
    newer = await store.update("/r/a", b"2", kv.mod_revision)
    with pytest.raises(RevisionConflict) as conflict:
        await store.update("/r/a", b"3", kv.mod_revision)
    assert conflict.value.current == newer
    with pytest.raises(RevisionConflict):
        await store.delete("/r/a", kv.mod_revision)
    await store.delete("/r/a", None)
    with pytest.raises(KeyNotFound):
        await store.update("/r/a", b"x", None)
    with pytest.raises(KeyNotFound):
        await store.delete("/r/a", None)


async def test_revisions_strictly_increase_and_failures_spend_none(store: Store) -> None:
    assert store.current_revision() == 0
    seen = []
    for i in range(20):
        seen.append((await store.create(f"/r/{i}", b"x")).mod_revision)
        with pytest.raises(KeyExists):
            await store.create(f"/r/{i}", b"y")
        seen.append((await store.update(f"/r/{i}", b"z", None)).mod_revision)
    assert seen == list(range(1, 41))
    assert store.current_revision() == 40


async def test_concurrent_updates_with_same_expected_revision_one_wins(store: Store) -> None:
    base = await store.create("/r/a", b"0")
    for round_ in range(20):
        results = await asyncio.gather(
            *(store.update("/r/a", f"{round_}-{i}".encode(), base.mod_revision) for i in range(2)),
            return_exceptions=True,
        )
        wins = [r for r in results if isinstance(r, KeyValue)]
        losses = [r for r in results if isinstance(r, RevisionConflict)]
        assert len(wins) == 1 and len(losses) == 1, results
        assert await store.get("/r/a") == wins[0]
        base = wins[0]


async def test_concurrent_creates_of_one_key_one_wins(store: Store) -> None:
    results = await asyncio.gather(*(store.create("/r/k", bytes([i])) for i in range(8)), return_exceptions=True)
    assert sum(isinstance(r, KeyValue) for r in results) == 1
    assert sum(isinstance(r, KeyExists) for r in results) == 7


# ----------------------------------------------------------------------------- lists


async def test_list_prefix_order_and_pagination(store: Store) -> None:
    for name in ["c", "a", "e", "b", "d", "f", "g"]:
        await store.create(f"/pods/ns/{name}", name.encode())
    await store.create("/pods/ns2/x", b"other namespace")
    await store.create("/podsx/y", b"other resource")
    await store.delete("/pods/ns/f", None)

    full = await store.list("/pods/ns/")
    assert [kv.key for kv in full.items] == [f"/pods/ns/{n}" for n in "abcdeg"]
    assert full.revision == store.current_revision()
    assert full.continue_key is None and full.remaining == 0

    page1 = await store.list("/pods/ns/", limit=2)
    assert [kv.key for kv in page1.items] == ["/pods/ns/a", "/pods/ns/b"]
    assert page1.continue_key == "/pods/ns/b" and page1.remaining == 4
    # writes between pages must not show: later pages are read at the first page's revision
    await store.create("/pods/ns/bb", b"late")
    await store.delete("/pods/ns/c", None)
    await store.update("/pods/ns/d", b"changed", None)
    page2 = await store.list("/pods/ns/", revision=page1.revision, limit=2, start_after=page1.continue_key)
    assert [(kv.key, kv.value) for kv in page2.items] == [("/pods/ns/c", b"c"), ("/pods/ns/d", b"d")]
    assert page2.revision == page1.revision and page2.remaining == 2
    page3 = await store.list("/pods/ns/", revision=page1.revision, limit=2, start_after=page2.continue_key)
    assert [kv.key for kv in page3.items] == ["/pods/ns/e", "/pods/ns/g"]
    assert page3.continue_key is None and page3.remaining == 0

    everything = await store.list("/pods/")
    assert [kv.key for kv in everything.items][-1] == "/pods/ns2/x"
    assert "/podsx/y" not in {kv.key for kv in everything.items}
    assert len((await store.list("")).items) == len(everything.items) + 1
    exact = await store.list("/pods/ns/", limit=6)
    assert exact.continue_key is None and len(exact.items) == 6


async def test_historical_list(store: Store) -> None:
    a1 = await store.create("/r/a", b"a1")
    await store.create("/r/b", b"b1")
    r_before = store.current_revision()
    await store.update("/r/a", b"a2", None)
    await store.delete("/r/b", None)
    await store.create("/r/c", b"c1")
    old = await store.list("/r/", revision=r_before)
    assert old.revision == r_before
    assert [(kv.key, kv.value) for kv in old.items] == [("/r/a", b"a1"), ("/r/b", b"b1")]
    assert old.items[0] == a1
    first = await store.list("/r/", revision=a1.mod_revision)
    assert [kv.key for kv in first.items] == ["/r/a"]
    now = await store.list("/r/")
    assert [(kv.key, kv.value) for kv in now.items] == [("/r/a", b"a2"), ("/r/c", b"c1")]


async def test_list_future_and_compacted_revisions(store: Store) -> None:
    await store.create("/r/a", b"0")
    for i in range(1, 10):
        await store.update("/r/a", str(i).encode(), None)
    with pytest.raises(FutureRevision):
        await store.list("/r/", revision=store.current_revision() + 1)
    assert await store.compact(3) == 7
    assert store.compacted_revision() == 7
    with pytest.raises(Compacted) as gone:
        await store.list("/r/", revision=6)
    assert (gone.value.requested, gone.value.compacted) == (6, 7)
    at7 = await store.list("/r/", revision=7)
    assert [kv.value for kv in at7.items] == [b"6"]
    assert [kv.value for kv in (await store.list("/r/", revision=9)).items] == [b"8"]


# ----------------------------------------------------------------------------- watches


async def test_watch_from_zero_replays_everything_then_live(store: Store) -> None:
    await store.create("/r/a", b"1")
    await store.update("/r/a", b"2", None)
    await store.create("/other/x", b"x")
    w = store.watch("/r/", 0)
    replay = await take(w, 2)
    assert summary(replay) == [("ADDED", "/r/a", b"1", 1), ("MODIFIED", "/r/a", b"2", 2)]
    assert replay[1].prev == KeyValue("/r/a", b"1", 1, 1)
    await store.delete("/r/a", None)
    await store.create("/other/y", b"y")
    await store.create("/r/b", b"b")
    live = await take(w, 2)
    assert summary(live) == [("DELETED", "/r/a", b"2", 4), ("ADDED", "/r/b", b"b", 6)]
    assert live[0].prev == KeyValue("/r/a", b"2", 2, 1)
    assert live[1].prev is None


async def test_watch_routes_by_prefix_with_overlapping_prefixes(store: Store) -> None:
    prefixes = ["", "/a", "/a/", "/a/1", "/b/", "/zzz/"]
    watches = {p: store.watch(p, 0) for p in prefixes}
    for w in watches.values():  # subscribe every watcher before the writes (live path, not replay)
        with pytest.raises(TimeoutError):
            await take(w, 1, timeout=0.01)
    keys = ["/a", "/a/1", "/a/10", "/a/2", "/ab", "/b/1", "/c"]
    for k in keys:
        await store.create(k, k.encode())
    for p, w in watches.items():
        want = [k for k in keys if k.startswith(p)]
        got = await take(w, len(want)) if want else []
        assert [e.kv.key for e in got] == want, p
    await store.create("/zzz/last", b"x")
    assert [e.kv.key for e in await take(watches["/zzz/"], 1)] == ["/zzz/last"]


async def test_cancelled_next_keeps_the_watch_in_order(store: Store) -> None:
    """A timed-out ``anext`` (how a server interleaves bookmarks) neither loses nor repeats events,
    whether it was waiting on a history read or on the live queue."""
    for i in range(1200):  # more than one replay batch
        await store.create(f"/r/{i}", b"x")
    w = store.watch("/r/", 0)
    got: list[int] = []
    attempt = 0
    async with asyncio.timeout(30):
        while len(got) < 1300:
            if len(got) == 1200:
                for i in range(1200, 1300):
                    await store.create(f"/r/{i}", b"x")
            attempt += 1
            try:
                if attempt % 2:
                    async with asyncio.timeout(0):  # cancelled at its first suspension
                        ev = await anext(w)
                else:
                    ev = await anext(w)
            except TimeoutError:
                continue
            got.append(ev.kv.mod_revision)
    assert got == list(range(1, 1301))


async def test_watch_from_now_sees_only_new_events(store: Store) -> None:
    await store.create("/r/a", b"1")
    w = store.watch("/r/", store.current_revision())
    await store.update("/r/a", b"2", None)
    assert summary(await take(w, 1)) == [("MODIFIED", "/r/a", b"2", 2)]


async def test_watch_from_past_revision(store: Store) -> None:
    for i in range(1, 6):
        await store.create(f"/r/{i}", b"x")
    w = store.watch("/r/", 3)
    assert [e.kv.mod_revision for e in await take(w, 2)] == [4, 5]


async def test_watch_future_revision_raises(store: Store) -> None:
    await store.create("/r/a", b"1")
    with pytest.raises(FutureRevision):
        await anext(store.watch("/r/", 5))


async def test_watch_after_compaction_raises_compacted(store: Store) -> None:
    for i in range(10):
        await store.create(f"/r/{i}", b"x")
    await store.delete("/r/0", None)
    assert await store.compact(4) == 7
    with pytest.raises(Compacted) as gone:
        await anext(store.watch("/r/", 3))
    assert gone.value.compacted == 7
    # From exactly the compacted revision everything after it is still there.
    assert [e.kv.mod_revision for e in await take(store.watch("/r/", 7), 4)] == [8, 9, 10, 11]
    assert (await take(store.watch("/r/", 10), 1))[0].type == "DELETED"


async def test_list_then_watch_from_list_revision_has_no_gap_or_duplicate(store: Store) -> None:
    """The reflector pattern under load: list at R, watch from R, while writes keep coming."""
    stop = asyncio.Event()

    async def writer() -> None:
        i = 0
        while not stop.is_set():
            await store.create(f"/r/{i}", b"x")
            i += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    try:
        await wait_for(lambda: store.current_revision() >= 20)
        listed = await store.list("/r/")
        w = store.watch("/r/", listed.revision)
        events = await take(w, 30)
    finally:
        stop.set()
        await task
    known = {kv.key for kv in listed.items}
    revs = [e.kv.mod_revision for e in events]
    assert revs == list(range(listed.revision + 1, listed.revision + 31))
    assert not known & {e.kv.key for e in events}


async def test_concurrent_writers_every_watcher_sees_every_event_once_in_order(store: Store) -> None:
    writers, per_writer = 5, 200
    total = writers * per_writer
    watches = [store.watch("/w/", 0) for _ in range(3)]
    collected: list[list[WatchEvent]] = [[] for _ in watches]

    async def consume(i: int) -> None:
        collected[i] = await take(watches[i], total, timeout=60)

    async def write(n: int) -> None:
        for i in range(per_writer):
            await store.create(f"/w/{n}/{i}", f"{n}-{i}".encode())

    consumers = [asyncio.create_task(consume(i)) for i in range(len(watches))]
    await asyncio.gather(*(write(n) for n in range(writers)))
    await asyncio.gather(*consumers)
    expected = {f"/w/{n}/{i}" for n in range(writers) for i in range(per_writer)}
    for events in collected:
        revs = [e.kv.mod_revision for e in events]
        assert revs == sorted(revs) and len(set(revs)) == total
        assert {e.kv.key for e in events} == expected
    assert collected[0] == collected[1] == collected[2]


async def test_slow_watcher_overflows_without_blocking_writers(make_store: StoreFactory) -> None:
    store = await make_store(watch_queue_limit=10)
    slow = store.watch("/r/", 0)
    fast = store.watch("/r/", 0)
    await store.create("/r/first", b"x")
    assert (await take(slow, 1))[0].kv.key == "/r/first"
    # The writers finish although nobody reads `slow`: it overflows instead of blocking them.
    for i in range(50):
        await store.create(f"/r/{i}", b"x")
    assert len(await take(fast, 51)) == 51
    with pytest.raises(Compacted) as overflow:
        await anext(slow)
    assert isinstance(overflow.value, WatchOverflow)
    with pytest.raises(StopAsyncIteration):
        await anext(slow)


async def test_abandoned_and_closed_watches_unsubscribe(store: Store) -> None:
    assert isinstance(store, MemoryStore | SqliteStore)
    w = store.watch("/r/", 0)
    await store.create("/r/a", b"x")
    await take(w, 1)
    assert store.stats()["watchers"] == 1
    await w.aclose()  # type: ignore[attr-defined]
    assert store.stats()["watchers"] == 0
    w2 = store.watch("/r/", 0)
    await take(w2, 1)
    assert store.stats()["watchers"] == 1
    del w2  # dropped without aclose (an `async for` that broke out)
    assert store.stats()["watchers"] == 0


async def test_close_ends_watches_and_rejects_operations(make_store: StoreFactory) -> None:
    store = await make_store()
    w = store.watch("/r/", 0)
    await store.create("/r/a", b"x")
    await take(w, 1)

    async def next_event() -> WatchEvent:
        return await anext(w)

    pending = asyncio.create_task(next_event())
    await asyncio.sleep(0)  # let the consumer park on the live queue (the outcome is the same if not)
    await store.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 10)
    with pytest.raises(StoreClosed):
        await store.create("/r/b", b"x")
    with pytest.raises(StoreClosed):
        await store.get("/r/a")


# ----------------------------------------------------------------------------- compaction


async def test_compaction_keeps_live_keys_and_the_window(store: Store) -> None:
    await store.create("/r/keep", b"1")  # rev 1, never touched again
    await store.create("/r/gone", b"1")  # rev 2
    await store.delete("/r/gone", None)  # rev 3
    await store.create("/r/hot", b"4")
    for i in range(5, 11):
        await store.update("/r/hot", str(i).encode(), None)
    assert store.current_revision() == 10
    assert await store.compact(5) == 5
    assert await store.compact(7) == 5  # never moves backwards
    assert [(kv.key, kv.value) for kv in (await store.list("/r/")).items] == [
        ("/r/hot", b"10"),
        ("/r/keep", b"1"),
    ]
    assert [(kv.key, kv.value) for kv in (await store.list("/r/", revision=5)).items] == [
        ("/r/hot", b"5"),
        ("/r/keep", b"1"),
    ]
    assert await store.get("/r/keep") == KeyValue("/r/keep", b"1", 1, 1)
    assert await store.compact(0) == 10
    assert [kv.key for kv in (await store.list("/r/", revision=10)).items] == ["/r/hot", "/r/keep"]
    # the counter continues after everything old is gone
    assert (await store.create("/r/gone", b"again")).mod_revision == 11


async def test_automatic_compaction(make_store: StoreFactory) -> None:
    store = await make_store(compact_keep=5, compact_interval=0.01)
    for i in range(20):
        await store.create(f"/r/{i}", b"x")
    await wait_for(lambda: store.compacted_revision() == 15)
    with pytest.raises(Compacted):
        await anext(store.watch("/r/", 0))
    assert len((await store.list("/r/")).items) == 20


# ----------------------------------------------------------------------------- SQLite: restart, durability


sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])  # overrides the backend fixture's params


@sqlite_only
async def test_restart_keeps_objects_counter_and_compaction(make_store: StoreFactory, tmp_path: Path) -> None:
    store = await make_store()
    for i in range(10):
        await store.create(f"/r/{i}", str(i).encode())
    await store.update("/r/3", b"three", None)
    await store.delete("/r/9", None)  # the newest row is a tombstone ...
    await store.compact(0)  # ... and compaction removes it: AUTOINCREMENT must still not reuse 12
    assert store.current_revision() == 12
    before = await store.list("")
    await store.close()

    reopened = await make_store()
    assert reopened.current_revision() == 12
    with closing(sqlite3.connect(tmp_path / "kine.db")) as raw:  # compaction reclaimed the history rows
        assert raw.execute("SELECT COUNT(*) FROM kine").fetchone()[0] == 9
    assert reopened.compacted_revision() == 12
    assert await reopened.list("") == before
    assert (await reopened.create("/r/9", b"back")).mod_revision == 13
    with pytest.raises(Compacted):
        await anext(reopened.watch("", 5))


async def test_acknowledged_writes_survive_reopen_without_close(tmp_path: Path) -> None:
    """Writes whose await returned are on disk even if the process never closes the store."""
    path = tmp_path / "kine.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from openyurt.adapters.store.sqlite import SqliteStore

        async def main():
            store = SqliteStore({str(path)!r}, compact_interval=None)
            await store.start()
            async def writer(n):
                i = 0
                while True:
                    await store.create(f"/k/{{n}}/{{i}}", b"v" * 200)
                    sys.stdout.write(f"/k/{{n}}/{{i}}\\n")
                    sys.stdout.flush()
                    i += 1
            await asyncio.gather(*(writer(n) for n in range(8)))

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE, env=env, cwd=str(REPO)
    )
    assert proc.stdout is not None
    acknowledged: list[str] = []
    try:
        async with asyncio.timeout(60):
            while len(acknowledged) < 300:
                line = await proc.stdout.readline()
                assert line, "writer process ended early"
                acknowledged.append(line.decode().strip())
    finally:
        proc.send_signal(signal.SIGKILL)
    rest, _ = await proc.communicate()
    acknowledged += rest.decode().split()
    assert proc.returncode == -signal.SIGKILL

    store = SqliteStore(path, compact_interval=None)
    await store.start()
    try:
        present = {kv.key for kv in (await store.list("/k/")).items}
        missing = [k for k in acknowledged if k not in present]
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
        assert store.current_revision() >= len(acknowledged)
    finally:
        await store.close()


def test_prefix_end() -> None:
    assert prefix_end("") is None
    assert prefix_end("/a/") == "/a0"
    assert prefix_end("a\U0010ffff") == "b"
    assert prefix_end("\ud7ff") == "\ue000"


async def test_sqlite_requires_start(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "x.db")
    with pytest.raises(Exception, match="start"):
        await store.get("/a")
    await store.close()


async def test_sqlite_start_failure_cleans_up(tmp_path: Path) -> None:
    before = threading.active_count()
    store = SqliteStore(tmp_path / "missing-dir" / "x.db")
    with pytest.raises(Exception, match="unable to open"):
        await store.start()
    await store.close()
    assert threading.active_count() == before
