"""CustomResourceDefinitions: validating a CRD, turning it into a served resource, and its status.

The embedded server establishes a CRD synchronously (before the create answers) so ``kubectl apply -f
crd.yaml`` followed by ``kubectl apply -f cr.yaml`` works, but still writes the ``NamesAccepted`` and
``Established`` conditions clients wait for. Schemas are checked for structure with
``openyurt.core.openapi`` and kept on the :class:`ResourceType` for pruning, defaulting and validation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from openyurt.core import openapi
from openyurt.core.api import FieldError
from openyurt.runtime.apiserver.registry import ResourceType, Scale, sort_versions

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_VERSION = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

CRD_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def validate_crd(crd: dict[str, Any]) -> list[FieldError]:
    """What the real server rejects in a CRD (a practical subset), each naming its field."""
    errs: list[FieldError] = []
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [FieldError("spec", "Required value", "FieldValueRequired")]
    group = spec.get("group")
    if not isinstance(group, str) or not group or not _DNS_SUBDOMAIN.match(group) or "." not in group:
        errs.append(FieldError("spec.group", "should be a domain with at least one dot"))
    names = spec.get("names")
    if not isinstance(names, dict):
        errs.append(FieldError("spec.names", "Required value", "FieldValueRequired"))
        names = {}
    plural = names.get("plural")
    if not isinstance(plural, str) or not _DNS_LABEL.match(plural):
        errs.append(FieldError("spec.names.plural", "Required value: a lowercase DNS-1035 label", "FieldValueRequired"))
    kind = names.get("kind")
    if not isinstance(kind, str) or not _KIND.match(kind):
        errs.append(FieldError("spec.names.kind", "Required value", "FieldValueRequired"))
    for f in ("singular", "listKind"):
        v = names.get(f)
        if v is not None and (not isinstance(v, str) or (f == "singular" and v and not _DNS_LABEL.match(v))):
            errs.append(FieldError(f"spec.names.{f}", "Invalid value"))
    for f in ("shortNames", "categories"):
        v = names.get(f)
        if v is not None and not _str_list(v):
            errs.append(FieldError(f"spec.names.{f}", "Invalid value: must be a list of strings"))
    name = (crd.get("metadata") or {}).get("name")
    if isinstance(plural, str) and isinstance(group, str) and name != f"{plural}.{group}":
        errs.append(FieldError("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        errs.append(
            FieldError(
                "spec.scope", 'Unsupported value: supported values: "Cluster", "Namespaced"', "FieldValueNotSupported"
            )
        )
    versions = spec.get("versions")
    if not isinstance(versions, list) or not versions:
        errs.append(
            FieldError(
                "spec.versions",
                "Required value: must have exactly one version marked as storage version",
                "FieldValueRequired",
            )
        )
        return errs
    storage = 0
    seen: set[str] = set()
    for i, v in enumerate(versions):
        p = f"spec.versions[{i}]"
        if not isinstance(v, dict):
            errs.append(FieldError(p, "Invalid value: must be an object"))
            continue
        vname = v.get("name")
        if not isinstance(vname, str) or not _VERSION.match(vname):
            errs.append(FieldError(f"{p}.name", "Invalid value: must be a DNS-1035 label"))
        elif vname in seen:
            errs.append(FieldError(f"{p}.name", f'Duplicate value: "{vname}"', "FieldValueDuplicate"))
        else:
            seen.add(vname)
        for b in ("served", "storage"):
            if not isinstance(v.get(b), bool):
                errs.append(FieldError(f"{p}.{b}", "Required value: must be a boolean", "FieldValueRequired"))
        if v.get("storage") is True:
            storage += 1
        schema = (v.get("schema") or {}).get("openAPIV3Schema") if isinstance(v.get("schema"), dict) else None
        if schema is None:
            errs.append(
                FieldError(f"{p}.schema.openAPIV3Schema", "Required value: schemas are required", "FieldValueRequired")
            )
        elif not isinstance(schema, dict):
            errs.append(FieldError(f"{p}.schema.openAPIV3Schema", "Invalid value: must be an object"))
        else:
            for msg in openapi.is_structural(schema):
                errs.append(FieldError(f"{p}.schema.openAPIV3Schema", msg))
        subs = v.get("subresources")
        if subs is not None:
            if not isinstance(subs, dict):
                errs.append(FieldError(f"{p}.subresources", "Invalid value: must be an object"))
            else:
                sc = subs.get("scale")
                if sc is not None and not (
                    isinstance(sc, dict)
                    and isinstance(sc.get("specReplicasPath"), str)
                    and isinstance(sc.get("statusReplicasPath"), str)
                    and isinstance(sc.get("labelSelectorPath", ""), str)
                ):
                    errs.append(
                        FieldError(
                            f"{p}.subresources.scale",
                            "Invalid value: specReplicasPath and statusReplicasPath are required",
                        )
                    )
        cols = v.get("additionalPrinterColumns")
        if cols is not None:
            if not isinstance(cols, list):
                errs.append(FieldError(f"{p}.additionalPrinterColumns", "Invalid value: must be a list"))
            else:
                for j, c in enumerate(cols):
                    if not (
                        isinstance(c, dict)
                        and isinstance(c.get("name"), str)
                        and isinstance(c.get("jsonPath"), str)
                        and isinstance(c.get("type"), str)
                    ):
                        errs.append(
                            FieldError(
                                f"{p}.additionalPrinterColumns[{j}]",
                                "Required value: name, type and jsonPath are required",
                                "FieldValueRequired",
                            )
                        )
                    elif "priority" in c and not isinstance(c["priority"], int):
                        errs.append(FieldError(f"{p}.additionalPrinterColumns[{j}].priority", "Invalid value"))
        sel = v.get("selectableFields")
        if sel is not None and not (
            isinstance(sel, list) and all(isinstance(s, dict) and isinstance(s.get("jsonPath"), str) for s in sel)
        ):
            errs.append(FieldError(f"{p}.selectableFields", "Invalid value: each needs a jsonPath"))
    if storage != 1:
        errs.append(
            FieldError("spec.versions", "Invalid value: must have exactly one version marked as storage version")
        )
    return errs


def crd_defaults(crd: dict[str, Any]) -> None:
    """Fill the defaults a real server sets on a CRD (in place)."""
    spec = crd["spec"]
    names = spec["names"]
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", names["kind"] + "List")
    spec.setdefault("conversion", {"strategy": "None"})


def crd_status(crd: dict[str, Any], now: str, old_status: dict[str, Any] | None) -> dict[str, Any]:
    spec = crd["spec"]
    names = dict(spec["names"])
    stored = list((old_status or {}).get("storedVersions") or [])
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    if storage not in stored:
        stored.append(storage)
    return {
        "acceptedNames": names,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "lastTransitionTime": now,
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
        "storedVersions": stored,
    }


def crd_to_type(crd: dict[str, Any]) -> ResourceType:
    """The served resource of a valid (defaulted) CRD."""
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec["versions"] if v.get("served")]
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    order = sort_versions(v["name"] for v in served)
    status = any(isinstance(v.get("subresources"), dict) and "status" in v["subresources"] for v in served)
    scale: Scale | None = None
    for v in served:
        sc = (v.get("subresources") or {}).get("scale")
        if isinstance(sc, dict):
            scale = Scale(sc["specReplicasPath"], sc["statusReplicasPath"], sc.get("labelSelectorPath"))
    t = ResourceType(
        group=spec["group"],
        kind=names["kind"],
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        namespaced=spec["scope"] == "Namespaced",
        versions=tuple(order),
        storage_version=storage,
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        list_kind=names.get("listKind") or names["kind"] + "List",
        status=status,
        scale=scale,
        builtin=False,
        generation=True,
        crd_name=crd["metadata"]["name"],
    )
    for v in spec["versions"]:
        schema = (v.get("schema") or {}).get("openAPIV3Schema")
        if isinstance(schema, dict):
            t.schemas[v["name"]] = schema
        t.printer_columns[v["name"]] = list(v.get("additionalPrinterColumns") or [])
        t.selectable_fields[v["name"]] = tuple(
            s["jsonPath"].lstrip(".") for s in (v.get("selectableFields") or []) if isinstance(s, dict)
        )
    return t


def default_crd_dir() -> Path:
    """``<repo>/specs/crds`` next to the package (an installed wheel has none: no CRDs then)."""
    return Path(__file__).resolve().parents[3] / "specs" / "crds"


def load_crd_files(directory: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not directory.is_dir():
        return out
    for p in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")) + sorted(directory.glob("*.json")):
        for doc in yaml.safe_load_all(p.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                out.append(doc)
    return out
