"""The on-disk cache: resourceVersion order, list markers, list replacement, permissions, reload and
recovery from interrupted writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from openyurt.adapters.cache.disk import MARKER, TMP_PREFIX, DiskCache, valid_key

LIST = "kubelet/pods.v1.core"


def obj(name: str, rv: int, ns: str = "default", **extra: str) -> tuple[str, str, bytes]:
    body = {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "resourceVersion": str(rv)}, **extra}
    return f"{LIST}/{ns}/{name}", str(rv), json.dumps(body).encode()


@pytest.fixture(params=[False, True], ids=["write-through", "writer-thread"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> DiskCache:
    c = DiskCache(tmp_path / "cache", sync=True)
    c.load()
    if request.param:
        c.start()
        request.addfinalizer(c.close)
    return c


def reload(c: DiskCache) -> DiskCache:
    assert c.flush(10)
    fresh = DiskCache(c.root)
    fresh.load()
    return fresh


def test_older_resource_version_never_overwrites(cache: DiskCache) -> None:
    k, rv, data = obj("a", 5)
    assert cache.put(k, rv, data)
    k, rv, old = obj("a", 3)
    assert not cache.put(k, rv, old)
    k, rv, new = obj("a", 7)
    assert cache.put(k, rv, new)
    assert not cache.delete(k, "6"), "a delete older than the cached object is ignored"
    assert reload(cache).get(k) == new


def test_never_listed_is_not_an_empty_list(cache: DiskCache) -> None:
    assert cache.list(LIST) is None
    cache.replace_list(LIST, {}, "10", "&")
    assert cache.list(LIST) == []
    assert reload(cache).list(LIST) == []
    assert cache.list(f"{LIST}/default") == [], "a cluster-wide list covers each namespace"
    assert cache.list("kubelet/nodes.v1.core") is None


def test_replace_list_removes_vanished_keeps_newer(cache: DiskCache) -> None:
    items = dict((k, (rv, d)) for k, rv, d in (obj("a", 5), obj("b", 6), obj("c", 7, ns="other")))
    cache.replace_list(LIST, items, "7", "&")
    k_new, rv_new, d_new = obj("d", 20)  # a watch event newer than the next list
    cache.put(k_new, rv_new, d_new)
    cache.replace_list(LIST, dict((k, (rv, d)) for k, rv, d in (obj("a", 8),)), "10", "&")
    got = reload(cache)
    keys = sorted(got.keys())
    assert keys == [f"{LIST}/default/a", f"{LIST}/default/d"]
    assert got.list(LIST) == [obj("a", 8)[2], d_new]
    assert got.list_marker(LIST) is not None and got.list_marker(LIST).resource_version == "10"  # type: ignore[union-attr]


def test_files_are_root_only(cache: DiskCache) -> None:
    k, rv, data = obj("a", 1)
    cache.put(k, rv, data)
    cache.replace_list(f"{LIST}/default", {k: (rv, data)}, "1", "&")
    cache.put_doc("version", b"{}")
    assert cache.flush(10)
    for p in [cache.root, *cache.root.rglob("*")]:
        mode = p.stat().st_mode & 0o777
        assert mode == (0o700 if p.is_dir() else 0o600), p


def test_interrupted_write_leaves_old_version(tmp_path: Path) -> None:
    c = DiskCache(tmp_path / "c")
    c.load()
    k, rv, data = obj("a", 1)
    c.put(k, rv, data)
    c.replace_list(LIST, {k: (rv, data)}, "1", "&")
    # a crash between writing the temp file and the rename: a torn temp file next to the old object
    d = c.root / LIST / "default"
    (d / (TMP_PREFIX + "a")).write_bytes(b'{"kind":"Pod","metadata":{"na')
    (c.root / LIST / (TMP_PREFIX + MARKER)).write_bytes(b"")
    fresh = DiskCache(c.root)
    assert fresh.load() == 1
    assert fresh.get(k) == data
    assert not list(c.root.rglob(TMP_PREFIX + "*"))


def test_keys_cannot_escape_the_root(cache: DiskCache) -> None:
    for bad in ("../x/y", "a/../../b", "a//b", "a/%list", "", "a/./b"):
        assert not valid_key(bad)
        with pytest.raises(ValueError):
            cache.put(bad, "1", b"{}")
    assert valid_key("kubelet/pods.v1.core/default/p")


def test_writer_coalesces_but_keeps_latest(tmp_path: Path) -> None:
    c = DiskCache(tmp_path / "c", sync=False)
    c.load()
    c.start()
    try:
        for i in range(1, 200):
            k, rv, data = obj("hot", i)
            c.put(k, rv, data)
        assert c.flush(10)
        assert json.loads((c.root / LIST / "default" / "hot").read_bytes())["metadata"]["resourceVersion"] == "199"
    finally:
        c.close()
    assert os.listdir(c.root / LIST / "default") == ["hot"]


def test_stale_list_does_not_resurrect_a_deleted_object(cache: DiskCache) -> None:
    k, rv, data = obj("a", 5)
    cache.replace_list(LIST, {k: (rv, data)}, "5", "&")
    assert cache.delete(k, "9"), "the DELETED event"
    assert cache.tombstone(k) == "9"
    # a list read before the deletion arrives late: the object stays deleted
    cache.replace_list(LIST, {k: (rv, data)}, "8", "&")
    assert cache.get(k) is None
    assert not cache.put(k, "9", data), "not even the deleted version itself"
    # the same name created again after the deletion is a new object
    k, rv, again = obj("a", 12)
    cache.replace_list(LIST, {k: (rv, again)}, "12", "&")
    assert cache.get(k) == again and cache.tombstone(k) is None
    assert reload(cache).get(k) == again


def test_delete_before_cached_and_vanished_from_list_are_remembered(cache: DiskCache) -> None:
    k, rv, data = obj("early", 3)
    assert not cache.delete(k, "4"), "nothing cached yet"
    assert not cache.put(k, rv, data), "an older event arriving after the DELETED one is dropped"
    k2, rv2, data2 = obj("gone", 2)
    cache.replace_list(LIST, {k2: (rv2, data2)}, "2", "&")
    cache.replace_list(LIST, {}, "6", "&")  # vanished as of resourceVersion 6
    assert not cache.put(k2, "5", data2), "a lagging watch event older than the list"
    assert cache.put(k2, "7", data2)


def test_tombstones_are_bounded_in_size_and_age(tmp_path: Path) -> None:
    now = [0.0]
    c = DiskCache(tmp_path / "c", tombstones_max=3, tombstone_ttl=10.0, clock=lambda: now[0])
    c.load()
    for i in range(5):
        c.delete(f"{LIST}/default/p{i}", "100")
    assert [c.tombstone(f"{LIST}/default/p{i}") for i in range(5)] == [None, None, "100", "100", "100"]
    now[0] = 11.0
    assert c.tombstone(f"{LIST}/default/p4") is None, "forgotten after the TTL"
    k, _, data = obj("p4", 50)
    assert c.put(k, "50", data)


def test_failed_writes_are_reported_until_a_write_succeeds(tmp_path: Path) -> None:
    c = DiskCache(tmp_path / "c", sync=False)
    c.load()
    k, rv, data = obj("a", 1)
    blocker = c.root / LIST
    blocker.parent.mkdir(parents=True)
    blocker.write_bytes(b"not a directory")
    c.put(k, rv, data)
    assert list(c.error_keys()) == [k] and c.write_errors == 1
    blocker.unlink()
    k, rv, data = obj("a", 2)
    c.put(k, rv, data)
    assert c.error_keys() == {}


def test_deferred_updates_are_seen_by_the_next_read(cache: DiskCache) -> None:
    key, rv, data = obj("a", 5)
    cache.defer(lambda: cache.put(key, rv, data) and None)
    # whether the writer thread got to it or not, a read runs what is still deferred first
    assert cache.get(key) == data
    assert cache.key_of(data) == key
    assert cache.flush(10)
    assert (cache.root / key).read_bytes() == data


def test_deferred_jobs_run_in_order_and_a_failure_is_contained(cache: DiskCache) -> None:
    key, _, _ = obj("a", 0)
    done: list[int] = []

    def boom() -> None:
        raise RuntimeError("a broken job")

    for rv in (3, 9, 4):  # 4 after 9: refused, as if done inline
        k, r, d = obj("a", rv)
        cache.defer(lambda k=k, r=r, d=d: done.append(int(cache.put(k, r, d))))
    cache.defer(boom)
    cache.defer(lambda: done.append(7))
    assert cache.flush(10)
    assert done == [1, 1, 0, 7]
    assert cache.resource_version(key) == "9"


def test_bytes_index_follows_replacements_and_deletes(cache: DiskCache) -> None:
    k, _, old = obj("a", 1)
    _, _, new = obj("a", 2)
    assert cache.put(k, "1", old)
    assert cache.key_of(old) == k
    assert cache.put(k, "2", new)
    assert cache.key_of(old) is None and cache.key_of(new) == k
    assert cache.delete(k, "3")
    assert cache.key_of(new) is None
    cache.flush(10)
    fresh = DiskCache(cache.root)
    assert fresh.load() == 0 and fresh.key_of(new) is None
