"""iot.openyurt.io/v1beta1: PlatformAdmin, one EdgeX Foundry deployment across NodePools (served, storage).

The PlatformAdmin controller turns it into ConfigMaps, Services and one YurtAppSet per EdgeX component.
Defaulting and validation follow upstream's PlatformAdmin webhook handlers (the HEAD chart happens not
to register them; we apply them because they describe what the controller can actually deploy). The
checks that need cluster state (pool exists, pool not taken) are a pure function of that state,
``platformadmin_pool_errors``, for the API server to call with what it has stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import Self

from pydantic import Field

from openyurt.core.api._base import FieldError, Int32, PrinterColumn, ResourceInfo, WireModel
from openyurt.core.api._conditions import OpenYurtCondition
from openyurt.core.api._resource import Resource, register
from openyurt.core.api.iot_v1alpha1 import GROUP

VERSION = "v1beta1"

#: The only platform a PlatformAdmin can deploy.
PLATFORM_EDGEX = "edgex"
#: EdgeX releases the built-in manifest knows, newest first; the newest is the default.
EDGEX_VERSIONS = ("napa", "minnesota", "levski", "kamakura", "jakarta", "ireland", "hanoi")
LATEST_EDGEX_VERSION = EDGEX_VERSIONS[0]

#: Printer columns shared by v1alpha2 and v1beta1.
PRINTER_COLUMNS = (
    PrinterColumn("READY", ".status.ready", "boolean", "The platformadmin ready status"),
    PrinterColumn("ReadyComponentNum", ".status.readyComponentNum", "integer", "The Ready Component."),
    PrinterColumn("UnreadyComponentNum", ".status.unreadyComponentNum", "integer", "The Unready Component."),
)


class Component(WireModel):
    name: str


class PlatformAdminSpec(WireModel):
    version: str | None = Field(default=None, description="EdgeX release name, e.g. napa")
    image_registry: str | None = None
    #: Lower-case ``p``: ``nodePools`` is not a field and is pruned by the API server.
    nodepools: list[str] | None = Field(default=None, description="NodePools to deploy EdgeX into")
    platform: str | None = Field(default=None, description="Only edgex")
    components: list[Component] | None = Field(default=None, description="Optional components to add")
    security: bool | None = Field(default=None, description="Use the secure configuration set")


class PlatformAdminStatus(WireModel):
    ready: bool | None = None
    initialized: bool | None = None
    ready_component_num: Int32 | None = None
    unready_component_num: Int32 | None = None
    conditions: list[OpenYurtCondition] | None = None


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
        served=True,
        storage=True,
        printer_columns=PRINTER_COLUMNS,
    )
)
class PlatformAdmin(Resource):
    spec: PlatformAdminSpec = Field(default_factory=PlatformAdminSpec)
    status: PlatformAdminStatus = Field(default_factory=PlatformAdminStatus)

    def with_defaults(self) -> Self:
        """Empty version -> the newest EdgeX release; empty platform -> edgex."""
        changes: dict[str, str] = {}
        if not self.spec.version:
            changes["version"] = LATEST_EDGEX_VERSION
        if not self.spec.platform:
            changes["platform"] = PLATFORM_EDGEX
        return self.evolve(spec=self.spec.evolve(**changes)) if changes else self

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """Platform and version checks; see ``platformadmin_pool_errors`` for the cluster-state ones."""
        errors: list[FieldError] = []
        platform = self.spec.platform or ""
        if platform != PLATFORM_EDGEX:
            errors.append(
                FieldError(
                    "spec.platform",
                    f'Unsupported value: "{platform}": supported values: "{PLATFORM_EDGEX}"',
                    "FieldValueNotSupported",
                )
            )
        version = self.spec.version or ""
        if version not in EDGEX_VERSIONS:
            supported = ", ".join(f'"{v}"' for v in EDGEX_VERSIONS)
            errors.append(
                FieldError(
                    "spec.version",
                    f'Unsupported value: "{version}": supported values: {supported}',
                    "FieldValueNotSupported",
                )
            )
        return errors


def platformadmin_pool_errors(
    pa: PlatformAdmin, existing_pool_names: Set[str], other_platformadmins: Iterable[PlatformAdmin]
) -> list[FieldError]:
    """The webhook's pool rules: every pool in ``spec.nodepools`` exists and no other PlatformAdmin uses it.

    ``other_platformadmins`` may include ``pa`` itself (as stored, on update); it is skipped by
    namespace/name. Other PlatformAdmins count in every namespace.
    """
    owners: dict[str, str] = {}
    for other in other_platformadmins:
        if (other.namespace, other.name) == (pa.namespace, pa.name):
            continue
        for pool in other.spec.nodepools or []:
            owners.setdefault(pool, f"{other.namespace}/{other.name}")
    errors: list[FieldError] = []
    for i, pool in enumerate(pa.spec.nodepools or []):
        path = f"spec.nodepools[{i}]"
        if pool not in existing_pool_names:
            errors.append(FieldError(path, f'Not found: "{pool}": no such NodePool', "FieldValueNotFound"))
        elif pool in owners:
            errors.append(
                FieldError(path, f'Invalid value: "{pool}": NodePool is already used by PlatformAdmin {owners[pool]}')
            )
    return errors
