"""What a proxied request is: Kubernetes' RequestInfo resolution, the client component, the route.

Every yurthub decision (cache it? filter it? answer it offline? send it to the cloud?) is keyed on the
same few facts the kube-apiserver derives from a URL, so they are computed once per request here, with
the apiserver's own rules (yurthub.md §1.1): verb from method + path + ``watch`` query, the legacy
``/watch/`` prefix, the ``namespaces`` special case, subresources, and the ``metadata.name`` field
selector that turns a list into a named list. Pure and cheap: no regexes, no models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final, Literal

import attrs

from openyurt.core.selectors import SelectorError, parse_field_selector, parse_label_selector

API_PREFIXES: Final = frozenset({"api", "apis"})
GROUPLESS_API_PREFIXES: Final = frozenset({"api"})
#: Path segments that set the verb instead of naming a resource (``/api/v1/watch/pods``).
SPECIAL_VERBS: Final = frozenset({"proxy", "watch"})
#: Special verbs after which the third part is not a subresource.
SPECIAL_VERBS_NO_SUBRESOURCES: Final = frozenset({"proxy"})
#: Subresources of a Namespace object (``/api/v1/namespaces/ns/status``), not namespaced resources.
NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})

_METHOD_VERBS: Final = {
    "POST": "create",
    "GET": "get",
    "HEAD": "get",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}

#: User-agent prefix of the multiplexer's own upstream requests (followed by the node name).
MULTIPLEXER_UA_PREFIX: Final = "multiplexer-proxy-"
#: The hub's own component name (its UA is ``yurthub/<version>``).
HUB_COMPONENT: Final = "yurthub"

_EMPTY_QUERY: Mapping[str, str] = MappingProxyType({})


@attrs.frozen
class RequestInfo:
    """The apiserver's view of a request path (``k8s.io/apiserver`` RequestInfo).

    ``verb`` is one of get/list/watch/create/update/patch/delete/deletecollection/proxy for resource
    requests ("" for an unknown method), and the lower-cased HTTP method for non-resource requests.
    ``parts`` are the path parts from the resource on (``("pods", "x", "status")``); ``path`` is the
    URL path as received. ``name`` is also set for list/watch with a ``metadata.name=X`` field selector.
    """

    is_resource_request: bool
    verb: str
    api_prefix: str = ""
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    parts: tuple[str, ...] = ()
    path: str = ""

    @property
    def group_version(self) -> str:
        """``group/version``, or just ``version`` for the core group."""
        return f"{self.api_group}/{self.api_version}" if self.api_group else self.api_version


def parse_query_bool(value: str) -> bool:
    """A boolean query parameter as the apiserver's parameter codec reads it.

    Only ``0`` and ``false`` (any case) are false; anything else that is present, including the empty
    string (``?watch``) and ``True``/``1``/``yes``, is true.
    """
    return not (value == "0" or value.lower() == "false")


def _valid_path_segment_name(name: str) -> bool:
    # apimachinery path.IsValidPathSegmentName: not "." / ".." and no "/" or "%"
    return name not in (".", "..") and "/" not in name and "%" not in name


def _int64(value: str) -> bool:
    """Whether Go's ``strconv.ParseInt(value, 10, 64)`` accepts ``value``."""
    digits = value[1:] if value[:1] in ("+", "-") else value
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    return -(2**63) <= int(value) < 2**63


def _list_options_decode(query: Mapping[str, str]) -> tuple[bool, str] | None:
    """(watch, name from ``metadata.name`` field selector) like ListOptions decoding; None on error."""
    labels = query.get("labelSelector")
    fields = query.get("fieldSelector")
    for key in ("timeoutSeconds", "limit"):
        raw = query.get(key)
        if raw is not None and not _int64(raw):
            return None
    try:
        if labels:
            parse_label_selector(labels)
        name = ""
        if fields:
            expr = parse_field_selector(fields)
            for req in expr.requirements:
                if req.field == "metadata.name" and req.operator in ("=", "=="):
                    name = req.value
                    break
    except (SelectorError, ValueError):
        return None
    watch = query.get("watch")
    return (watch is not None and parse_query_bool(watch)), name


def split_path(path: str) -> list[str]:
    """``strings.Split(strings.Trim(path, "/"), "/")`` with the empty path giving no parts."""
    trimmed = path.strip("/")
    return trimmed.split("/") if trimmed else []


