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
#: alias → registered name (upstream's short CLI names, and names this project used before)
_ALIASES: dict[str, str] = {}


def register_controller(name: str, *aliases: str) -> Callable[[ControllerFactory], ControllerFactory]:
    """Decorator: make ``name`` (and each alias, meaning the same controller) selectable with ``--controllers``."""

    def deco(factory: ControllerFactory) -> ControllerFactory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise RuntimeError(f"controller {name!r} registered twice")
        if name in _ALIASES:
            raise RuntimeError(f"controller name {name!r} is already an alias of {_ALIASES[name]!r}")
        for alias in aliases:
            if alias in _FACTORIES or _ALIASES.get(alias, name) != name:
                raise RuntimeError(f"controller alias {alias!r} is already taken")
        _FACTORIES[name] = factory
        _ALIASES.update(dict.fromkeys(aliases, name))
        return factory

    return deco


def unregister_controller(name: str) -> None:
    _FACTORIES.pop(name, None)
    for alias in [a for a, n in _ALIASES.items() if n == name]:
        del _ALIASES[alias]


def registered_controllers() -> dict[str, ControllerFactory]:
    """Registered name → factory (aliases not included)."""
    return dict(_FACTORIES)


def controller_aliases() -> dict[str, str]:
    """Alias → registered name."""
    return dict(_ALIASES)


def controller_factory(name: str) -> ControllerFactory:
    """The factory registered under ``name`` or an alias of it (KeyError if neither)."""
    return _FACTORIES[_ALIASES.get(name, name)]


def select_controllers(
    spec: str,
    available: dict[str, ControllerFactory] | None = None,
    aliases: dict[str, str] | None = None,
) -> dict[str, ControllerFactory]:
    """``*`` (all), ``a,b`` (those), ``*,-a`` (all but a), as kube-controller-manager reads --controllers.

    An alias stands for its registered name, so naming a controller twice (``nodepool,nodepool-controller``)
    selects it once; the result is keyed by registered names.
    """
    if available is None:
        known, alias_map = registered_controllers(), controller_aliases()
    else:
        known, alias_map = available, dict(aliases or {})

    def canonical(item: str) -> str:
        name = alias_map.get(item, item)
        if name not in known:
            names = sorted({*known, *alias_map})
            raise KeyError(f"unknown controller {item!r}; known: {', '.join(names) or 'none'}")
        return name

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
            excluded.add(canonical(item[1:]))
        else:
            name = canonical(item)
            chosen[name] = known[name]
    if star:
        chosen = {**known, **chosen}
    return {k: v for k, v in sorted(chosen.items()) if k not in excluded}
