"""Structural OpenAPI v3 schemas: what the apiextensions API server does to a custom resource.

A custom resource goes through three schema-driven steps on every write: **prune** (drop fields the
schema does not declare), **default** (fill ``default`` values, also on read), **validate** (type,
format, ranges, lengths, enums, list uniqueness, logical junctors). We do the same with plain dicts
so that a CR stored by our embedded server is byte-for-byte what a real server would have stored, and
so that errors read the same (``spec.replicas: Invalid value: "string": spec.replicas in body must be
of type integer: "string"``) — operators and tests grep for those strings.

:func:`is_structural` is the CRD-create check: a v1 CRD whose schema is not structural is refused.

Error paths follow the API server: ``spec.items[2].name``. Pruned paths are returned in the same
style (``spec.foo``); the server words its warning as ``unknown field "spec.foo"``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from openyurt.core.api._base import FieldError
from openyurt.core.patch import json_equal

__all__ = [
    "OBJECT_META_FIELDS",
    "SchemaError",
    "apply_defaults",
    "is_structural",
    "prune",
    "validate",
]


class SchemaError(ValueError):
    """The schema itself is malformed (not a mapping where one is needed, a bad keyword value)."""


#: The fields of metav1.ObjectMeta: what survives pruning in an embedded resource's metadata.
OBJECT_META_FIELDS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_TYPE_META = ("apiVersion", "kind", "metadata")

_PRESERVE = "x-kubernetes-preserve-unknown-fields"
_INT_OR_STRING = "x-kubernetes-int-or-string"
_EMBEDDED = "x-kubernetes-embedded-resource"
_LIST_TYPE = "x-kubernetes-list-type"
_MAP_KEYS = "x-kubernetes-list-map-keys"


# --------------------------------------------------------------------------------------------------
# Small helpers


def _schema(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SchemaError(f"{where or '<root>'}: schema must be an object, got {type(value).__name__}")
    return value


def _props(schema: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    props = schema.get("properties")
    if props is None:
        return {}
    if not isinstance(props, Mapping):
        raise SchemaError(f"{where or '<root>'}: properties must be an object")
    return props


def _additional(schema: Mapping[str, Any], where: str) -> Mapping[str, Any] | bool | None:
    """``additionalProperties`` as a schema, a bool, or None when absent."""
    extra = schema.get("additionalProperties")
    if extra is None or isinstance(extra, bool):
        return extra
    return _schema(extra, f"{where}.additionalProperties")


def _items(schema: Mapping[str, Any] | None, path: str) -> Mapping[str, Any] | None:
    """The schema of an array's elements, or None when there is none."""
    items = schema.get("items") if schema is not None else None
    return None if items is None else _schema(items, f"{path}.items")


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _index(path: str, i: int) -> str:
    return f"{path}[{i}]"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _render(value: Any) -> str:
    """A bad value as ``field.Error`` prints it: quoted strings, bare numbers and booleans, else JSON."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    except ValueError:
        return repr(value)


def _number(value: Any, where: str, keyword: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SchemaError(f"{where or '<root>'}: {keyword} must be a number")
    return value


def _count(value: Any, where: str, keyword: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SchemaError(f"{where or '<root>'}: {keyword} must be a non-negative integer")
    return value


# --------------------------------------------------------------------------------------------------
# Formats (the string formats the apiextensions server checks)

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w))+$|^0$")
_HOSTNAME = re.compile(
    r"^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_MAC = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}[:-]){7}[0-9A-Fa-f]{2}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")


def _valid_date(text: str) -> bool:
    month, day = int(text[5:7]), int(text[8:10])
    return 1 <= month <= 12 and 1 <= day <= 31


def _format_ok(fmt: str, value: str) -> bool:
    """Whether ``value`` has ``fmt``; formats the server does not check (int32, password…) always pass."""
    try:
        if fmt == "date-time":
            return bool(_DATE_TIME.match(value)) and _valid_date(value) and int(value[11:13]) < 24
        if fmt == "date":
            return bool(_DATE.match(value)) and _valid_date(value)
        if fmt == "duration":
            return bool(_DURATION.match(value))
        if fmt in ("uuid", "uuid3", "uuid4", "uuid5"):
            if not _UUID.match(value):
                return False
            # the version is the first hex digit of the third group
            return fmt == "uuid" or value.replace("-", "")[12] == fmt[-1]
        if fmt == "ipv4":
            ipaddress.IPv4Address(value)
            return True
        if fmt == "ipv6":
            ipaddress.IPv6Address(value)
            return True
        if fmt == "cidr":
            ipaddress.ip_network(value, strict=False)
            return "/" in value
        if fmt == "mac":
            return bool(_MAC.match(value))
        if fmt == "hostname":
            return len(value) <= 255 and bool(_HOSTNAME.match(value))
        if fmt == "email":
            return bool(_EMAIL.match(value))
        if fmt == "uri":
            return bool(_URI.match(value))
        if fmt == "byte":
            base64.b64decode(value, validate=True)
            return True
    except (ValueError, binascii.Error):
        return False
    return True


# --------------------------------------------------------------------------------------------------
# Validation


class _Validator:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str, reason: str = "FieldValueInvalid") -> None:
        self.errors.append(FieldError(path, message, reason))

    def invalid(self, path: str, value: Any, detail: str) -> None:
        self.add(path, f"Invalid value: {_render(value)}: {_subject(path)} {detail}")

    def check(self, value: Any, schema: Mapping[str, Any], path: str) -> None:
        schema = _schema(schema, path)
        if self.check_type(value, schema, path):
            self.check_value(value, schema, path)
        self.check_junctors(value, schema, path)

    def check_type(self, value: Any, schema: Mapping[str, Any], path: str) -> bool:
        """False when the value has the wrong type, so that no further checks pile up on it."""
        if value is None:
            if schema.get("nullable") is True:
                return False
            want = schema.get("type") or ("integer,string" if schema.get(_INT_OR_STRING) else None)
            if want is None:
                return False
            self.type_error(path, want, "null")
            return False
        have = _json_type(value)
        if schema.get(_INT_OR_STRING) is True:
            if have not in ("integer", "string"):
                self.type_error(path, "integer,string", have)
                return False
            return True
        want = schema.get("type")
        if want is None:
            return True
        if not isinstance(want, str):
            raise SchemaError(f"{path or '<root>'}: type must be a string")
        if want == have or (want == "number" and have == "integer"):
            return True
        if want not in _TYPES:
            raise SchemaError(f"{path or '<root>'}: unknown type {want!r}")
        self.type_error(path, want, have)
        return False

    def type_error(self, path: str, want: str, have: str) -> None:
        """``have`` is the JSON type name of the value, or the value itself for a format error."""
        self.add(
            path,
            f"Invalid value: {_render(have)}: {_subject(path)} must be of type {want}: {_render(have)}",
            "FieldValueTypeInvalid",
        )

    def check_value(self, value: Any, schema: Mapping[str, Any], path: str) -> None:
        if "enum" in schema:
            allowed = schema["enum"]
            if not isinstance(allowed, list):
                raise SchemaError(f"{path or '<root>'}: enum must be a list")
            if not any(json_equal(value, a) for a in allowed):
                shown = ", ".join(_render(a) for a in allowed)
                self.add(
                    path, f"Unsupported value: {_render(value)}: supported values: {shown}", "FieldValueNotSupported"
                )
        if isinstance(value, str):
            self.check_string(value, schema, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self.check_number(value, schema, path)
        elif isinstance(value, list):
            self.check_array(value, schema, path)
        elif isinstance(value, dict):
            self.check_object(value, schema, path)

    def check_string(self, value: str, schema: Mapping[str, Any], path: str) -> None:
        if "maxLength" in schema and len(value) > (limit := _count(schema["maxLength"], path, "maxLength")):
            self.add(path, f"Too long: may not be more than {limit} bytes", "FieldValueTooLong")
        if "minLength" in schema and len(value) < (limit := _count(schema["minLength"], path, "minLength")):
            self.invalid(path, value, f"should be at least {limit} chars long")
        if "pattern" in schema:
            pattern = schema["pattern"]
            if not isinstance(pattern, str):
                raise SchemaError(f"{path or '<root>'}: pattern must be a string")
            try:
                matched = re.search(pattern, value) is not None
            except re.error as exc:
                raise SchemaError(f"{path or '<root>'}: pattern {pattern!r} does not compile: {exc}") from None
            if not matched:
                self.invalid(path, value, f"should match '{pattern}'")
        fmt = schema.get("format")
        if isinstance(fmt, str) and not _format_ok(fmt, value):
            self.type_error(path, fmt, value)  # kube-openapi reports a bad format as a type error

    def check_number(self, value: float, schema: Mapping[str, Any], path: str) -> None:
        if "minimum" in schema:
            low = _number(schema["minimum"], path, "minimum")
            if schema.get("exclusiveMinimum") is True:
                if value <= low:
                    self.invalid(path, value, f"should be greater than {_render(low)}")
            elif value < low:
                self.invalid(path, value, f"should be greater than or equal to {_render(low)}")
        if "maximum" in schema:
            high = _number(schema["maximum"], path, "maximum")
            if schema.get("exclusiveMaximum") is True:
                if value >= high:
                    self.invalid(path, value, f"should be less than {_render(high)}")
            elif value > high:
                self.invalid(path, value, f"should be less than or equal to {_render(high)}")
        if "multipleOf" in schema:
            factor = _number(schema["multipleOf"], path, "multipleOf")
            if factor > 0 and (value / factor) != int(value / factor):
                self.invalid(path, value, f"should be a multiple of {_render(factor)}")

    def check_array(self, value: list[Any], schema: Mapping[str, Any], path: str) -> None:
        if "minItems" in schema and len(value) < (limit := _count(schema["minItems"], path, "minItems")):
            self.invalid(path, value, f"should have at least {limit} items")
        if "maxItems" in schema and len(value) > (limit := _count(schema["maxItems"], path, "maxItems")):
            self.add(path, f"Too many: {len(value)}: must have at most {limit} items", "FieldValueTooMany")
        if schema.get("uniqueItems") is True and any(
            json_equal(value[i], value[j]) for i in range(len(value)) for j in range(i)
        ):
            self.invalid(path, value, "shouldn't contain duplicates")
        list_type = schema.get(_LIST_TYPE)
        if list_type == "set":
            for i, item in enumerate(value):
                if any(json_equal(item, value[j]) for j in range(i)):
                    self.add(_index(path, i), f"Duplicate value: {_render(item)}", "FieldValueDuplicate")
        elif list_type == "map":
            keys = schema.get(_MAP_KEYS) or []
            if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
                raise SchemaError(f"{path or '<root>'}: {_MAP_KEYS} must be a list of strings")
            seen: list[dict[str, Any]] = []
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                ident = {k: item[k] for k in keys if k in item}
                if any(json_equal(ident, s) for s in seen):
                    self.add(_index(path, i), f"Duplicate value: {_render(ident)}", "FieldValueDuplicate")
                else:
                    seen.append(ident)
        if (item_schema := _items(schema, path)) is not None:
            for i, item in enumerate(value):
                self.check(item, item_schema, _index(path, i))

    def check_object(self, value: dict[str, Any], schema: Mapping[str, Any], path: str) -> None:
        if "minProperties" in schema and len(value) < (limit := _count(schema["minProperties"], path, "minProperties")):
            self.invalid(path, value, f"should have at least {limit} properties")
        if "maxProperties" in schema and len(value) > (limit := _count(schema["maxProperties"], path, "maxProperties")):
            self.add(path, f"Too many: {len(value)}: must have at most {limit} items", "FieldValueTooMany")
        required = schema.get("required") or []
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise SchemaError(f"{path or '<root>'}: required must be a list of field names")
        for name in required:
            if name not in value:
                self.add(_child(path, str(name)), "Required value", "FieldValueRequired")
        embedded = schema.get(_EMBEDDED) is True
        if embedded:
            self.check_embedded(value, path)
        props = _props(schema, path)
        extra = _additional(schema, path)
        for key, item in value.items():
            sub = _child(path, key)
            if key in props:
                self.check(item, _schema(props[key], sub), sub)
            elif embedded and key in _TYPE_META:
                continue
            elif isinstance(extra, Mapping):
                self.check(item, extra, sub)
            elif extra is False and schema.get(_PRESERVE) is not True:
                self.add(sub, f"Forbidden: {_subject(sub)} is a forbidden property", "FieldValueForbidden")

    def check_embedded(self, value: dict[str, Any], path: str) -> None:
        """An embedded resource needs apiVersion and kind, as upstream's validateEmbeddedResource."""
        for key in ("apiVersion", "kind"):
            sub = _child(path, key)
            if key not in value:
                self.add(sub, "Required value: must not be empty", "FieldValueRequired")
            elif not isinstance(value[key], str):
                self.add(sub, f"Invalid value: {_render(value[key])}: must be a string")
            elif not value[key]:
                self.add(sub, 'Invalid value: "": must not be empty')
        meta = value.get("metadata")
        if "metadata" in value and meta is not None and not isinstance(meta, dict):
            self.type_error(_child(path, "metadata"), "object", _json_type(meta))

    def check_junctors(self, value: Any, schema: Mapping[str, Any], path: str) -> None:
        for keyword in ("allOf", "anyOf", "oneOf"):
            if keyword in schema and not isinstance(schema[keyword], list):
                raise SchemaError(f"{path or '<root>'}: {keyword} must be a list")
        if "allOf" in schema:
            failed = False
            for sub in schema["allOf"]:
                errs = _run(value, sub, path)
                failed = failed or bool(errs)
                self.errors.extend(errs)
            if failed:
                self.invalid(path, value, "must validate all the schemas (allOf)")
        if "anyOf" in schema:
            results = [_run(value, sub, path) for sub in schema["anyOf"]]
            if results and all(results):
                self.invalid(path, value, "must validate at least one schema (anyOf)")
                self.errors.extend(_fewest(results))
        if "oneOf" in schema:
            results = [_run(value, sub, path) for sub in schema["oneOf"]]
            passing = sum(1 for r in results if not r)
            if results and passing != 1:
                self.invalid(path, value, "must validate one and only one schema (oneOf)")
                if passing == 0:
                    self.errors.extend(_fewest(results))
        if "not" in schema and not _run(value, schema["not"], path):
            self.invalid(path, value, "must not validate the schema (not)")


