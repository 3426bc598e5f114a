"""The machinery every wire model shares: aliases, strictness, field paths, the kind registry.

Objects cross three borders (kubectl YAML, Go components' JSON, our own planners) and must come back
byte-for-byte equivalent, so a model keeps what the user sent: unknown keys survive in
``__pydantic_extra__``, unset fields stay unset and ``to_wire`` emits exactly what was set. Parsing is
strict like Go's JSON decoder (``"3"`` is not an integer) and every error carries the wire path of the
field (``spec.workload.workloadTweaks[0].pools``), because that is what an operator greps for.

Schema facts that pydantic cannot express but the CRD generator needs (``format: int32``,
``x-kubernetes-preserve-unknown-fields``, int-or-string) ride along as :class:`OpenAPI` markers in
``Annotated`` metadata, so the models stay the single source of the API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal, Self

import attrs
import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

# --------------------------------------------------------------------------------------------------
# Errors that name the field


@attrs.frozen
class FieldError:
    """One rejected field, in the vocabulary of the API server's ``Status.details.causes``."""

    path: str
    message: str
    #: Kubernetes cause type: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported,
    #: FieldValueForbidden, FieldValueDuplicate, FieldValueTypeInvalid.
    reason: str = "FieldValueInvalid"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ObjectInvalid(ValueError):
    """Raised when an object would be refused by the API server or an OpenYurt webhook."""

    def __init__(self, kind: str, name: str, errors: Iterable[FieldError]) -> None:
        self.kind = kind
        self.name = name
        self.errors = tuple(errors)
        super().__init__(f"{kind} {name!r} is invalid: " + "; ".join(str(e) for e in self.errors))


def format_path(loc: Iterable[str | int]) -> str:
    """Render a location tuple as the API server does: ``a.b[0].c``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


_PYDANTIC_REASON = {
    "missing": "FieldValueRequired",
    "literal_error": "FieldValueNotSupported",
    "enum": "FieldValueNotSupported",
}
_TYPE_NAMES = {
    "list_type": "array",
    "tuple_type": "array",
    "int_type": "integer",
    "int_parsing": "integer",
    "string_type": "string",
    "bool_type": "boolean",
    "float_type": "number",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
}
_JSON_TYPE_NAME = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    list: "array",
    dict: "object",
    type(None): "null",
}


def json_type_name(value: object) -> str:
    return _JSON_TYPE_NAME.get(type(value), type(value).__name__)


def _is_internal_loc(part: str | int) -> bool:
    # pydantic inserts validator names such as "function-after[...]" into locations
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def errors_from_pydantic(exc: pydantic.ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = prefix + tuple(p for p in err["loc"] if not _is_internal_loc(p))
        etype = err["type"]
        if etype in _TYPE_NAMES:
            msg = f"Invalid value: expected {_TYPE_NAMES[etype]}, got {json_type_name(err.get('input'))}"
            reason = "FieldValueTypeInvalid"
        elif etype == "missing":
            msg = "Required value"
            reason = "FieldValueRequired"
        else:
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            reason = _PYDANTIC_REASON.get(etype, "FieldValueInvalid")
        out.append(FieldError(format_path(loc), msg, reason))
    return out


# --------------------------------------------------------------------------------------------------
# Schema markers and common scalar types


@attrs.frozen
class OpenAPI:
    """Extra OpenAPI v3 keys the CRD generator copies into a field's schema verbatim."""

    items: tuple[tuple[str, Any], ...]

    def __init__(self, **keys: Any) -> None:
        self.__attrs_init__(tuple(sorted(keys.items())))  # type: ignore[attr-defined]

    @property
    def keys(self) -> dict[str, Any]:
        return dict(self.items)


@attrs.frozen
class SchemaRef:
    """The field's schema is a bundled Kubernetes schema fragment (``core/api/schemas/<name>.json``).

    Used where upstream embeds a whole built-in spec (a DeploymentSpec in PlatformAdmin v1alpha1) that
    we keep schemaless in Python but must describe field by field in the CRD.
    """

    name: str


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _check_time(value: str) -> str:
    if not _RFC3339.match(value):
        raise ValueError(f"Invalid value: {value!r}: must be an RFC 3339 date-time")
    return value


def _check_int_or_string(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"Invalid value: expected integer or string, got {json_type_name(value)}")
    return value


Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1), OpenAPI(format="int32")]
Int64 = Annotated[int, OpenAPI(format="int64")]
#: RFC 3339 timestamps stay strings: re-formatting a datetime would break byte-level round trips.
Time = Annotated[str, AfterValidator(_check_time), OpenAPI(format="date-time")]
MicroTime = Annotated[str, AfterValidator(_check_time), OpenAPI(format="date-time")]
IntOrString = Annotated[
    int | str,
    BeforeValidator(_check_int_or_string),
    OpenAPI(**{"x-kubernetes-int-or-string": True}),
]
#: An object whose content the API server keeps as is (``x-kubernetes-preserve-unknown-fields``).
Schemaless = Annotated[
    dict[str, Any],
    OpenAPI(type="object", **{"x-kubernetes-preserve-unknown-fields": True}),
]
#: Any JSON value (a patch ``value``), kept as is.
AnyJSON = Annotated[Any, OpenAPI(**{"x-kubernetes-preserve-unknown-fields": True})]
StrMap = dict[str, str]


# --------------------------------------------------------------------------------------------------
# Base models


class WireModel(BaseModel):
    """A JSON object on the wire: camelCase, strict, immutable, unknown keys preserved."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        strict=True,
        frozen=True,
        ser_json_inf_nan="constants",
        protected_namespaces=(),
    )

    #: True for partially modelled Kubernetes types: their unknown keys are real fields we merely
    #: do not type, not fields the API server would prune.
    open_schema: ClassVar[bool] = False

    def to_wire(self) -> dict[str, Any]:
        """JSON-ready data with exactly the keys that were set, in wire spelling."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def evolve(self, **changes: Any) -> Self:
        """A copy with fields replaced (python names), re-validated so invariants hold."""
        data = self.model_dump(mode="python", by_alias=False, exclude_unset=True, round_trip=True)
        data.update(changes)
        return type(self).model_validate(data, strict=False)


#: Characters valid in a printer column type.
PrinterColumnType = Literal["integer", "number", "string", "boolean", "date"]


@attrs.frozen
class PrinterColumn:
    name: str
    json_path: str
    type: PrinterColumnType = "string"
    description: str = ""
    priority: int = 0
    format: str = ""


@attrs.frozen
class ResourceInfo:
    """Everything a CRD, a discovery document or a REST path needs to know about a kind/version."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str = ""
    short_names: tuple[str, ...] = ()
    namespaced: bool = True
    categories: tuple[str, ...] = ()
    served: bool = True
    storage: bool = True
    deprecated: bool = False
    deprecation_warning: str | None = None
    printer_columns: tuple[PrinterColumn, ...] = ()
    status_subresource: bool = True
    #: (specReplicasPath, statusReplicasPath, labelSelectorPath) for a scale subresource.
    scale: tuple[str, str, str | None] | None = None
    #: A Kubernetes built-in (no CRD of ours); otherwise an OpenYurt kind.
    builtin: bool = False
    #: Whether the kind/version goes into specs/crds (False for kinds upstream no longer ships).
    crd: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()
