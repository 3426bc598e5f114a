"""The minimal ``/openapi/v3`` documents that let ``kubectl apply``/``create -f`` validate by default.

kubectl only needs, per group version, a PATCH operation tagged with the kind's GVK that lists the
``fieldValidation`` query parameter: then it leaves validation to us and sends ``fieldValidation=Strict``.
Strategic merge patch is deliberately not advertised, so kubectl computes it from its compiled-in types.
Custom resources also get their ``openAPIV3Schema`` in ``components.schemas`` (enough for ``explain``).
"""

from __future__ import annotations

import json
from typing import Any

from openyurt.runtime.apiserver.registry import Registry, ResourceType

_PARAMS = [
    {"name": "dryRun", "in": "query", "schema": {"type": "string"}, "uniqueItems": True},
    {"name": "fieldManager", "in": "query", "schema": {"type": "string"}, "uniqueItems": True},
    {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}, "uniqueItems": True},
    {"name": "force", "in": "query", "schema": {"type": "boolean"}, "uniqueItems": True},
]
_BODY = {
    "content": {
        "application/json-patch+json": {"schema": {"type": "object"}},
        "application/merge-patch+json": {"schema": {"type": "object"}},
        "application/apply-patch+yaml": {"schema": {"type": "object"}},
    },
    "required": True,
}


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _schema_name(t: ResourceType, version: str) -> str:
    rev = ".".join(reversed(t.group.split("."))) if t.group else "io.k8s.api.core"
    return f"{rev}.{version}.{t.kind}"


def gv_document(registry: Registry, group: str, version: str) -> bytes | None:
    if not registry.has_group_version(group, version):
        return None

    def build() -> bytes:
        paths: dict[str, Any] = {}
        schemas: dict[str, Any] = {}
        base = "/" + _gv_path(group, version)
        for t in registry.types():
            if t.group != group or version not in t.versions:
                continue
            gvk = {"group": group, "version": version, "kind": t.kind}
            item = (
                f"{base}/namespaces/{{namespace}}/{t.plural}/{{name}}"
                if t.namespaced
                else f"{base}/{t.plural}/{{name}}"
            )
            paths[item] = {
                "patch": {
                    "operationId": f"patch{t.kind}",
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": _PARAMS,
                    "requestBody": _BODY,
                    "responses": {"200": {"description": "OK"}},
                }
            }
            schema = t.schemas.get(version)
            if schema is not None:
                s = dict(schema)
                s["x-kubernetes-group-version-kind"] = [gvk]
                schemas[_schema_name(t, version)] = s
        doc = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": "v1.31.0"},
            "paths": paths,
            "components": {"schemas": schemas},
        }
        return json.dumps(doc, separators=(",", ":")).encode()

    return registry.cached(("openapi", group, version), build)  # type: ignore[no-any-return]


def root_document(registry: Registry) -> bytes:
    def build() -> bytes:
        paths: dict[str, Any] = {}
        for group, versions in sorted(registry.group_versions().items()):
            for v in versions:
                doc = gv_document(registry, group, v)
                assert doc is not None
                p = _gv_path(group, v)
                paths[p] = {"serverRelativeURL": f"/openapi/v3/{p}?hash={registry.content_hash(doc)}"}
        return json.dumps({"paths": paths}, separators=(",", ":")).encode()

    return registry.cached("openapi-root", build)  # type: ignore[no-any-return]
