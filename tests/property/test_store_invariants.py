"""Store invariants over arbitrary operation sequences, checked on the memory and the SQLite backend.

Properties (cited by name in specs/invariants.md):

* ``test_backends_agree`` — for any sequence of create/update/delete/compact, MemoryStore and SqliteStore
  give the same outcome for every operation (value or error), end in the same state (list, current and
  compacted revision) and emit the same event streams to watchers on "" and on a prefix.
* ``test_revisions_are_dense`` — every successful write takes exactly the next revision; failed writes
  and compaction spend none.
* ``test_watch_replay_reconstructs_list`` — folding the event stream of a watch started at revision 0
  reproduces ``list("")``; when nothing was compacted, replaying history from 0 gives the same stream.
* ``test_list_at_revision_plus_watch_is_now`` — for every retained revision R (compacted <= R <= current),
  ``list(revision=R)`` folded with ``watch(from_revision=R)`` equals the current list: the
  list-then-watch protocol of every Kubernetes client has no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openyurt.adapters.store.memory import MemoryStore
from openyurt.adapters.store.protocol import KeyValue, Store, StoreError, WatchEvent
from openyurt.adapters.store.sqlite import SqliteStore

KEYS = ["/a", "/a/1", "/a/2", "/a/10", "/b/1"]
EXPECT = st.one_of(st.none(), st.just("current"), st.integers(0, 40))
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(KEYS), st.binary(max_size=3)),
        st.tuples(st.just("update"), st.sampled_from(KEYS), st.binary(max_size=3), EXPECT),
        st.tuples(st.just("delete"), st.sampled_from(KEYS), EXPECT),
        st.tuples(st.just("compact"), st.integers(0, 6)),
    ),
    max_size=40,
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Outcome = tuple[str, Any]


def fold(events: Iterable[WatchEvent], start: Iterable[KeyValue] = ()) -> dict[str, KeyValue]:
    state = {kv.key: kv for kv in start}
    for ev in events:
        if ev.type == "DELETED":
            del state[ev.kv.key]
        else:
            state[ev.kv.key] = ev.kv
    return state


async def take(it: AsyncIterator[WatchEvent], n: int) -> list[WatchEvent]:
    out: list[WatchEvent] = []
    async with asyncio.timeout(10):
        while len(out) < n:
            out.append(await anext(it))
    return out


async def apply(store: Store, op: tuple[Any, ...]) -> Outcome:
    try:
        if op[0] == "create":
            return ("ok", await store.create(op[1], op[2]))
        if op[0] == "compact":
            return ("ok", await store.compact(op[1]))
        expected = op[-1]
        if expected == "current":
            cur = await store.get(op[1])
            expected = cur.mod_revision if cur else 0
        if op[0] == "update":
            return ("ok", await store.update(op[1], op[2], expected))
        return ("ok", await store.delete(op[1], expected))
    except StoreError as e:
        return (type(e).__name__, getattr(e, "current", None))


class Run:
    """One store driven through the operations, with live watchers started before the first write."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.outcomes: list[Outcome] = []
        self.streams: dict[str, list[WatchEvent]] = {"": [], "/a/": []}
        self._tasks: list[asyncio.Task[None]] = []

    async def _collect(self, prefix: str) -> None:
        async for ev in self.store.watch(prefix, 0):
            self.streams[prefix].append(ev)

    async def run(self, ops: list[tuple[Any, ...]]) -> None:
        self._tasks = [asyncio.create_task(self._collect(p)) for p in self.streams]
        await asyncio.sleep(0)  # each collector subscribes in its first step, before any write
        for op in ops:
            self.outcomes.append(await apply(self.store, op))
        writes = [o[1] for o, op in zip(self.outcomes, ops, strict=True) if o[0] == "ok" and op[0] != "compact"]
        want = {"": len(writes), "/a/": sum(kv.key.startswith("/a/") for kv in writes)}
        async with asyncio.timeout(10):
            while any(len(self.streams[p]) < n for p, n in want.items()):
                await asyncio.sleep(0.001)

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t


async def run_both(ops: list[tuple[Any, ...]], tmp: Path) -> tuple[Run, Run]:
    runs = (Run(MemoryStore(compact_interval=None)), Run(SqliteStore(tmp / "kine.db", compact_interval=None)))
    for r in runs:
        await r.store.start()
    try:
        for r in runs:
            await r.run(ops)
    finally:
        for r in runs:
            await r.stop()
    return runs


def check(ops: list[tuple[Any, ...]], body: Any) -> None:
    """Run ``body(memory_run, sqlite_run)`` after driving both stores through ``ops``."""

    async def main() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            runs = await run_both(ops, Path(tmp))
            try:
                await body(*runs)
            finally:
                for r in runs:
                    await r.store.close()

    asyncio.run(main())


@SETTINGS
@given(OPS)
def test_backends_agree(ops: list[tuple[Any, ...]]) -> None:
    async def body(mem: Run, sql: Run) -> None:
        assert mem.outcomes == sql.outcomes
        assert mem.store.current_revision() == sql.store.current_revision()
        assert mem.store.compacted_revision() == sql.store.compacted_revision()
        assert await mem.store.list("") == await sql.store.list("")
        assert await mem.store.list("/a/", limit=2) == await sql.store.list("/a/", limit=2)
        assert mem.streams == sql.streams

    check(ops, body)


@SETTINGS
@given(OPS)
def test_revisions_are_dense(ops: list[tuple[Any, ...]]) -> None:
    async def body(mem: Run, sql: Run) -> None:
        for run in (mem, sql):
            revs = [
                o[1].mod_revision
                for o, op in zip(run.outcomes, ops, strict=True)
                if o[0] == "ok" and op[0] != "compact"
            ]
            assert revs == list(range(1, len(revs) + 1))
            assert run.store.current_revision() == len(revs)
            assert [e.kv.mod_revision for e in run.streams[""]] == revs

    check(ops, body)


@SETTINGS
@given(OPS)
def test_watch_replay_reconstructs_list(ops: list[tuple[Any, ...]]) -> None:
    async def body(mem: Run, sql: Run) -> None:
        for run in (mem, sql):
            now = {kv.key: kv for kv in (await run.store.list("")).items}
            assert fold(run.streams[""]) == now
            assert fold(run.streams["/a/"]) == {k: v for k, v in now.items() if k.startswith("/a/")}
            if run.store.compacted_revision() == 0:
                replay = await take(run.store.watch("", 0), run.store.current_revision())
                assert replay == run.streams[""]

    check(ops, body)


@SETTINGS
@given(OPS)
def test_list_at_revision_plus_watch_is_now(ops: list[tuple[Any, ...]]) -> None:
    async def body(mem: Run, sql: Run) -> None:
        for run in (mem, sql):
            store = run.store
            now = {kv.key: kv for kv in (await store.list("")).items}
            for rev in range(store.compacted_revision(), store.current_revision() + 1):
                # revision 0 means "now" to list; the state at revision 0 is the empty store
                start = (await store.list("", revision=rev)).items if rev else ()
                events = await take(store.watch("", rev), store.current_revision() - rev)
                assert fold(events, start) == now

    check(ops, body)