def _fewest(results: list[list[FieldError]]) -> list[FieldError]:
    """The failing alternative closest to passing: its errors explain the junctor failure best."""
    return min(results, key=lambda r: len(r))


def _subject(path: str) -> str:
    """How kube-openapi names the failing value: ``spec.f in body``, or ``body`` for the root."""
    return f"{path} in body" if path else "body"


def _run(value: Any, schema: Any, path: str) -> list[FieldError]:
    v = _Validator()
    v.check(value, _schema(schema, path), path)
    return v.errors


def validate(obj: Any, schema: Mapping[str, Any], path: str = "") -> list[FieldError]:
    """Check ``obj`` against a structural schema; one :class:`FieldError` per failing field.

    Unknown fields are not errors here (pruning removes them first) unless ``additionalProperties``
    is false. Raises :class:`SchemaError` only for a malformed schema.
    """
    return _run(obj, schema, path)


# --------------------------------------------------------------------------------------------------
# Pruning


class _Pruner:
    def __init__(self) -> None:
        self.pruned: list[str] = []

    def prune(self, value: Any, schema: Mapping[str, Any] | None, path: str, *, root: bool = False) -> Any:
        if schema is not None and schema.get(_PRESERVE) is True:
            return self.skip(value, schema, path)
        if isinstance(value, dict):
            if schema is None:
                self.pruned.extend(_child(path, k) for k in value)
                return {}
            embedded = root or schema.get(_EMBEDDED) is True
            props = _props(schema, path)
            extra = _additional(schema, path)
            out: dict[str, Any] = {}
            for key, item in value.items():
                sub = _child(path, key)
                if embedded and key in _TYPE_META and (kept := self.type_meta(key, item, sub, root)) is not _GONE:
                    out[key] = kept
                elif key in props:
                    out[key] = self.prune(item, _schema(props[key], sub), sub)
                elif isinstance(extra, Mapping):
                    out[key] = self.prune(item, extra, sub)
                elif extra is True:
                    out[key] = copy.deepcopy(item)
                else:
                    self.pruned.append(sub)
            return out
        if isinstance(value, list):
            item_schema = _items(schema, path)
            return [self.prune(v, item_schema, _index(path, i)) for i, v in enumerate(value)]
        return copy.deepcopy(value)

    def type_meta(self, key: str, item: Any, path: str, root: bool) -> Any:
        """apiVersion/kind/metadata of a resource: kept, with embedded metadata cut to ObjectMeta."""
        if key in ("apiVersion", "kind"):
            return copy.deepcopy(item) if isinstance(item, str) else _GONE
        if not isinstance(item, dict):
            return _GONE
        if root:
            # the top-level metadata belongs to the ObjectMeta codec, not to the CRD schema
            return copy.deepcopy(item)
        out = {}
        for k, v in item.items():
            if k in OBJECT_META_FIELDS:
                out[k] = copy.deepcopy(v)
            else:
                self.pruned.append(_child(path, k))
        return out

    def skip(self, value: Any, schema: Mapping[str, Any], path: str) -> Any:
        """Under preserve-unknown-fields unknown keys stay, but declared fields are still pruned inside."""
        if isinstance(value, dict):
            props = _props(schema, path)
            extra = _additional(schema, path)
            embedded = schema.get(_EMBEDDED) is True
            out: dict[str, Any] = {}
            for key, item in value.items():
                sub = _child(path, key)
                if embedded and key == "metadata" and isinstance(item, dict):
                    out[key] = self.type_meta(key, item, sub, False)
                elif key in props:
                    out[key] = self.prune(item, _schema(props[key], sub), sub)
                elif isinstance(extra, Mapping):
                    out[key] = self.prune(item, extra, sub)
                else:
                    out[key] = copy.deepcopy(item)
            return out
        if isinstance(value, list) and (item_schema := _items(schema, path)) is not None:
            return [self.skip(v, item_schema, _index(path, i)) for i, v in enumerate(value)]
        return copy.deepcopy(value)