def resolve(method: str, path: str, query: Mapping[str, str] = _EMPTY_QUERY) -> RequestInfo:
    """Resolve a request like kube-apiserver's RequestInfoFactory (prefixes ``api``/``apis``).

    Never raises: a path the apiserver would reject (``/api/v1/watch`` with nothing after it) is
    reported as a resource request with what could be parsed, as upstream returns it with its error.
    ``query`` holds the first value of each parameter.
    """
    method_verb = method.lower()
    parts = split_path(path)
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return RequestInfo(False, method_verb, path=path)
    prefix = parts[0]
    rest = parts[1:]
    group = ""
    if prefix not in GROUPLESS_API_PREFIXES:
        if len(rest) < 3:
            return RequestInfo(False, method_verb, path=path)
        group = rest[0]
        rest = rest[1:]
    version = rest[0]
    rest = rest[1:]

    if rest[0] in SPECIAL_VERBS:
        if len(rest) < 2:
            # upstream: "unable to determine kind and namespace from url"
            return RequestInfo(True, rest[0], prefix, group, version, path=path)
        verb = rest[0]
        rest = rest[1:]
    else:
        verb = _METHOD_VERBS.get(method.upper(), "")

    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]

    resource = subresource = name = ""
    n = len(rest)
    if n >= 3 and verb not in SPECIAL_VERBS_NO_SUBRESOURCES:
        subresource = rest[2]
    if n >= 2:
        name = rest[1]
    if n >= 1:
        resource = rest[0]

    if not name and verb == "get":
        decoded = _list_options_decode(query)
        if decoded is None:
            raw = query.get("watch")
            verb = "watch" if raw is not None and raw.lower() not in ("false", "0") else "list"
        else:
            watch, selected = decoded
            verb = "watch" if watch else "list"
            if selected and _valid_path_segment_name(selected):
                name = selected
    if not name and verb == "delete":
        verb = "deletecollection"

    return RequestInfo(True, verb, prefix, group, version, namespace, resource, subresource, name, tuple(rest), path)


def resource_path(
    api_group: str,
    api_version: str,
    resource: str,
    namespace: str = "",
    name: str = "",
    subresource: str = "",
) -> str:
    """The canonical URL path of a resource, collection, object or subresource (inverse of resolve)."""
    out = f"/apis/{api_group}/{api_version}" if api_group else f"/api/{api_version}"
    if namespace and resource != "namespaces":
        out += f"/namespaces/{namespace}"
    out += f"/{resource}"
    if name:
        out += f"/{name}"
        if subresource:
            out += f"/{subresource}"
    return out


def component_of(user_agent: str) -> str:
    """The client component yurthub caches and filters by: the lower-cased UA up to the first ``/``.

    ``kube-proxy/v1.30.1 (linux/amd64) kubernetes/abc`` → ``kube-proxy``; an empty UA → ``""`` (never
    cached, never filtered).
    """
    return user_agent.lower().split("/", 1)[0]


# --------------------------------------------------------------------------------------------------
# The request as yurthub sees it


@attrs.frozen
class HubRequest:
    """One proxied request: the facts every hub decision reads, resolved once.

    * ``query``: first value of each query parameter (read-only mapping).
    * ``component``: :func:`component_of` of the UA — "" for non-resource requests, as upstream only
      records a component for resource requests.
    * ``accept``: the raw ``Accept`` header.
    * ``content_type``: the media type of the *response* negotiated the way yurthub does (first clause
      of ``Accept``; if it carries ``as=…`` only the bare media type), "" when no Accept was sent.
    * ``request_content_type``: the ``Content-Type`` header of the request body (echoed by offline
      creates).
    * ``accept_as``: ``PartialObjectMetadata``/``PartialObjectMetadataList``/``Table`` when the first
      Accept clause asks for that transform (``as=`` with a ``meta.k8s.io`` group), else "".
    * ``accept_as_version``: the ``v=`` of that clause normalised to ``v1``/``v1beta1`` ("" if none).
    """

    method: str
    path: str
    query: Mapping[str, str]
    user_agent: str
    component: str
    info: RequestInfo
    accept: str = ""
    content_type: str = ""
    request_content_type: str = ""
    accept_as: str = ""
    accept_as_version: str = ""

    @property
    def is_partial_object_metadata(self) -> bool:
        return self.accept_as in ("PartialObjectMetadata", "PartialObjectMetadataList")

    @property
    def timeout_seconds(self) -> int | None:
        """``timeoutSeconds`` of the query when it is a non-negative integer."""
        raw = self.query.get("timeoutSeconds")
        if raw is None or not raw.isdigit():
            return None
        return int(raw)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lname = name.lower()
        value = headers.get(lname)
        if value is None:
            for key, val in headers.items():
                if key.lower() == lname:
                    return val
            return ""
    return value


def negotiate_accept(accept: str) -> tuple[str, str, str]:
    """(response content type, ``as`` transform, normalised meta version) from an Accept header."""
    first = accept.split(",", 1)[0].strip()
    if not first:
        return "", "", ""
    params = first.split(";")
    media = params[0].strip()
    as_kind = group = version = ""
    has_as = False
    for param in params[1:]:
        key, _, value = param.partition("=")
        key = key.strip()
        value = value.strip()
        if key == "as":
            has_as = True
            as_kind = value
        elif key == "g":
            group = value
        elif key == "v":
            version = value
    if not has_as:
        return first, "", ""
    if "meta.k8s.io" not in group or as_kind not in ("PartialObjectMetadata", "PartialObjectMetadataList", "Table"):
        return media, "", ""
    norm = "v1beta1" if version == "v1beta1" else "v1"
    return media, as_kind, norm


