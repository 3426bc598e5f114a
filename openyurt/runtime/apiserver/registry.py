"""The table of served resources (built-ins + CRDs) and the discovery documents built from it.

One :class:`ResourceType` per (group, plural) holds every fact the request path needs (scope, served
versions, storage version, subresources, generation rules, schemas, printer columns), so a request is
resolved with one dict lookup. Discovery and OpenAPI documents are rendered once per change of the
table (``generation``) and cached as bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
SUB_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class Scale:
    spec_replicas_path: str
    status_replicas_path: str
    label_selector_path: str | None = None


@dataclass
class ResourceType:
    """One served resource of one group, across all its served versions."""

    group: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    versions: tuple[str, ...]  # served versions, preferred first
    storage_version: str
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    list_kind: str = ""
    status: bool = False
    scale: Scale | None = None
    builtin: bool = True
    #: metadata.generation is maintained (workloads, CRDs, every custom resource)
    generation: bool = False
    #: DELETE answers with the deleted object rather than a Status
    returns_deleted: bool = False
    #: extra subresources: name -> (verbs, kind, group, version)
    extra_subresources: dict[str, tuple[tuple[str, ...], str, str, str]] = field(default_factory=dict)
    #: openAPIV3Schema per version (custom resources only)
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: additionalPrinterColumns per version (custom resources only)
    printer_columns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: selectableFields JSON paths per version (custom resources only)
    selectable_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: name of the CRD that serves this resource
    crd_name: str | None = None
    verbs: tuple[str, ...] = ALL_VERBS

    def __post_init__(self) -> None:
        if not self.list_kind:
            self.list_kind = self.kind + "List"
        self.key_prefix = f"/registry/{self.group or 'core'}/{self.plural}/"

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def key(self, namespace: str, name: str) -> str:
        if self.namespaced:
            return f"{self.key_prefix}{namespace}/{name}"
        return f"{self.key_prefix}{name}"

    def prefix(self, namespace: str | None) -> str:
        if self.namespaced and namespace:
            return f"{self.key_prefix}{namespace}/"
        return self.key_prefix

    @property
    def qualified(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _b(
    group: str,
    version: str,
    kind: str,
    plural: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    cats: tuple[str, ...] = (),
    status: bool = False,
    scale: bool = False,
    generation: bool = False,
    returns_deleted: bool = False,
) -> ResourceType:
    return ResourceType(
        group=group,
        kind=kind,
        plural=plural,
        singular=kind.lower(),
        namespaced=namespaced,
        versions=(version,),
        storage_version=version,
        short_names=short,
        categories=cats,
        status=status,
        scale=Scale(".spec.replicas", ".status.replicas", ".status.selector") if scale else None,
        generation=generation,
        returns_deleted=returns_deleted,
    )


def builtin_types() -> list[ResourceType]:
    """The Kubernetes built-ins this server serves (their facts mirror a real v1.31 server)."""
    pods = _b("", "v1", "Pod", "pods", short=("po",), cats=("all",), status=True, returns_deleted=True)
    pods.extra_subresources["binding"] = (("create",), "Binding", "", "v1")
    crd = _b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        namespaced=False,
        short=("crd", "crds"),
        cats=("api-extensions",),
        status=True,
        generation=True,
    )
    return [
        _b("", "v1", "Namespace", "namespaces", namespaced=False, short=("ns",), status=True),
        _b("", "v1", "Node", "nodes", namespaced=False, short=("no",), status=True),
        pods,
        _b("", "v1", "Service", "services", short=("svc",), cats=("all",), status=True),
        _b("", "v1", "Endpoints", "endpoints", short=("ep",)),
        _b("", "v1", "ConfigMap", "configmaps", short=("cm",)),
        _b("", "v1", "Secret", "secrets"),
        _b("", "v1", "ServiceAccount", "serviceaccounts", short=("sa",), returns_deleted=True),
        _b("", "v1", "Event", "events", short=("ev",)),
        _b("coordination.k8s.io", "v1", "Lease", "leases"),
        # RBAC objects are stored and served (yurt-manager keeps ClusterRole yurt-hub-multiplexer);
        # this server authenticates one bearer token and does not authorize by them.
        _b("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced=False),
        _b("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced=False),
        _b("rbac.authorization.k8s.io", "v1", "Role", "roles"),
        _b("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
        _b(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            short=("deploy",),
            cats=("all",),
            status=True,
            scale=True,
            generation=True,
        ),
        _b(
            "apps",
            "v1",
            "StatefulSet",
            "statefulsets",
            short=("sts",),
            cats=("all",),
            status=True,
            scale=True,
            generation=True,
        ),
        _b("apps", "v1", "DaemonSet", "daemonsets", short=("ds",), cats=("all",), status=True, generation=True),
        _b(
            "apps",
            "v1",
            "ReplicaSet",
            "replicasets",
            short=("rs",),
            cats=("all",),
            status=True,
            scale=True,
            generation=True,
        ),
        _b("apps", "v1", "ControllerRevision", "controllerrevisions"),
        # Jobs are stored and served (yurt-manager's image-preheat controller runs its pre-pull Jobs);
        # no job controller runs them here
        _b("batch", "v1", "Job", "jobs", cats=("all",), status=True, generation=True),
        _b("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
        crd,
    ]


def _canon(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def _version_sort_key(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, higher numbers first (as a sort key, ascending)."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0)
    major = int(m.group(1))
    stage = {"": 0, None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor)


def sort_versions(versions: Iterable[str]) -> list[str]:
    return sorted(versions, key=_version_sort_key)


class Registry:
    """Resources by (group, version, plural); discovery documents cached per table generation."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str], ResourceType] = {}
        self._by_gvr: dict[tuple[str, str, str], ResourceType] = {}
        self._by_kind: dict[tuple[str, str], ResourceType] = {}
        self.generation = 0
        self._cache: dict[Any, Any] = {}
        for t in builtin_types():
            self.add(t)

    # -- table ---------------------------------------------------------------------------------
    def add(self, t: ResourceType) -> None:
        old = self._types.get((t.group, t.plural))
        if old is not None:
            self._unindex(old)
        self._types[(t.group, t.plural)] = t
        for v in t.versions:
            self._by_gvr[(t.group, v, t.plural)] = t
        self._by_kind[(t.group, t.kind)] = t
        self._changed()

    def remove(self, group: str, plural: str) -> None:
        t = self._types.pop((group, plural), None)
        if t is not None:
            self._unindex(t)
            self._changed()

    def _unindex(self, t: ResourceType) -> None:
        for k in [k for k, v in self._by_gvr.items() if v is t]:
            del self._by_gvr[k]
        if self._by_kind.get((t.group, t.kind)) is t:
            del self._by_kind[(t.group, t.kind)]

    def _changed(self) -> None:
        self.generation += 1
        self._cache.clear()

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_gvr.get((group, version, plural))

    def by_group_resource(self, group: str, plural: str) -> ResourceType | None:
        return self._types.get((group, plural))

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((group, kind))

    def types(self) -> list[ResourceType]:
        return list(self._types.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group -> served versions, preferred first; the core group is ``""``."""
        out: dict[str, set[str]] = {}
        for t in self._types.values():
            out.setdefault(t.group, set()).update(t.versions)
        return {g: sort_versions(vs) for g, vs in out.items()}

    def has_group_version(self, group: str, version: str) -> bool:
        return version in self.group_versions().get(group, [])

    # -- legacy discovery ----------------------------------------------------------------------
    def cached(self, key: Any, build: Any) -> Any:
        hit = self._cache.get(key)
        if hit is None:
            hit = build()
            self._cache[key] = hit
        return hit

    def api_versions(self, server_address: str) -> bytes:
        return _canon(
            {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
            }
        )

    def _group_doc(self, group: str, versions: list[str]) -> dict[str, Any]:
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": vs, "preferredVersion": vs[0]}

    def _named_groups(self) -> list[tuple[str, list[str]]]:
        gvs = self.group_versions()
        order = ["apps", "coordination.k8s.io", "discovery.k8s.io", "apiextensions.k8s.io"]
        names = [g for g in order if g in gvs] + sorted(g for g in gvs if g and g not in order)
        return [(g, gvs[g]) for g in names]

    def api_group_list(self) -> bytes:
        def build() -> bytes:
            groups = [self._group_doc(g, vs) for g, vs in self._named_groups()]
            return _canon({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})

        return self.cached("apis", build)  # type: ignore[no-any-return]

    def api_group(self, group: str) -> bytes | None:
        vs = self.group_versions().get(group)
        if not group or not vs:
            return None
        doc = {"kind": "APIGroup", "apiVersion": "v1", **self._group_doc(group, vs)}
        return _canon(doc)

    def _types_in(self, group: str, version: str) -> list[ResourceType]:
        return sorted(
            (t for t in self._types.values() if t.group == group and version in t.versions), key=lambda t: t.plural
        )

    def resource_list(self, group: str, version: str) -> bytes | None:
        if not self.has_group_version(group, version):
            return None

        def build() -> bytes:
            resources: list[dict[str, Any]] = []
            for t in self._types_in(group, version):
                entry: dict[str, Any] = {
                    "name": t.plural,
                    "singularName": t.singular,
                    "namespaced": t.namespaced,
                    "kind": t.kind,
                    "verbs": list(t.verbs),
                }
                if t.short_names:
                    entry["shortNames"] = list(t.short_names)
                if t.categories:
                    entry["categories"] = list(t.categories)
                resources.append(entry)
                if t.status:
                    resources.append(
                        {
                            "name": f"{t.plural}/status",
                            "singularName": "",
                            "namespaced": t.namespaced,
                            "kind": t.kind,
                            "verbs": list(SUB_VERBS),
                        }
                    )
                if t.scale is not None:
                    resources.append(
                        {
                            "name": f"{t.plural}/scale",
                            "singularName": "",
                            "namespaced": t.namespaced,
                            "group": "autoscaling",
                            "version": "v1",
                            "kind": "Scale",
                            "verbs": list(SUB_VERBS),
                        }
                    )
                for sub, (verbs, kind, g, v) in t.extra_subresources.items():
                    e: dict[str, Any] = {
                        "name": f"{t.plural}/{sub}",
                        "singularName": "",
                        "namespaced": t.namespaced,
                        "kind": kind,
                        "verbs": list(verbs),
                    }
                    if g:
                        e["group"], e["version"] = g, v
                    resources.append(e)
            gv = f"{group}/{version}" if group else version
            return _canon({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})

        return self.cached(("rl", group, version), build)  # type: ignore[no-any-return]

    # -- aggregated discovery ------------------------------------------------------------------
    def _agg_group(self, group: str, versions: list[str]) -> dict[str, Any]:
        vdocs = []
        for v in versions:
            res = []
            for t in self._types_in(group, v):
                rk = {"group": group, "version": v, "kind": t.kind}
                entry: dict[str, Any] = {
                    "resource": t.plural,
                    "responseKind": rk,
                    "scope": "Namespaced" if t.namespaced else "Cluster",
                    "singularResource": t.singular,
                    "verbs": list(t.verbs),
                }
                if t.short_names:
                    entry["shortNames"] = list(t.short_names)
                if t.categories:
                    entry["categories"] = list(t.categories)
                subs: list[dict[str, Any]] = []
                if t.status:
                    subs.append({"subresource": "status", "responseKind": rk, "verbs": list(SUB_VERBS)})
                if t.scale is not None:
                    subs.append(
                        {
                            "subresource": "scale",
                            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
                            "verbs": list(SUB_VERBS),
                        }
                    )
                for sub, (verbs, kind, g, sv) in t.extra_subresources.items():
                    subs.append(
                        {
                            "subresource": sub,
                            "responseKind": {"group": g, "version": sv, "kind": kind},
                            "verbs": list(verbs),
                        }
                    )
                if subs:
                    entry["subresources"] = subs
                res.append(entry)
            vdocs.append({"version": v, "resources": res, "freshness": "Current"})
        return {"metadata": {"name": group, "creationTimestamp": None}, "versions": vdocs}

    def aggregated(self, legacy: bool, api_version: str) -> bytes:
        def build() -> bytes:
            gvs = self.group_versions()
            if legacy:
                items = [self._agg_group("", gvs.get("", ["v1"]))]
            else:
                items = [self._agg_group(g, vs) for g, vs in self._named_groups()]
            return _canon({"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items})

        return self.cached(("agg", legacy, api_version), build)  # type: ignore[no-any-return]

    def content_hash(self, data: bytes) -> str:
        return hashlib.sha512(data).hexdigest()[:64].upper()
