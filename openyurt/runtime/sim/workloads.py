"""Minimal Deployment, ReplicaSet, StatefulSet and DaemonSet controllers for the embedded cluster.

Decisions are :mod:`openyurt.core.sim.workloads`; here informers only say *which* workload to look
at, and each reconcile reads the owned objects with a live list (so it sees its own writes and never
double-creates), writes pods/ReplicaSets/ControllerRevisions with controller ownerReferences (the API
server's garbage collector deletes them with their owner) and patches the status.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterable, Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Informer, InformerFactory, Obj
from openyurt.adapters.kube.protocols import Client
from openyurt.core import wellknown
from openyurt.core.sim import workloads as plan
from openyurt.core.sim._wire import (
    WireDict,
    annotations_of,
    dict_list,
    is_terminating,
    meta,
    name_of,
    spec,
    status,
    uid_of,
)
from openyurt.errors import AlreadyExistsError, ConflictError, NotFoundError
from openyurt.runtime.controller import Controller, Request, Result
from openyurt.runtime.sim._base import SimComponent, owned

log = logging.getLogger(__name__)


def _owner_mapper(kind: str) -> Any:
    def mapper(obj: Obj) -> list[Request]:
        for ref in dict_list(meta(obj).get("ownerReferences")):
            if ref.get("controller") and ref.get("kind") == kind:
                return [Request(str(meta(obj).get("namespace") or ""), str(ref.get("name") or ""))]
        return []

    return mapper


def _status_differs(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    st = status(current)
    return any(st.get(k) != v for k, v in wanted.items())


class _WorkloadController(SimComponent):
    api_version = "apps/v1"
    kind = ""
    #: (apiVersion, kind) of what this kind controls: a change to one requeues its controller owner.
    owns: tuple[tuple[str, str], ...] = (("v1", "Pod"),)

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        self.name = f"sim-{self.kind.lower()}-controller"
        self.objects: Informer = self.informers.informer(self.api_version, self.kind)
        self.pods: Informer = self.informers.informer("v1", "Pod")
        self.ctl = Controller(self.name, self._reconcile, clock=clock)
        self.ctl.watch(self.objects)
        for api_version, kind in self.owns:
            self.ctl.watch(self.informers.informer(api_version, kind), _owner_mapper(self.kind))
        self.controllers.append(self.ctl)

    def suffix(self) -> str:
        return "".join(self.rng.choice(plan.SUFFIX_ALPHABET) for _ in range(plan.SUFFIX_LENGTH))

    async def _get(self, req: Request) -> dict[str, Any] | None:
        try:
            obj = await self.client.get(self.api_version, self.kind, req.name, req.namespace)
        except NotFoundError:
            return None
        return None if is_terminating(obj) else obj

    async def _reconcile(self, req: Request) -> Result | None:
        obj = await self._get(req)
        if obj is None:
            return None
        return await self.sync(obj)

    async def sync(self, obj: dict[str, Any]) -> Result | None:
        raise NotImplementedError

    async def _create_pod(self, pod: WireDict, *, generated: bool) -> None:
        for _ in range(5):
            try:
                await self.client.create(pod)
                return
            except AlreadyExistsError:
                if not generated:
                    return
                prefix = pod["metadata"]["name"][: -plan.SUFFIX_LENGTH - 1]
                pod["metadata"]["name"] = plan.generated_name(prefix, self.suffix())

    async def _delete_pods(self, namespace: str, names: Iterable[str]) -> None:
        for n in names:
            with contextlib.suppress(NotFoundError):
                await self.client.delete("v1", "Pod", n, namespace)

    async def _patch_status(self, obj: Mapping[str, Any], wanted: WireDict) -> None:
        if _status_differs(obj, wanted):
            await self.client.patch_status(
                self.api_version, self.kind, name_of(obj), {"status": wanted}, str(meta(obj).get("namespace") or "")
            )


class ReplicaSetController(_WorkloadController):
    """Keeps ``spec.replicas`` pods named ``<rs>-<5 chars>`` for each ReplicaSet."""

    kind = "ReplicaSet"

    async def sync(self, rs: dict[str, Any]) -> Result | None:
        ns = str(meta(rs).get("namespace") or "")
        pods = await owned(self.client, "v1", "Pod", rs, ns)
        diff = plan.replica_diff(plan.desired_replicas(rs), pods)
        for _ in range(diff.create):
            pod = plan.pod_from_template(
                spec(rs).get("template"), owner=rs, name=plan.generated_name(name_of(rs), self.suffix())
            )
            await self._create_pod(pod, generated=True)
        await self._delete_pods(ns, diff.delete)
        if diff.create or diff.delete:
            pods = await owned(self.client, "v1", "Pod", rs, ns)
        await self._patch_status(rs, plan.replicaset_status(rs, pods))
        return None


class DeploymentController(_WorkloadController):
    """Deployment → ReplicaSet ``<deploy>-<hash>``; a template change moves every replica to a new one."""

    kind = "Deployment"
    owns = (("apps/v1", "ReplicaSet"),)

    async def sync(self, deploy: dict[str, Any]) -> Result | None:
        ns = str(meta(deploy).get("namespace") or "")
        rss = await owned(self.client, "apps/v1", "ReplicaSet", deploy, ns)
        p = plan.plan_deployment(deploy, rss)
        if p.create is not None:
            try:
                await self.client.create(p.create)
            except AlreadyExistsError:
                # same name, not ours (or not yet listed): bump collisionCount like upstream
                existing = await self.client.get("apps/v1", "ReplicaSet", p.new_name, ns)
                if uid_of(deploy) not in [r.get("uid") for r in dict_list(meta(existing).get("ownerReferences"))]:
                    count = int(status(deploy).get("collisionCount") or 0) + 1
                    await self.client.patch_status(
                        "apps/v1", "Deployment", name_of(deploy), {"status": {"collisionCount": count}}, ns
                    )
                    return Result(requeue=True)
            return Result(requeue_after=0.05)  # scale and status once the new ReplicaSet is listed
        for rs_name, replicas in sorted(p.scale.items()):
            with contextlib.suppress(NotFoundError):
                await self.client.patch("apps/v1", "ReplicaSet", rs_name, {"spec": {"replicas": replicas}}, ns)
        await self._patch_status(deploy, p.status)
        return None


class StatefulSetController(_WorkloadController):
    """StatefulSet pods ``<sts>-<ordinal>`` with ControllerRevisions ``<sts>-<hash>``."""

    kind = "StatefulSet"

    async def sync(self, sts: dict[str, Any]) -> Result | None:
        ns = str(meta(sts).get("namespace") or "")
        hash_ = plan.template_hash(spec(sts).get("template"), status(sts).get("collisionCount"))
        revisions = await owned(self.client, "apps/v1", "ControllerRevision", sts, ns)
        update_revision = f"{name_of(sts)}-{hash_}"
        if not any(name_of(r) == update_revision for r in revisions):
            rev = plan.controller_revision(sts, hash_, plan.next_revision_number(revisions))
            with contextlib.suppress(AlreadyExistsError):
                await self.client.create(rev)
        current_revision = str(status(sts).get("currentRevision") or update_revision)
        pods = await owned(self.client, "v1", "Pod", sts, ns)
        p = plan.plan_statefulset(sts, pods, update_revision=update_revision, current_revision=current_revision)
        for pod in p.create:
            await self._create_pod(pod, generated=False)
        await self._delete_pods(ns, p.delete)
        await self._patch_status(sts, p.status)
        return None


class DaemonSetController(_WorkloadController):
    """One pod per eligible node, bound directly; OnDelete or RollingUpdate replacement."""

    kind = "DaemonSet"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        self.nodes = self.informers.informer("v1", "Node")
        self.ctl.watch(self.nodes, lambda _n: [Request.of(ds) for ds in self.objects.list()])

    async def sync(self, ds: dict[str, Any]) -> Result | None:
        ns = str(meta(ds).get("namespace") or "")
        name = name_of(ds)
        hash_ = plan.template_hash(spec(ds).get("template"), status(ds).get("collisionCount"))
        revisions = await owned(self.client, "apps/v1", "ControllerRevision", ds, ns)
        mine = next((r for r in revisions if name_of(r) == f"{name}-{hash_}"), None)
        if mine is None:
            number = plan.next_revision_number(revisions)
            with contextlib.suppress(AlreadyExistsError):
                await self.client.create(plan.controller_revision(ds, hash_, number))
        else:
            number = int(mine.get("revision") or 1)
        generation = str(number)
        # the template generation the API server keeps for apps/v1 DaemonSets; daemon-pod-updater reads it
        if annotations_of(ds).get(wellknown.ANNOTATION_DAEMONSET_TEMPLATE_GENERATION) != generation:
            try:
                await self.client.patch(
                    "apps/v1",
                    "DaemonSet",
                    name,
                    {"metadata": {"annotations": {wellknown.ANNOTATION_DAEMONSET_TEMPLATE_GENERATION: generation}}},
                    ns,
                )
            except ConflictError:
                return Result(requeue=True)
        pods = await owned(self.client, "v1", "Pod", ds, ns)
        p = plan.plan_daemonset(ds, self.nodes.list(), pods, hash_=hash_)
        for node in p.create_on:
            pod = plan.daemon_pod(ds, node, hash_=hash_, generation=number, suffix=self.suffix())
            await self._create_pod(pod, generated=True)
        await self._delete_pods(ns, p.delete)
        if p.create_on or p.delete:
            pods = await owned(self.client, "v1", "Pod", ds, ns)
            p2 = plan.plan_daemonset(ds, self.nodes.list(), pods, hash_=hash_)
            await self._patch_status(ds, p2.status)
        else:
            await self._patch_status(ds, p.status)
        return None


class WorkloadControllers(SimComponent):
    """The four workload controllers over one informer factory."""

    name = "sim-workloads"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(client, clock, informers=informers, rng=rng)
        kw: dict[str, Any] = {"informers": self.informers, "rng": self.rng}
        self.replicasets = ReplicaSetController(client, clock, **kw)
        self.deployments = DeploymentController(client, clock, **kw)
        self.statefulsets = StatefulSetController(client, clock, **kw)
        self.daemonsets = DaemonSetController(client, clock, **kw)
        for part in (self.replicasets, self.deployments, self.statefulsets, self.daemonsets):
            self.controllers.extend(part.controllers)