class _Gone:
    """Marker: a type-meta field of the wrong shape falls through to ordinary pruning."""


_GONE: Any = _Gone()


def prune(obj: Any, schema: Mapping[str, Any]) -> tuple[Any, list[str]]:
    """Drop fields the schema does not declare; return the pruned copy and the dropped paths.

    The object is treated as a resource root: its ``apiVersion``, ``kind`` and ``metadata`` are never
    pruned. Nested ``x-kubernetes-embedded-resource`` objects keep their type meta and have their
    ``metadata`` cut to ObjectMeta fields. Under ``x-kubernetes-preserve-unknown-fields`` unknown keys
    stay. Paths are ``spec.foo`` / ``spec.items[1].bar``, in the order met.
    """
    p = _Pruner()
    out = p.prune(obj, _schema(schema, ""), "", root=True)
    return out, p.pruned


# --------------------------------------------------------------------------------------------------
# Defaulting


def _default(value: Any, schema: Mapping[str, Any], path: str) -> Any:
    if isinstance(value, dict):
        props = _props(schema, path)
        extra = _additional(schema, path)
        out = dict(value)
        for key, prop in props.items():
            prop = _schema(prop, _child(path, key))
            if "default" not in prop:
                continue
            if key not in out or (out[key] is None and prop.get("nullable") is not True):
                out[key] = copy.deepcopy(prop["default"])
        for key in list(out):
            item = out[key]
            sub = _schema(props[key], _child(path, key)) if key in props else extra
            if not isinstance(sub, Mapping):
                out[key] = copy.deepcopy(item)
            elif item is None and sub.get("nullable") is not True:
                # a null in a non-nullable field without a default is dropped, not reported
                del out[key]
            else:
                out[key] = _default(item, sub, _child(path, key))
        return out
    if isinstance(value, list) and (item_schema := _items(schema, path)) is not None:
        return [_default(v, item_schema, _index(path, i)) for i, v in enumerate(value)]
    return copy.deepcopy(value)


