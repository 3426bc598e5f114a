"""Properties of yurthub's response filters (``openyurt.core.hub.filters``).

- servicetopology_confines_to_pool: when a slice's Service asks for pool topology (and the pool is
  known), no endpoint outside the node's pool survives; for hostname topology only this node's.
- servicetopology_ignores_unannotated: a slice whose Service lacks the annotation is returned as is.
- filters_idempotent_and_pure: for every built-in filter, filtering twice equals filtering once and
  the input object is never modified.
- dropped_watch_objects_become_deleted: an object a chain drops reaches the watch client as a DELETED
  event carrying the original object; kept objects keep their event type; BOOKMARK/ERROR pass as is.
- list_filtering_matches_items: filtering a list equals filtering each item and dropping the Nones,
  with the list's metadata unchanged.
- unmarked_objects_pass_unchanged: an object whose JSON holds none of a chain's ``raw_markers`` is
  returned unchanged by that chain (what lets the hub relay such watch events unparsed).
"""

from __future__ import annotations

import copy
import json
import string
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from openyurt.core.hub.filters import (
    BUILTIN_FILTERS,
    FilterContext,
    ObjectFilter,
    apply_to_list,
    apply_to_object,
    apply_to_watch_event,
    raw_markers,
)
from openyurt.core.hub.filters.servicetopology import ServiceTopologyFilter

NODES = st.sampled_from(["n1", "n2", "n3", "n4", "n5"])
TOPOLOGY = st.sampled_from(["kubernetes.io/hostname", "openyurt.io/nodepool", "kubernetes.io/zone", "other", None])
NS = st.sampled_from(["default", "kube-system", "a"])
NAME = st.sampled_from(["kubernetes", "kube-proxy", "x-tunnel-server-internal-svc", "svc1", "svc2"])
TEXT = st.text(string.ascii_letters + string.digits + ":# \n-/*,", max_size=40)


def _endpoint(node: str | None, beta: bool) -> dict[str, Any]:
    ep: dict[str, Any] = {"addresses": ["10.0.0.1"], "conditions": {"ready": True}}
    if node is not None:
        if beta:
            ep["topology"] = {"kubernetes.io/hostname": node}
        else:
            ep["nodeName"] = node
    return ep


@st.composite
def slices(draw: st.DrawFn) -> dict[str, Any]:
    beta = draw(st.booleans())
    eps = draw(st.lists(st.one_of(NODES, st.none()).map(lambda n: _endpoint(n, beta)), max_size=6))
    meta: dict[str, Any] = {"namespace": draw(NS), "name": draw(NAME)}
    if draw(st.booleans()):
        meta["labels"] = {"kubernetes.io/service-name": draw(NAME)}
    return {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1beta1" if beta else "discovery.k8s.io/v1",
        "metadata": meta,
        "addressType": draw(st.sampled_from(["IPv4", "IPv6"])),
        "endpoints": eps,
        "ports": [{"name": draw(st.sampled_from(["https", "http"])), "port": 443}],
    }


