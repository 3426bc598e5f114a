"""OpenYurt's own condition struct: one model for every OpenYurt kind, and ``get_condition``.

Cases: every registered OpenYurt status with ``conditions`` uses :class:`OpenYurtCondition` (except
PoolService, which uses metav1.Condition); the struct is loose (any status, Go's null time) and keeps
unknown keys; ``get_condition`` finds the first of a type on any condition model, or None.
"""

from __future__ import annotations

import typing

from openyurt.core.api import apps_v1, meta_v1, registered_kinds
from openyurt.core.api._conditions import OpenYurtCondition, get_condition
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool


def _condition_model(status_cls: type) -> type | None:
    field = getattr(status_cls, "model_fields", {}).get("conditions")
    if field is None:
        return None
    (inner,) = [a for a in typing.get_args(field.annotation) if a is not type(None)]
    (item,) = typing.get_args(inner)
    return item  # type: ignore[no-any-return]


def test_every_openyurt_kind_shares_one_condition_model() -> None:
    seen: dict[str, type | None] = {}
    for cls in registered_kinds().values():
        if cls.info.builtin or "status" not in cls.model_fields:
            continue
        status = [a for a in typing.get_args(cls.model_fields["status"].annotation) if a is not type(None)]
        status_cls = status[0] if status else cls.model_fields["status"].annotation
        model = _condition_model(status_cls)
        if model is not None:
            seen[f"{cls.info.api_version}/{cls.info.kind}"] = model
    assert seen.pop("network.openyurt.io/v1alpha1/PoolService") is meta_v1.Condition
    assert seen and set(seen.values()) == {OpenYurtCondition}
    assert {"apps.openyurt.io/v1beta2/NodePool", "iot.openyurt.io/v1beta1/PlatformAdmin"} <= set(seen)


def test_the_struct_is_loose_and_keeps_unknown_keys() -> None:
    pool = NodePool.model_validate(
        {
            "apiVersion": "apps.openyurt.io/v1beta2",
            "kind": "NodePool",
            "metadata": {"name": "p"},
            "status": {"conditions": [{"type": "X", "status": "Maybe", "lastTransitionTime": None, "extra": 1}]},
        }
    )
    assert pool.status is not None and pool.status.conditions is not None
    cond = pool.status.conditions[0]
    assert (cond.type, cond.status, cond.last_transition_time) == ("X", "Maybe", None)
    assert cond.to_wire() == {"type": "X", "status": "Maybe", "lastTransitionTime": None, "extra": 1}


def test_get_condition_finds_the_first_of_a_type() -> None:
    conds = [OpenYurtCondition(type="A", status="True"), OpenYurtCondition(type="B"), OpenYurtCondition(type="A")]
    assert get_condition(conds, "A") is conds[0]
    assert get_condition(conds, "C") is None
    assert get_condition(None, "A") is None
    workload = [apps_v1.WorkloadCondition(type="Available", status="True")]
    assert apps_v1.workload_condition(workload, "Available") is workload[0]
