"""What every simulated component shares: informers (its own or a shared factory), controllers, loops
on the injected Clock, and a ``start()``/``stop()`` that leaves no task behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from openyurt.adapters.clock import Clock
from openyurt.adapters.kube.informer import Backoff, InformerFactory
from openyurt.adapters.kube.protocols import Client
from openyurt.core.selectors import SelectorError, format_label_selector
from openyurt.core.sim._wire import controller_uid, spec, uid_of
from openyurt.errors import ApiError
from openyurt.runtime.controller import Controller

log = logging.getLogger(__name__)

#: Local components reconnect fast (everything runs on one machine).
SIM_BACKOFF = Backoff(initial=0.2, factor=2.0, cap=2.0, jitter=0.5)


class SimComponent:
    """Base of the simulated components: owns informers unless given a shared factory."""

    name = "sim"

    def __init__(
        self,
        client: Client,
        clock: Clock,
        *,
        informers: InformerFactory | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.rng = rng or random.Random()
        self._own_informers = informers is None
        self.informers = informers or InformerFactory(client, clock=clock, rng=self.rng, backoff=SIM_BACKOFF)
        self.controllers: list[Controller] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._loop_defs: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = []
        self._started = False

    def loop(self, what: str, interval: Callable[[], float], body: Callable[[], Awaitable[None]]) -> None:
        """Run ``body`` every ``interval()`` seconds once started (failures are logged, never fatal)."""

        async def run() -> None:
            while True:
                try:
                    await body()
                except asyncio.CancelledError:
                    raise
                except ApiError as exc:
                    log.info("%s: %s failed: %s", self.name, what, exc)
                except Exception:
                    log.exception("%s: %s failed", self.name, what)
                await self.clock.sleep(interval())

        self._loop_defs.append((what, run))

    async def start(self) -> None:
        """Start informers (when owned), wait for their caches, start controllers and loops."""
        if self._started:
            return
        self._started = True
        if self._own_informers:
            self.informers.start()
        await self.informers.wait_synced()
        for c in self.controllers:
            await c.start()
        for what, run in self._loop_defs:
            self._tasks.append(asyncio.create_task(run(), name=f"{self.name} {what}"))

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        for c in self.controllers:
            await c.stop()
        if self._own_informers:
            await self.informers.stop()

    async def __aenter__(self) -> SimComponent:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def selector_string(obj: Mapping[str, Any]) -> str | None:
    """A workload's ``spec.selector`` in query syntax, or None when it has none (selects nothing)."""
    try:
        return format_label_selector(spec(obj).get("selector"))
    except SelectorError:
        return None


async def owned(
    client: Client, api_version: str, kind: str, owner: Mapping[str, Any], namespace: str
) -> list[dict[str, Any]]:
    """Objects of a kind in ``namespace`` matching the owner's selector and controlled by it (a live
    list, so a reconcile sees its own recent writes)."""
    selector = selector_string(owner)
    if selector is None:
        return []
    page = await client.list(api_version, kind, namespace, label_selector=selector)
    uid = uid_of(owner)
    return [o for o in page.items if controller_uid(o) == uid]
