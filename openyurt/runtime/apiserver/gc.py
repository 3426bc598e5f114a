"""In-process controllers a real cluster runs outside the API server but a local control plane needs.

* ownerReference garbage collection: background (dependents of a vanished owner go), foreground
  (``foregroundDeletion`` waits for dependents), orphan (``orphan`` strips the owner reference);
* namespace finalization: a terminating namespace's content is deleted, then the namespace goes;
* CRD cleanup: a deleted CRD's custom resources are deleted before the CRD goes;
* pod GC for pods being gracefully deleted on a node that does not exist (nobody would finish them).

It follows the watch hub (events arrive decoded and in revision order) and keeps two indexes: uid ->
key of every live object, and owner uid -> dependent keys. Work runs in one task, so controllers never
race each other; every action goes through :class:`Service` like a client request would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from openyurt.runtime.apiserver import status as st
from openyurt.runtime.apiserver.crds import CRD_FINALIZER
from openyurt.runtime.apiserver.registry import ResourceType
from openyurt.runtime.apiserver.service import DeleteOptions, Service
from openyurt.runtime.apiserver.watchhub import HubEvent

log = logging.getLogger(__name__)
_CRD_PREFIX = "/registry/apiextensions.k8s.io/customresourcedefinitions/"


def _split_key(key: str) -> tuple[str, str, str, str] | None:
    """``/registry/<group>/<plural>/[<ns>/]<name>`` -> (group, plural, ns, name), ns '' when absent."""
    parts = key.split("/")
    if len(parts) == 5:
        return ("" if parts[2] == "core" else parts[2], parts[3], "", parts[4])
    if len(parts) == 6:
        return ("" if parts[2] == "core" else parts[2], parts[3], parts[4], parts[5])
    return None


class Controllers:
    def __init__(self, service: Service) -> None:
        self.svc = service
        self.registry = service.registry
        self.uids: dict[str, str] = {}
        self.dependents: dict[str, set[str]] = {}
        self.owners_of: dict[str, tuple[str, ...]] = {}
        self.objects: dict[str, dict[str, Any]] = {}
        #: keys of CRD objects (a deleted custom resource may let its terminating CRD finish)
        self.crd_keys: set[str] = set()
        self._queue: asyncio.Queue[HubEvent | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._floor = 0
        self._pending: set[str] = set()
        #: bumped on every processed event; tests and callers may wait on it
        self.processed_rev = 0

    def on_event(self, ev: HubEvent) -> None:
        self._queue.put_nowait(ev)

    async def start(self) -> None:
        res = await self.svc.store.list("/registry/")
        self._floor = res.revision
        for kv in res.items:
            self._index(kv.key, self.svc.cache.get(kv).obj)
        self._task = asyncio.create_task(self._run(), name="apiserver-controllers")
        for key in list(self.objects):
            self._pending.add(key)
        self._queue.put_nowait(None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- indexes ---------------------------------------------------------------------------------
    def _index(self, key: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        uid = meta.get("uid")
        if isinstance(uid, str):
            self.uids[uid] = key
        self.objects[key] = obj
        if key.startswith(_CRD_PREFIX):
            self.crd_keys.add(key)
        for o in self.owners_of.get(key, ()):
            deps = self.dependents.get(o)
            if deps is not None:
                deps.discard(key)
                if not deps:
                    del self.dependents[o]
        refs = meta.get("ownerReferences") or []
        owners = tuple(r["uid"] for r in refs if isinstance(r, dict) and isinstance(r.get("uid"), str))
        if owners:
            self.owners_of[key] = owners
            for o in owners:
                self.dependents.setdefault(o, set()).add(key)
        else:
            self.owners_of.pop(key, None)

    def _unindex(self, key: str, obj: dict[str, Any]) -> None:
        uid = (obj.get("metadata") or {}).get("uid")
        if isinstance(uid, str) and self.uids.get(uid) == key:
            del self.uids[uid]
        self.objects.pop(key, None)
        self.crd_keys.discard(key)
        for o in self.owners_of.pop(key, ()):
            deps = self.dependents.get(o)
            if deps is not None:
                deps.discard(key)
                if not deps:
                    del self.dependents[o]

    # -- loop ------------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            ev = await self._queue.get()
            batch = [ev]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            for e in batch:
                if e is None or e.rev <= self._floor:
                    continue
                self.processed_rev = e.rev
                if e.type == "DELETED":
                    self._unindex(e.key, e.cur.obj)
                    uid = (e.cur.obj.get("metadata") or {}).get("uid")
                    for dep in self.dependents.get(uid, set()) if isinstance(uid, str) else set():
                        self._pending.add(dep)
                    parsed = _split_key(e.key)
                    if parsed is not None:
                        # an owner waiting in foreground for this dependent may now finish
                        for o in (e.cur.obj.get("metadata") or {}).get("ownerReferences") or []:
                            if isinstance(o, dict) and isinstance(o.get("uid"), str) and o["uid"] in self.uids:
                                self._pending.add(self.uids[o["uid"]])
                        self._wake_parents(parsed)
                else:
                    self._index(e.key, e.cur.obj)
                    self._pending.add(e.key)
            pending, self._pending = self._pending, set()
            for key in sorted(pending):
                try:
                    await self._reconcile(key)
                except st.ApiError as exc:
                    if exc.code not in (404, 409):
                        log.warning("controller action on %s failed: %s", key, exc.message)
                    elif exc.code == 409:
                        self._pending.add(key)
                except Exception:
                    log.exception("controller failed on %s", key)
            if self._pending:
                self._queue.put_nowait(None)
                await asyncio.sleep(0)

    def _wake_parents(self, parsed: tuple[str, str, str, str]) -> None:
        group, plural, ns, _ = parsed
        if ns:
            key = f"/registry/core/namespaces/{ns}"
            obj = self.objects.get(key)
            if obj is not None and "deletionTimestamp" in (obj.get("metadata") or {}):
                self._pending.add(key)
        for key in list(self.crd_keys):
            obj = self.objects.get(key)
            if obj is None:
                continue
            spec = obj.get("spec") or {}
            if (
                spec.get("group") == group
                and (spec.get("names") or {}).get("plural") == plural
                and "deletionTimestamp" in (obj.get("metadata") or {})
            ):
                self._pending.add(key)

    def _rt_of(self, key: str) -> tuple[ResourceType, str, str] | None:
        parsed = _split_key(key)
        if parsed is None:
            return None
        group, plural, ns, name = parsed
        rt = self.registry.by_group_resource(group, plural)
        if rt is None:
            return None
        return rt, ns, name

    def _owner_served(self, ref: dict[str, Any]) -> bool:
        av = ref.get("apiVersion")
        kind = ref.get("kind")
        if not isinstance(av, str) or not isinstance(kind, str):
            return False
        group = av.rsplit("/", 1)[0] if "/" in av else ""
        return self.registry.by_kind(group, kind) is not None

    async def _reconcile(self, key: str) -> None:
        obj = self.objects.get(key)
        found = self._rt_of(key)
        if obj is None or found is None:
            return
        rt, ns, name = found
        meta = obj.get("metadata") or {}
        # background GC: every owner gone
        refs = [r for r in meta.get("ownerReferences") or [] if isinstance(r, dict)]
        if refs and all(self._owner_served(r) and r.get("uid") not in self.uids for r in refs):
            await self.svc.delete(rt, ns, name, rt.storage_version, DeleteOptions(propagation="Background"))
            return
        if "deletionTimestamp" not in meta:
            return
        fins = list(meta.get("finalizers") or [])
        uid = meta.get("uid")
        deps = sorted(self.dependents.get(uid, set())) if isinstance(uid, str) else []
        if "orphan" in fins:
            for dep in deps:
                await self._strip_owner(dep, str(uid))
            await self._remove_finalizer(rt, ns, name, "orphan")
            return
        if "foregroundDeletion" in fins:
            alive = False
            for dep in deps:
                d = self.objects.get(dep)
                f = self._rt_of(dep)
                if d is None or f is None:
                    continue
                alive = True
                if "deletionTimestamp" not in (d.get("metadata") or {}):
                    await self.svc.delete(
                        f[0], f[1], f[2], f[0].storage_version, DeleteOptions(propagation="Foreground")
                    )
            if not alive:
                await self._remove_finalizer(rt, ns, name, "foregroundDeletion")
            return
        if rt.plural == "namespaces" and not rt.group:
            await self._finalize_namespace(rt, name, obj)
            return
        if rt.plural == "customresourcedefinitions" and rt.group == "apiextensions.k8s.io" and CRD_FINALIZER in fins:
            await self._cleanup_crd(rt, name, obj)
            return
        if rt.plural == "pods" and not rt.group and meta.get("deletionGracePeriodSeconds"):
            node = (obj.get("spec") or {}).get("nodeName")
            if isinstance(node, str) and f"/registry/core/nodes/{node}" not in self.objects:
                await self.svc.delete(rt, ns, name, "v1", DeleteOptions(grace_period=0))

    async def _strip_owner(self, key: str, uid: str) -> None:
        found = self._rt_of(key)
        if found is None:
            return
        rt, ns, name = found

        def edit(obj: dict[str, Any]) -> bool:
            refs = obj["metadata"].get("ownerReferences") or []
            keep = [r for r in refs if not (isinstance(r, dict) and r.get("uid") == uid)]
            if len(keep) == len(refs):
                return False
            if keep:
                obj["metadata"]["ownerReferences"] = keep
            else:
                obj["metadata"].pop("ownerReferences", None)
            return True

        await self.svc.mutate(rt, ns, name, edit)

    async def _remove_finalizer(self, rt: ResourceType, ns: str, name: str, fin: str) -> None:
        def edit(obj: dict[str, Any]) -> bool:
            fins = list(obj["metadata"].get("finalizers") or [])
            if fin not in fins:
                return False
            fins.remove(fin)
            if fins:
                obj["metadata"]["finalizers"] = fins
            else:
                obj["metadata"].pop("finalizers", None)
            return True

        await self.svc.mutate(rt, ns, name, edit)

    async def _finalize_namespace(self, rt: ResourceType, name: str, obj: dict[str, Any]) -> None:
        remaining = False
        for t in self.registry.types():
            if not t.namespaced:
                continue
            res = await self.svc.store.list(t.prefix(name))
            for kv in res.items:
                remaining = True
                c = self.svc.cache.get(kv)
                m = c.obj.get("metadata") or {}
                if "deletionTimestamp" in m and not (t.plural == "pods" and m.get("deletionGracePeriodSeconds")):
                    continue
                with contextlib.suppress(st.ApiError):
                    await self.svc.delete(
                        t,
                        name,
                        str(m.get("name")),
                        t.storage_version,
                        DeleteOptions(propagation="Background", grace_period=0),
                    )
        if not remaining and "kubernetes" in ((obj.get("spec") or {}).get("finalizers") or []):
            await self.svc.set_namespace_finalizers(
                name, [f for f in (obj.get("spec") or {}).get("finalizers") or [] if f != "kubernetes"]
            )

    async def _cleanup_crd(self, rt: ResourceType, name: str, obj: dict[str, Any]) -> None:
        spec = obj.get("spec") or {}
        t = self.registry.by_group_resource(str(spec.get("group")), str((spec.get("names") or {}).get("plural")))
        remaining = False
        if t is not None and not t.builtin:
            res = await self.svc.store.list(t.key_prefix)
            for kv in res.items:
                remaining = True
                c = self.svc.cache.get(kv)
                m = c.obj.get("metadata") or {}
                if "deletionTimestamp" in m:
                    continue
                with contextlib.suppress(st.ApiError):
                    await self.svc.delete(
                        t,
                        str(m.get("namespace") or ""),
                        str(m.get("name")),
                        t.storage_version,
                        DeleteOptions(propagation="Background"),
                    )
        if not remaining:
            await self._remove_finalizer(rt, "", name, CRD_FINALIZER)
