"""``Store`` on SQLite in the style of k3s's kine: one append-only table whose row id is the revision.

Layout (``kine``): every create/update/delete inserts a row; ``id`` (AUTOINCREMENT, so never reused even
after deletes and compaction) is the resourceVersion; a key's current value is its newest row unless
that row is a tombstone (``deleted=1``, carrying the last value). ``UNIQUE(name, prev_revision)`` makes
two writes that both build on the same previous row impossible — the storage-level guarantee behind 409
Conflict. The compacted revision lives in a separate ``kine_meta`` table (kine uses a special row, which
would spend a revision).

Durability: WAL journal with ``synchronous=FULL`` — every commit fsyncs the WAL, so a write is on disk
(power loss included) before its future resolves. NORMAL+WAL would survive a process crash but may lose
the last commits on power loss, which breaks "acknowledged means durable", so it is not the default.

Threads: all writes go through one writer thread that owns the only write connection (the event loop never
touches disk). It drains whatever is queued into one ``BEGIN IMMEDIATE`` transaction (group commit), so
N concurrent writers pay about one fsync per batch instead of N, while each write is still checked and
inserted on its own (a failed check fails only that write). After COMMIT the batch's results and events
go to the loop in one ``call_soon_threadsafe``; the loop advances ``current_revision()``, fans the events
out to watchers, then resolves the futures — so once ``await create()`` returns, lists and watches see it.
Reads run on a small pool of reader threads, each with its own connection; a read filters ``id <= R``
where R is the loop's current revision when the read was issued, so rows committed but not yet
announced are never visible (list revision == watch start point, no duplicates or gaps).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from openyurt.adapters.store._watch import StoreClosed, StoreWatch, WatchHub, auto_compact
from openyurt.adapters.store.protocol import (
    Compacted,
    FutureRevision,
    KeyExists,
    KeyNotFound,
    KeyValue,
    ListResult,
    RevisionConflict,
    StoreError,
    WatchEvent,
)

T = TypeVar("T")
_Events = list[WatchEvent]

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS kine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    lease INTEGER NOT NULL DEFAULT 0,
    value BLOB,
    old_value BLOB
);
CREATE INDEX IF NOT EXISTS kine_name_id ON kine (name, id);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS kine_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
"""

_INSERT: Final = (
    "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, lease, value, old_value)"
    " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)"
)
_LATEST: Final = "SELECT id, create_revision, deleted, value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1"
_LATEST_AT: Final = (
    "SELECT id, create_revision, deleted, value FROM kine WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1"
)
_COMPACTED: Final = "SELECT value FROM kine_meta WHERE key = 'compact_rev'"
_SEQUENCE: Final = "SELECT seq FROM sqlite_sequence WHERE name = 'kine'"

Synchronous = Literal["FULL", "EXTRA", "NORMAL"]


def prefix_end(prefix: str) -> str | None:
    """Smallest string greater than every string starting with ``prefix`` (None: no upper bound).

    Code-point order equals SQLite's BINARY collation on UTF-8, so ``prefix <= name < end`` is a range
    scan of the ``(name, id)`` index.
    """
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF:
            nxt = last + 1 if last + 1 != 0xD800 else 0xE000  # surrogates cannot be stored as UTF-8
            return prefix[:-1] + chr(nxt)
        prefix = prefix[:-1]
    return None


