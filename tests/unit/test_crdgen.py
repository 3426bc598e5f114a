"""The generated CRDs: up to date, covering upstream's schemas and facts, structural; the generator itself.

Upstream facts come from ``specs/upstream-field-paths/`` (written by ``scripts/extract_upstream.py``
from the upstream CRD manifests), never from outside the repository.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
import yaml
from pydantic import Field

from openyurt.core import crdgen
from openyurt.core.api._base import (
    AnyJSON,
    Int32,
    Int64,
    IntOrString,
    OpenAPI,
    PrinterColumn,
    ResourceInfo,
    Schemaless,
    SchemaRef,
    Time,
    WireModel,
)
from openyurt.core.api._resource import Resource

REPO = Path(__file__).resolve().parents[2]
SPECS_CRDS = REPO / "specs" / "crds"
UPSTREAM = REPO / "specs" / "upstream-field-paths"
REGENERATE = "run `openyurt crds --out specs/crds` and commit the result"


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, Any]]:
    """File stem (``<group>_<plural>``) -> generated CRD."""
    return {crdgen.crd_filename(crd).removesuffix(".yaml"): crd for crd in crdgen.generate_crds()}


def upstream_facts() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(UPSTREAM.glob("*.json"))}


def upstream_versions() -> list[tuple[str, str]]:
    return [(stem, version) for stem, facts in upstream_facts().items() for version in sorted(facts["versions"])]


# --------------------------------------------------------------------------------------------------
# Helpers: walking a schema, and a structural-schema checker


def walk(schema: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, node) for every node below ``schema`` (``[]`` array items, ``{}`` map values)."""
    for name, sub in (schema.get("properties") or {}).items():
        p = f"{path}.{name}" if path else name
        yield p, sub
        yield from walk(sub, p)
    if isinstance(schema.get("items"), dict):
        yield f"{path}[]", schema["items"]
        yield from walk(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield f"{path}{{}}", schema["additionalProperties"]
        yield from walk(schema["additionalProperties"], f"{path}{{}}")


def type_of(node: Mapping[str, Any]) -> str:
    if node.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    t = str(node.get("type", ""))
    if not t and node.get("x-kubernetes-preserve-unknown-fields"):
        t = "any"
    return f"{t}/{node['format']}" if "format" in node else t


_FORBIDDEN = ("$ref", "$schema", "definitions", "dependencies", "patternProperties", "additionalItems", "id")
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
_JUNCTOR_FORBIDDEN = ("type", "description", "default", "additionalProperties", "nullable", "properties", "items")


def structural_errors(schema: Mapping[str, Any], path: str = "", *, root: bool = True) -> list[str]:
    """What makes an OpenAPI schema non-structural, as the apiextensions API server checks it."""
    errs: list[str] = []
    where = path or "<root>"
    if root and schema.get("type") != "object":
        errs.append(f"{where}: root must be type object")
    t = schema.get("type")
    if not t and not (schema.get("x-kubernetes-int-or-string") or schema.get("x-kubernetes-preserve-unknown-fields")):
        errs.append(f"{where}: type missing")
    if schema.get("x-kubernetes-int-or-string") and t:
        errs.append(f"{where}: x-kubernetes-int-or-string must not have a type")
    if t not in (None, "object", "array", "string", "integer", "number", "boolean"):
        errs.append(f"{where}: unknown type {t!r}")
    if "properties" in schema and "additionalProperties" in schema:
        errs.append(f"{where}: properties and additionalProperties are mutually exclusive")
    if ("properties" in schema or "additionalProperties" in schema) and t not in ("object", None):
        errs.append(f"{where}: properties on a non-object")
    if "items" in schema and (t != "array" or not isinstance(schema["items"], dict)):
        errs.append(f"{where}: items must be one schema on an array")
    if t == "array" and not isinstance(schema.get("items"), dict):
        errs.append(f"{where}: array without items")
    if schema.get("uniqueItems") is True:
        errs.append(f"{where}: uniqueItems is forbidden")
    if schema.get("x-kubernetes-embedded-resource") and t != "object":
        errs.append(f"{where}: embedded resource must be an object")
    errs.extend(f"{where}: {k} is forbidden" for k in _FORBIDDEN if k in schema)
    for j in _JUNCTORS:
        for sub in schema.get(j, []) if j != "not" else ([schema[j]] if j in schema else []):
            bad = [k for k in _JUNCTOR_FORBIDDEN if k in sub and not (schema.get("x-kubernetes-int-or-string"))]
            errs.extend(f"{where}: {j} must not set {k}" for k in bad)
    for key in ("required",):
        for name in schema.get(key, []):
            if name not in (schema.get("properties") or {}):
                errs.append(f"{where}: required {name!r} is not a property")
    if root:
        meta = (schema.get("properties") or {}).get("metadata", {})
        extra = set(meta.get("properties") or {}) - {"name", "generateName"}
        if extra:
            errs.append(f"metadata: only name and generateName may be specified, got {sorted(extra)}")
    for name, sub in (schema.get("properties") or {}).items():
        errs.extend(structural_errors(sub, f"{path}.{name}" if path else name, root=False))
    if isinstance(schema.get("items"), dict):
        errs.extend(structural_errors(schema["items"], f"{path}[]", root=False))
    if isinstance(schema.get("additionalProperties"), dict):
        errs.extend(structural_errors(schema["additionalProperties"], f"{path}{{}}", root=False))
    return errs


def version_schema(crd: Mapping[str, Any], version: str) -> Mapping[str, Any] | None:
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            schema: Mapping[str, Any] = v["schema"]["openAPIV3Schema"]
            return schema
    return None


# --------------------------------------------------------------------------------------------------
# (a) staleness


def test_checked_in_crds_are_current(generated: dict[str, dict[str, Any]]) -> None:
    want = {crdgen.crd_filename(crd): crdgen.crd_yaml(crd) for crd in generated.values()}
    have = {p.name: p.read_text(encoding="utf-8") for p in sorted(SPECS_CRDS.glob("*.yaml"))}
    assert sorted(have) == sorted(want), f"specs/crds has the wrong set of files: {REGENERATE}"
    stale = [name for name in want if have[name] != want[name]]
    assert not stale, f"specs/crds is stale ({', '.join(stale)}): {REGENERATE}"


def test_rendering_is_deterministic_and_round_trips(generated: dict[str, dict[str, Any]]) -> None:
    for crd in generated.values():
        text = crdgen.crd_yaml(crd)
        assert text == crdgen.crd_yaml(crdgen.build_crd(crdgen.crd_kinds()[_key(crd)]))
        assert "&id" not in text and "*id" not in text, "YAML anchors leaked into the output"
        assert yaml.safe_load(text) == crd


def _key(crd: Mapping[str, Any]) -> tuple[str, str]:
    return crd["spec"]["group"], crd["spec"]["names"]["kind"]


# --------------------------------------------------------------------------------------------------
# (b) coverage of upstream field paths, types, required sets


def test_every_upstream_crd_is_generated(generated: dict[str, dict[str, Any]]) -> None:
    missing = sorted(set(upstream_facts()) - set(generated))
    assert not missing, f"no generated CRD for upstream {missing}"


@pytest.mark.parametrize(("stem", "version"), upstream_versions())
def test_upstream_field_paths_are_covered(generated: dict[str, dict[str, Any]], stem: str, version: str) -> None:
    upstream_paths = (UPSTREAM / f"{stem}.{version}.txt").read_text().split()
    assert stem in generated, f"no generated CRD {stem}"
    schema = version_schema(generated[stem], version)
    assert schema is not None, f"{stem}: version {version} is not generated"
    ours = {p for p, _ in walk(schema)}
    missing = [p for p in upstream_paths if p not in ours]
    assert not missing, f"{stem} {version}: {len(missing)} upstream field paths missing:\n  " + "\n  ".join(missing)


@pytest.mark.parametrize(("stem", "version"), upstream_versions())
def test_types_required_enums_match_upstream(generated: dict[str, dict[str, Any]], stem: str, version: str) -> None:
    facts = upstream_facts()[stem]["versions"][version]
    schema = version_schema(generated.get(stem, {"spec": {"versions": []}}), version)
    if schema is None:
        pytest.fail(f"{stem}: version {version} is not generated")
    ours = dict(walk(schema))
    problems = []
    for path, want in facts["types"].items():
        node = ours.get(path)
        if node is None:
            continue  # reported by the coverage test
        got = type_of(node)
        if got != want and not (want == "any" and node.get("x-kubernetes-preserve-unknown-fields")):
            problems.append(f"{path}: type {got!r}, upstream {want!r}")
    for path, node in [("", schema), *ours.items()]:
        if path and path not in facts["types"]:
            continue
        got_req = sorted(node.get("required", []))
        want_req = facts["required"].get(path, [])
        if got_req != want_req:
            problems.append(f"{path or '<root>'}: required {got_req}, upstream {want_req}")
        got_enum, want_enum = node.get("enum"), facts["enums"].get(path)
        if got_enum != want_enum:
            problems.append(f"{path}: enum {got_enum}, upstream {want_enum}")
        got_puf = bool(node.get("x-kubernetes-preserve-unknown-fields"))
        if got_puf != (path in facts["preserveUnknownFields"]):
            problems.append(f"{path}: x-kubernetes-preserve-unknown-fields {got_puf}, upstream {not got_puf}")
    assert not problems, f"{stem} {version}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------------------------------
# (c) names, scope, versions, printer columns, subresources, conversion


@pytest.mark.parametrize("stem", sorted(upstream_facts()))
def test_crd_facts_match_upstream(generated: dict[str, dict[str, Any]], stem: str) -> None:
    facts = upstream_facts()[stem]
    assert stem in generated, f"no generated CRD {stem}"
    spec = generated[stem]["spec"]
    assert spec["group"] == facts["group"]
    assert spec["names"] == facts["names"]
    assert spec["scope"] == facts["scope"]
    assert spec.get("conversion") == facts["conversion"]
    assert [v["name"] for v in spec["versions"]] == sorted(facts["versions"])
    for v in spec["versions"]:
        want = facts["versions"][v["name"]]
        got_columns = [
            {k: c[k] for k in sorted(c) if k != "description"} for c in v.get("additionalPrinterColumns", [])
        ]
        assert (v["name"], got_columns) == (v["name"], want["additionalPrinterColumns"])
        assert (v["name"], v["served"], v["storage"]) == (v["name"], want["served"], want["storage"])
        assert (v["name"], v.get("deprecated", False)) == (v["name"], want["deprecated"])
        assert (v["name"], v.get("deprecationWarning")) == (v["name"], want["deprecationWarning"])
        assert (v["name"], v.get("subresources", {})) == (v["name"], want["subresources"])


# --------------------------------------------------------------------------------------------------
# (d) structural


def test_generated_schemas_are_structural(generated: dict[str, dict[str, Any]]) -> None:
    from openyurt.core import openapi

    problems = []
    for stem, crd in generated.items():
        for v in crd["spec"]["versions"]:
            schema = v["schema"]["openAPIV3Schema"]
            problems.extend(f"{stem} {v['name']}: {e}" for e in structural_errors(schema))
            problems.extend(f"{stem} {v['name']}: {e}" for e in openapi.is_structural(schema))
    assert not problems, "\n".join(problems)


def test_structural_checker_finds_problems() -> None:
    assert structural_errors({"type": "object", "properties": {"a": {}}}) == ["a: type missing"]
    assert (
        structural_errors({"type": "object", "properties": {"a": {"x-kubernetes-preserve-unknown-fields": True}}}) == []
    )
    assert structural_errors({"type": "string"}) == ["<root>: root must be type object"]
    bad = {"type": "object", "properties": {"a": {"type": "array"}}, "required": ["b"]}
    assert structural_errors(bad) == ["<root>: required 'b' is not a property", "a: array without items"]


def test_bundled_fragments_are_structural_and_match_the_models() -> None:
    for qualname, name in crdgen.BUILTIN_FRAGMENTS.items():
        frag = crdgen.fragment(name)
        assert structural_errors(frag, name) == []
        module, _, cls_name = qualname.rpartition(".")
        cls = getattr(__import__(module, fromlist=[cls_name]), cls_name, None)
        if cls is None:
            continue
        ours = {p for p, _ in walk(crdgen.model_schema(cls, use_fragments=False))}
        theirs = {p for p, _ in walk(frag)}
        assert ours == theirs, f"{qualname} differs from its Kubernetes schema {name}: {sorted(ours ^ theirs)}"
    for name in ("io.k8s.api.apps.v1.DeploymentSpec", "io.k8s.api.core.v1.ServiceSpec"):
        assert structural_errors(crdgen.fragment(name), name) == []


# --------------------------------------------------------------------------------------------------
# (e) the generator on small models


class Sub(WireModel):
    """A part."""

    name: str
    weight: Int32 | None = None


class Sample(WireModel):
    """Sample model."""

    count: Int32
    big: Int64 | None = None
    ratio: float | None = None
    flag: bool | None = None
    mode: Literal["a", "b"] | None = None
    tags: list[str] | None = None
    labels: dict[str, str] | None = None
    parts: list[Sub] | None = Field(default=None, description="The parts.")
    by_name: dict[str, Sub] | None = None
    one: Sub | None = None
    port: IntOrString | None = None
    blob: Schemaless | None = None
    anything: AnyJSON = None
    when: Time | None = None
    short: Annotated[str, Field(min_length=1, max_length=5, pattern=r"^[a-z]+$")] | None = None
    small: Annotated[int, Field(ge=0, le=10)] | None = None
    listed: Annotated[list[str], Field(min_length=1)] | None = None
    atomic: Annotated[list[str], OpenAPI(**{"x-kubernetes-list-type": "atomic"})] | None = None
    odd_name: str | None = Field(default=None, alias="ODDName")
    taint: Annotated[dict[str, Any], SchemaRef("io.k8s.api.core.v1.Taint")] | None = None


def test_scalars_optional_and_required() -> None:
    s = crdgen.model_schema(Sample)
    assert s["type"] == "object"
    assert s["description"] == "Sample model."
    assert s["required"] == ["count"]
    p = s["properties"]
    assert p["count"] == {"type": "integer", "format": "int32"}  # Int32's own range is implied by the format
    assert p["big"] == {"type": "integer", "format": "int64"}
    assert p["ratio"] == {"type": "number"}
    assert p["flag"] == {"type": "boolean"}
    assert p["ODDName"] == {"type": "string"}
    assert "odd_name" not in p


def test_containers_and_nested_models() -> None:
    p = crdgen.model_schema(Sample)["properties"]
    assert p["tags"] == {"type": "array", "items": {"type": "string"}}
    assert p["labels"] == {"type": "object", "additionalProperties": {"type": "string"}}
    sub = {
        "type": "object",
        "description": "A part.",
        "properties": {"name": {"type": "string"}, "weight": {"type": "integer", "format": "int32"}},
        "required": ["name"],
    }
    assert p["parts"] == {"type": "array", "items": sub, "description": "The parts."}
    assert p["by_name" if "by_name" in p else "byName"] == {"type": "object", "additionalProperties": sub}
    assert p["one"] == sub


def test_markers_and_constraints() -> None:
    p = crdgen.model_schema(Sample)["properties"]
    assert p["mode"] == {"type": "string", "enum": ["a", "b"]}
    assert p["port"] == {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
    assert p["blob"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    assert p["anything"] == {"x-kubernetes-preserve-unknown-fields": True}
    assert p["when"] == {"type": "string", "format": "date-time"}
    assert p["short"] == {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"}
    assert p["small"] == {"type": "integer", "minimum": 0, "maximum": 10}
    assert p["listed"] == {"type": "array", "items": {"type": "string"}, "minItems": 1}
    assert p["atomic"] == {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"}
    assert p["taint"] == crdgen.fragment("io.k8s.api.core.v1.Taint")
    assert structural_errors(crdgen.model_schema(Sample)) == []


def test_unsupported_annotations_are_refused() -> None:
    class Bad(WireModel):
        value: Any = None

    class Union2(WireModel):
        value: int | bool = 0

    class Loop(WireModel):
        child: Loop | None = None

    Loop.model_rebuild()
    for cls in (Bad, Union2, Loop):
        with pytest.raises(crdgen.SchemaError):
            crdgen.model_schema(cls)


def test_descriptions_use_the_docstring_summary_and_field_descriptions() -> None:
    class Documented(WireModel):
        """What users see.

        Notes for developers only.
        """

        plain: str | None = None

    class Inherits(Documented):
        pass

    class Holder(WireModel):
        doc: Documented | None = None
        described: Documented | None = Field(default=None, description="Field wins.")

    assert crdgen.model_schema(Documented)["description"] == "What users see."
    assert crdgen.model_schema(Inherits)["description"] == "What users see."
    props = crdgen.model_schema(Holder)["properties"]
    assert props["doc"]["description"] == "What users see."
    assert props["described"]["description"] == "Field wins."
    assert "description" not in crdgen.model_schema(Holder)


def test_open_schema_models_keep_unknown_fields() -> None:
    class Partial(WireModel):
        open_schema = True
        name: str | None = None

    assert crdgen.model_schema(Partial) == {
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_builtin_models_use_kubernetes_fragments() -> None:
    from openyurt.core.api.meta_v1 import LabelSelector

    class Holder(WireModel):
        selector: LabelSelector | None = Field(default=None, description="Which ones.")

    got = crdgen.model_schema(Holder)["properties"]["selector"]
    want = crdgen.fragment("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector") | {"description": "Which ones."}
    assert got == want
    assert got["x-kubernetes-map-type"] == "atomic"


class _Gizmo(Resource):
    """Gizmo is a test kind."""

    spec: Sample
    status: Sub | None = None


class _GizmoOld(Resource):
    spec: Sub | None = None


def _info(version: str, **kw: Any) -> ResourceInfo:
    base: dict[str, Any] = {
        "group": "test.openyurt.io",
        "version": version,
        "kind": "Gizmo",
        "plural": "gizmos",
        "short_names": ("gz",),
        "categories": ("yurt",),
    }
    return ResourceInfo(**(base | kw))


def test_build_crd_for_a_multi_version_kind() -> None:
    new = type(
        "GizmoV1",
        (_Gizmo,),
        {"info": _info("v1beta1", printer_columns=(PrinterColumn("N", ".spec.count", "integer", priority=1),))},
    )
    old = type(
        "GizmoV0",
        (_GizmoOld,),
        {
            "info": _info(
                "v1alpha1",
                storage=False,
                deprecated=True,
                deprecation_warning="old",
                scale=(".spec.r", ".status.r", None),
            )
        },
    )
    crd = crdgen.build_crd([old, new])
    assert crd["metadata"] == {"name": "gizmos.test.openyurt.io"}
    assert crdgen.crd_filename(crd) == "test.openyurt.io_gizmos.yaml"
    spec = crd["spec"]
    assert spec["names"] == {
        "kind": "Gizmo",
        "listKind": "GizmoList",
        "plural": "gizmos",
        "singular": "gizmo",
        "shortNames": ["gz"],
        "categories": ["yurt"],
    }
    assert spec["scope"] == "Namespaced"
    assert spec["conversion"]["webhook"]["clientConfig"]["service"]["path"] == "/convert"
    v0, v1 = spec["versions"]
    assert (v0["deprecated"], v0["deprecationWarning"], v0["served"], v0["storage"]) == (True, "old", True, False)
    assert v0["subresources"] == {
        "status": {},
        "scale": {"specReplicasPath": ".spec.r", "statusReplicasPath": ".status.r"},
    }
    assert v1["additionalPrinterColumns"] == [
        {"name": "N", "jsonPath": ".spec.count", "type": "integer", "priority": 1}
    ]
    root = v1["schema"]["openAPIV3Schema"]
    assert root["description"] == "Gizmo is a test kind."
    assert root["required"] == ["spec"]
    assert root["properties"]["metadata"] == {"type": "object"}
    assert root["properties"]["apiVersion"]["type"] == root["properties"]["kind"]["type"] == "string"
    assert root["properties"]["spec"]["properties"]["count"] == {"type": "integer", "format": "int32"}
    assert structural_errors(root) == []
    text = crdgen.crd_yaml(crd)
    assert text.startswith(crdgen.GENERATED_HEADER + "\n")
    assert yaml.safe_load(text) == crd


def test_single_served_version_has_no_conversion_and_disagreements_are_refused() -> None:
    a = type("GA", (_Gizmo,), {"info": _info("v1", namespaced=False)})
    b = type("GB", (_GizmoOld,), {"info": _info("v0", served=False, storage=False, namespaced=False)})
    crd = crdgen.build_crd([b, a])
    assert "conversion" not in crd["spec"]
    assert crd["spec"]["scope"] == "Cluster"
    c = type("GC", (_GizmoOld,), {"info": _info("v0", storage=False, short_names=("x",))})
    with pytest.raises(crdgen.SchemaError, match="short_names"):
        crdgen.build_crd([c, a])
    with pytest.raises(crdgen.SchemaError, match="storage"):
        crdgen.build_crd([b])


# --------------------------------------------------------------------------------------------------
# `openyurt crds`


def test_crds_command_prints_a_stream_and_writes_files(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from openyurt.runtime.cli import app

    result = CliRunner().invoke(app, ["crds"])
    assert result.exit_code == 0, result.output
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["CustomResourceDefinition"] * len(docs)
    assert docs == crdgen.generate_crds()

    stale = tmp_path / "apps.openyurt.io_gone.yaml"
    stale.write_text(crdgen.GENERATED_HEADER + "\nkind: CustomResourceDefinition\n")
    foreign = tmp_path / "mine.yaml"
    foreign.write_text("kind: ConfigMap\n")
    result = CliRunner().invoke(app, ["crds", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not stale.exists(), "a CRD file we generated earlier for a vanished kind must be removed"
    assert foreign.read_text() == "kind: ConfigMap\n", "files we did not generate are left alone"
    written = sorted(p.name for p in tmp_path.glob("*_*.yaml"))
    assert written == sorted(crdgen.crd_filename(c) for c in docs)
    assert written == sorted(p.name for p in SPECS_CRDS.glob("*.yaml"))