def make_request(
    method: str,
    path: str,
    query: Mapping[str, str] | Iterable[tuple[str, str]],
    headers: Mapping[str, str],
) -> HubRequest:
    """Build the :class:`HubRequest` for one incoming request.

    ``query`` may be a mapping or (key, value) pairs (repeated keys: the first wins, like upstream's
    parameter codec). ``headers`` may be any mapping; names are matched case-insensitively.
    """
    if isinstance(query, Mapping):
        q: Mapping[str, str] = query
    else:
        d: dict[str, str] = {}
        for key, value in query:
            d.setdefault(key, value)
        q = d
    info = resolve(method, path, q)
    ua = _header(headers, "User-Agent")
    accept = _header(headers, "Accept")
    content_type, accept_as, as_version = negotiate_accept(accept)
    return HubRequest(
        method=method.upper(),
        path=path,
        query=MappingProxyType(dict(q)),
        user_agent=ua,
        component=component_of(ua) if info.is_resource_request else "",
        info=info,
        accept=accept,
        content_type=content_type if info.is_resource_request else "",
        request_content_type=_header(headers, "Content-Type"),
        accept_as=accept_as,
        accept_as_version=as_version,
    )


# --------------------------------------------------------------------------------------------------
# Routing (yurthub.md §1.3) and timeouts (§1.1 item 7)

Route = Literal["pool_forward", "multiplexer", "kubelet_lease", "kubelet_node", "cloud_only", "default"]


def is_hub_itself(user_agent: str, node_name: str) -> bool:
    """Requests that pass the readiness gate (§1.2): the hub's own UA or its multiplexer's."""
    return user_agent == MULTIPLEXER_UA_PREFIX + node_name or user_agent.startswith(HUB_COMPONENT)


def route_of(
    req: HubRequest,
    *,
    node_name: str,
    pool_scope: frozenset[tuple[str, str, str]] = frozenset(),
    edge_mode: bool = True,
) -> Route:
    """Which handler of §1.3 serves ``req`` (evaluated in the table's order).

    ``pool_scope`` holds (group, version, resource) of the multiplexed resources.

    * ``pool_forward``: the multiplexer's own upstream list/watch → leader hub, else cloud, else cache.
    * ``multiplexer``: list/watch of a pool-scope resource from anyone else → shared cacher.
    * ``kubelet_lease``: kubelet's lease calls → always the local cache in edge mode (record the renewal).
    * ``kubelet_node``: kubelet's GET of a node → the autonomy handler in edge mode.
    * ``cloud_only``: kubelet's SubjectAccessReviews → the cloud, never a local fallback.
    * ``default``: the cloud when healthy, otherwise the local cache (edge mode).
    """
    info = req.info
    if (
        info.is_resource_request
        and info.verb in ("list", "watch")
        and (info.api_group, info.api_version, info.resource) in pool_scope
    ):
        if req.user_agent == MULTIPLEXER_UA_PREFIX + node_name:
            return "pool_forward"
        return "multiplexer"
    if info.is_resource_request and req.component == "kubelet":
        if info.resource == "leases":
            return "kubelet_lease" if edge_mode else "default"
        if info.resource == "nodes" and info.verb == "get":
            return "kubelet_node" if edge_mode else "default"
        if info.resource == "subjectaccessreviews" and info.verb in ("create", "get"):
            return "cloud_only"
    return "default"


def request_deadline_seconds(req: HubRequest) -> float | None:
    """The deadline yurthub puts on a request (§1.1 item 7), or None for none.

    watch with ``timeoutSeconds=N``: N+15; list with N>2: N-2; get with ``timeout=D`` (Go duration)
    over 2 s: D-2.
    """
    info = req.info
    if not info.is_resource_request:
        return None
    if info.verb in ("watch", "list"):
        n = req.timeout_seconds
        if n is None:
            return None
        if info.verb == "watch":
            return float(n + 15)
        return float(n - 2) if n > 2 else None
    if info.verb == "get":
        raw = req.query.get("timeout")
        seconds = parse_go_duration(raw) if raw else None
        if seconds is not None and seconds > 2:
            return seconds - 2
    return None


_DURATION_UNITS: Final = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_go_duration(text: str) -> float | None:
    """Seconds of a Go ``time.Duration`` string (``1m30s``, ``250ms``, ``-2h``), None if invalid."""
    s = text
    sign = 1.0
    if s and s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        return None
    total = 0.0
    i = 0
    while i < len(s):
        j = i
        while j < len(s) and (s[j].isdigit() or s[j] == "."):
            j += 1
        number = s[i:j]
        if not number or number == "." or number.count(".") > 1:
            return None
        k = j
        while k < len(s) and not (s[k].isdigit() or s[k] == "."):
            k += 1
        unit = _DURATION_UNITS.get(s[j:k])
        if unit is None:
            return None
        total += float(number) * unit
        i = k
    return sign * total
