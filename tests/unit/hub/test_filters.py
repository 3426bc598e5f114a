"""The seven built-in response filters, the chain selection and list/watch application."""

from __future__ import annotations

import copy
import importlib.metadata
from typing import Any

import pytest

from openyurt.core.hub.filters import (
    BUILTIN_BY_NAME,
    BUILTIN_FILTERS,
    FilterContext,
    ObjectFilter,
    PluginError,
    apply_to_list,
    apply_to_object,
    apply_to_watch_event,
    as_filter,
    build_chain,
    default_chain,
    parse_filter_config,
    raw_markers,
)
from openyurt.core.hub.filters.inclusterconfig import comment_kubeconfig
from openyurt.core.hub.filters.nodeportisolation import listen_config, pool_enabled
from openyurt.core.hub.requestinfo import make_request
from openyurt.runtime.hub.plugins import load_plugin_filters

CTX = FilterContext(
    node_name="n1",
    node_pool="hz",
    pool_nodes=frozenset({"n1", "n2"}),
    services={
        ("default", "by-node"): {"metadata": {"annotations": {"openyurt.io/topologyKeys": "kubernetes.io/hostname"}}},
        ("default", "by-pool"): {"metadata": {"annotations": {"openyurt.io/topologyKeys": "openyurt.io/nodepool"}}},
        ("default", "by-zone"): {"metadata": {"annotations": {"openyurt.io/topologyKeys": "kubernetes.io/zone"}}},
        ("default", "other"): {"metadata": {"annotations": {"openyurt.io/topologyKeys": "something"}}},
        ("default", "plain"): {"metadata": {"name": "plain"}},
    },
)


def run(name: str, obj: dict[str, Any], ctx: FilterContext = CTX) -> dict[str, Any] | None:
    before = copy.deepcopy(obj)
    out = BUILTIN_BY_NAME[name].filter(obj, ctx)
    assert obj == before, "filters must not mutate their input"
    return out


# --------------------------------------------------------------------------------------------------
# masterservice


def _svc(ns: str, name: str, **spec: Any) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": {"namespace": ns, "name": name}, "spec": spec}


def test_masterservice_rewrites_kubernetes_service() -> None:
    svc = _svc(
        "default",
        "kubernetes",
        clusterIP="10.96.0.1",
        clusterIPs=["10.96.0.1"],
        ports=[{"name": "https", "port": 443, "targetPort": 6443}, {"name": "other", "port": 80}],
    )
    out = run("masterservice", svc)
    assert out is not None
    assert out["spec"]["clusterIP"] == "169.254.2.1"
    assert out["spec"]["clusterIPs"] == ["169.254.2.1"]
    assert out["spec"]["ports"] == [{"name": "https", "port": 10268, "targetPort": 6443}, {"name": "other", "port": 80}]
    assert run("masterservice", out) == out


def test_masterservice_custom_address_and_other_services_untouched() -> None:
    ctx = FilterContext(node_name="n1", hub_host="127.0.0.1", hub_port=10261)
    out = run(
        "masterservice",
        _svc("default", "kubernetes", clusterIP="10.96.0.1", ports=[{"name": "https", "port": 443}]),
        ctx,
    )
    assert out is not None and out["spec"]["clusterIP"] == "127.0.0.1" and out["spec"]["ports"][0]["port"] == 10261
    other = _svc("kube-system", "kubernetes", clusterIP="10.0.0.9")
    assert run("masterservice", other) is other
    other = _svc("default", "kubernetes2", clusterIP="10.0.0.9")
    assert run("masterservice", other) is other


# --------------------------------------------------------------------------------------------------
# discardcloudservice