def apply_defaults(obj: Any, schema: Mapping[str, Any]) -> Any:
    """Fill ``default`` values into a copy of ``obj``, as the server does on write and on read.

    A default applies when the field is absent, or null and not nullable; defaults are applied before
    descending, so a defaulted object gets its own nested defaults too. Like the server (which prunes
    them right after defaulting), nulls in non-nullable fields without a default are dropped.
    """
    return _default(obj, _schema(schema, ""), "")


# --------------------------------------------------------------------------------------------------
# Structural schema check

_FORBIDDEN_KEYWORDS = (
    "$ref",
    "definitions",
    "dependencies",
    "additionalItems",
    "patternProperties",
    "id",
    "$schema",
)
_TYPES = ("string", "integer", "number", "boolean", "object", "array")
_JUNCTORS = ("allOf", "anyOf", "oneOf", "not")
_JUNCTOR_FORBIDDEN = (
    "type",
    "default",
    "nullable",
    "description",
    "additionalProperties",
    _PRESERVE,
    _EMBEDDED,
    _INT_OR_STRING,
)


def _shown(path: str) -> str:
    return path or "<root>"


def _structural(
    schema: Any, path: str, reasons: list[str], *, root: bool = False, junctor: bool = False, allow_type: bool = False
) -> None:
    if not isinstance(schema, Mapping):
        reasons.append(f"{_shown(path)}: must be a schema object")
        return
    for keyword in _FORBIDDEN_KEYWORDS:
        if keyword in schema:
            reasons.append(f"{_child(path, keyword)}: Forbidden: {keyword} is not supported")
    if _PRESERVE in schema and schema[_PRESERVE] is not True:
        reasons.append(f"{_child(path, _PRESERVE)}: Invalid value: must be true or undefined")
    if junctor:
        for keyword in _JUNCTOR_FORBIDDEN:
            if keyword in schema and not (keyword == "type" and allow_type):
                reasons.append(f"{_child(path, keyword)}: Forbidden: must not be used inside {path}")
    _keyword_shapes(schema, path, reasons)
    typ = schema.get("type")
    preserve = schema.get(_PRESERVE) is True
    int_or_string = schema.get(_INT_OR_STRING) is True
    if isinstance(typ, str) and typ not in _TYPES:
        reasons.append(f"{_child(path, 'type')}: Unsupported value: {_render(typ)}")
    if int_or_string and typ is not None:
        reasons.append(f"{_child(path, 'type')}: Invalid value: must be empty if x-kubernetes-int-or-string is true")
    if not junctor and typ is None and not preserve and not int_or_string:
        reasons.append(f"{_child(path, 'type')}: Required value: must not be empty for specified object fields")
    if root and typ != "object":
        reasons.append(f"{_child(path, 'type')}: Invalid value: must be object at the root")
    if "properties" in schema and "additionalProperties" in schema:
        reasons.append(f"{_shown(path)}: Forbidden: additionalProperties and properties are mutual exclusive")
    if schema.get("additionalProperties") is False:
        reasons.append(f"{_child(path, 'additionalProperties')}: Forbidden: must not be false (use pruning)")
    if schema.get("uniqueItems") is True:
        reasons.append(
            f"{_child(path, 'uniqueItems')}: Forbidden: uniqueItems cannot be set to true since the runtime "
            "complexity becomes quadratic"
        )
    if typ == "array" and "items" not in schema and not junctor:
        reasons.append(f"{_child(path, 'items')}: Required value: must be specified")
    if "items" in schema and isinstance(schema["items"], list):
        reasons.append(f"{_child(path, 'items')}: Forbidden: items must be a schema object and not an array")
    if schema.get(_EMBEDDED) is True and (typ != "object" or not ("properties" in schema or preserve)):
        reasons.append(
            f"{_child(path, _EMBEDDED)}: Invalid value: requires type object and properties or "
            "x-kubernetes-preserve-unknown-fields"
        )
    list_type = schema.get(_LIST_TYPE)
    if list_type is not None and list_type not in ("atomic", "set", "map"):
        reasons.append(f"{_child(path, _LIST_TYPE)}: Unsupported value: {_render(list_type)}")
    if list_type == "map" and not schema.get(_MAP_KEYS):
        reasons.append(f"{_child(path, _MAP_KEYS)}: Required value: must be specified when {_LIST_TYPE} is map")
    if _MAP_KEYS in schema and list_type != "map":
        reasons.append(f"{_child(path, _MAP_KEYS)}: Forbidden: requires {_LIST_TYPE} map")

    props = schema.get("properties")
    if props is not None:
        if not isinstance(props, Mapping):
            reasons.append(f"{_child(path, 'properties')}: must be an object")
        else:
            for key, sub in props.items():
                where = _child(path, f"properties[{key}]")
                if root and key == "metadata":
                    _root_metadata(sub, where, reasons)
                    continue
                _structural(sub, where, reasons, junctor=junctor)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        _structural(extra, _child(path, "additionalProperties"), reasons, junctor=junctor)
    items = schema.get("items")
    if isinstance(items, Mapping):
        _structural(items, _child(path, "items"), reasons, junctor=junctor)
    for keyword in _JUNCTORS:
        if keyword not in schema:
            continue
        subs = [schema[keyword]] if keyword == "not" else schema[keyword]
        if not isinstance(subs, list):
            reasons.append(f"{_child(path, keyword)}: must be a list of schemas")
            continue
        for i, sub in enumerate(subs):
            where = _child(path, keyword) if keyword == "not" else f"{_child(path, keyword)}[{i}]"
            # the one place a junctor may name types: int-or-string's anyOf [{type: integer}, {type: string}]
            allow = int_or_string and keyword in ("anyOf", "allOf")
            _structural(sub, where, reasons, junctor=True, allow_type=allow)
            _counterparts(sub, schema, where, reasons)


