"""The hub's crash-safe on-disk object cache, served from an in-memory index.

Why this shape: a node that loses the cloud lives on this cache, and it may lose power or be
``kill -9``-ed at any instant. So every object is its own file, written as temp file + fsync + rename
(+ directory fsync): after a crash each file holds the old or the new version, never a torn one, and an
object is never missing because a newer one was being written. Lists leave a marker file (``%list``)
written *after* their objects, so "this list was never fetched" (offline: 404) cannot be confused with
"this list is empty". Files are 0600 and directories 0700: the cache holds secrets and tokens.

Reads never touch the disk: every object's bytes are kept in memory (a few MB for a node's worth of
objects), which makes an offline list a byte join. Writes update memory at once and are handed to one
writer thread, which coalesces repeated writes of a key (only the newest version matters) while keeping
first-write order, so a burst of watch events never stalls the event loop on fsync.

Work that only *derives* cache updates (parsing a burst of watch events) can be deferred with
:meth:`DiskCache.defer`: the writer thread runs it, and every read or write first runs whatever is
still deferred (in order, under the index lock), so callers always see the cache as if the work had
been done inline — the proxy forwards first and parses later without ever serving a stale answer.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Final

from openyurt.adapters.cache.protocol import ListMarker
from openyurt.core.hub.cachepolicy import parse_rv, should_replace

log = logging.getLogger(__name__)

#: Marker file of a cached list; ``%`` cannot occur in a Kubernetes object name, so no object collides.
MARKER: Final = "%list"
#: Prefix of temporary files (removed on load: the rename never happened, the old file is intact).
TMP_PREFIX: Final = "%tmp-"
#: Sub-directory holding saved non-resource documents.
DOCS_DIR: Final = "%docs"
FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
#: Deletions remembered (key → resourceVersion) so a stale list or event cannot resurrect the object.
TOMBSTONES_MAX: Final = 10_000
TOMBSTONE_TTL: Final = 600.0


class KeyError_(ValueError):
    """A key that would escape the cache root or collide with bookkeeping files."""


def _check_key(key: str) -> None:
    if not key:
        raise KeyError_("empty cache key")
    for seg in key.split("/"):
        if seg in ("", ".", "..") or seg.startswith("%") or "\x00" in seg:
            raise KeyError_(f"invalid cache key {key!r}")


def valid_key(key: str) -> bool:
    """Whether ``key`` can be stored (no traversal, no bookkeeping names)."""
    try:
        _check_key(key)
    except KeyError_:
        return False
    return True


class _Entry:
    __slots__ = ("data", "rv")

    def __init__(self, rv: str, data: bytes) -> None:
        self.rv = rv
        self.data = data


_DELETE: Final = None


class DiskCache:
    """An :class:`~openyurt.adapters.cache.protocol.ObjectCache` on a directory tree.

    ``sync=False`` skips fsync (tests on slow disks); kill -9 safety still holds because renames are
    atomic, only power-loss durability is weakened.
    """

    def __init__(
        self,
        root: Path,
        *,
        sync: bool = True,
        tombstones_max: int = TOMBSTONES_MAX,
        tombstone_ttl: float = TOMBSTONE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        self.sync = sync
        # key → (resourceVersion of the deletion, when); oldest first, bounded in size and age
        self._tombstones: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._tombstones_max = tombstones_max
        self._tombstone_ttl = tombstone_ttl
        self._clock = clock
        # relative path → error of its last failed write (cleared by a later success): the Autonomy
        # condition reports "cache failed" while this is not empty, as upstream's storage error keys
        self._error_keys: dict[str, str] = {}
        self._errors_lock = threading.Lock()
        # directory (key minus last segment) → name → entry
        self._dirs: dict[str, dict[str, _Entry]] = {}
        #: objects removed so far: an object seen cached is still cached while this stays the same
        #: (read without the lock: callers only compare it)
        self.removals = 0
        self._markers: dict[str, ListMarker] = {}
        self._docs: dict[str, bytes] = {}
        # cached bytes → key holding them: spots a repeated watch event without parsing it
        self._by_data: dict[bytes, str] = {}
        # the in-memory index is shared with the writer thread (deferred jobs run there)
        self._lock = threading.RLock()
        self._jobs: deque[Callable[[], None]] = deque()
        self._in_job = False
        # writer queue: relative path → bytes to write, or None to delete (dict keeps first-write order)
        self._pending: dict[str, bytes | None] = {}
        self._cv = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.write_errors = 0
        self.bytes_written = 0

    # ------------------------------------------------------------------ loading

    def load(self) -> int:
        """Read the tree into memory (removing leftovers of interrupted writes); returns objects loaded."""
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, DIR_MODE)
        count = 0
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = os.path.relpath(dirpath, self.root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            if rel_dir == DOCS_DIR:
                for name in filenames:
                    if name.startswith(TMP_PREFIX):
                        _unlink(os.path.join(dirpath, name))
                        continue
                    with contextlib.suppress(OSError):
                        self._docs[name] = Path(dirpath, name).read_bytes()
                dirnames[:] = []
                continue
            for name in filenames:
                full = os.path.join(dirpath, name)
                if name.startswith(TMP_PREFIX):
                    _unlink(full)
                    continue
                try:
                    raw = Path(full).read_bytes()
                except OSError as exc:
                    log.warning("cache: cannot read %s: %s", full, exc)
                    continue
                if name == MARKER:
                    try:
                        m = json.loads(raw)
                        self._markers[rel_dir] = ListMarker(
                            str(m.get("resourceVersion", "")), str(m.get("selector", ""))
                        )
                    except (ValueError, AttributeError):
                        log.warning("cache: unreadable list marker %s", full)
                    continue
                if not rel_dir:
                    continue
                try:
                    obj = json.loads(raw)
                    rv = str(obj.get("metadata", {}).get("resourceVersion") or "")
                except (ValueError, AttributeError):
                    log.warning("cache: unreadable object %s, ignored", full)
                    continue
                self._dirs.setdefault(rel_dir, {})[name] = _Entry(rv, raw)
                self._by_data[raw] = f"{rel_dir}/{name}"
                count += 1
        return count

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._writer, name="hub-cache-writer", daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ deferred work

    def defer(self, job: Callable[[], None]) -> None:
        """Run ``job`` (which updates the cache) on the writer thread, before any later read or write.

        Jobs run in submission order, one at a time, under the index lock; a failing job is logged.
        Without a writer thread the job runs at once.
        """
        self._jobs.append(job)
        if self._thread is None:
            self.settle()
            return
        with self._cv:
            self._cv.notify()

    def settle(self) -> None:
        """Run every deferred job now, in this thread (reads call it: they never see stale data)."""
        if self._jobs:
            with self._lock:
                self._settle()

    def _settle(self, limit: int = -1) -> None:
        # the caller holds self._lock; a job's own reads and writes must not run the jobs behind it
        if self._in_job:
            return
        jobs = self._jobs
        while jobs and limit != 0:
            limit -= 1
            job = jobs.popleft()
            self._in_job = True
            try:
                job()
            except Exception:
                log.exception("cache: a deferred update failed")
            finally:
                self._in_job = False

    # ------------------------------------------------------------------ reads

    def _split(self, key: str) -> tuple[str, str]:
        d, _, name = key.rpartition("/")
        return d, name

    def get(self, key: str) -> bytes | None:
        d, name = self._split(key)
        with self._lock:
            self._settle()
            e = self._dirs.get(d, {}).get(name)
        return e.data if e is not None else None

    def resource_version(self, key: str) -> str | None:
        d, name = self._split(key)
        with self._lock:
            self._settle()
            e = self._dirs.get(d, {}).get(name)
        return e.rv if e is not None else None

    def key_of(self, data: bytes) -> str | None:
        """The key whose cached bytes are exactly ``data``, if any (a repeated event is a no-op)."""
        with self._lock:
            self._settle()
            return self._by_data.get(data)

    def _under(self, list_key: str) -> Iterator[tuple[str, dict[str, _Entry]]]:
        prefix = list_key + "/"
        for d, entries in self._dirs.items():
            if d == list_key or d.startswith(prefix):
                yield d, entries

    def list_covered(self, list_key: str) -> bool:
        """Whether a list of ``list_key`` or of an enclosing key (cluster-wide list) was cached."""
        with self._lock:
            self._settle()
            return self._covered(list_key)

    def _covered(self, list_key: str) -> bool:
        key = list_key
        while key:
            if key in self._markers:
                return True
            key = key.rpartition("/")[0]
        return False

    def list(self, list_key: str) -> builtins.list[bytes] | None:
        with self._lock:
            self._settle()
            if not self._covered(list_key):
                return None
            out: builtins.list[bytes] = []
            for _, entries in sorted(self._under(list_key), key=lambda de: de[0]):
                out.extend(e.data for _, e in sorted(entries.items()))
            return out

    def list_entries(self, list_key: str) -> builtins.list[tuple[str, str, str, bytes]] | None:
        """(directory, name, resourceVersion, bytes) of every object under ``list_key``, sorted.

        None when no list covering ``list_key`` was cached.
        """
        with self._lock:
            self._settle()
            if not self._covered(list_key):
                return None
            out: builtins.list[tuple[str, str, str, bytes]] = []
            for d, entries in sorted(self._under(list_key), key=lambda de: de[0]):
                out.extend((d, n, e.rv, e.data) for n, e in sorted(entries.items()))
            return out

    def list_marker(self, list_key: str) -> ListMarker | None:
        with self._lock:
            self._settle()
            return self._markers.get(list_key)

    def selectors(self) -> dict[str, str]:
        with self._lock:
            self._settle()
            return {k: m.selector for k, m in self._markers.items()}

    def keys(self) -> builtins.list[str]:
        """Every cached object key (tests and tools)."""
        with self._lock:
            self._settle()
            return [f"{d}/{n}" for d, entries in self._dirs.items() for n in entries]

    def __len__(self) -> int:
        with self._lock:
            self._settle()
            return sum(len(e) for e in self._dirs.values())

    def get_doc(self, key: str) -> bytes | None:
        with self._lock:
            self._settle()
            return self._docs.get(_doc_name(key))

    # ------------------------------------------------------------------ writes

    def put(self, key: str, resource_version: str, data: bytes) -> bool:
        _check_key(key)
        d, name = self._split(key)
        with self._lock:
            self._settle()
            entries = self._dirs.get(d)
            old = entries.get(name) if entries is not None else None
            if old is None and self._tombstones and self._buried(key, resource_version):
                return False
            if old is not None:
                if not should_replace(old.rv, resource_version):
                    return False
                if old.rv == resource_version and old.data == data:
                    return True
                self._unindex(old.data, key)
            if entries is None:
                entries = self._dirs[d] = {}
            entries[name] = _Entry(resource_version, data)
            self._by_data[data] = key
            self._enqueue(key, data)
            return True

    def delete(self, key: str, resource_version: str | None = None) -> bool:
        d, name = self._split(key)
        with self._lock:
            self._settle()
            entries = self._dirs.get(d)
            old = entries.get(name) if entries is not None else None
            if old is None or entries is None:
                if resource_version is not None:
                    self._bury(key, resource_version)  # deleted before it was cached: still no resurrection
                return False
            if resource_version is not None and not should_replace(old.rv, resource_version):
                return False
            del entries[name]
            self.removals += 1
            if not entries:
                del self._dirs[d]
            self._unindex(old.data, key)
            self._bury(key, resource_version or old.rv)
            self._enqueue(key, _DELETE)
            return True

    def _unindex(self, data: bytes, key: str) -> None:
        if self._by_data.get(data) == key:
            del self._by_data[data]

    # ------------------------------------------------------------------ tombstones

    def _bury(self, key: str, resource_version: str) -> None:
        """Remember that ``key`` was deleted at ``resource_version`` (numeric RVs only: no order else)."""
        rv = parse_rv(resource_version)
        if rv is None:
            return
        now = self._clock()
        prior = self._tombstones.pop(key, None)
        self._tombstones[key] = (max(rv, prior[0]) if prior is not None else rv, now)
        self._expire_tombstones(now)

    def _expire_tombstones(self, now: float) -> None:
        while self._tombstones:
            key, (_, when) = next(iter(self._tombstones.items()))
            if len(self._tombstones) <= self._tombstones_max and now - when <= self._tombstone_ttl:
                break
            del self._tombstones[key]

    def _buried(self, key: str, resource_version: str) -> bool:
        """Whether ``key`` at ``resource_version`` is a version that was already deleted (or older).

        A re-created object has a larger resourceVersion than its deletion and is let through (and the
        tombstone dropped); an unordered (non-numeric) version is always let through.
        """
        self._expire_tombstones(self._clock())
        tomb = self._tombstones.get(key)
        if tomb is None:
            return False
        rv = parse_rv(resource_version)
        if rv is not None and rv <= tomb[0]:
            return True
        del self._tombstones[key]
        return False

    def tombstone(self, key: str) -> str | None:
        """The resourceVersion ``key`` was deleted at, while that deletion is remembered (tests, tools)."""
        with self._lock:
            self._settle()
            self._expire_tombstones(self._clock())
            tomb = self._tombstones.get(key)
            return str(tomb[0]) if tomb is not None else None

    def replace_list(self, list_key: str, items: Mapping[str, tuple[str, bytes]], list_rv: str, selector: str) -> None:
        _check_key(list_key)
        with self._lock:
            self._settle()
            existing = [f"{d}/{n}" for d, entries in self._under(list_key) for n in entries]
            for key, (rv, data) in items.items():
                self.put(key, rv, data)
            for key in existing:
                if key in items:
                    continue
                old_rv = self.resource_version(key)
                # an object cached by a watch after this list was read is newer than the list: keep it
                if old_rv is not None and list_rv and old_rv != list_rv and should_replace(list_rv, old_rv):
                    continue
                # gone as of the list's resourceVersion: an older event of it must not bring it back
                self.delete(key, list_rv if parse_rv(list_rv) is not None else None)
            marker = ListMarker(list_rv, selector)
            if self._markers.get(list_key) != marker:
                self._markers[list_key] = marker
                body = json.dumps({"resourceVersion": list_rv, "selector": selector}).encode()
                self._enqueue(f"{list_key}/{MARKER}", body)

    def put_doc(self, key: str, data: bytes) -> None:
        name = _doc_name(key)
        with self._lock:
            self._settle()
            if self._docs.get(name) == data:
                return
            self._docs[name] = data
            self._enqueue(f"{DOCS_DIR}/{name}", data)

    def _enqueue(self, rel: str, data: bytes | None) -> None:
        if self._thread is None:
            # no writer thread (tools, tests): write through
            self._write_one(rel, data, set())
            return
        with self._cv:
            self._pending[rel] = data  # re-assignment keeps the key's first position
            self._cv.notify()

    # ------------------------------------------------------------------ the writer

    def _writer(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._jobs and not self._closed:
                    self._busy = False
                    self._cv.notify_all()
                    self._cv.wait()
                if not self._pending and not self._jobs and self._closed:
                    self._busy = False
                    self._cv.notify_all()
                    return
                self._busy = True
            while self._jobs:
                # deferred updates first (they make the next file writes), one per lock hold so a
                # reader on the event loop never waits behind a whole burst
                with self._lock:
                    self._settle(limit=1)
            with self._cv:
                batch = self._pending
                self._pending = {}
            dirty: set[str] = set()
            for rel, data in batch.items():
                if rel.endswith("/" + MARKER):
                    self._sync_dirs(dirty)  # a marker never becomes durable before its list's objects
                self._write_one(rel, data, dirty)
            self._sync_dirs(dirty)

    def _write_one(self, rel: str, data: bytes | None, dirty: set[str]) -> None:
        path = os.path.join(self.root, rel)
        directory = os.path.dirname(path)
        try:
            if data is None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                dirty.add(directory)
            else:
                self._write_file(path, directory, data)
                dirty.add(directory)
        except OSError as exc:
            self.write_errors += 1
            with self._errors_lock:
                self._error_keys[rel] = str(exc)
            log.error("cache: writing %s failed: %s", rel, exc)
            return
        if self._error_keys:
            with self._errors_lock:
                self._error_keys.pop(rel, None)

    def _write_file(self, path: str, directory: str, data: bytes) -> None:
        """Temp file, fsync, rename: a crash leaves the old or the new version, never a torn one."""
        _makedirs(directory, str(self.root))
        tmp = os.path.join(directory, TMP_PREFIX + os.path.basename(path))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            if self.sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        self.bytes_written += len(data)

    def error_keys(self) -> dict[str, str]:
        """Keys whose latest write failed (→ error); empty when the cache works."""
        self.settle()
        with self._errors_lock:
            return dict(self._error_keys)

    def _sync_dirs(self, dirty: set[str]) -> None:
        if not self.sync:
            dirty.clear()
            return
        for d in dirty:
            with contextlib.suppress(OSError):
                fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        dirty.clear()

    def flush(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            self.settle()
            return True
        with self._cv:
            self._cv.notify()
            return self._cv.wait_for(lambda: not self._pending and not self._jobs and not self._busy, timeout)

    def close(self) -> None:
        if self._thread is None:
            self.settle()
            return
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join()
        self._thread = None

    @property
    def pending(self) -> int:
        """Writes accepted but not yet on disk (deferred updates included)."""
        with self._cv:
            return len(self._pending) + len(self._jobs) + (1 if self._busy else 0)


def _doc_name(key: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in key)
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{safe[:100]}-{digest}"


def _makedirs(directory: str, root: str) -> None:
    if os.path.isdir(directory):
        return
    parent = os.path.dirname(directory)
    if parent != directory and len(parent) >= len(root):
        _makedirs(parent, root)
    with contextlib.suppress(FileExistsError):
        os.mkdir(directory, DIR_MODE)
        os.chmod(directory, DIR_MODE)  # umask must not widen or narrow it


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