@pytest.mark.parametrize(
    ("svc", "dropped"),
    [
        (
            {
                **_svc("a", "lb", type="LoadBalancer"),
                "metadata": {"namespace": "a", "name": "lb", "annotations": {"svc.openyurt.io/discard": "true"}},
            },
            True,
        ),
        (
            {
                **_svc("a", "lb", type="LoadBalancer"),
                "metadata": {"namespace": "a", "name": "lb", "annotations": {"svc.openyurt.io/discard": "True"}},
            },
            False,
        ),
        ({**_svc("a", "lb", type="LoadBalancer"), "metadata": {"namespace": "a", "name": "lb"}}, False),
        (
            {
                **_svc("a", "np", type="NodePort"),
                "metadata": {"namespace": "a", "name": "np", "annotations": {"svc.openyurt.io/discard": "true"}},
            },
            False,
        ),
        (_svc("kube-system", "x-tunnel-server-internal-svc", type="ClusterIP"), True),
        (_svc("default", "x-tunnel-server-internal-svc", type="ClusterIP"), False),
        (_svc("a", "plain"), False),
    ],
)
def test_discardcloudservice(svc: dict[str, Any], dropped: bool) -> None:
    out = run("discardcloudservice", svc)
    assert (out is None) is dropped
    if not dropped:
        assert out is svc


# --------------------------------------------------------------------------------------------------
# servicetopology


def _slice(
    svc: str | None, endpoints: list[dict[str, Any]] | None, version: str = "discovery.k8s.io/v1"
) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": "default", "name": f"{svc}-abc"}
    if svc is not None:
        meta["labels"] = {"kubernetes.io/service-name": svc}
    obj: dict[str, Any] = {"kind": "EndpointSlice", "apiVersion": version, "metadata": meta, "addressType": "IPv4"}
    if endpoints is not None:
        obj["endpoints"] = endpoints
    return obj


def _ep(node: str | None, ip: str = "10.0.0.1") -> dict[str, Any]:
    ep: dict[str, Any] = {"addresses": [ip], "conditions": {"ready": True}}
    if node is not None:
        ep["nodeName"] = node
    return ep


def _ep_beta(node: str | None) -> dict[str, Any]:
    ep: dict[str, Any] = {"addresses": ["10.0.0.1"]}
    if node is not None:
        ep["topology"] = {"kubernetes.io/hostname": node}
    return ep


EPS = [_ep("n1"), _ep("n2"), _ep("n3"), _ep(None)]


def _nodes(obj: dict[str, Any] | None) -> list[str | None]:
    assert obj is not None
    return [e.get("nodeName") for e in obj["endpoints"]]


@pytest.mark.parametrize(
    ("svc", "want"),
    [
        ("by-node", ["n1"]),
        ("by-pool", ["n1", "n2"]),
        ("by-zone", ["n1", "n2"]),
        ("other", ["n1", "n2", "n3", None]),
        ("plain", ["n1", "n2", "n3", None]),
        ("missing", ["n1", "n2", "n3", None]),
    ],
)
def test_servicetopology_v1(svc: str, want: list[str | None]) -> None:
    assert _nodes(run("servicetopology", _slice(svc, EPS))) == want


def test_servicetopology_unchanged_returns_same_object_and_no_label() -> None:
    obj = _slice("plain", EPS)
    assert run("servicetopology", obj) is obj
    obj = _slice(None, EPS)
    assert run("servicetopology", obj) is obj


def test_servicetopology_empty_result_is_an_empty_slice() -> None:
    out = run("servicetopology", _slice("by-node", [_ep("n3")]))
    assert out is not None and out["endpoints"] == []
    out = run("servicetopology", _slice("by-node", None))
    assert out is not None and out["endpoints"] == []


def test_servicetopology_v1beta1_uses_topology_hostname() -> None:
    obj = _slice(
        "by-pool", [_ep_beta("n1"), _ep_beta("n3"), _ep_beta("n2"), _ep_beta(None)], "discovery.k8s.io/v1beta1"
    )
    out = run("servicetopology", obj)
    assert out is not None
    assert [e.get("topology", {}).get("kubernetes.io/hostname") for e in out["endpoints"]] == ["n1", "n2"]


def test_servicetopology_list_items_take_version_from_context() -> None:
    item = _slice("by-node", [_ep_beta("n1"), _ep_beta("n2")])
    del item["apiVersion"]
    lst = {"kind": "EndpointSliceList", "apiVersion": "discovery.k8s.io/v1beta1", "metadata": {}, "items": [item]}
    out = apply_to_list((BUILTIN_BY_NAME["servicetopology"],), lst, CTX)
    assert len(out["items"][0]["endpoints"]) == 1


