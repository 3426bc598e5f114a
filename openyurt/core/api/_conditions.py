"""OpenYurt's own condition struct, shared by every OpenYurt kind that reports conditions.

NodePool, YurtAppSet, YurtAppDaemon and the IoT kinds (Device, DeviceService, PlatformAdmin) all
declare the same loose Go struct: ``type``/``status``/``lastTransitionTime``/``reason``/``message``, no
``observedGeneration`` and no schema patterns or enums (unlike ``metav1.Condition`` in ``meta_v1``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from openyurt.core.api._base import Time, WireModel


class OpenYurtCondition(WireModel):
    """OpenYurt's own condition struct: no observedGeneration, nothing schema-checked."""

    type: str | None = None
    status: str | None = None
    #: A zero time is written as null by Go.
    last_transition_time: Time | None = None
    reason: str | None = None
    message: str | None = None


class _Typed(Protocol):
    @property
    def type(self) -> str | None: ...


C = TypeVar("C", bound=_Typed)


def get_condition(conditions: Iterable[C] | None, type_: str) -> C | None:
    """The first condition of that type, or None (any condition model: OpenYurt's, a workload's...)."""
    for cond in conditions or ():
        if cond.type == type_:
            return cond
    return None


__all__ = ["OpenYurtCondition", "get_condition"]
