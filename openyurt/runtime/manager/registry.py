"""The controller registry: a name and a factory per controller, chosen with ``--controllers``.

Adding a controller is one decorated function that builds it from a :class:`ControllerContext`
(shared informers, a client, the clock, an event recorder, metrics); the manager decides whether and
when it runs (all of them with ``*``, only while leading with ``--leader-elect``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import InformerFactory
from openyurt.adapters.kube.protocols import Client
from openyurt.runtime.manager.metrics import ManagerMetrics

if TYPE_CHECKING:
    from openyurt.runtime.controller import Controller, EventRecorder


@attrs.define
class ControllerContext:
    """What a controller factory gets to build its controller with."""

    client: Client
    informers: InformerFactory
    clock: Clock
    metrics: ManagerMetrics
    rng: random.Random
    recorder: Callable[[str], EventRecorder]


ControllerFactory = Callable[[ControllerContext], "Controller"]

_FACTORIES: dict[str, ControllerFactory] = {}


def register_controller(name: str) -> Callable[[ControllerFactory], ControllerFactory]:
    """Decorator: make ``name`` selectable with ``--controllers``."""

    def deco(factory: ControllerFactory) -> ControllerFactory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise RuntimeError(f"controller {name!r} registered twice")
        _FACTORIES[name] = factory
        return factory

    return deco


def unregister_controller(name: str) -> None:
    _FACTORIES.pop(name, None)


def registered_controllers() -> dict[str, ControllerFactory]:
    return dict(_FACTORIES)


def select_controllers(
    spec: str, available: dict[str, ControllerFactory] | None = None
) -> dict[str, ControllerFactory]:
    """``*`` (all), ``a,b`` (those), ``*,-a`` (all but a), as kube-controller-manager reads --controllers."""
    known = registered_controllers() if available is None else available
    chosen: dict[str, ControllerFactory] = {}
    excluded: set[str] = set()
    star = False
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            star = True
        elif item.startswith("-"):
            excluded.add(item[1:])
        elif item in known:
            chosen[item] = known[item]
        else:
            raise KeyError(f"unknown controller {item!r}; known: {', '.join(sorted(known)) or 'none'}")
    for name in excluded - set(known):
        raise KeyError(f"unknown controller {name!r}; known: {', '.join(sorted(known)) or 'none'}")
    if star:
        chosen = {**known, **chosen}
    return {k: v for k, v in sorted(chosen.items()) if k not in excluded}