@st.composite
def services(draw: st.DrawFn) -> dict[str, Any]:
    annotations: dict[str, str] = {}
    if draw(st.booleans()):
        annotations["svc.openyurt.io/discard"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.booleans()):
        annotations["nodeport.openyurt.io/listen"] = draw(
            st.sampled_from(["hz", "-hz", "*", "*,-hz", "bj", "", "bj,hz"])
        )
    if draw(st.booleans()):
        annotations["openyurt.io/topologyKeys"] = draw(TOPOLOGY.filter(lambda t: t is not None))
    spec: dict[str, Any] = {"type": draw(st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer"]))}
    if draw(st.booleans()):
        spec["clusterIP"] = "10.96.0.1"
        spec["ports"] = [{"name": draw(st.sampled_from(["https", "web"])), "port": 443}]
    return {
        "kind": "Service",
        "apiVersion": "v1",
        "metadata": {"namespace": draw(NS), "name": draw(NAME), "annotations": annotations},
        "spec": spec,
    }


@st.composite
def configmaps(draw: st.DrawFn) -> dict[str, Any]:
    lines = draw(
        st.lists(
            st.one_of(
                TEXT, st.sampled_from(["kubeconfig: /x", "  kubeconfig: /y", "#kubeconfig: /z", "kubeconfig:a:b"])
            ),
            max_size=5,
        )
    )
    return {
        "kind": "ConfigMap",
        "metadata": {"namespace": draw(NS), "name": draw(NAME)},
        "data": {"config.conf": "\n".join(lines)},
    }


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    env_var = st.builds(
        lambda n, v: {"name": n, "value": v},
        st.sampled_from(["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "OTHER"]),
        st.sampled_from(["10.96.0.1", "443", "169.254.2.1", "10268"]),
    )
    containers = draw(
        st.lists(st.builds(lambda env: {"name": "c", "env": env}, st.lists(env_var, max_size=4)), max_size=3)
    )
    return {"kind": "Pod", "metadata": {"namespace": draw(NS), "name": "p"}, "spec": {"containers": containers}}


OBJECTS = st.one_of(slices(), services(), configmaps(), pods())


@st.composite
def contexts(draw: st.DrawFn) -> FilterContext:
    svc_table: dict[tuple[str, str], dict[str, Any]] = {}
    for ns in ("default", "kube-system", "a"):
        for name in ("kubernetes", "kube-proxy", "x-tunnel-server-internal-svc", "svc1", "svc2"):
            topo = draw(TOPOLOGY)
            if topo is not None:
                svc_table[(ns, name)] = {"metadata": {"annotations": {"openyurt.io/topologyKeys": topo}}}
    pool_nodes = draw(st.one_of(st.none(), st.frozensets(NODES).map(lambda s: s | {"n1"})))
    return FilterContext(
        node_name="n1",
        node_pool=draw(st.sampled_from(["hz", "bj", None])),
        pool_nodes=pool_nodes,
        pool_topology=draw(st.booleans()),
        services=svc_table,
        hub_host=draw(st.sampled_from(["169.254.2.1", "fd00::2:1"])),
        hub_port=draw(st.sampled_from([10268, 10261])),
    )


def _endpoint_node(ep: dict[str, Any]) -> str | None:
    return ep.get("nodeName") or ep.get("topology", {}).get("kubernetes.io/hostname")


@given(slices(), contexts())
def test_servicetopology_confines_to_pool(obj: dict[str, Any], ctx: FilterContext) -> None:
    out = ServiceTopologyFilter().filter(obj, ctx)
    assert out is not None
    labels = obj["metadata"].get("labels", {})
    svc = ctx.services.get((obj["metadata"]["namespace"], labels.get("kubernetes.io/service-name", "")))
    topo = svc["metadata"]["annotations"]["openyurt.io/topologyKeys"] if svc else None
    nodes = [_endpoint_node(ep) for ep in out["endpoints"]]
    if topo == "kubernetes.io/hostname" or (
        topo in ("openyurt.io/nodepool", "kubernetes.io/zone") and ctx.pool_topology and not ctx.node_pool
    ):
        assert all(n == "n1" for n in nodes)
    elif topo in ("openyurt.io/nodepool", "kubernetes.io/zone") and ctx.pool_topology and ctx.pool_nodes is not None:
        assert all(n in ctx.pool_nodes for n in nodes)
    # whatever the rule, survivors are endpoints of the input, in order
    remaining = iter(obj["endpoints"])
    assert all(any(ep == cand for cand in remaining) for ep in out["endpoints"])


@given(slices(), contexts())
def test_servicetopology_ignores_unannotated(obj: dict[str, Any], ctx: FilterContext) -> None:
    bare = FilterContext(node_name=ctx.node_name, node_pool=ctx.node_pool, pool_nodes=ctx.pool_nodes, services={})
    assert ServiceTopologyFilter().filter(obj, bare) is obj


@given(OBJECTS, contexts(), st.sampled_from(BUILTIN_FILTERS))
def test_filters_idempotent_and_pure(obj: dict[str, Any], ctx: FilterContext, f: ObjectFilter) -> None:
    snapshot = copy.deepcopy(obj)
    once = f.filter(obj, ctx)
    assert obj == snapshot
    if once is None:
        return
    once_snapshot = copy.deepcopy(once)
    twice = f.filter(once, ctx)
    assert once == once_snapshot
    assert twice == once


CHAINS = st.lists(st.sampled_from(BUILTIN_FILTERS), min_size=1, max_size=4, unique_by=lambda f: f.name).map(tuple)


@given(OBJECTS, contexts(), CHAINS, st.sampled_from(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]))
def test_dropped_watch_objects_become_deleted(
    obj: dict[str, Any], ctx: FilterContext, chain: tuple[ObjectFilter, ...], etype: str
) -> None:
    snapshot = copy.deepcopy(obj)
    event = {"type": etype, "object": obj}
    out = apply_to_watch_event(chain, event, ctx)
    assert out is not None
    if etype in ("BOOKMARK", "ERROR"):
        assert out is event
        return
    filtered = apply_to_object(chain, snapshot, ctx)
    if filtered is None:
        assert out == {"type": "DELETED", "object": snapshot}
    else:
        assert out == {"type": etype, "object": filtered}
    assert obj == snapshot


@given(st.lists(OBJECTS, max_size=6), contexts(), CHAINS)
def test_list_filtering_matches_items(
    items: list[dict[str, Any]], ctx: FilterContext, chain: tuple[ObjectFilter, ...]
) -> None:
    lst = {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "9"}, "items": items}
    snapshot = copy.deepcopy(lst)
    out = apply_to_list(chain, lst, ctx.for_api_version("v1"))
    expected = [
        r
        for r in (apply_to_object(chain, copy.deepcopy(i), ctx.for_api_version("v1")) for i in snapshot["items"])
        if r is not None
    ]
    assert out["items"] == expected
    assert out["metadata"] == {"resourceVersion": "9"}
    assert lst == snapshot


@given(OBJECTS, contexts(), st.booleans())
def test_unmarked_objects_pass_unchanged(obj: dict[str, Any], ctx: FilterContext, ascii_only: bool) -> None:
    for f in BUILTIN_FILTERS:
        markers = raw_markers((f,))
        if markers is None:
            continue
        raw = json.dumps(obj, separators=(",", ":"), ensure_ascii=ascii_only).encode()
        if not any(m in raw for m in markers):
            assert f.filter(obj, ctx) is obj, f.name
