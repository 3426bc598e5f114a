"""NodePool: push the pool's labels, annotations and taints onto its member nodes, and count them.

Membership is the node label ``apps.openyurt.io/nodepool``. What the pool pushed last time is
remembered on each node in ``nodepool.openyurt.io/previous-attributes`` (Go-marshalled JSON), which is
how a key the pool drops gets removed from the node without touching keys the node had on its own.
That annotation must stay byte-compatible with the Go controller so the two agree on "unchanged".

Upstream only looks at the annotation, not at the node's actual labels, to decide that nothing
changed, so a pool label edited by hand on a node is repaired only when the pool spec changes; we
keep that (a hand edit is the operator's business). Node writes are merge patches: key-wise for
labels and annotations, and the whole taint list (with the resourceVersion as a precondition, since a
list replacement could overwrite a concurrent writer).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node, Taint, node_is_ready
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners._util import MergePatch, WireDict, go_json, ref_of, status_update
from openyurt.core.plans import EMPTY_PLAN, Plan, Step


@attrs.frozen
class NodePoolConfig:
    #: ``--enable-sync-nodepool-configurations`` (default true).
    sync_node_attributes: bool = True
    #: Label members of a hostNetwork pool ``nodepool.openyurt.io/hostnetwork=true`` (upstream's node
    #: webhook does it on the node's next write; doing it here does not wait for one).
    label_host_network: bool = True
    #: Label the pool ``nodepool.openyurt.io/type=<edge|cloud>`` if missing (the create webhook's job).
    label_pool_type: bool = True


@attrs.frozen
class NodePoolPlan:
    """Node patches, a NodePool label patch and the status update; ``members`` sorted by name."""

    plan: Plan = EMPTY_PLAN
    members: tuple[str, ...] = ()
    ready: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.plan


# ==================================================================================================
# previous-attributes


@attrs.frozen
class PoolAttributes:
    """``{labels, annotations, taints}`` as the pool pushes them; taints as wire dicts."""

    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    taints: tuple[tuple[tuple[str, Any], ...], ...] = ()

    @classmethod
    def of_pool(cls, pool: NodePool) -> PoolAttributes:
        spec = pool.spec
        if spec is None:
            return cls()
        return cls(
            tuple(sorted((spec.labels or {}).items())),
            tuple(sorted((spec.annotations or {}).items())),
            tuple(_taint_items(t.to_wire()) for t in spec.taints or ()),
        )

    @classmethod
    def decode(cls, text: str | None) -> PoolAttributes:
        """The annotation's value. Unreadable JSON counts as "nothing pushed before" (upstream
        fails the reconcile forever instead; rewriting the annotation is the useful outcome)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        labels: dict[str, Any] = data["labels"] if isinstance(data.get("labels"), dict) else {}
        annotations: dict[str, Any] = data["annotations"] if isinstance(data.get("annotations"), dict) else {}
        taints: list[Any] = data["taints"] if isinstance(data.get("taints"), list) else []
        return cls(
            tuple(sorted((str(k), str(v)) for k, v in labels.items())),
            tuple(sorted((str(k), str(v)) for k, v in annotations.items())),
            tuple(_taint_items(t) for t in taints if isinstance(t, dict)),
        )

    def encode(self) -> str:
        """Go's ``json.Marshal`` of NodePoolAttributes: omitempty parts, taint fields in struct order."""
        parts = []
        if self.labels:
            parts.append('"labels":' + go_json(dict(self.labels)))
        if self.annotations:
            parts.append('"annotations":' + go_json(dict(self.annotations)))
        if self.taints:
            parts.append('"taints":[' + ",".join(_encode_taint(dict(t)) for t in self.taints) + "]")
        return "{" + ",".join(parts) + "}"


