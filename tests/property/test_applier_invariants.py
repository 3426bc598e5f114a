"""Plan applier invariants on the in-memory API.

Property (cited by name in specs/invariants.md):

* ``test_applying_twice_equals_applying_once`` — for any starting objects and any plan (creates,
  updates with a current, stale or no resourceVersion, merge patches, status updates, deletes), applying
  it twice leaves exactly the state applying it once leaves (resourceVersions included), and the second
  run writes nothing: every step reports unchanged, conflict or failed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.adapters.kube.applier import Applier, Outcome
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.core.plans import Create, Delete, MergePatch, ObjectRef, Plan, Step, Update

NAMES = ["a", "b", "c", "d", "e", "f"]
DATA = st.dictionaries(st.sampled_from(["x", "y", "z"]), st.sampled_from(["1", "2"]), max_size=3)


def cm(name: str, data: dict[str, str], rv: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "d"}
    if rv is not None:
        meta["resourceVersion"] = rv
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


STEP = st.tuples(
    st.sampled_from(["create", "update", "patch", "delete"]),
    DATA,
    st.sampled_from(["current", "stale", "none"]),
    st.dictionaries(st.sampled_from(["x", "y"]), st.one_of(st.none(), st.just("3")), max_size=2),
)


async def seed(initial: dict[str, dict[str, str]]) -> MemoryClient:
    mem = MemoryClient()
    for name, data in sorted(initial.items()):
        await mem.create(cm(name, data))
        await mem.patch("v1", "ConfigMap", name, {"metadata": {"labels": {"seeded": "yes"}}}, "d")
    return mem


def build(steps: dict[str, tuple[str, dict[str, str], str, dict[str, Any]]], mem: MemoryClient) -> Plan:
    out: list[Step] = []
    for name, (op, data, version, patch) in sorted(steps.items()):
        ref = ObjectRef("v1", "ConfigMap", name, "d")
        if op == "create":
            out.append(Create(cm(name, data)))
        elif op == "update":
            current = mem._objects.get(("v1", "ConfigMap", "d", name))
            rv = {"current": current["metadata"]["resourceVersion"] if current else None, "stale": "1", "none": None}
            out.append(Update(cm(name, data, rv[version])))
        elif op == "patch":
            out.append(MergePatch(ref, {"data": patch}))
        else:
            out.append(Delete(ref))
    return Plan.of(out)


def state(mem: MemoryClient) -> list[dict[str, Any]]:
    out = []
    for obj in mem.objects():
        meta = {k: v for k, v in obj["metadata"].items() if k not in ("uid", "creationTimestamp")}
        out.append(dict(obj, metadata=meta))
    return out


@settings(max_examples=150, deadline=None)
@given(
    initial=st.dictionaries(st.sampled_from(NAMES), DATA, max_size=5),
    steps=st.dictionaries(st.sampled_from(NAMES), STEP, max_size=6),
)
def test_applying_twice_equals_applying_once(
    initial: dict[str, dict[str, str]], steps: dict[str, tuple[str, dict[str, str], str, dict[str, Any]]]
) -> None:
    async def main() -> None:
        once, twice = await seed(initial), await seed(initial)
        plan_once, plan_twice = build(steps, once), build(steps, twice)
        await Applier(once).apply(plan_once)
        await Applier(twice).apply(plan_twice)
        second = await Applier(twice).apply(plan_twice)
        assert state(once) == state(twice)
        assert all(o.outcome in (Outcome.UNCHANGED, Outcome.CONFLICT, Outcome.FAILED) for o in second.outcomes), [
            (o.ref.name, o.step.op, o.outcome) for o in second.outcomes
        ]

    asyncio.run(main())