_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")
_NUMBERS = ("minimum", "maximum", "multipleOf")


def _keyword_shapes(schema: Mapping[str, Any], path: str, reasons: list[str]) -> None:
    """Keyword values of the wrong shape: a schema passing this never makes validate/prune raise."""
    for keyword in _COUNTS:
        value = schema.get(keyword)
        if keyword in schema and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            reasons.append(f"{_child(path, keyword)}: Invalid value: must be a non-negative integer")
    for keyword in _NUMBERS:
        value = schema.get(keyword)
        if keyword in schema and (isinstance(value, bool) or not isinstance(value, int | float)):
            reasons.append(f"{_child(path, keyword)}: Invalid value: must be a number")
    if "pattern" in schema:
        pattern = schema["pattern"]
        if not isinstance(pattern, str):
            reasons.append(f"{_child(path, 'pattern')}: Invalid value: must be a string")
        else:
            try:
                re.compile(pattern)
            except re.error as exc:
                reasons.append(f"{_child(path, 'pattern')}: Invalid value: {_render(pattern)}: {exc}")
    if "enum" in schema and not isinstance(schema["enum"], list):
        reasons.append(f"{_child(path, 'enum')}: Invalid value: must be a list")
    for keyword in ("required", _MAP_KEYS):
        value = schema.get(keyword)
        if keyword in schema and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            reasons.append(f"{_child(path, keyword)}: Invalid value: must be a list of strings")
    extra = schema.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool | Mapping):
        reasons.append(f"{_child(path, 'additionalProperties')}: Invalid value: must be a schema or a boolean")
    if "type" in schema and not isinstance(schema["type"], str):
        reasons.append(f"{_child(path, 'type')}: Invalid value: must be a string")
    for keyword in ("nullable", "exclusiveMinimum", "exclusiveMaximum", "uniqueItems"):
        if keyword in schema and not isinstance(schema[keyword], bool):
            reasons.append(f"{_child(path, keyword)}: Invalid value: must be a boolean")


