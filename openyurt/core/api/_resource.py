"""Top-level objects: the kind registry, parsing by apiVersion/kind, defaulting, validation, conversion.

Every kind registers itself with ``@register(ResourceInfo(...))``; that one record feeds the CRD
generator, discovery in the embedded API server and REST paths, so a kind's API facts live in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

import pydantic
from pydantic import Field, model_validator

from openyurt.core.api._base import (
    FieldError,
    ObjectInvalid,
    ResourceInfo,
    WireModel,
    errors_from_pydantic,
    json_type_name,
)
from openyurt.core.api.meta_v1 import ObjectMeta, validate_object_meta

_REGISTRY: dict[tuple[str, str], type[Resource]] = {}

R = TypeVar("R", bound="type[Resource]")


def register(info: ResourceInfo) -> Callable[[R], R]:
    """Class decorator: attach ``info`` to a Resource class and make ``parse_object`` know it."""

    def deco(cls: R) -> R:
        cls.info = info
        key = (info.api_version, info.kind)
        if key in _REGISTRY:
            raise RuntimeError(f"{key} registered twice")
        _REGISTRY[key] = cls
        return cls

    return deco


def registered_kinds() -> dict[tuple[str, str], type[Resource]]:
    return dict(_REGISTRY)


def kind_class(api_version: str, kind: str) -> type[Resource] | None:
    return _REGISTRY.get((api_version, kind))


class Resource(WireModel):
    """A top-level object: apiVersion, kind, metadata, and whatever the kind adds."""

    info: ClassVar[ResourceInfo]
    #: Whether upstream's mutating webhook also runs on UPDATE (YurtAppSet, YurtStaticSet, Gateway)
    #: or on CREATE only (NodePool: re-defaulting would reset its status).
    defaults_on_update: ClassVar[bool] = False

    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    @model_validator(mode="before")
    @classmethod
    def _fill_type_meta(cls, data: Any) -> Any:
        # apiVersion/kind are part of what is set, so to_wire always emits them.
        if isinstance(data, Mapping) and hasattr(cls, "info"):
            data = dict(data)
            if "apiVersion" not in data and "api_version" not in data:
                data["apiVersion"] = cls.info.api_version
            data.setdefault("kind", cls.info.kind)
        return data

    @model_validator(mode="after")
    def _check_type_meta(self) -> Self:
        info = getattr(type(self), "info", None)
        if info is not None and (self.api_version, self.kind) != (info.api_version, info.kind):
            raise ValueError(f"apiVersion/kind {self.api_version}/{self.kind} given to {info.api_version}/{info.kind}")
        return self

    @property
    def name(self) -> str:
        return self.metadata.name or ""

    @property
    def namespace(self) -> str:
        return self.metadata.namespace or ""

    # Hooks each kind may override -------------------------------------------------------------
    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """What upstream's validating webhook (or the API server beyond the schema) rejects."""
        return []

    def with_defaults(self) -> Self:
        """What upstream's mutating webhook fills in on create. Pure; returns a new object."""
        return self


# --------------------------------------------------------------------------------------------------
# Entry points


def parse_object(data: Mapping[str, Any]) -> Resource:
    """Parse wire data into the registered model of its apiVersion/kind.

    Raises ObjectInvalid naming each bad field; nothing is defaulted here (see ``default_object``).
    """
    if not isinstance(data, Mapping):
        raise ObjectInvalid("", "", [FieldError("", f"expected an object, got {json_type_name(data)}")])
    api_version, kind = data.get("apiVersion"), data.get("kind")
    meta = data.get("metadata")
    name = str(meta.get("name") or meta.get("generateName") or "") if isinstance(meta, Mapping) else ""
    missing = [
        FieldError(f, "Required value", "FieldValueRequired")
        for f, v in (("apiVersion", api_version), ("kind", kind))
        if not v
    ]
    if missing:
        raise ObjectInvalid(str(kind or ""), name, missing)
    cls = _REGISTRY.get((str(api_version), str(kind)))
    if cls is None:
        raise ObjectInvalid(
            str(kind), name, [FieldError("kind", f'no kind "{kind}" is registered for version "{api_version}"')]
        )
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ObjectInvalid(str(kind), name, errors_from_pydantic(exc)) from exc


def unknown_fields(model: WireModel, prefix: str = "") -> list[str]:
    """Paths of keys the API server would prune: extras on fully modelled (structural) objects."""
    out: list[str] = []
    _walk_unknown(model, prefix, out)
    return out


