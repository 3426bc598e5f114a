"""NodeBucket: shard a pool's member list into objects of at most N names (default 100).

yurthub learns pool membership from NodeBuckets so it need not list every node of a large pool. The
planner follows the node-bucket controller: drop departed nodes from existing buckets, top up shrunk
buckets (largest first), place the rest in one unchanged bucket that can absorb them all (tightest
fit) or in new buckets, and recycle buckets that would be deleted as the new ones (keeping their
name and resourceVersion). Upstream assigns nodes in set-pop order; we use name order.

Bucket names are ``<pool>-<6 characters>``. The core may not draw random numbers, so the suffix comes
from the caller's random source if given, else from a hash of the pool name and a counter (stable,
and checked against existing names).
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from openyurt.core import wellknown
from openyurt.core.api.core_v1 import Node
from openyurt.core.api.openyurt_apps_v1alpha1 import NodeBucket
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.planners._util import Chooser, Create, Delete, Update, WireDict, owner_ref_wire, ref_of
from openyurt.core.planners.revision import fnv1_32
from openyurt.core.plans import Plan

SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
SUFFIX_LENGTH = 6


@attrs.frozen
class NodeBucketConfig:
    #: ``--max-nodes-per-bucket``.
    max_nodes_per_bucket: int = 100


@attrs.frozen
class NodeBucketPlan:
    creates: tuple[Create, ...] = ()
    updates: tuple[Update, ...] = ()
    deletes: tuple[Delete, ...] = ()

    @property
    def plan(self) -> Plan:
        return Plan(creates=self.creates, updates=self.updates, deletes=self.deletes)

    @property
    def is_empty(self) -> bool:
        return not self.plan


def _suffix(pool: str, n: int, rng: Chooser | None) -> str:
    if rng is not None:
        return "".join(rng.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    h = fnv1_32(f"{pool}/{n}".encode())
    out = []
    for _ in range(SUFFIX_LENGTH):
        h, r = divmod(h, len(SUFFIX_ALPHABET))
        out.append(SUFFIX_ALPHABET[r])
        h = h * 2654435761 % 2**32 + n
    return "".join(out)


def _bucket_obj(pool: NodePool, name: str, nodes: Iterable[str], base: NodeBucket | None) -> WireDict:
    names = sorted(nodes)
    meta: WireDict = base.metadata.to_wire() if base is not None else {}
    meta["name"] = name
    meta["labels"] = {**(meta.get("labels") or {}), wellknown.LABEL_OPENYURT_POOL_NAME: pool.name}
    if base is None:
        meta["ownerReferences"] = [owner_ref_wire(pool)]
    return {
        "apiVersion": NodeBucket.info.api_version,
        "kind": "NodeBucket",
        "metadata": meta,
        "numNodes": len(names),
        "nodes": [{"name": n} for n in names],
    }


def plan_node_buckets(
    pool: NodePool,
    nodes: Sequence[Node],
    buckets: Sequence[NodeBucket],
    *,
    now: datetime,
    config: NodeBucketConfig | None = None,
    rng: Chooser | None = None,
) -> NodeBucketPlan:
    """The bucket writes that make ``buckets`` (all NodeBuckets; those of this pool are used) cover
    exactly the pool's members, each bucket holding at most ``max_nodes_per_bucket`` names."""
    del now
    config = config or NodeBucketConfig()
    cap = max(1, config.max_nodes_per_bucket)
    members = {n.name for n in nodes if (n.metadata.labels or {}).get(wellknown.LABEL_NODEPOOL) == pool.name}
    mine = sorted(
        (
            b
            for b in buckets
            if (b.metadata.labels or {}).get(wellknown.LABEL_OPENYURT_POOL_NAME) == pool.name
            and b.metadata.deletion_timestamp is None
        ),
        key=lambda b: b.name,
    )
    assigned: set[str] = set()
    content: dict[str, list[str]] = {}
    changed: set[str] = set()
    for b in mine:
        names = [n.name for n in b.nodes if n.name]
        keep = [n for n in names if n in members and n not in assigned]
        assigned.update(keep)
        content[b.name] = keep
        if keep != names or b.num_nodes != len(keep):
            changed.add(b.name)
    new_nodes = sorted(members - assigned)
    emptied = [b for b in mine if not content[b.name]]
    live = [b for b in mine if content[b.name]]
    # Top up shrunk buckets, largest first.
    for b in sorted((b for b in live if b.name in changed), key=lambda b: (-len(content[b.name]), b.name)):
        room = cap - len(content[b.name])
        if room > 0 and new_nodes:
            content[b.name].extend(new_nodes[:room])
            new_nodes = new_nodes[room:]
    # The rest: one unchanged bucket that takes them all (tightest fit), else new buckets.
    if new_nodes and len(new_nodes) < cap:
        fits = [b for b in live if b.name not in changed and cap - len(content[b.name]) >= len(new_nodes)]
        if fits:
            best = min(fits, key=lambda b: (cap - len(content[b.name]), b.name))
            content[best.name].extend(new_nodes)
            changed.add(best.name)
            new_nodes = []
    chunks = [new_nodes[i : i + cap] for i in range(0, len(new_nodes), cap)]

    creates: list[Create] = []
    updates: list[Update] = []
    deletes: list[Delete] = []
    recycled = list(emptied)
    taken = {b.name for b in buckets}
    counter = 0
    for chunk in chunks:
        if recycled:
            b = recycled.pop(0)
            updates.append(Update(_bucket_obj(pool, b.name, chunk, b)))
            continue
        while True:
            counter += 1
            name = f"{pool.name}-{_suffix(pool.name, counter, rng)}"
            if name not in taken:
                break
        taken.add(name)
        creates.append(Create(_bucket_obj(pool, name, chunk, None)))
    for b in live:
        if b.name in changed:
            updates.append(Update(_bucket_obj(pool, b.name, content[b.name], b)))
    deletes.extend(Delete(ref_of(b), uid=b.metadata.uid) for b in recycled)
    return NodeBucketPlan(tuple(creates), tuple(updates), tuple(deletes))
