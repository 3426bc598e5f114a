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
from openyurt.core.plans import EMPTY_PLAN, ObjectRef, Plan, Step


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


def _node_taints(node: Node) -> list[WireDict]:
    return [t.to_wire() for t in (node.spec.taints if node.spec else None) or ()]


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


_NO_STRINGS: dict[str, str] = {}  # stands for a missing map; never written to
_POOL_LABEL = wellknown.LABEL_NODEPOOL
_PREV = wellknown.ANNOTATION_PREVIOUS_ATTRIBUTES
_HOSTNETWORK = wellknown.LABEL_HOSTNETWORK
_READY = wellknown.CONDITION_READY
_TAINT_FIELDS = (("key", "key"), ("value", "value"), ("effect", "effect"), ("time_added", "timeAdded"))
_KEY_EFFECT = frozenset(("key", "effect"))
_KEY_VALUE_EFFECT = frozenset(("key", "value", "effect"))


def taint_wire(t: Taint) -> WireDict:
    """``t.to_wire()`` without pydantic's serializer (several times slower on a small model)."""
    if t.__pydantic_extra__:
        return t.to_wire()
    fields, values = t.__pydantic_fields_set__, t.__dict__
    return {key: values[name] for name, key in _TAINT_FIELDS if name in fields}


#: In a node's view: the taint's value follows (a taint without one is just key, effect).
_VALUE = object()

#: A node's label patch, annotation patch and ``spec`` patch (None: its taints stay).
_Parts = tuple[dict[str, str | None], dict[str, str | None], WireDict | None]


@attrs.define
class _Previous:
    """One previous-attributes value: what it makes a node drop, and the patch parts made so far.

    A node's parts depend only on its *view*: its values at ``label_keys`` and ``annotation_keys``
    and its taints' fields. Nodes with equal views share their parts (members mostly look alike):
    what a large reconcile costs is mostly memory, allocated or read.
    """

    drop_labels: tuple[str, ...]
    drop_annotations: tuple[str, ...]
    drop_taints: frozenset[tuple[str, str]]
    label_keys: tuple[str, ...]
    annotation_keys: tuple[str, ...]
    parts: dict[tuple[object, ...], _Parts] = attrs.Factory(dict)