def _walk_unknown(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, WireModel):
        if not type(value).open_schema and value.__pydantic_extra__:
            out.extend(f"{path}.{k}" if path else k for k in value.__pydantic_extra__)
        for fname in value.model_fields_set:
            finfo = type(value).model_fields.get(fname)
            if finfo is None:
                continue
            alias = finfo.alias or fname
            _walk_unknown(getattr(value, fname), f"{path}.{alias}" if path else alias, out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk_unknown(item, f"{path}[{i}]", out)
    elif isinstance(value, dict):
        for k, item in value.items():
            if isinstance(item, WireModel | list | dict):
                _walk_unknown(item, f"{path}[{k}]", out)


def pruned(model: WireModel) -> dict[str, Any]:
    """Wire data without the keys ``unknown_fields`` reports, as the API server would store it."""
    return _prune(model)  # type: ignore[no-any-return]


def _prune(value: Any) -> Any:
    if isinstance(value, WireModel):
        out: dict[str, Any] = {}
        cls = type(value)
        for fname in cls.model_fields:
            if fname in value.model_fields_set:
                finfo = cls.model_fields[fname]
                out[finfo.alias or fname] = _prune(getattr(value, fname))
        if cls.open_schema and value.__pydantic_extra__:
            out.update(pydantic.TypeAdapter(dict[str, Any]).dump_python(value.__pydantic_extra__, mode="json"))
        return out
    if isinstance(value, list | tuple):
        return [_prune(v) for v in value]
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items()}
    return pydantic.TypeAdapter(Any).dump_python(value, mode="json")


def default_object(obj: Resource, *, update: bool = False) -> Resource:
    """Apply upstream's mutating-webhook defaults; never called implicitly by parsing.

    ``update`` says the object replaces a stored one: kinds whose webhook runs on CREATE only are
    then left alone.
    """
    if update and not type(obj).defaults_on_update:
        return obj
    return obj.with_defaults()


def validate_object(obj: Resource, old: Resource | None = None) -> tuple[FieldError, ...]:
    """Everything beyond the schema the API server and OpenYurt's webhooks reject.

    ``old`` is the stored object on update (immutability rules), None on create.
    """
    errors = validate_object_meta(obj.metadata, namespaced=obj.info.namespaced)
    errors.extend(obj.semantic_errors(old))
    return tuple(errors)


def check_object(data: Mapping[str, Any], old: Resource | None = None) -> Resource:
    """Parse, default and validate, as an API server with OpenYurt's webhooks would on create/update.

    Returns the defaulted object; raises ObjectInvalid with every error found.
    """
    obj = default_object(parse_object(data), update=old is not None)
    errors = validate_object(obj, old)
    if errors:
        raise ObjectInvalid(obj.kind, obj.name or obj.metadata.generate_name or "", errors)
    return obj


# --------------------------------------------------------------------------------------------------
# Conversion between versions of one kind (hub and spoke through the storage version)

_CONVERTERS: dict[tuple[type[Resource], type[Resource]], Callable[[Any], Any]] = {}


def register_conversion(src: type[Resource], dst: type[Resource], fn: Callable[[Any], Any]) -> None:
    _CONVERTERS[(src, dst)] = fn


def convert_object(obj: Resource, api_version: str) -> Resource:
    """Convert ``obj`` to another served version of its kind, through the hub (storage) version."""
    if obj.api_version == api_version:
        return obj
    dst = _REGISTRY.get((api_version, obj.kind))
    if dst is None:
        raise ObjectInvalid(obj.kind, obj.name, [FieldError("apiVersion", f"no version {api_version} of {obj.kind}")])
    src = type(obj)
    direct = _CONVERTERS.get((src, dst))
    if direct is not None:
        return direct(obj)  # type: ignore[no-any-return]
    hub = next(
        (c for (a, k), c in _REGISTRY.items() if k == obj.kind and c.info.storage and c.info.group == obj.info.group),
        None,
    )
    if hub is None or (src, hub) not in _CONVERTERS or (hub, dst) not in _CONVERTERS:
        raise ObjectInvalid(obj.kind, obj.name, [FieldError("apiVersion", f"cannot convert to {api_version}")])
    return _CONVERTERS[(hub, dst)](_CONVERTERS[(src, hub)](obj))  # type: ignore[no-any-return]