def _taint_items(taint: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple((k, taint[k]) for k in ("key", "value", "effect", "timeAdded") if taint.get(k) not in (None, ""))


def _encode_taint(t: dict[str, Any]) -> str:
    # corev1.Taint field order: key, value (omitempty), effect, timeAdded (omitempty)
    parts = [f'"key":{go_json(t.get("key", ""))}']
    if t.get("value"):
        parts.append(f'"value":{go_json(t["value"])}')
    parts.append(f'"effect":{go_json(t.get("effect", ""))}')
    if t.get("timeAdded"):
        parts.append(f'"timeAdded":{go_json(t["timeAdded"])}')
    return "{" + ",".join(parts) + "}"


def _taint_id(t: dict[str, Any]) -> tuple[str, str]:
    return (str(t.get("key") or ""), str(t.get("effect") or ""))


# ==================================================================================================
# One node


@attrs.frozen
class NodeChange:
    labels: dict[str, str] = attrs.field(hash=False)
    annotations: dict[str, str] = attrs.field(hash=False)
    taints: list[WireDict] = attrs.field(hash=False)
    changed: bool


_TAINT_FIELDS = (("key", "key"), ("value", "value"), ("effect", "effect"), ("time_added", "timeAdded"))


def taint_wire(t: Taint) -> WireDict:
    """``t.to_wire()`` without pydantic's serializer (the hot path of large pools)."""
    if t.model_extra:
        return t.to_wire()
    fields, values = t.model_fields_set, t.__dict__
    return {key: values[name] for name, key in _TAINT_FIELDS if name in fields}


def _node_taints(node: Node) -> list[WireDict]:
    return [taint_wire(t) for t in (node.spec.taints if node.spec else None) or ()]


def conciliate_node(
    node: Node,
    pool: NodePool,
    attrs_: tuple[PoolAttributes, str] | None = None,
    taints_: list[WireDict] | None = None,
) -> NodeChange:
    """``conciliateNode``: the node's labels, annotations and taints after applying the pool.

    ``attrs_`` is the pool's attributes and their encoding, ``taints_`` the node's taints as wire
    data, when the caller computed them already.
    """
    labels = dict(node.metadata.labels or {})
    annotations = dict(node.metadata.annotations or {})
    taints = [dict(t) for t in taints_] if taints_ is not None else _node_taints(node)
    if attrs_ is None:
        new = PoolAttributes.of_pool(pool)
        encoded = new.encode()
    else:
        new, encoded = attrs_
    raw_old = annotations.get(wellknown.ANNOTATION_PREVIOUS_ATTRIBUTES)
    if raw_old == encoded:
        return NodeChange(labels, annotations, taints, False)
    old = PoolAttributes.decode(raw_old)
    if old == new:
        return NodeChange(labels, annotations, taints, False)
    new_labels, new_annotations = dict(new.labels), dict(new.annotations)
    for key, _ in old.labels:
        if key not in new_labels:
            labels.pop(key, None)
    labels.update(new_labels)
    for key, _ in old.annotations:
        if key not in new_annotations:
            annotations.pop(key, None)
    annotations.update(new_annotations)
    old_ids = {_taint_id(dict(t)) for t in old.taints}
    taints = [t for t in taints if _taint_id(t) not in old_ids]
    present = {_taint_id(t) for t in taints}
    for t in new.taints:
        td = dict(t)
        if _taint_id(td) not in present:
            taints.append(td)
            present.add(_taint_id(td))
    annotations[wellknown.ANNOTATION_PREVIOUS_ATTRIBUTES] = encoded
    return NodeChange(labels, annotations, taints, True)


def _map_patch(old: dict[str, str], new: dict[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {k: None for k in old if k not in new}
    out.update({k: v for k, v in new.items() if old.get(k) != v})
    return out


def node_patch(
    node: Node, pool: NodePool, config: NodePoolConfig, attrs_: tuple[PoolAttributes, str] | None = None
) -> MergePatch | None:
    """The merge patch bringing one member node in line with its pool, or None."""
    old_labels = node.metadata.labels or {}
    old_annotations = node.metadata.annotations or {}
    old_taints = _node_taints(node)
    if config.sync_node_attributes:
        change = conciliate_node(node, pool, attrs_, old_taints)
        labels, annotations, taints = change.labels, change.annotations, change.taints
    else:
        labels, annotations, taints = dict(old_labels), dict(old_annotations), old_taints
    if config.label_host_network and pool.spec is not None and pool.spec.host_network:
        labels.setdefault(wellknown.LABEL_HOSTNETWORK, "true")
    meta: WireDict = {}
    lp = _map_patch(old_labels, labels)
    ap = _map_patch(old_annotations, annotations)
    if lp:
        meta["labels"] = lp
    if ap:
        meta["annotations"] = ap
    patch: WireDict = {}
    if taints != old_taints:
        patch["spec"] = {"taints": taints or None}
        if node.metadata.resource_version:
            meta["resourceVersion"] = node.metadata.resource_version
    if meta:
        patch["metadata"] = meta
    if not patch:
        return None
    return MergePatch(ref_of(node), patch)


# ==================================================================================================
# The planner


def pool_members(pool_name: str, nodes: Sequence[Node]) -> list[Node]:
    return [n for n in nodes if (n.metadata.labels or {}).get(wellknown.LABEL_NODEPOOL) == pool_name]


class PoolSync:
    """:func:`node_patch` for every member of one pool, with the pool's side computed once.

    The pool's attributes, their encoding and the host-network rule are fixed per reconcile, and
    members usually share one previous-attributes value, so its decoding (and the keys it makes the
    node drop) is kept per distinct value. Label and annotation patches come straight from the pool's
    maps, without copying the node's; a node whose annotation already equals the encoding needs no
    more than the host-network check. Gives what :func:`node_patch` gives (key order aside).
    """

    def __init__(self, pool: NodePool, config: NodePoolConfig) -> None:
        self.new = PoolAttributes.of_pool(pool)
        self.encoded = self.new.encode()
        self.sync = config.sync_node_attributes
        self.host_network = config.label_host_network and pool.spec is not None and bool(pool.spec.host_network)
        self.new_labels = dict(self.new.labels)
        self.new_annotations = {**dict(self.new.annotations), wellknown.ANNOTATION_PREVIOUS_ATTRIBUTES: self.encoded}
        self.new_taints = [dict(t) for t in self.new.taints]
        self.new_taint_ids = [_taint_id(t) for t in self.new_taints]
        # the host-network label is set by setdefault after the pool's labels: it only matters when
        # the pool does not set that key itself
        self.label_host_network = self.host_network and wellknown.LABEL_HOSTNETWORK not in self.new_labels
        #: previous-attributes value -> (labels, annotations, taint ids to drop), or None if equal to new
        self._old: dict[str | None, tuple[tuple[str, ...], tuple[str, ...], frozenset[tuple[str, str]]] | None] = {}

    def _drops(self, raw: str | None) -> tuple[tuple[str, ...], tuple[str, ...], frozenset[tuple[str, str]]] | None:
        if raw in self._old:
            return self._old[raw]
        old = PoolAttributes.decode(raw)
        out = None
        if old != self.new:
            out = (
                tuple(k for k, _ in old.labels if k not in self.new_labels),
                tuple(k for k, _ in old.annotations if k not in self.new_annotations),
                frozenset(_taint_id(dict(t)) for t in old.taints),
            )
        self._old[raw] = out
        return out

    def patch(self, node: Node) -> MergePatch | None:
        meta_in = node.metadata
        old_labels = meta_in.labels or {}
        drops = None
        if self.sync:
            raw_old = (meta_in.annotations or {}).get(wellknown.ANNOTATION_PREVIOUS_ATTRIBUTES)
            if raw_old != self.encoded:
                drops = self._drops(raw_old)
        if drops is None:  # nothing to conciliate: only the host-network label can be missing
            if self.host_network and wellknown.LABEL_HOSTNETWORK not in old_labels:
                return MergePatch(ref_of(node), {"metadata": {"labels": {wellknown.LABEL_HOSTNETWORK: "true"}}})
            return None
        drop_labels, drop_annotations, drop_taints = drops
        meta: WireDict = {}
        lp = _diff(old_labels, drop_labels, self.new_labels)
        if self.label_host_network and (
            wellknown.LABEL_HOSTNETWORK not in old_labels or wellknown.LABEL_HOSTNETWORK in lp
        ):
            # dropped by the old pool or never there: setdefault puts it (back) to "true"
            if old_labels.get(wellknown.LABEL_HOSTNETWORK) == "true":
                del lp[wellknown.LABEL_HOSTNETWORK]
            else:
                lp[wellknown.LABEL_HOSTNETWORK] = "true"
        if lp:
            meta["labels"] = lp
        ap = _diff(meta_in.annotations or {}, drop_annotations, self.new_annotations)
        if ap:
            meta["annotations"] = ap
        old_taints = _node_taints(node)
        taints = [t for t in old_taints if _taint_id(t) not in drop_taints] if drop_taints else list(old_taints)
        present = {_taint_id(t) for t in taints}
        for tid, t in zip(self.new_taint_ids, self.new_taints, strict=True):
            if tid not in present:
                taints.append(dict(t))
                present.add(tid)
        patch: WireDict = {}
        if taints != old_taints:
            patch["spec"] = {"taints": taints or None}
            if meta_in.resource_version:
                meta["resourceVersion"] = meta_in.resource_version
        if meta:
            patch["metadata"] = meta
        return MergePatch(ref_of(node), patch) if patch else None


def _diff(old: dict[str, str], drop: tuple[str, ...], new: dict[str, str]) -> dict[str, str | None]:
    """``_map_patch(old, <old without drop, updated with new>)`` without building the second map
    (``drop`` holds no key of ``new``)."""
    out: dict[str, str | None] = {}
    for k in drop:
        if k in old:
            out[k] = None
    get = old.get
    for k, v in new.items():
        if get(k) != v:
            out[k] = v
    return out


def plan_nodepool(
    pool: NodePool, nodes: Sequence[Node], *, now: datetime, config: NodePoolConfig | None = None
) -> NodePoolPlan:
    """One reconcile of ``pool``: member node patches and the status counters.

    ``nodes`` may be every node of the cluster or just the members; membership is decided here from
    the pool label. A pool being deleted still counts its members (upstream does too).
    """
    del now  # nothing here depends on time; kept for the common planner shape
    config = config or NodePoolConfig()
    pool_name = pool.name
    members = sorted(
        (n for n in nodes if (n.metadata.labels or {}).get(wellknown.LABEL_NODEPOOL) == pool_name),
        key=_node_name,
    )
    sync = PoolSync(pool, config)
    patches = [p for n in members if (p := sync.patch(n)) is not None]
    return _finish(pool, members, patches, config)


def plan_nodepool_reference(
    pool: NodePool, nodes: Sequence[Node], *, now: datetime, config: NodePoolConfig | None = None
) -> NodePoolPlan:
    """:func:`plan_nodepool` the slow, obvious way (:func:`node_patch` on every member): what the
    property tests compare the planner with."""
    del now
    config = config or NodePoolConfig()
    members = sorted(pool_members(pool.name, nodes), key=lambda n: n.name)
    new = PoolAttributes.of_pool(pool)
    attrs_ = (new, new.encode())
    patches = [p for n in members if (p := node_patch(n, pool, config, attrs_)) is not None]
    return _finish(pool, members, patches, config)


def _finish(pool: NodePool, members: list[Node], patches: list[MergePatch], config: NodePoolConfig) -> NodePoolPlan:
    """The pool type label, the status counters and the plan around the node patches."""
    ready = sum(1 for n in members if node_is_ready(n))
    names = [n.name for n in members]
    status = pool.status
    old_names = sorted(status.nodes or []) if status else []
    status_op = None
    # A missing status reads as Go's zero struct: an empty pool without status needs no write.
    if (
        ((status.ready_node_num if status else None) or 0) != ready
        or ((status.unready_node_num if status else None) or 0) != len(members) - ready
        or old_names != names
    ):
        new_status = status.to_wire() if status is not None else {}
        new_status.update(readyNodeNum=ready, unreadyNodeNum=len(members) - ready, nodes=names)
        if not names:
            new_status.pop("nodes")
        status_op = status_update(pool, new_status)

    steps: list[Step] = []
    if config.label_pool_type and pool.spec is not None and pool.spec.type:
        want = pool.spec.type.lower()
        if (pool.metadata.labels or {}).get(wellknown.LABEL_NODEPOOL_TYPE) != want:
            steps.append(MergePatch(ref_of(pool), {"metadata": {"labels": {wellknown.LABEL_NODEPOOL_TYPE: want}}}))
    steps.extend(patches)
    if status_op is not None:
        steps.append(status_op)
    return NodePoolPlan(Plan.of(steps), tuple(names), ready)


def _node_name(node: Node) -> str:
    return node.name


def taint_key(t: Taint) -> tuple[str, str]:
    """Taint identity as the pool sync sees it: (key, effect); the value is ignored."""
    return (t.key, t.effect)