def test_servicetopology_pool_fallbacks() -> None:
    no_pool = FilterContext(node_name="n1", node_pool=None, services=CTX.services)
    assert _nodes(run("servicetopology", _slice("by-pool", EPS), no_pool)) == ["n1"]
    pool_off = FilterContext(
        node_name="n1", node_pool="hz", pool_nodes=frozenset({"n1", "n2"}), pool_topology=False, services=CTX.services
    )
    assert _nodes(run("servicetopology", _slice("by-pool", EPS), pool_off)) == ["n1", "n2", "n3", None]
    assert _nodes(run("servicetopology", _slice("by-node", EPS), pool_off)) == ["n1"]
    unknown = FilterContext(node_name="n1", node_pool="hz", pool_nodes=None, services=CTX.services)
    assert _nodes(run("servicetopology", _slice("by-pool", EPS), unknown)) == ["n1", "n2", "n3", None]


def test_servicetopology_core_endpoints_pass_through() -> None:
    endpoints = {
        "kind": "Endpoints",
        "apiVersion": "v1",
        "metadata": {"namespace": "default", "name": "by-node"},
        "subsets": [{"addresses": [{"ip": "10.0.0.1", "nodeName": "n3"}]}],
    }
    assert run("servicetopology", endpoints) is endpoints


# --------------------------------------------------------------------------------------------------
# inclusterconfig

KUBE_PROXY_CONF = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
clientConnection:
  acceptContentTypes: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 5
