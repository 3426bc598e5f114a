"""Wire models for every OpenYurt kind and the Kubernetes built-ins we read and write.

One module per API group-version. Importing this package registers every kind, so
``parse_object`` can dispatch on apiVersion/kind.
"""

# Group-version modules register their kinds on import. Keep this list complete.
from openyurt.core.api import (
    apps_v1,
    coordination_v1,
    core_v1,
    discovery_v1,
    iot_v1alpha1,
    iot_v1alpha2,
    iot_v1beta1,
    meta_v1,
    network_v1alpha1,
    openyurt_apps_v1alpha1,
    openyurt_apps_v1beta1,
    openyurt_apps_v1beta2,
    raven_v1alpha1,
    raven_v1beta1,
)
from openyurt.core.api._base import FieldError, ObjectInvalid, ResourceInfo, WireModel
from openyurt.core.api._resource import (
    Resource,
    check_object,
    convert_object,
    default_object,
    kind_class,
    parse_object,
    pruned,
    registered_kinds,
    unknown_fields,
    validate_object,
)

_GROUP_VERSION_MODULES = (
    core_v1,
    apps_v1,
    coordination_v1,
    discovery_v1,
    openyurt_apps_v1beta2,
    openyurt_apps_v1beta1,
    openyurt_apps_v1alpha1,
    raven_v1alpha1,
    raven_v1beta1,
    network_v1alpha1,
    iot_v1alpha1,
    iot_v1alpha2,
    iot_v1beta1,
)

__all__ = [
    "FieldError",
    "ObjectInvalid",
    "Resource",
    "ResourceInfo",
    "WireModel",
    "check_object",
    "convert_object",
    "default_object",
    "kind_class",
    "meta_v1",
    "parse_object",
    "pruned",
    "registered_kinds",
    "unknown_fields",
    "validate_object",
]