def connect(path: str | Path, synchronous: Synchronous = "FULL") -> sqlite3.Connection:
    """A connection with the pragmas both the store and the raw baseline benchmark use."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def _range_sql(prefix: str, start_after: str | None) -> tuple[str, list[Any]]:
    """WHERE fragment (and params) selecting names under ``prefix`` strictly after ``start_after``."""
    if start_after is not None and start_after >= prefix:
        sql, params = "name > ?", [start_after]
    else:
        sql, params = "name >= ?", [prefix]
    end = prefix_end(prefix)
    if end is not None:
        sql += " AND name < ?"
        params.append(end)
    return sql, params


def _event(row: tuple[Any, ...]) -> WatchEvent:
    rev, name, created, deleted, create_rev, prev_rev, value, old_value = row
    if created:
        return WatchEvent(type="ADDED", kv=KeyValue(name, value, rev, create_rev))
    prev = KeyValue(name, old_value, prev_rev, create_rev)
    if deleted:
        return WatchEvent(type="DELETED", kv=KeyValue(name, old_value, rev, create_rev), prev=prev)
    return WatchEvent(type="MODIFIED", kv=KeyValue(name, value, rev, create_rev), prev=prev)


class _Job:
    """A unit of work for a connection thread; its outcome is posted back to the loop."""

    __slots__ = ("fn", "fut")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], fut: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.fut = fut


_STOP: Final = object()


def _settle(fut: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if fut.cancelled():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(result)


class SqliteStore:
    """Kine-style store on one SQLite file; see the module docstring for the design."""

    def __init__(
        self,
        path: str | Path,
        *,
        compact_keep: int = 1000,
        compact_interval: float | None = 300.0,
        watch_queue_limit: int = 10_000,
        max_batch: int = 256,
        readers: int = 2,
        synchronous: Synchronous = "FULL",
    ) -> None:
        if compact_keep < 0:
            raise ValueError("compact_keep must be >= 0")
        if max_batch < 1 or readers < 1:
            raise ValueError("max_batch and readers must be positive")
        self.path = Path(path)
        self.compact_keep = compact_keep
        self.compact_interval = compact_interval
        self.max_batch = max_batch
        self.synchronous: Synchronous = synchronous
        self._n_readers = readers
        self._hub = WatchHub(watch_queue_limit)
        self._rev = 0
        self._compacted = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writes: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._reads: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._threads: list[tuple[threading.Thread, asyncio.Future[None]]] = []
        self._compactor: asyncio.Task[None] | None = None
        self._started = False
        self._closed = False
        # Writer-thread state: the last revision handed out, and the compacted revision on disk.
        self._w_rev = 0
        self._w_compacted = 0
        self._batches = 0
        self._batched_writes = 0

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if self._started:
            return
        if self._closed:
            raise StoreClosed("store is closed")
        self._loop = asyncio.get_running_loop()
        self._started = True
        ready: asyncio.Future[tuple[int, int]] = self._loop.create_future()
        self._spawn("sqlite-store-writer", self._writer_main, ready)
        try:
            self._rev, self._compacted = await ready
        except BaseException:
            await self._stop_threads()
            self._closed = True
            raise
        for i in range(self._n_readers):
            self._spawn(f"sqlite-store-reader-{i}", self._reader_main, None)
        if self.compact_interval:
            self._compactor = asyncio.create_task(
                auto_compact(self.compact, self.compact_keep, self.compact_interval), name="sqlite-store-compactor"
            )

    def _spawn(self, name: str, target: Callable[..., None], ready: asyncio.Future[Any] | None) -> None:
        assert self._loop is not None
        done: asyncio.Future[None] = self._loop.create_future()
        t = threading.Thread(target=target, args=(ready, done), name=name, daemon=True)
        self._threads.append((t, done))
        t.start()

    async def close(self) -> None:
        """Finish queued writes and reads, end every watch, then close connections and join threads."""
        if self._closed:
            return
        self._closed = True
        if self._compactor is not None:
            self._compactor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compactor
            self._compactor = None
        self._hub.close()
        await self._stop_threads()

    async def _stop_threads(self) -> None:
        self._writes.put(_STOP)
        for t, _ in self._threads:
            if t.name.startswith("sqlite-store-reader"):
                self._reads.put(_STOP)
        for t, done in self._threads:
            await done  # posted by the thread as its very last step: the join below is immediate
            t.join()
        self._threads.clear()

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # loop already closed: nobody is waiting any more
            self._loop.call_soon_threadsafe(fn, *args)

    # ----------------------------------------------------------------- status

    def current_revision(self) -> int:
        return self._rev

    def compacted_revision(self) -> int:
        return self._compacted

    def stats(self) -> dict[str, int]:
        """Gauges for /metrics: revisions, watchers, and how well group commit is batching."""
        return {
            "revision": self._rev,
            "compacted_revision": self._compacted,
            "watchers": self._hub.watcher_count,
            "commit_batches": self._batches,
            "batched_writes": self._batched_writes,
        }

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("store is closed")
        if not self._started:
            raise StoreError("store not started: await start() first")

    # ----------------------------------------------------------------- writer thread

    def _writer_main(self, ready: asyncio.Future[tuple[int, int]], done: asyncio.Future[None]) -> None:
        conn: sqlite3.Connection | None = None
        try:
            try:
                conn = connect(self.path, self.synchronous)
                conn.executescript(SCHEMA)
                self._w_rev = self._read_sequence(conn)
                row = conn.execute(_COMPACTED).fetchone()
                self._w_compacted = int(row[0]) if row else 0
            except BaseException as e:
                self._post(_settle, ready, None, e)
                return
            self._post(_settle, ready, (self._w_rev, self._w_compacted), None)
            stop = False
            while not stop:
                first = self._writes.get()
                if first is _STOP:
                    break
                assert isinstance(first, _Job)
                batch = [first]
                while len(batch) < self.max_batch:
                    try:
                        nxt = self._writes.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        stop = True
                        break
                    assert isinstance(nxt, _Job)
                    batch.append(nxt)
                self._commit_batch(conn, batch)
        finally:
            if conn is not None:
                conn.close()
            self._post(_settle, done, None, None)

    @staticmethod
    def _read_sequence(conn: sqlite3.Connection) -> int:
        row = conn.execute(_SEQUENCE).fetchone()
        return int(row[0]) if row else 0

    def _commit_batch(self, conn: sqlite3.Connection, batch: Sequence[_Job]) -> None:
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        events: list[WatchEvent] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for job in batch:
                    try:
                        result = job.fn(conn)
                    except StoreError as e:  # a failed check fails this write only
                        outcomes.append((job.fut, None, e))
                        continue
                    if isinstance(result, WatchEvent):
                        events.append(result)
                        result = result.kv
                    outcomes.append((job.fut, result, None))
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except Exception as e:  # the whole transaction is gone: every write in it fails
            with contextlib.suppress(sqlite3.Error):
                self._w_rev = self._read_sequence(conn)
                row = conn.execute(_COMPACTED).fetchone()
                self._w_compacted = int(row[0]) if row else 0
            outcomes = [(job.fut, None, e) for job in batch]
            events = []
        self._batches += 1
        self._batched_writes += len(batch)
        self._post(self._deliver, self._w_rev, self._w_compacted, events, outcomes)

    def _deliver(
        self,
        rev: int,
        compacted: int,
        events: list[WatchEvent],
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]],
    ) -> None:
        """On the loop: announce the committed batch, fan it out, then acknowledge the writers."""
        self._rev = rev
        self._compacted = compacted
        self._hub.publish(events)
        for fut, result, error in outcomes:
            _settle(fut, result, error)

    def _insert(
        self,
        conn: sqlite3.Connection,
        key: str,
        *,
        created: bool,
        deleted: bool,
        create_rev: int | None,
        prev_rev: int,
        value: bytes,
        old_value: bytes | None,
    ) -> int:
        rev = self._w_rev + 1
        try:
            conn.execute(
                _INSERT,
                (
                    rev,
                    key,
                    int(created),
                    int(deleted),
                    rev if create_rev is None else create_rev,
                    prev_rev,
                    value,
                    old_value,
                ),
            )
        except sqlite3.IntegrityError as e:
            # UNIQUE(name, prev_revision): someone else already built on that row (e.g. another process).
            raise RevisionConflict(key, None) from e
        self._w_rev = rev
        return rev

    def _op_create(self, key: str, value: bytes) -> Callable[[sqlite3.Connection], WatchEvent]:
        def run(conn: sqlite3.Connection) -> WatchEvent:
            row = conn.execute(_LATEST, (key,)).fetchone()
            if row is not None and not row[2]:
                raise KeyExists(key)
            prev = row[0] if row is not None else 0
            rev = self._insert(
                conn, key, created=True, deleted=False, create_rev=None, prev_rev=prev, value=value, old_value=None
            )
            return WatchEvent(type="ADDED", kv=KeyValue(key, value, rev, rev))

        return run

    def _op_change(
        self, key: str, value: bytes | None, expected: int | None
    ) -> Callable[[sqlite3.Connection], WatchEvent]:
        """Update (``value`` given) or delete (``value`` None) after the existence and revision checks."""

        def run(conn: sqlite3.Connection) -> WatchEvent:
            row = conn.execute(_LATEST, (key,)).fetchone()
            if row is None or row[2]:
                raise KeyNotFound(key)
            cur_rev, create_rev, _, cur_value = row
            cur = KeyValue(key, cur_value, cur_rev, create_rev)
            if expected is not None and expected != cur_rev:
                raise RevisionConflict(key, cur)
            if value is None:
                rev = self._insert(
                    conn,
                    key,
                    created=False,
                    deleted=True,
                    create_rev=create_rev,
                    prev_rev=cur_rev,
                    value=cur_value,
                    old_value=cur_value,
                )
                return WatchEvent(type="DELETED", kv=KeyValue(key, cur_value, rev, create_rev), prev=cur)
            rev = self._insert(
                conn,
                key,
                created=False,
                deleted=False,
                create_rev=create_rev,
                prev_rev=cur_rev,
                value=value,
                old_value=cur_value,
            )
            return WatchEvent(type="MODIFIED", kv=KeyValue(key, value, rev, create_rev), prev=cur)

        return run

    def _op_compact(self, target: int) -> Callable[[sqlite3.Connection], int]:
        def run(conn: sqlite3.Connection) -> int:
            if target <= self._w_compacted:
                return self._w_compacted
            # Superseded rows at or below the target go; then tombstones at or below it (the key is
            # absent at every revision in the window). Each live key's newest row <= target stays, so
            # lists at any revision >= target are still exact.
            conn.execute(
                "DELETE FROM kine WHERE id <= ?1 AND EXISTS"
                " (SELECT 1 FROM kine AS k2 WHERE k2.name = kine.name AND k2.id > kine.id AND k2.id <= ?1)",
                (target,),
            )
            conn.execute("DELETE FROM kine WHERE id <= ? AND deleted = 1", (target,))
            conn.execute("INSERT OR REPLACE INTO kine_meta (key, value) VALUES ('compact_rev', ?)", (target,))
            self._w_compacted = target
            return target

        return run

    async def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        self._check_open()
        assert self._loop is not None
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._writes.put(_Job(fn, fut))
        return await fut

    async def create(self, key: str, value: bytes) -> KeyValue:
        kv: KeyValue = await self._write(self._op_create(key, bytes(value)))
        return kv

    async def update(self, key: str, value: bytes, expected_revision: int | None) -> KeyValue:
        kv: KeyValue = await self._write(self._op_change(key, bytes(value), expected_revision))
        return kv

    async def delete(self, key: str, expected_revision: int | None) -> KeyValue:
        kv: KeyValue = await self._write(self._op_change(key, None, expected_revision))
        return kv

    async def compact(self, keep: int) -> int:
        if keep < 0:
            raise ValueError("keep must be >= 0")
        self._check_open()
        target = self._rev - keep
        if target <= self._compacted:
            return self._compacted
        compacted: int = await self._write(self._op_compact(target))
        return compacted

    # ----------------------------------------------------------------- reader threads

    def _reader_main(self, _ready: None, done: asyncio.Future[None]) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, self.synchronous)
            conn.execute("PRAGMA query_only = 1")
            while True:
                job = self._reads.get()
                if job is _STOP:
                    break
                assert isinstance(job, _Job)
                try:
                    result = job.fn(conn)
                except BaseException as e:
                    self._post(_settle, job.fut, None, e)
                else:
                    self._post(_settle, job.fut, result, None)
        finally:
            if conn is not None:
                conn.close()
            self._post(_settle, done, None, None)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self._check_open()
        assert self._loop is not None
        fut: asyncio.Future[T] = self._loop.create_future()
        self._reads.put(_Job(fn, fut))
        return await fut

    @staticmethod
    def _snapshot(conn: sqlite3.Connection, fn: Callable[[int], T]) -> T:
        """Run ``fn(compacted_revision)`` inside one read transaction (a consistent WAL snapshot)."""
        conn.execute("BEGIN")
        try:
            row = conn.execute(_COMPACTED).fetchone()
            return fn(int(row[0]) if row else 0)
        finally:
            conn.execute("COMMIT")

    async def get(self, key: str) -> KeyValue | None:
        at = self._rev

        def run(conn: sqlite3.Connection) -> KeyValue | None:
            row = conn.execute(_LATEST_AT, (key, at)).fetchone()
            if row is None or row[2]:
                return None
            return KeyValue(key, row[3], row[0], row[1])

        return await self._read(run)

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str | None = None
    ) -> ListResult:
        current = self._rev
        at = revision or current
        if at > current:
            raise FutureRevision(f"revision {at} is newer than the current revision {current}")
        if at < self._compacted:
            raise Compacted(at, self._compacted)
        where, params = _range_sql(prefix, start_after)
        if limit:
            # A page walks the (name, id) index in key order keeping each key's newest row <= `at`, and
            # stops after `limit` keys; aggregating with GROUP BY would first read the whole range.
            page_sql = (
                f"SELECT name, id, create_revision, value FROM kine AS k WHERE {where} AND deleted = 0"
                " AND id = (SELECT MAX(k2.id) FROM kine AS k2 WHERE k2.name = k.name AND k2.id <= ?)"
                " ORDER BY name LIMIT ?"
            )
        else:  # the whole range: one aggregate pass is cheaper than a lookup per row
            page_sql = (
                "SELECT name, id, create_revision, value FROM kine WHERE deleted = 0 AND id IN"
                f" (SELECT MAX(id) FROM kine WHERE {where} AND id <= ? GROUP BY name) ORDER BY name"
            )

        def in_snapshot(conn: sqlite3.Connection, compacted: int) -> ListResult:
            if at < compacted:
                raise Compacted(at, compacted)
            rows = conn.execute(page_sql, (*params, at, *((limit + 1,) if limit else ()))).fetchall()
            items = tuple(KeyValue(r[0], r[3], r[1], r[2]) for r in rows[: limit or None])
            if not limit or len(rows) <= limit:
                return ListResult(items=items, revision=at)
            last = items[-1].key
            w2, p2 = _range_sql(prefix, last)
            count_sql = (
                "SELECT COUNT(*) FROM kine WHERE deleted = 0 AND id IN"
                f" (SELECT MAX(id) FROM kine WHERE {w2} AND id <= ? GROUP BY name)"
            )
            remaining = int(conn.execute(count_sql, (*p2, at)).fetchone()[0])
            return ListResult(items=items, revision=at, continue_key=last, remaining=remaining)

        return await self._read(lambda conn: self._snapshot(conn, lambda c: in_snapshot(conn, c)))

    async def _read_history(self, prefix: str, after: int, upto: int, limit: int) -> _Events:
        end = prefix_end(prefix)
        sql = (
            "SELECT id, name, created, deleted, create_revision, prev_revision, value, old_value FROM kine"
            " WHERE id > ? AND id <= ?"
            + (" AND name >= ?" if prefix else "")
            + (" AND name < ?" if end else "")
            + " ORDER BY id LIMIT ?"
        )
        params: list[Any] = [after, upto]
        if prefix:
            params.append(prefix)
        if end:
            params.append(end)
        params.append(limit)

        def in_snapshot(conn: sqlite3.Connection, compacted: int) -> _Events:
            if after < compacted:
                raise Compacted(after, compacted)
            return [_event(r) for r in conn.execute(sql, params)]

        return await self._read(lambda conn: self._snapshot(conn, lambda c: in_snapshot(conn, c)))

    def watch(self, prefix: str, from_revision: int) -> AsyncIterator[WatchEvent]:
        self._check_open()
        return StoreWatch(
            self._hub,
            prefix,
            from_revision,
            current_revision=self.current_revision,
            compacted_revision=self.compacted_revision,
            read_history=self._read_history,
        )