mode: ipvs"""


def test_comment_kubeconfig() -> None:
    out = comment_kubeconfig(KUBE_PROXY_CONF)
    assert "  #kubeconfig: /var/lib/kube-proxy/kubeconfig.conf" in out
    assert out.replace("#kubeconfig", "kubeconfig") == KUBE_PROXY_CONF
    assert comment_kubeconfig(out) == out
    # a value with another colon does not split into exactly two parts: left alone, as upstream
    assert comment_kubeconfig("kubeconfig: c:/x") == "kubeconfig: c:/x"
    assert comment_kubeconfig("kubeconfig:") == "#kubeconfig:"
    assert comment_kubeconfig("\tkubeconfig: x") == "\tkubeconfig: x"


def test_inclusterconfig_only_kube_proxy_configmap() -> None:
    cm = {
        "kind": "ConfigMap",
        "metadata": {"namespace": "kube-system", "name": "kube-proxy"},
        "data": {"config.conf": KUBE_PROXY_CONF, "other": "kubeconfig: x"},
    }
    out = run("inclusterconfig", cm)
    assert out is not None
    assert "#kubeconfig" in out["data"]["config.conf"]
    assert out["data"]["other"] == "kubeconfig: x"
    other = {**cm, "metadata": {"namespace": "default", "name": "kube-proxy"}}
    assert run("inclusterconfig", other) is other
    no_data = {"metadata": {"namespace": "kube-system", "name": "kube-proxy"}}
    assert run("inclusterconfig", no_data) is no_data


# --------------------------------------------------------------------------------------------------
# nodeportisolation


@pytest.mark.parametrize(
    ("value", "pool", "want"),
    [
        ("hz", "hz", True),
        ("bj, hz", "hz", True),
        ("-hz", "hz", False),
        ("*", "hz", True),
        ("*,-hz", "hz", False),
        ("-hz,*", "hz", False),
        ("hz,-hz", "hz", True),  # first mention wins
        ("-hz,hz", "hz", False),
        ("bj", "hz", False),
        ("", "hz", False),
        (" , ", "hz", False),
    ],
)
def test_nodeport_listen_semantics(value: str, pool: str, want: bool) -> None:
    conf = listen_config(value)
    assert (bool(conf) and pool_enabled(conf, pool)) is want


def _np_svc(kind: str, listen: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"namespace": "a", "name": "s"}
    if listen is not None:
        meta["annotations"] = {"nodeport.openyurt.io/listen": listen}
    return {"metadata": meta, "spec": {"type": kind}}


@pytest.mark.parametrize(
    ("svc", "ctx_pool", "kept"),
    [
        (_np_svc("NodePort", "hz"), "hz", True),
        (_np_svc("NodePort", "bj"), "hz", False),
        (_np_svc("LoadBalancer", "-hz,*"), "hz", False),
        (_np_svc("LoadBalancer", "*"), "hz", True),
        (_np_svc("NodePort", ""), "hz", False),
        (_np_svc("NodePort", None), "hz", True),
        (_np_svc("ClusterIP", "bj"), "hz", True),
        (_np_svc("NodePort", "bj"), None, True),  # node outside any pool: native behaviour
    ],
)
def test_nodeportisolation(svc: dict[str, Any], ctx_pool: str | None, kept: bool) -> None:
    ctx = FilterContext(node_name="n1", node_pool=ctx_pool)
    out = run("nodeportisolation", svc, ctx)
    assert (out is svc) if kept else (out is None)


# --------------------------------------------------------------------------------------------------
# forwardkubesvctraffic


def _kube_slice(address_type: str = "IPv4") -> dict[str, Any]:
    return {
        "kind": "EndpointSlice",
        "apiVersion": "discovery.k8s.io/v1",
        "metadata": {"namespace": "default", "name": "kubernetes"},
        "addressType": address_type,
        "endpoints": [{"addresses": ["192.168.0.10"], "conditions": {"ready": True}}, {"addresses": ["192.168.0.11"]}],
        "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
    }


def test_forwardkubesvctraffic_rewrites_kubernetes_slice() -> None:
    out = run("forwardkubesvctraffic", _kube_slice())
    assert out is not None
    assert out["endpoints"] == [{"addresses": ["169.254.2.1"], "conditions": {"ready": True}}]
    assert out["ports"] == [{"name": "https", "port": 10268, "protocol": "TCP"}]
    assert run("forwardkubesvctraffic", out) is out


def test_forwardkubesvctraffic_address_family_and_scope() -> None:
    v6 = _kube_slice("IPv6")
    assert run("forwardkubesvctraffic", v6) is v6
    ctx6 = FilterContext(node_name="n1", hub_host="fd00::2:1")
    out = run("forwardkubesvctraffic", v6, ctx6)
    assert out is not None and out["endpoints"][0]["addresses"] == ["fd00::2:1"]
    v4 = _kube_slice()
    assert run("forwardkubesvctraffic", v4, ctx6) is v4
    other = {**_kube_slice(), "metadata": {"namespace": "default", "name": "kubernetes-x"}}
    assert run("forwardkubesvctraffic", other) is other
    beta = {**_kube_slice(), "apiVersion": "discovery.k8s.io/v1beta1"}
    assert run("forwardkubesvctraffic", beta) is beta


# --------------------------------------------------------------------------------------------------
# serviceenvupdater


def _pod(*containers: list[dict[str, str]], init: list[dict[str, str]] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "env": env} for i, env in enumerate(containers)]}
    if init is not None:
        spec["initContainers"] = [{"name": "init", "env": init}]
    return {"kind": "Pod", "metadata": {"namespace": "a", "name": "p"}, "spec": spec}


def test_serviceenvupdater_rewrites_existing_vars_only() -> None:
    init_env = [{"name": "KUBERNETES_SERVICE_HOST", "value": "10.96.0.1"}]
    pod = _pod(
        [
            {"name": "KUBERNETES_SERVICE_HOST", "value": "10.96.0.1"},
            {"name": "KUBERNETES_SERVICE_PORT", "value": "443"},
            {"name": "X", "value": "1"},
        ],
        [{"name": "KUBERNETES_SERVICE_PORT", "value": "443"}],
        [{"name": "Y", "value": "2"}],
        init=init_env,
    )
    out = run("serviceenvupdater", pod)
    assert out is not None
    c = out["spec"]["containers"]
    assert c[0]["env"] == [
        {"name": "KUBERNETES_SERVICE_HOST", "value": "169.254.2.1"},
        {"name": "KUBERNETES_SERVICE_PORT", "value": "10268"},
        {"name": "X", "value": "1"},
    ]
    assert c[1]["env"] == [{"name": "KUBERNETES_SERVICE_PORT", "value": "10268"}]
    assert c[2] is pod["spec"]["containers"][2]
    assert out["spec"]["initContainers"][0]["env"] == init_env
    assert run("serviceenvupdater", out) is out
    plain = _pod([{"name": "Y", "value": "2"}])
    assert run("serviceenvupdater", plain) is plain


# --------------------------------------------------------------------------------------------------
# Registry, chain, application


def test_builtin_registry_defaults() -> None:
    assert [f.name for f in BUILTIN_FILTERS] == [
        "servicetopology",
        "masterservice",
        "discardcloudservice",
        "inclusterconfig",
        "nodeportisolation",
        "forwardkubesvctraffic",
        "serviceenvupdater",
    ]
    table = {f.name: (f.default_components, f.resources, f.verbs) for f in BUILTIN_FILTERS}
    assert table["masterservice"] == (
        frozenset({"kubelet"}),
        frozenset({("", "services")}),
        frozenset({"list", "watch"}),
    )
    assert table["servicetopology"][0] == frozenset({"kube-proxy", "coredns", "nginx-ingress-controller"})
    assert table["inclusterconfig"][2] == frozenset({"get", "list", "watch"})
    assert table["serviceenvupdater"][2] == frozenset({"list", "watch", "get", "patch"})
    for f in BUILTIN_FILTERS:
        assert isinstance(f, ObjectFilter)


def _r(method: str, path: str, ua: str, **query: str) -> Any:
    return make_request(method, path, query, {"User-Agent": ua})


def test_chain_selection() -> None:
    chain = default_chain()
    names = lambda req: [f.name for f in chain.for_request(req)]  # noqa: E731
    assert names(_r("GET", "/api/v1/services", "kube-proxy/v1")) == ["discardcloudservice", "nodeportisolation"]
    assert names(_r("GET", "/api/v1/services", "kubelet/v1", watch="1")) == ["masterservice"]
    assert names(_r("GET", "/api/v1/namespaces/default/services/kubernetes", "kubelet/v1")) == []
    assert names(_r("GET", "/apis/discovery.k8s.io/v1/endpointslices", "kube-proxy")) == [
        "servicetopology",
        "forwardkubesvctraffic",
    ]
    assert names(_r("GET", "/apis/discovery.k8s.io/v1beta1/endpointslices", "coredns")) == ["servicetopology"]
    assert names(_r("GET", "/api/v1/endpoints", "coredns")) == ["servicetopology"]
    assert names(_r("GET", "/api/v1/namespaces/kube-system/configmaps/kube-proxy", "kubelet")) == ["inclusterconfig"]
    assert names(_r("PATCH", "/api/v1/namespaces/a/pods/p/status", "kubelet")) == ["serviceenvupdater"]
    assert names(_r("GET", "/api/v1/services", "yurthub/v1.7")) == []
    assert names(_r("GET", "/api/v1/services", "multiplexer-proxy-n1")) == []
    assert names(_r("GET", "/api/v1/services", "")) == []
    assert names(_r("GET", "/version", "kubelet")) == []
    assert chain.for_request(_r("GET", "/api/v1/pods", "kubectl")) == ()


def test_chain_configmap_adds_components_and_disable() -> None:
    cfg = {"servicetopology": "Traefik, ", "masterservice": "", "cache_agents": "x"}
    assert parse_filter_config(cfg, ["servicetopology", "masterservice"]) == {"servicetopology": frozenset({"traefik"})}
    chain = default_chain(cfg)
    req = _r("GET", "/apis/discovery.k8s.io/v1/endpointslices", "traefik/2.0")
    assert [f.name for f in chain.for_request(req)] == ["servicetopology"]
    # defaults stay
    assert [f.name for f in chain.for_request(_r("GET", "/api/v1/endpoints", "coredns"))] == ["servicetopology"]
    chain = default_chain(cfg, disabled=["servicetopology"])
    assert chain.for_request(req) == ()
    assert default_chain(disabled=["*"]).filters == ()
    assert default_chain(enable=False).filters == ()
    cloud = default_chain(cloud_mode=True)
    assert set(cloud.names) == {"servicetopology", "masterservice", "inclusterconfig", "nodeportisolation"}


def test_build_chain_dedups_by_name() -> None:
    chain = build_chain([*BUILTIN_FILTERS, BUILTIN_BY_NAME["masterservice"]])
    assert len(chain.filters) == 7


def test_apply_to_list_drops_and_keeps_metadata() -> None:
    lb = {
        "metadata": {"namespace": "a", "name": "lb", "annotations": {"svc.openyurt.io/discard": "true"}},
        "spec": {"type": "LoadBalancer"},
    }
    keep = {"metadata": {"namespace": "a", "name": "keep"}, "spec": {"type": "ClusterIP"}}
    lst = {"kind": "ServiceList", "apiVersion": "v1", "metadata": {"resourceVersion": "42"}, "items": [lb, keep]}
    snapshot = copy.deepcopy(lst)
    out = apply_to_list((BUILTIN_BY_NAME["discardcloudservice"],), lst, CTX)
    assert out["items"] == [keep] and out["metadata"] == {"resourceVersion": "42"} and out["kind"] == "ServiceList"
    assert lst == snapshot
    only_keep = {**lst, "items": [keep]}
    assert apply_to_list((BUILTIN_BY_NAME["discardcloudservice"],), only_keep, CTX) is only_keep
    assert apply_to_list((), lst, CTX) is lst


def test_apply_to_watch_event() -> None:
    f = (BUILTIN_BY_NAME["discardcloudservice"],)
    lb = {
        "metadata": {"namespace": "a", "name": "lb", "annotations": {"svc.openyurt.io/discard": "true"}},
        "spec": {"type": "LoadBalancer"},
    }
    for etype in ("ADDED", "MODIFIED", "DELETED"):
        assert apply_to_watch_event(f, {"type": etype, "object": lb}, CTX) == {"type": "DELETED", "object": lb}
    keep = {"metadata": {"name": "k"}}
    ev = {"type": "MODIFIED", "object": keep}
    assert apply_to_watch_event(f, ev, CTX) is ev
    for etype in ("BOOKMARK", "ERROR"):
        ev = {"type": etype, "object": lb}
        assert apply_to_watch_event(f, ev, CTX) is ev
    ms = (BUILTIN_BY_NAME["masterservice"],)
    kube = _svc("default", "kubernetes", clusterIP="10.96.0.1")
    out = apply_to_watch_event(ms, {"type": "ADDED", "object": kube}, CTX)
    assert out is not None and out["type"] == "ADDED" and out["object"]["spec"]["clusterIP"] == "169.254.2.1"


def test_apply_to_object_stops_at_drop() -> None:
    chain = (BUILTIN_BY_NAME["discardcloudservice"], BUILTIN_BY_NAME["masterservice"])
    assert apply_to_object(chain, _svc("kube-system", "x-tunnel-server-internal-svc"), CTX) is None


class _Tagger:
    name = "tagger"
    default_components = frozenset({"kubelet"})
    resources = frozenset({("", "pods")})
    verbs = frozenset({"list"})

    def filter(self, obj: dict[str, Any], ctx: FilterContext) -> dict[str, Any] | None:
        return {**obj, "tagged": True}


class _EP:
    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self.value = f"mod:{name}"
        self._value = value

    def load(self) -> object:
        return self._value


def test_plugins_object_or_factory() -> None:
    eps = [_EP("obj", _Tagger()), _EP("factory", _Tagger)]
    loaded = load_plugin_filters(lambda: eps)  # type: ignore[arg-type, return-value]
    assert [f.name for f in loaded] == ["tagger", "tagger"]
    chain = default_chain(plugins=loaded[:1])
    assert [f.name for f in chain.for_request(_r("GET", "/api/v1/pods", "kubelet"))] == ["serviceenvupdater", "tagger"]
    with pytest.raises(PluginError, match="bad"):
        load_plugin_filters(lambda: [_EP("bad", 42)])  # type: ignore[arg-type, list-item, return-value]
    with pytest.raises(PluginError):
        as_filter(lambda: "nope")


def test_plugins_from_installed_metadata_is_a_list() -> None:
    assert isinstance(load_plugin_filters(), list)
    assert importlib.metadata.entry_points(group="openyurt.hub.filters") is not None


def test_raw_markers_of_a_chain() -> None:
    env = BUILTIN_BY_NAME["serviceenvupdater"]
    topo = BUILTIN_BY_NAME["servicetopology"]
    assert raw_markers(()) == ()
    assert raw_markers((env,)) == (b"\\u", b"KUBERNETES_SERVICE_")
    assert raw_markers((env, topo)) is None, "a filter without markers has every object parsed"