class PoolSync:
    """:func:`node_patch` for every member of one pool, in one pass over the nodes.

    A reconcile of a large pool should cost less than LISTing its nodes, and what it costs is
    mostly memory traffic: so each node is read once (membership, readiness and patch together),
    through its models' ``__dict__``; the pool's side is computed once; each distinct
    previous-attributes value is decoded once (members usually share one); and nodes that look
    alike share their patch parts (:class:`_Previous`). Gives what :func:`node_patch` gives (key
    order aside).
    """

    def __init__(self, pool: NodePool, config: NodePoolConfig) -> None:
        self.pool_name = pool.name
        self.new = PoolAttributes.of_pool(pool)
        self.encoded = self.new.encode()
        self.sync = config.sync_node_attributes
        self.host_network = config.label_host_network and pool.spec is not None and bool(pool.spec.host_network)
        self.new_labels = dict(self.new.labels)
        self.new_annotations = {**dict(self.new.annotations), _PREV: self.encoded}
        # the first taint of each id: a later one with the same id is never added
        first: dict[tuple[str, str], WireDict] = {}
        for t in self.new.taints:
            td = dict(t)
            first.setdefault(_taint_id(td), td)
        self.new_taints = tuple(first.items())
        # the host-network label is set by setdefault after the pool's labels: it only matters when
        # the pool does not set that key itself
        self.label_host_network = self.host_network and _HOSTNETWORK not in self.new_labels

    def _previous(self, raw: str | None) -> _Previous | None:
        """The drops of the previous-attributes value ``raw``, or None if it is the pool's own."""
        old = PoolAttributes.decode(raw)
        if old == self.new:
            return None
        drop_labels = tuple(k for k, _ in old.labels if k not in self.new_labels)
        drop_annotations = tuple(k for k, _ in old.annotations if k not in self.new_annotations)
        return _Previous(
            drop_labels,
            drop_annotations,
            frozenset(_taint_id(dict(t)) for t in old.taints),
            (*drop_labels, *self.new_labels, *((_HOSTNETWORK,) if self.label_host_network else ())),
            (*drop_annotations, *(k for k in self.new_annotations if k != _PREV)),  # _PREV's value is raw
        )

    def _labels(self, prev: _Previous, labels: dict[str, str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {k: None for k in prev.drop_labels if k in labels}
        out.update((k, v) for k, v in self.new_labels.items() if labels.get(k) != v)
        if self.label_host_network and (_HOSTNETWORK not in labels or _HOSTNETWORK in out):
            # dropped by the old pool or never there: setdefault puts it (back) to "true"
            if labels.get(_HOSTNETWORK) == "true":
                del out[_HOSTNETWORK]
            else:
                out[_HOSTNETWORK] = "true"
        return out

    def _annotations(self, prev: _Previous, annotations: dict[str, str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {k: None for k in prev.drop_annotations if k in annotations}
        out.update((k, v) for k, v in self.new_annotations.items() if annotations.get(k) != v)
        return out

    def _taints(self, prev: _Previous, taints: Sequence[Taint]) -> WireDict | None:
        """``spec`` of the patch: the node's taints without those the pool dropped, then the
        pool's it lacks; None if that is what the node has."""
        old = [taint_wire(t) for t in taints]
        kept = [t for t in old if _taint_id(t) not in prev.drop_taints] if prev.drop_taints else old
        present = {_taint_id(t) for t in kept}
        new = kept + [dict(t) for tid, t in self.new_taints if tid not in present]
        return None if new == old else {"taints": new or None}  # a dropped taint can come back equal

    def _parts(
        self, prev: _Previous, labels: dict[str, str], annotations: dict[str, str], taints: Sequence[Taint]
    ) -> _Parts:
        spec = self._taints(prev, taints) if self.new_taints or prev.drop_taints else None
        return self._labels(prev, labels), self._annotations(prev, annotations), spec

    def scan(self, nodes: Sequence[Node]) -> tuple[list[str], list[MergePatch], int]:
        """The members' names (sorted), their patches (in that order) and how many are Ready."""
        pool_name, sync, encoded, host_network = self.pool_name, self.sync, self.encoded, self.host_network
        check_taints = bool(self.new_taints)
        known: dict[str | None, _Previous | None] = {}  # per previous-attributes value
        names: list[str] = []
        patches: list[MergePatch | None] = []  # one per member
        ready = 0
        for node in nodes:
            fields = node.__dict__
            meta_in = fields["metadata"].__dict__
            labels = meta_in["labels"] or _NO_STRINGS
            if labels.get(_POOL_LABEL) != pool_name:
                continue
            name = meta_in["name"] or ""
            names.append(name)
            status = fields["status"]
            for cond in (status.__dict__["conditions"] if status is not None else None) or ():  # node_is_ready
                cond_fields = cond.__dict__
                if cond_fields["type"] == _READY:
                    ready += cond_fields["status"] == "True"
                    break

            annotations = meta_in["annotations"] or _NO_STRINGS
            raw = annotations.get(_PREV) if sync else encoded
            if raw == encoded:
                prev = None
            elif raw in known:
                prev = known[raw]
            else:
                prev = known[raw] = self._previous(raw)
            patch: WireDict
            if prev is None:  # nothing to conciliate: only the host-network label can be missing
                if not host_network or _HOSTNETWORK in labels:
                    patches.append(None)
                    continue
                patch = {"metadata": {"labels": {_HOSTNETWORK: "true"}}}
            else:  # never empty: the previous-attributes annotation changes
                taints: Sequence[Taint] = ()
                tokens: list[object] = []  # the taints' part of the view
                usual = True  # every taint is one of the usual kinds, so the view covers it
                if check_taints or prev.drop_taints:
                    spec = fields["spec"]
                    taints = (spec.__dict__["taints"] if spec is not None else None) or ()
                    for t in taints:
                        values, set_ = t.__dict__, t.__pydantic_fields_set__
                        if t.__pydantic_extra__:
                            usual = False
                            break
                        if set_ == _KEY_EFFECT:
                            tokens.append(values["key"])
                            tokens.append(values["effect"])
                        elif set_ == _KEY_VALUE_EFFECT:
                            tokens.extend((values["key"], values["effect"], _VALUE, values["value"]))
                        else:
                            usual = False
                            break
                if usual:
                    view = (*map(labels.get, prev.label_keys), *map(annotations.get, prev.annotation_keys), *tokens)
                    parts = prev.parts.get(view)
                    if parts is None:
                        parts = prev.parts[view] = self._parts(prev, labels, annotations, taints)
                else:
                    parts = self._parts(prev, labels, annotations, taints)
                lp, ap, spec_patch = parts
                meta: WireDict = {"labels": lp, "annotations": ap} if lp else {"annotations": ap}
                if spec_patch is None:
                    patch = {"metadata": meta}
                else:
                    patch = {"spec": spec_patch, "metadata": meta}
                    if meta_in["resource_version"]:
                        meta["resourceVersion"] = meta_in["resource_version"]
            ref = ObjectRef(fields["api_version"], fields["kind"], name, meta_in["namespace"] or "")
            patches.append(MergePatch(ref, patch))

        if names != sorted(names):  # a cache's LIST is usually sorted already
            order = sorted(range(len(names)), key=names.__getitem__)
            names = [names[i] for i in order]
            patches = [patches[i] for i in order]
        return names, [p for p in patches if p is not None], ready


def plan_nodepool(
    pool: NodePool, nodes: Sequence[Node], *, now: datetime, config: NodePoolConfig | None = None
) -> NodePoolPlan:
    """One reconcile of ``pool``: member node patches and the status counters.

    ``nodes`` may be every node of the cluster or just the members; membership is decided here from
    the pool label. A pool being deleted still counts its members (upstream does too). Node patches
    that are alike share their labels, annotations and taints values: the plan is read-only data
    (the applier sends copies).
    """
    del now  # nothing here depends on time; kept for the common planner shape
    config = config or NodePoolConfig()
    names, patches, ready = PoolSync(pool, config).scan(nodes)
    return _finish(pool, names, ready, patches, config)


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
    ready = sum(1 for n in members if node_is_ready(n))
    return _finish(pool, [n.name for n in members], ready, patches, config)


def _finish(
    pool: NodePool, names: list[str], ready: int, patches: list[MergePatch], config: NodePoolConfig
) -> NodePoolPlan:
    """The pool type label, the status counters and the plan around the node patches (``names``
    and ``ready``: the sorted members and how many are Ready)."""
    status = pool.status
    old_names = sorted(status.nodes or []) if status else []
    status_op = None
    # A missing status reads as Go's zero struct: an empty pool without status needs no write.
    if (
        ((status.ready_node_num if status else None) or 0) != ready
        or ((status.unready_node_num if status else None) or 0) != len(names) - ready
        or old_names != names
    ):
        new_status = status.to_wire() if status is not None else {}
        new_status.update(readyNodeNum=ready, unreadyNodeNum=len(names) - ready, nodes=names)
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
