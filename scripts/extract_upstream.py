"""Turn the upstream CRD manifests into data this project keeps (a dev tool, run by hand).

Our CRDs are generated from the Python models, so tests need the upstream facts to compare against
without reaching outside the repository. From ``<shared>/reference/crds/*.yaml`` this writes:

- ``specs/upstream-field-paths/<group>_<plural>.<version>.txt``: every property path of the version's
  schema, sorted, one per line (``[]`` for array items, ``{}`` for map values);
- ``specs/upstream-field-paths/<group>_<plural>.json``: names, scope, conversion, and per version
  served/storage/deprecation, printer columns (without prose), subresources, and the type, format and
  required set of every path;
- ``openyurt/core/api/schemas/<name>.json``: the Kubernetes built-in schemas upstream embeds (a whole
  DeploymentSpec in PlatformAdmin v1alpha1, LabelSelector, Taint ...), descriptions removed. Where one
  built-in occurs several times the occurrences must agree, or the script fails.

Usage: ``python scripts/extract_upstream.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent

#: Bundled fragment name -> where it occurs upstream: (crd file stem, version, schema path).
#: The first occurrence is the one written; the others must be identical once descriptions are gone.
FRAGMENTS: dict[str, list[tuple[str, str, str]]] = {
    "io.k8s.api.apps.v1.DeploymentSpec": [
        ("iot.openyurt.io_platformadmins", "v1alpha1", "spec.additionalDeployments[].spec"),
    ],
    "io.k8s.api.core.v1.ServiceSpec": [
        ("iot.openyurt.io_platformadmins", "v1alpha1", "spec.additionalServices[].spec"),
    ],
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": [
        ("apps.openyurt.io_nodepools", "v1alpha1", "spec.selector"),
        ("apps.openyurt.io_yurtappsets", "v1alpha1", "spec.selector"),
        ("apps.openyurt.io_yurtappsets", "v1beta1", "spec.nodepoolSelector"),
        ("apps.openyurt.io_yurtappsets", "v1beta1", "spec.workload.workloadTweaks[].nodepoolSelector"),
        ("apps.openyurt.io_yurtappdaemons", "v1alpha1", "spec.selector"),
        ("apps.openyurt.io_yurtappdaemons", "v1alpha1", "spec.nodepoolSelector"),
        ("raven.openyurt.io_gateways", "v1alpha1", "spec.nodeSelector"),
        ("raven.openyurt.io_gateways", "v1beta1", "spec.nodeSelector"),
        ("iot.openyurt.io_platformadmins", "v1alpha1", "spec.additionalDeployments[].spec.selector"),
    ],
    "io.k8s.api.core.v1.Taint": [
        ("apps.openyurt.io_nodepools", "v1beta2", "spec.taints[]"),
        ("apps.openyurt.io_nodepools", "v1beta1", "spec.taints[]"),
        ("apps.openyurt.io_nodepools", "v1alpha1", "spec.taints[]"),
    ],
    "io.k8s.api.core.v1.Toleration": [
        ("apps.openyurt.io_yurtappsets", "v1alpha1", "spec.topology.pools[].tolerations[]"),
    ],
    "io.k8s.api.core.v1.NodeSelectorTerm": [
        ("apps.openyurt.io_yurtappsets", "v1alpha1", "spec.topology.pools[].nodeSelectorTerm"),
    ],
    "io.k8s.apimachinery.pkg.apis.meta.v1.Condition": [
        ("network.openyurt.io_poolservices", "v1alpha1", "status.conditions[]"),
    ],
    "io.k8s.api.core.v1.LoadBalancerStatus": [
        ("network.openyurt.io_poolservices", "v1alpha1", "status.loadBalancer"),
    ],
}


def strip_descriptions(node: Any) -> Any:
    """A copy of a schema without ``description`` keys (prose, not API data)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "description" and isinstance(v, str):
                continue
            # "properties" maps field names to schemas: a field may itself be called "description".
            out[k] = (
                {pk: strip_descriptions(pv) for pk, pv in v.items()} if k == "properties" else strip_descriptions(v)
            )
        return out
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def children(schema: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        out.append((f"{path}.{name}" if path else name, sub))
    if isinstance(schema.get("items"), dict):
        out.append((f"{path}[]", schema["items"]))
    if isinstance(schema.get("additionalProperties"), dict):
        out.append((f"{path}{{}}", schema["additionalProperties"]))
    return out


def walk(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every (path, schema) below ``schema``, root excluded."""
    out: list[tuple[str, dict[str, Any]]] = []
    for child_path, sub in children(schema, path):
        out.append((child_path, sub))
        out.extend(walk(sub, child_path))
    return out


def node_at(schema: dict[str, Any], path: str) -> dict[str, Any]:
    for p, sub in walk(schema):
        if p == path:
            return sub
    raise KeyError(path)


def type_of(schema: dict[str, Any]) -> str:
    if schema.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    t = str(schema.get("type", ""))
    if not t and schema.get("x-kubernetes-preserve-unknown-fields"):
        t = "any"
    return f"{t}/{schema['format']}" if "format" in schema else t


def facts(crd: dict[str, Any]) -> dict[str, Any]:
    spec = crd["spec"]
    versions = {}
    for v in spec["versions"]:
        root = v["schema"]["openAPIV3Schema"]
        nodes = [("", root), *walk(root)]
        versions[v["name"]] = {
            "served": v["served"],
            "storage": v["storage"],
            "deprecated": v.get("deprecated", False),
            "deprecationWarning": v.get("deprecationWarning"),
            "additionalPrinterColumns": [
                {k: c[k] for k in sorted(c) if k != "description"} for c in v.get("additionalPrinterColumns", [])
            ],
            "subresources": v.get("subresources", {}),
            "types": {p: type_of(s) for p, s in nodes if p},
            "required": {p: sorted(s["required"]) for p, s in nodes if s.get("required")},
            "preserveUnknownFields": sorted(p for p, s in nodes if s.get("x-kubernetes-preserve-unknown-fields")),
            "enums": {p: s["enum"] for p, s in nodes if "enum" in s},
        }
    return {
        "group": spec["group"],
        "names": spec["names"],
        "scope": spec["scope"],
        "conversion": spec.get("conversion"),
        "versions": versions,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args(argv)
    crd_dir = args.shared / "reference" / "crds"
    if not crd_dir.is_dir():
        print(f"no upstream CRDs at {crd_dir}", file=sys.stderr)
        return 1

    paths_dir = REPO / "specs" / "upstream-field-paths"
    schema_dir = REPO / "openyurt" / "core" / "api" / "schemas"
    paths_dir.mkdir(parents=True, exist_ok=True)
    schema_dir.mkdir(parents=True, exist_ok=True)

    crds: dict[str, dict[str, Any]] = {}
    for f in sorted(crd_dir.glob("*.yaml")):
        crd = yaml.safe_load(f.read_text())
        crds[f.stem] = crd
        for v in crd["spec"]["versions"]:
            paths = sorted(p for p, _ in walk(v["schema"]["openAPIV3Schema"]))
            (paths_dir / f"{f.stem}.{v['name']}.txt").write_text("\n".join(paths) + "\n")
        (paths_dir / f"{f.stem}.json").write_text(json.dumps(facts(crd), indent=1, sort_keys=True) + "\n")

    def version_schema(stem: str, version: str) -> dict[str, Any]:
        return next(v for v in crds[stem]["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]

    failed = False
    for name, places in FRAGMENTS.items():
        found = [strip_descriptions(node_at(version_schema(s, v), p)) for s, v, p in places]
        for (s, v, p), other in zip(places[1:], found[1:], strict=True):
            if other != found[0]:
                print(f"{name}: {s} {v} {p} differs from {places[0]}", file=sys.stderr)
                failed = True
        (schema_dir / f"{name}.json").write_text(json.dumps(found[0], indent=1, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
