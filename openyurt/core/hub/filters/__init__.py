"""Response filters: the per-node rewrites yurthub applies to what the cloud returns (yurthub.md §3).

Edge components are configured for the cloud (kube-proxy sees every endpoint, kubelet the real
apiserver address); the filters make their view node-local without touching them: drop objects, trim
endpoints, point the kubernetes Service at the hub. They run on every object of every filtered
list/watch, so they work on plain wire dicts, return the input itself when nothing changes, copy only
the path they change, and never mutate their input.

A chain is chosen per request from (component, verb, group, resource); ``yurthub`` and the
multiplexer's own requests are never filtered, so shared caches hold raw data. Users add filters
through the ``openyurt.hub.filters`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Protocol, runtime_checkable

import attrs

from openyurt.core.hub.requestinfo import HUB_COMPONENT, MULTIPLEXER_UA_PREFIX, HubRequest

ENTRY_POINT_GROUP: Final = "openyurt.hub.filters"
#: ``--disabled-resource-filters`` value that disables every filter.
DISABLE_ALL: Final = "*"
#: Filters force-disabled in cloud working mode (§0).
DISABLED_IN_CLOUD_MODE: Final = frozenset({"discardcloudservice", "forwardkubesvctraffic", "serviceenvupdater"})
#: Default hub address for masterservice & co. (``--dummy-if-ip``) and port (``--proxy-secure-port``).
DEFAULT_HUB_HOST: Final = "169.254.2.1"
DEFAULT_HUB_PORT: Final = 10268

WireDict = dict[str, Any]
_EMPTY_SERVICES: Mapping[tuple[str, str], WireDict] = MappingProxyType({})
_EMPTY_POOLS: Mapping[str, WireDict] = MappingProxyType({})


@attrs.frozen
class FilterContext:
    """What the filters know about this node; rebuilt by the runtime when an input changes.

    * ``node_name``: this node (servicetopology's hostname rule).
    * ``node_pool``: ``--nodepool-name``, else the node's ``apps.openyurt.io/nodepool`` label; None
      when the node has no pool (nodeportisolation leaves services alone, servicetopology's pool rule
      falls back to the node rule).
    * ``pool_nodes``: members of this node's pool (NodeBucket ``nodes[].name`` union, or NodePool
      ``status.nodes``); None when the pool object was not found, in which case the pool rule leaves
      slices unchanged (upstream's behaviour when its NodePool lookup fails).
    * ``pool_topology``: whether a pool membership source is enabled (``--enable-pool-service-topology``
      or ``--enable-node-pool``); when False only the hostname rule filters.
    * ``services``: (namespace, name) → the Service's apiVersion, kind and metadata (name, namespace,
      labels, annotations, resourceVersion; the hub keeps no spec or status), for servicetopology's
      annotation lookup.
    * ``nodepools``: pool name → NodePool wire dict (informational; no built-in filter needs it).
    * ``hub_host`` / ``hub_port``: the address that replaces the kubernetes Service's (masterservice,
      forwardkubesvctraffic, serviceenvupdater): ``--dummy-if-ip`` (or ``--bind-proxy-address``) and
      ``--proxy-secure-port``.
    * ``api_version``: group/version of the objects being filtered when they do not say it themselves
      (list items); set per request with :meth:`for_api_version`.
    """

    node_name: str
    node_pool: str | None = None
    pool_nodes: frozenset[str] | None = None
    pool_topology: bool = True
    services: Mapping[tuple[str, str], WireDict] = _EMPTY_SERVICES
    nodepools: Mapping[str, WireDict] = _EMPTY_POOLS
    hub_host: str = DEFAULT_HUB_HOST
    hub_port: int = DEFAULT_HUB_PORT
    api_version: str = ""

    # Aliases in the vocabulary of the brief: the "master service" address is the hub address.
    @property
    def master_service_host(self) -> str:
        return self.hub_host

    @property
    def master_service_port(self) -> int:
        return self.hub_port

    @property
    def kubernetes_service_host(self) -> str:
        return self.hub_host

    @property
    def kubernetes_service_port(self) -> int:
        return self.hub_port

    def for_api_version(self, api_version: str) -> FilterContext:
        """This context with ``api_version`` set (cheap; returns self when unchanged)."""
        if api_version == self.api_version:
            return self
        return attrs.evolve(self, api_version=api_version)


@runtime_checkable
class ObjectFilter(Protocol):
    """A response filter.

    * ``name``: the filter's name (``--disabled-resource-filters`` and the yurt-hub-cfg key).
    * ``default_components``: components filtered without configuration.
    * ``resources``: (group, resource) pairs it applies to.
    * ``verbs``: the verbs it applies to (list/watch, plus get/patch for some).
    * ``filter(obj, ctx)``: the filtered object (``obj`` itself when unchanged, a copy otherwise), or
      None to drop it. Must not mutate ``obj`` and must be idempotent.
    * optional ``raw_markers``: byte strings, one of which is in an object's JSON whenever ``filter``
      would change or drop it. The hub then forwards JSON without any of them unparsed (see
      :func:`raw_markers`); a filter without the attribute has every object parsed.
    """

    name: str
    default_components: frozenset[str]
    resources: frozenset[tuple[str, str]]
    verbs: frozenset[str]

    def filter(self, obj: WireDict, ctx: FilterContext) -> WireDict | None: ...


# --------------------------------------------------------------------------------------------------
# Applying a chain


def apply_to_object(filters: tuple[ObjectFilter, ...], obj: WireDict, ctx: FilterContext) -> WireDict | None:
    """Run ``obj`` through ``filters`` in order; None as soon as one drops it."""
    cur: WireDict | None = obj
    for f in filters:
        if cur is None:
            return None
        cur = f.filter(cur, ctx)
    return cur


def apply_to_list(filters: tuple[ObjectFilter, ...], list_obj: WireDict, ctx: FilterContext) -> WireDict:
    """Filter every item of a List; dropped items disappear, list metadata is kept.

    Returns ``list_obj`` itself when no item changed.
    """
    if not filters:
        return list_obj
    items = list_obj.get("items")
    if not isinstance(items, list):
        return list_obj
    api_version = list_obj.get("apiVersion")
    if isinstance(api_version, str):
        ctx = ctx.for_api_version(api_version)
    out: list[Any] = []
    changed = False
    for item in items:
        if not isinstance(item, dict):
            out.append(item)
            continue
        new = apply_to_object(filters, item, ctx)
        if new is not item:
            changed = True
        if new is not None:
            out.append(new)
    if not changed:
        return list_obj
    result = dict(list_obj)
    result["items"] = out
    return result


#: Watch event types whose object is passed through unfiltered.
PASSTHROUGH_EVENTS: Final = frozenset({"BOOKMARK", "ERROR"})


def apply_to_watch_event(filters: tuple[ObjectFilter, ...], event: WireDict, ctx: FilterContext) -> WireDict | None:
    """Filter one watch event (``{"type": ..., "object": ...}``).

    BOOKMARK and ERROR pass unchanged. An object the chain drops reaches the client as a ``DELETED``
    event carrying the original object, so client caches evict it (upstream §3.1). The event type is
    otherwise kept: a MODIFIED of an object that passes again stays MODIFIED (informers treat an
    update of an unknown object as an add). Never returns None today; the Optional leaves room for
    filters that want to swallow events.
    """
    if not filters:
        return event
    etype = event.get("type")
    obj = event.get("object")
    if etype in PASSTHROUGH_EVENTS or not isinstance(obj, dict):
        return event
    new = apply_to_object(filters, obj, ctx)
    if new is None:
        if etype == "DELETED":
            return event
        return {"type": "DELETED", "object": obj}
    if new is obj:
        return event
    return {"type": etype, "object": new}


#: JSON may spell any character as ``\\uXXXX``: text holding an escape can hide a marker.
JSON_ESCAPE: Final = b"\\u"


def raw_markers(filters: tuple[ObjectFilter, ...]) -> tuple[bytes, ...] | None:
    """Byte strings one of which is in the JSON of any object ``filters`` could change; None: no promise.

    Why: most objects pass a chain unchanged (serviceenvupdater only touches pods that pin
    ``KUBERNETES_SERVICE_*``), and proving that from the bytes costs a substring scan where parsing
    costs a JSON decode. The escape ``\\u`` is always a marker, so an escaped spelling of a marker is
    parsed too. Empty tuple: no filters, nothing to look for.
    """
    if not filters:
        return ()
    out: list[bytes] = [JSON_ESCAPE]
    for f in filters:
        markers = getattr(f, "raw_markers", None)
        if not isinstance(markers, tuple | frozenset | list) or not markers:
            return None
        if not all(isinstance(m, bytes) and m for m in markers):
            return None
        out.extend(m for m in markers if m not in out)
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Chains


_NO_FILTERS: tuple[ObjectFilter, ...] = ()


def never_filtered(component: str) -> bool:
    """``yurthub`` and ``multiplexer-proxy-<node>`` are never filtered; neither is an empty component."""
    return not component or component == HUB_COMPONENT or component.startswith(MULTIPLEXER_UA_PREFIX)


@attrs.define(eq=False)
class FilterChain:
    """The enabled filters and which components each applies to; immutable after :func:`build_chain`.

    :meth:`for_request` memoises its answer per (component, verb, group, resource).
    """

    filters: tuple[ObjectFilter, ...]
    #: filter name → components it applies to (defaults plus configured).
    components: Mapping[str, frozenset[str]]
    _memo: dict[tuple[str, str, str, str], tuple[ObjectFilter, ...]] = attrs.field(factory=dict, init=False)

    def for_filters(self, component: str, verb: str, group: str, resource: str) -> tuple[ObjectFilter, ...]:
        """The filters for (component, verb, group, resource), in registration order."""
        key = (component, verb, group, resource)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        if never_filtered(component):
            chosen = _NO_FILTERS
        else:
            chosen = tuple(
                f
                for f in self.filters
                if verb in f.verbs
                and (group, resource) in f.resources
                and component in self.components.get(f.name, frozenset())
            )
        if len(self._memo) < 4096:
            self._memo[key] = chosen
        return chosen

    def for_request(self, req: HubRequest) -> tuple[ObjectFilter, ...]:
        """Filters that apply to ``req`` (empty tuple: stream the response through untouched)."""
        info = req.info
        if not info.is_resource_request or not self.filters:
            return _NO_FILTERS
        return self.for_filters(req.component, info.verb, info.api_group, info.resource)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.filters)


def parse_filter_config(configmap_data: Mapping[str, str] | None, names: Iterable[str]) -> dict[str, frozenset[str]]:
    """The yurt-hub-cfg keys named like a filter: filter name → extra components (comma lists)."""
    out: dict[str, frozenset[str]] = {}
    if not configmap_data:
        return out
    for name in names:
        value = configmap_data.get(name)
        if value:
            out[name] = frozenset(p.strip().lower() for p in value.split(",") if p.strip())
    return out


def build_chain(
    enabled: Iterable[ObjectFilter],
    per_component: Mapping[str, frozenset[str]] | None = None,
    disabled: Iterable[str] = (),
) -> FilterChain:
    """A chain of ``enabled`` filters minus ``disabled`` (names, or ``*`` for all).

    ``per_component`` adds components to a filter (yurt-hub-cfg keys, see :func:`parse_filter_config`);
    a filter's ``default_components`` always stay. Filters keep the order of ``enabled``; a later
    filter with the same name as an earlier one is ignored.
    """
    off = frozenset(disabled)
    if DISABLE_ALL in off:
        return FilterChain((), {})
    extra = per_component or {}
    chosen: list[ObjectFilter] = []
    seen: set[str] = set()
    comps: dict[str, frozenset[str]] = {}
    for f in enabled:
        if f.name in off or f.name in seen:
            continue
        seen.add(f.name)
        chosen.append(f)
        comps[f.name] = frozenset(f.default_components) | extra.get(f.name, frozenset())
    return FilterChain(tuple(chosen), MappingProxyType(comps))


# --------------------------------------------------------------------------------------------------
# Registry


def _builtin() -> tuple[ObjectFilter, ...]:
    from openyurt.core.hub.filters.discardcloudservice import DiscardCloudServiceFilter
    from openyurt.core.hub.filters.forwardkubesvctraffic import ForwardKubeSvcTrafficFilter
    from openyurt.core.hub.filters.inclusterconfig import InClusterConfigFilter
    from openyurt.core.hub.filters.masterservice import MasterServiceFilter
    from openyurt.core.hub.filters.nodeportisolation import NodePortIsolationFilter
    from openyurt.core.hub.filters.serviceenvupdater import ServiceEnvUpdaterFilter
    from openyurt.core.hub.filters.servicetopology import ServiceTopologyFilter

    # upstream's registration order
    return (
        ServiceTopologyFilter(),
        MasterServiceFilter(),
        DiscardCloudServiceFilter(),
        InClusterConfigFilter(),
        NodePortIsolationFilter(),
        ForwardKubeSvcTrafficFilter(),
        ServiceEnvUpdaterFilter(),
    )


class PluginError(ValueError):
    """An ``openyurt.hub.filters`` entry point that does not yield a filter."""


def _is_filter(value: object) -> bool:
    return (
        isinstance(getattr(value, "name", None), str)
        and isinstance(getattr(value, "default_components", None), frozenset | set)
        and isinstance(getattr(value, "resources", None), frozenset | set)
        and isinstance(getattr(value, "verbs", None), frozenset | set)
        and callable(getattr(value, "filter", None))
    )


def as_filter(value: object, origin: str = "") -> ObjectFilter:
    """``value`` if it is a filter, else the result of calling it with no arguments if that is one."""
    # A class that declares the filter attributes is a factory, not a filter: instantiate it.
    if _is_filter(value) and not isinstance(value, type):
        return value  # type: ignore[return-value]
    if callable(value):
        made = value()
        if _is_filter(made):
            return made  # type: ignore[no-any-return]
    raise PluginError(f"{origin or value!r} is neither an ObjectFilter nor a zero-argument factory of one")


BUILTIN_FILTERS: Final[tuple[ObjectFilter, ...]] = _builtin()
#: Built-in filters by name.
BUILTIN_BY_NAME: Final[Mapping[str, ObjectFilter]] = MappingProxyType({f.name: f for f in BUILTIN_FILTERS})


def default_chain(
    configmap_data: Mapping[str, str] | None = None,
    disabled: Iterable[str] = (),
    *,
    cloud_mode: bool = False,
    enable: bool = True,
    plugins: Iterable[ObjectFilter] = (),
) -> FilterChain:
    """The chain yurthub runs: built-ins then plugins, configured by yurt-hub-cfg and the flags.

    ``enable=False`` is ``--enable-resource-filter=false``; cloud mode disables
    :data:`DISABLED_IN_CLOUD_MODE`.
    """
    if not enable:
        return FilterChain((), {})
    all_filters = (*BUILTIN_FILTERS, *plugins)
    off = set(disabled)
    if cloud_mode:
        off |= DISABLED_IN_CLOUD_MODE
    return build_chain(all_filters, parse_filter_config(configmap_data, [f.name for f in all_filters]), off)


__all__ = [
    "BUILTIN_BY_NAME",
    "BUILTIN_FILTERS",
    "DEFAULT_HUB_HOST",
    "DEFAULT_HUB_PORT",
    "DISABLED_IN_CLOUD_MODE",
    "DISABLE_ALL",
    "ENTRY_POINT_GROUP",
    "FilterChain",
    "FilterContext",
    "ObjectFilter",
    "PluginError",
    "apply_to_list",
    "apply_to_object",
    "apply_to_watch_event",
    "as_filter",
    "build_chain",
    "default_chain",
    "never_filtered",
    "parse_filter_config",
    "raw_markers",
]
