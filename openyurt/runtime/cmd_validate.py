"""``openyurt validate -f FILE``: what would the API server and OpenYurt's webhooks make of these manifests?

Catching a bad manifest before ``kubectl apply`` (or in CI, with no cluster) needs the same verdicts a
cluster gives: schema errors and webhook rejections fail (exit 1, one ``FILE: Kind/name: path: message``
line each on stderr), fields the server would silently prune are warnings, and the objects are printed
as the server would store them (webhook defaults applied, unknown fields pruned). YAML is read the way
Kubernetes reads it: timestamps stay strings, duplicate keys are errors.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from openyurt.core.api import ObjectInvalid, default_object, parse_object, pruned, unknown_fields, validate_object
from openyurt.core.api._resource import kind_class
from openyurt.core.crdgen import load_api_modules, to_yaml

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class KubeLoader(yaml.SafeLoader):
    """SafeLoader reading like Kubernetes: timestamps stay strings; duplicate keys are noted (last one wins)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        #: (key, 1-based line) of every repeated mapping key seen since the list was last cleared.
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    self.duplicates.append((str(key), key_node.start_mark.line + 1))
                seen.add(key)
            except TypeError:
                continue  # unhashable key: SafeLoader reports it
        return super().construct_mapping(node, deep=deep)


KubeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Report:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors = 0

    def error(self, label: str, message: str) -> None:
        self.errors += 1
        print(f"{self.source}: {label}: {message}", file=sys.stderr)

    def warning(self, label: str, message: str) -> None:
        print(f"{self.source}: {label}: warning: {message}", file=sys.stderr)


def _json_keys(value: Any) -> Any:
    """Mapping keys as JSON strings (YAML allows ``1:`` or ``true:`` keys; Kubernetes stringifies them)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, bool) or k is None:
                k = json.dumps(k)
            out[str(k)] = _json_keys(v)
        return out
    if isinstance(value, list):
        return [_json_keys(v) for v in value]
    return value


def _documents(text: str, report: _Report) -> Iterator[tuple[int, Any, list[tuple[str, int]]]]:
    """(number, data, duplicate keys) per non-empty document; a syntax error is reported and stops."""
    if text.lstrip().startswith(("{", "[")):
        try:
            yield 1, json.loads(text), []
            return
        except json.JSONDecodeError:
            pass  # YAML flow style, or broken: let the YAML parser say where
    number = 0
    loader = KubeLoader(text)
    try:
        while loader.check_data():  # type: ignore[no-untyped-call]
            number += 1
            loader.duplicates = []
            doc = loader.get_data()
            if doc is not None:
                yield number, _json_keys(doc), loader.duplicates
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else f"document {max(number, 1)}"
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        report.error(where, f"invalid YAML: {problem}")
    except yaml.YAMLError as exc:
        report.error(f"document {max(number, 1)}", f"invalid YAML: {exc}")
    finally:
        loader.dispose()


def _objects(text: str, report: _Report) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label for messages, object) per manifest; a ``kind: List`` contributes its items."""
    for number, doc, duplicates in _documents(text, report):
        label = _label(doc, f"document {number}") if isinstance(doc, dict) else f"document {number}"
        for key, line in duplicates:
            report.warning(label, f"line {line}: duplicate key {key!r}; the last value is used")
        if not isinstance(doc, dict):
            report.error(f"document {number}", f"expected a Kubernetes object (a mapping), got {_type_name(doc)}")
            continue
        if doc.get("kind") == "List" and doc.get("apiVersion") == "v1":
            items = doc.get("items") or []
            if not isinstance(items, list):
                report.error(f"document {number}", f"List items: expected array, got {_type_name(items)}")
                continue
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield _label(item, f"document {number} item {i}"), item
                else:
                    report.error(f"document {number} item {i}", f"expected an object, got {_type_name(item)}")
            continue
        yield label, doc


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _label(doc: dict[str, Any], fallback: str) -> str:
    kind = doc.get("kind")
    meta = doc.get("metadata")
    name = meta.get("name") or meta.get("generateName") if isinstance(meta, dict) else None
    if not kind:
        return fallback
    return f"{kind}/{name}" if name else f"{kind} ({fallback})"


def _version_warnings(data: dict[str, Any]) -> list[str]:
    cls = kind_class(str(data.get("apiVersion")), str(data.get("kind")))
    if cls is None:
        return []
    info = cls.info
    out = []
    if not info.builtin and not info.crd:
        out.append(f"{info.api_version} {info.kind} is no longer shipped upstream (no CRD)")
    elif not info.served:
        out.append(f"{info.api_version} {info.kind} is not served by the API server; use the storage version")
    if info.deprecated:
        out.append(info.deprecation_warning or f"{info.api_version} {info.kind} is deprecated")
    return out


def check_text(text: str, source: str) -> tuple[list[dict[str, Any]], int]:
    """Validate every manifest in ``text``; returns (normalised objects, number of errors)."""
    load_api_modules()
    report = _Report(source)
    normalised: list[dict[str, Any]] = []
    for label, data in _objects(text, report):
        try:
            obj = parse_object(data)
        except ObjectInvalid as exc:
            for err in exc.errors:
                report.error(label, str(err))
            continue
        for message in _version_warnings(data):
            report.warning(label, message)
        for path in unknown_fields(obj):
            report.warning(label, f'unknown field "{path}"')
        obj = default_object(obj)
        errors = validate_object(obj)
        for err in errors:
            report.error(label, str(err))
        if not errors:
            normalised.append(pruned(obj))
    return normalised, report.errors


def run(file: str) -> int:
    if file == "-":
        source, text = "<stdin>", sys.stdin.read()
    else:
        source = file
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{file}: error: cannot read: {exc}", file=sys.stderr)
            return 1
    objects, errors = check_text(text, source)
    if errors:
        return 1
    sys.stdout.write("---\n".join(to_yaml(obj, sort_keys=False) for obj in objects))
    return 0
