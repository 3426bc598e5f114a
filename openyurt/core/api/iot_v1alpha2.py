"""iot.openyurt.io/v1alpha2: PlatformAdmin with a single ``poolName`` (in the CRD, not served).

Every published PlatformAdmin example is written against this version, so we parse it and convert it
to the served v1beta1 with upstream's rules: ``poolName`` is ``nodepools[0]``, further pools travel as
a JSON array in annotation ``AdditionalNodepools``, the platform is always ``edgex`` and ``security``
is always false. Unlike upstream, the annotation is consumed on the way to v1beta1 (a stale copy
could otherwise re-add pools later) and an empty pool list converts without failing.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api import iot_v1alpha1
from openyurt.core.api import iot_v1beta1 as v1beta1
from openyurt.core.api._base import FieldError, ObjectInvalid, ResourceInfo, WireModel
from openyurt.core.api._resource import Resource, register, register_conversion
from openyurt.core.api.iot_v1beta1 import Component, PlatformAdminStatus
from openyurt.core.api.meta_v1 import ObjectMeta

GROUP = iot_v1alpha1.GROUP
VERSION = "v1alpha2"


class PlatformAdminSpec(WireModel):
    version: str | None = None
    image_registry: str | None = None
    pool_name: str | None = Field(default=None, description="The one NodePool to deploy EdgeX into")
    platform: str | None = None
    components: list[Component] | None = None
    security: bool | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version=VERSION,
        kind="PlatformAdmin",
        plural="platformadmins",
        singular="platformadmin",
        short_names=("pa",),
        namespaced=True,
        categories=("yurt",),
        served=False,
        storage=False,
        printer_columns=v1beta1.PRINTER_COLUMNS,
    )
)
class PlatformAdmin(Resource):
    spec: PlatformAdminSpec = Field(default_factory=PlatformAdminSpec)
    status: PlatformAdminStatus = Field(default_factory=PlatformAdminStatus)


# --------------------------------------------------------------------------------------------------
# Conversion (hub: v1beta1)

_ANNOTATION = wellknown.ANNOTATION_ADDITIONAL_NODEPOOLS


def _with_annotation(meta: ObjectMeta, value: str | None) -> ObjectMeta:
    """``meta`` with the AdditionalNodepools annotation set (or removed when ``value`` is None)."""
    annotations = dict(meta.annotations or {})
    if value is None:
        if _ANNOTATION not in annotations:
            return meta
        del annotations[_ANNOTATION]
    else:
        annotations[_ANNOTATION] = value
    data = meta.model_dump(mode="python", exclude_unset=True, round_trip=True)
    data.pop("annotations", None)
    if annotations:
        data["annotations"] = annotations
    return ObjectMeta.model_validate(data, strict=False)


def _additional_pools(pa: PlatformAdmin) -> list[str]:
    raw = (pa.metadata.annotations or {}).get(_ANNOTATION)
    if raw is None:
        return []
    try:
        pools = json.loads(raw)
    except ValueError:
        pools = None
    if not isinstance(pools, list) or not all(isinstance(p, str) for p in pools):
        raise ObjectInvalid(
            pa.kind,
            pa.name,
            [
                FieldError(
                    f"metadata.annotations[{_ANNOTATION}]", f"Invalid value: {raw!r}: must be a JSON array of strings"
                )
            ],
        )
    return pools


def to_v1beta1(pa: PlatformAdmin) -> v1beta1.PlatformAdmin:
    """v1alpha2 -> v1beta1: poolName plus the annotation's pools become ``nodepools``."""
    src = pa.spec
    spec: dict[str, Any] = {
        n: getattr(src, n) for n in ("version", "image_registry", "components") if n in src.model_fields_set
    }
    pools = ([src.pool_name] if src.pool_name else []) + _additional_pools(pa)
    if pools or "pool_name" in src.model_fields_set:
        spec["nodepools"] = pools
    spec["platform"] = v1beta1.PLATFORM_EDGEX
    spec["security"] = False
    out: dict[str, Any] = {"metadata": _with_annotation(pa.metadata, None), "spec": v1beta1.PlatformAdminSpec(**spec)}
    if "status" in pa.model_fields_set:
        out["status"] = pa.status
    return v1beta1.PlatformAdmin(**out)


def from_v1beta1(pa: v1beta1.PlatformAdmin) -> PlatformAdmin:
    """v1beta1 -> v1alpha2: ``nodepools[0]`` is poolName, the rest go to annotation AdditionalNodepools."""
    src = pa.spec
    spec: dict[str, Any] = {
        n: getattr(src, n) for n in ("version", "image_registry", "components") if n in src.model_fields_set
    }
    pools = src.nodepools or []
    if pools:
        spec["pool_name"] = pools[0]
    elif "nodepools" in src.model_fields_set:
        spec["pool_name"] = ""
    spec["platform"] = v1beta1.PLATFORM_EDGEX
    spec["security"] = False
    extra = json.dumps(pools[1:], separators=(",", ":")) if len(pools) > 1 else None
    out: dict[str, Any] = {"metadata": _with_annotation(pa.metadata, extra), "spec": PlatformAdminSpec(**spec)}
    if "status" in pa.model_fields_set:
        out["status"] = pa.status
    return PlatformAdmin(**out)


register_conversion(PlatformAdmin, v1beta1.PlatformAdmin, to_v1beta1)
register_conversion(v1beta1.PlatformAdmin, PlatformAdmin, from_v1beta1)