def _counterparts(sub: Any, structural: Mapping[str, Any], where: str, reasons: list[str]) -> None:
    """Value validations may only talk about properties the structural part declares."""
    if not isinstance(sub, Mapping) or not isinstance(sub.get("properties"), Mapping):
        return
    if structural.get(_PRESERVE) is True or isinstance(structural.get("additionalProperties"), Mapping):
        return
    declared = structural.get("properties")
    declared = declared if isinstance(declared, Mapping) else {}
    for key in sub["properties"]:
        if key not in declared:
            reasons.append(
                f"{where}.properties[{key}]: Required value: must have a counterpart in the structural schema"
            )


def _root_metadata(schema: Any, path: str, reasons: list[str]) -> None:
    """Root metadata may only constrain name and generateName (as strings)."""
    if not isinstance(schema, Mapping):
        reasons.append(f"{path}: must be a schema object")
        return
    allowed = {"type", "properties", "description"}
    for key in schema:
        if key not in allowed:
            reasons.append(f"{path}: Forbidden: must not specify anything other than name and generateName")
            break
    if schema.get("type") not in (None, "object"):
        reasons.append(f"{path}.type: Invalid value: must be object")
    props = schema.get("properties") or {}
    if not isinstance(props, Mapping):
        reasons.append(f"{path}.properties: must be an object")
        return
    for key, sub in props.items():
        if key not in ("name", "generateName"):
            reasons.append(
                f"{path}.properties[{key}]: Forbidden: must not specify anything other than name and generateName"
            )
        elif not isinstance(sub, Mapping) or sub.get("type") != "string":
            reasons.append(f"{path}.properties[{key}].type: Invalid value: must be string")


def is_structural(schema: Any) -> list[str]:
    """Reasons the CRD schema is not structural (empty list: it is), one readable line each.

    Used when a CRD is created or updated: apiextensions v1 refuses non-structural schemas with 422.
    Never raises: a malformed schema is itself a reason.
    """
    reasons: list[str] = []
    _structural(schema, "", reasons, root=True)
    return reasons
