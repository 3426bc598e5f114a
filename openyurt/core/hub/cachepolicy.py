"""Which responses yurthub keeps on disk, under which key, and which write wins.

Offline autonomy is only as good as what was cached while online, so the rules here are upstream's
(yurthub.md §2.1-§2.5) exactly: cache only known agents' resource requests (never deletes, proxies,
CSRs, SARs or subresources other than status), key files as
``<component>/<resource>.<version>.<group>/<namespace>/<name>``, never let an older resourceVersion
overwrite a newer one, and refuse to cache a list whose key already holds a different selector (reads
ignore selectors, so two selectors on one directory would serve each other's objects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from openyurt.core.hub.requestinfo import MULTIPLEXER_UA_PREFIX, HubRequest, RequestInfo

#: Base cacheable agents of upstream yurthub, plus our own node agents (openyurt-raven, openyurt-node-agent,
#: openyurt-hub) which play the roles of raven-agent-ds, node-servant and yurthub.
UPSTREAM_CACHE_AGENTS: Final = frozenset(
    {"kubelet", "kube-proxy", "flanneld", "coredns", "raven-agent-ds", "yurttunnel-agent", "yurthub"}
)
OWN_CACHE_AGENTS: Final = frozenset({"openyurt-raven", "openyurt-node-agent", "openyurt-hub"})
DEFAULT_CACHE_AGENTS: Final = UPSTREAM_CACHE_AGENTS | OWN_CACHE_AGENTS
#: Cache-agent wildcard: every client that sends a user agent.
CACHE_ALL: Final = "*"

#: Verbs that are never cached.
UNCACHED_VERBS: Final = frozenset({"delete", "deletecollection", "proxy"})
#: Resources that are never cached.
UNCACHED_RESOURCES: Final = frozenset({"certificatesigningrequests", "subjectaccessreviews"})
#: Non-resource GET paths yurthub fetches itself and keeps for offline use (§1.7).
CACHED_NONRESOURCE_PATHS: Final = frozenset(
    {
        "/version",
        "/apis/discovery.k8s.io/v1",
        "/apis/discovery.k8s.io/v1beta1",
        "/apis/raven.openyurt.io/v1alpha1",
        "/apis/raven.openyurt.io/v1beta1",
    }
)
#: The only in-memory cached (component, resource) pairs (§2.3).
MEMORY_CACHED: Final = frozenset({("kubelet", "nodes"), ("kubelet", "leases")})


def parse_agents(value: str | None) -> frozenset[str]:
    """A comma list (``cache_agents`` or a filter key of yurt-hub-cfg): trimmed, empties dropped."""
    if not value:
        return frozenset()
    return frozenset(p for p in (part.strip() for part in value.split(",")) if p)


def cache_agents(extra_flag: Iterable[str], configmap_value: str | None, node_name: str = "") -> frozenset[str]:
    """The cacheable agents: the defaults, ``extra_flag`` and the configmap's ``cache_agents`` list.

    With ``node_name`` the multiplexer's own UA (``multiplexer-proxy-<node>``) is included as upstream.
    Agents are compared lower-cased, like components.
    """
    out = set(DEFAULT_CACHE_AGENTS)
    out.update(a.strip().lower() for a in extra_flag if a.strip())
    out.update(a.lower() for a in parse_agents(configmap_value))
    if node_name:
        out.add((MULTIPLEXER_UA_PREFIX + node_name).lower())
    return frozenset(out)


def component_cached(component: str, agents: frozenset[str]) -> bool:
    """Whether responses to ``component`` are cached at all (``*`` caches everyone with a UA)."""
    return bool(component) and (component in agents or CACHE_ALL in agents)


def can_cache(req: HubRequest, agents: frozenset[str]) -> bool:
    """Upstream's ``CanCacheFor`` without the list-selector rule (see :func:`check_list_selector`).

    Not cacheable: no component, a component that is not a cache agent, a non-resource request,
    verbs delete/deletecollection/proxy, a subresource other than ``status``, CSRs and SARs. Everything
    else — get/list/watch/create/update/patch — is. Whether a particular response body is stored is
    :func:`storable_object`'s question.
    """
    info = req.info
    if not info.is_resource_request or not component_cached(req.component, agents):
        return False
    if info.verb in UNCACHED_VERBS or not info.verb:
        return False
    if info.subresource and info.subresource != "status":
        return False
    return info.resource not in UNCACHED_RESOURCES


def storable_object(obj: Mapping[str, Any], resource: str) -> bool:
    """Whether a decoded response object may be written: not a Status or Table, not an unbound Pod."""
    kind = obj.get("kind")
    if kind in ("Status", "Table"):
        return False
    if resource == "pods":
        spec = obj.get("spec")
        return isinstance(spec, Mapping) and bool(spec.get("nodeName"))
    return True


def stores_response(req: HubRequest, agents: frozenset[str]) -> bool:
    """Whether the runtime should tee the cloud response of ``req`` into the cache.

    :func:`can_cache` minus Table responses (a Table cannot be stored as objects; upstream's decoder
    fails on it, so nothing is written).
    """
    return req.accept_as != "Table" and can_cache(req, agents)


# --------------------------------------------------------------------------------------------------
# Keys


def gvr_dir(resource: str, version: str, group: str) -> str:
    """``<resource>.<version>.<group>`` with the core group spelled ``core``."""
    return f"{resource}.{version}.{group or 'core'}"


def _component_root(component: str, partial_version: str) -> str:
    if partial_version:
        return f"{component}/partialobjectmetadatas.{partial_version}.meta.k8s.io"
    return component


def cache_key(
    info: RequestInfo,
    component: str,
    obj_namespace: str,
    obj_name: str,
    *,
    partial_version: str = "",
) -> str:
    """The file of one object: ``<component>/<resource>.<version>.<group>/<namespace>/<name>``.

    Cluster-scoped objects (empty namespace) drop the namespace segment; namespaces live at
    ``<component>/namespaces.v1.core/<name>``. ``partial_version`` ("v1"/"v1beta1") puts
    PartialObjectMetadata responses in their own sub-tree (§2.7).
    """
    root = _component_root(component, partial_version)
    base = f"{root}/{gvr_dir(info.resource, info.api_version, info.api_group)}"
    if obj_namespace and info.resource != "namespaces":
        return f"{base}/{obj_namespace}/{obj_name}"
    return f"{base}/{obj_name}"


def request_key(req: HubRequest) -> str:
    """The file a get/update/patch of ``req`` reads or writes (the request's own namespace/name)."""
    return cache_key(req.info, req.component, req.info.namespace, req.info.name, partial_version=_partial(req))


def list_key(req: HubRequest) -> str:
    """The directory a list of ``req`` replaces and reads: ``<component>/<gvr>[/<namespace>]``.

    A cluster-wide list (no namespace) covers every namespace below the resource directory.
    """
    info = req.info
    root = _component_root(req.component, _partial(req))
    base = f"{root}/{gvr_dir(info.resource, info.api_version, info.api_group)}"
    if info.namespace and info.resource != "namespaces":
        return f"{base}/{info.namespace}"
    return base


def _partial(req: HubRequest) -> str:
    return req.accept_as_version if req.is_partial_object_metadata else ""


def nonresource_key(path: str) -> str:
    """Key of a saved non-resource document: ``version`` for /version, else the path with ``/``→``_``."""
    if path.rstrip("/") == "/version":
        return "version"
    return path.replace("/", "_")


def memory_key(info: RequestInfo, namespace: str, name: str) -> str:
    """Key of the in-memory copy of kubelet's nodes/leases: ``<resource>/<namespace>/<name>``."""
    return f"{info.resource}/{namespace}/{name}"


# --------------------------------------------------------------------------------------------------
# Write rules


_UINT64_MAX: Final = 2**64 - 1


def parse_rv(rv: str | None) -> int | None:
    """A resourceVersion as the uint64 upstream compares, None when it is not one."""
    if not rv or not (rv.isascii() and rv.isdigit()):
        return None
    value = int(rv)
    return value if value <= _UINT64_MAX else None


def should_replace(old_rv: str | None, new_rv: str) -> bool:
    """Whether an object with ``new_rv`` may overwrite the cached one with ``old_rv``.

    Nothing cached (``None``) → write. Both numeric → write only if new ≥ old (an equal RV rewrites
    the same object). Either side not a uint64 → write (there is no order to protect).
    """
    old = parse_rv(old_rv)
    new = parse_rv(new_rv)
    if old is None or new is None:
        return True
    return new >= old


def list_selector_of(req: HubRequest) -> str:
    """The selector string remembered per list key: ``<labelSelector>&<fieldSelector>``."""
    q = req.query
    return f"{q.get('labelSelector', '')}&{q.get('fieldSelector', '')}"


SelectorCheck = Literal["register", "ok", "reject"]


def check_list_selector(registered: Mapping[str, str], key: str, selector: str) -> SelectorCheck:
    """The list-selector rule of §2.4 for a list (without name) under ``key``.

    * ``reject``: the key already holds a different selector, or a new key is a prefix or extension
      of a registered one (cluster-wide vs one namespace): do not cache (and do not serve) it.
    * ``register``: first list under this key: remember ``selector`` for it, then cache.
    * ``ok``: same key, same selector.
    """
    old = registered.get(key)
    if old is not None:
        return "ok" if old == selector else "reject"
    for other in registered:
        if (len(other) > len(key) and key in other) or (len(other) < len(key) and other in key):
            return "reject"
    return "register"


def needs_list_selector_check(req: HubRequest) -> bool:
    """The selector rule applies to ``list`` requests without a name."""
    return req.info.verb == "list" and not req.info.name
