"""nodeportisolation: a NodePort/LoadBalancer Service listens only in the pools it names.

``nodeport.openyurt.io/listen`` lists pools (``-pool`` excludes, ``*`` means all); kube-proxy on a
node of another pool never sees the Service, so the node port is not opened there.
"""

from __future__ import annotations

from openyurt.core.hub.filters import FilterContext, WireDict
from openyurt.core.wellknown import ANNOTATION_NODEPORT_LISTEN

_NODE_PORT_TYPES = frozenset({"NodePort", "LoadBalancer"})


def listen_config(value: str) -> frozenset[str]:
    """The entries of a listen annotation; the first mention of a pool (with or without ``-``) wins."""
    seen: set[str] = set()
    out: set[str] = set()
    for raw in value.split(","):
        entry = raw.strip()
        bare = entry[1:] if entry.startswith("-") else entry
        if bare and bare not in seen:
            seen.add(bare)
            out.add(entry)
    return frozenset(out)


def pool_enabled(conf: frozenset[str], pool: str) -> bool:
    """Listed explicitly → yes; ``-pool`` → no; ``*`` → yes; otherwise no."""
    if pool in conf:
        return True
    if "-" + pool in conf:
        return False
    return "*" in conf


class NodePortIsolationFilter:
    """Drop annotated NodePort/LoadBalancer Services not enabled for this node's pool."""

    name: str = "nodeportisolation"
    default_components: frozenset[str] = frozenset({"kube-proxy"})
    resources: frozenset[tuple[str, str]] = frozenset({("", "services")})
    verbs: frozenset[str] = frozenset({"list", "watch"})

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None:
        spec = obj.get("spec")
        if not isinstance(spec, dict) or spec.get("type") not in _NODE_PORT_TYPES:
            return obj
        meta = obj.get("metadata")
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        if not isinstance(annotations, dict) or ANNOTATION_NODEPORT_LISTEN not in annotations:
            return obj
        if not ctx.node_pool:
            # a node outside any pool keeps native behaviour
            return obj
        value = annotations[ANNOTATION_NODEPORT_LISTEN]
        conf = listen_config(value if isinstance(value, str) else "")
        if conf and pool_enabled(conf, ctx.node_pool):
            return obj
        return None
