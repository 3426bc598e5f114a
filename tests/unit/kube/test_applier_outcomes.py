"""Plan applier outcomes on the in-memory API.

Cases: create -> created, again -> unchanged, differing -> updated; update without a version compares
first; a stale update conflicts, re-reads and re-plans through the callback (never overwrites); no
callback -> conflict reported; merge patch -> patched then unchanged; status update; delete -> deleted,
then unchanged on NotFound; other errors -> failed with the error; injected 409 on create-update path.
"""

from __future__ import annotations

from typing import Any

from openyurt.adapters.kube.applier import Applier, Outcome
from openyurt.adapters.kube.interceptor import Interceptor, too_many_requests
from openyurt.adapters.kube.memory import MemoryClient
from openyurt.core.plans import Create, Delete, MergePatch, ObjectRef, Plan, StatusUpdate, Step, Update


def cm(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "d"}, "data": data}


REF = ObjectRef("v1", "ConfigMap", "a", "d")


async def test_create_is_idempotent_and_updates_when_different() -> None:
    mem = MemoryClient()
    applier = Applier(mem)
    first = await applier.apply(Plan(creates=(Create(cm("a", k="1")),)))
    assert [o.outcome for o in first.outcomes] == [Outcome.CREATED]
    again = await applier.apply(Plan(creates=(Create(cm("a", k="1")),)))
    assert [o.outcome for o in again.outcomes] == [Outcome.UNCHANGED] and not again.changed
    changed = await applier.apply(Plan(creates=(Create(cm("a", k="2")),)))
    assert [o.outcome for o in changed.outcomes] == [Outcome.UPDATED]
    assert (await mem.get("v1", "ConfigMap", "a", "d"))["data"] == {"k": "2"}


async def test_stale_update_replans_instead_of_overwriting() -> None:
    mem = MemoryClient()
    planned = await mem.create(cm("a", k="1", mine="x"))
    await mem.patch("v1", "ConfigMap", "a", {"data": {"theirs": "y"}}, "d")  # someone else writes
    stale = dict(planned, data={"k": "2", "mine": "x"})
    seen: list[dict[str, Any] | None] = []

    async def replan(step: Step, current: dict[str, Any] | None) -> Step | None:
        seen.append(current)
        assert current is not None
        return Update(dict(current, data={**current["data"], "k": "2"}))

    result = await Applier(mem, replan=replan).apply(Plan(updates=(Update(stale),)))
    assert [o.outcome for o in result.outcomes] == [Outcome.UPDATED]
    assert seen and seen[0] is not None and seen[0]["data"]["theirs"] == "y"
    assert (await mem.get("v1", "ConfigMap", "a", "d"))["data"] == {"k": "2", "mine": "x", "theirs": "y"}

    # without a callback the conflict is reported and nothing is written
    before = await mem.get("v1", "ConfigMap", "a", "d")
    result = await Applier(mem).apply(Plan(updates=(Update(dict(planned, data={"k": "3"})),)))
    assert [o.outcome for o in result.outcomes] == [Outcome.CONFLICT]
    assert result.errors and result.errors[0].code == 409
    assert await mem.get("v1", "ConfigMap", "a", "d") == before


async def test_update_without_version_compares_first() -> None:
    mem = MemoryClient()
    await mem.create(cm("a", k="1"))
    applier = Applier(mem)
    assert (await applier.apply(Plan(updates=(Update(cm("a", k="1")),)))).outcomes[0].outcome == Outcome.UNCHANGED
    assert (await applier.apply(Plan(updates=(Update(cm("a", k="2")),)))).outcomes[0].outcome == Outcome.UPDATED


async def test_patch_status_and_delete() -> None:
    mem = MemoryClient()
    await mem.create(cm("a", k="1"))
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
    await mem.create(node)
    applier = Applier(mem)
    plan = Plan(
        patches=(MergePatch(REF, {"data": {"k": "2"}}),),
        status_updates=(StatusUpdate(dict(node, status={"phase": "Running"})),),
        deletes=(Delete(ObjectRef("v1", "ConfigMap", "gone", "d")),),
    )
    first = await applier.apply(plan)
    assert [o.outcome for o in first.outcomes] == [Outcome.PATCHED, Outcome.UPDATED, Outcome.UNCHANGED]
    second = await applier.apply(plan)
    assert [o.outcome for o in second.outcomes] == [Outcome.UNCHANGED] * 3
    deleted = await applier.apply(Plan(deletes=(Delete(REF),)))
    assert [o.outcome for o in deleted.outcomes] == [Outcome.DELETED]


async def test_other_errors_fail_with_the_error() -> None:
    client = Interceptor(MemoryClient())
    client.fail("create", too_many_requests)
    result = await Applier(client).apply(Plan(creates=(Create(cm("a")),)))
    assert result.outcomes[0].outcome == Outcome.FAILED
    assert result.outcomes[0].error is not None and result.outcomes[0].error.code == 429
    assert not result.ok
