"""The plan applier: carry out a core Plan idempotently and say what happened to each object.

Planners return writes as data (``openyurt.core.plans``); this is the one place that turns them into
API calls, so the awkward cases are handled once: a create that finds the object already there
compares and either calls it done or updates it; a delete that finds nothing is done; a write that
hits 409 Conflict re-reads the object and asks the caller's ``replan`` callback what to do now instead
of overwriting what someone else just wrote. Applying a plan twice leaves the cluster as applying it
once does, and the second run reports every step ``unchanged``.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import attrs

from openyurt.adapters.kube.protocols import ObjectReader, ObjectWriter, ResourceType, StatusWriter
from openyurt.core.patch import apply_merge_patch
from openyurt.core.plans import Create, Delete, MergePatch, ObjectRef, Plan, StatusUpdate, Step, Update, wire
from openyurt.errors import AlreadyExistsError, ApiError, ConflictError, NotFoundError


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    PATCHED = "patched"
    DELETED = "deleted"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    FAILED = "failed"


@attrs.frozen(hash=False)
class StepOutcome:
    """What became of one step: the outcome, the object as the server returned it, the error if any."""

    step: Step
    outcome: Outcome
    object: dict[str, Any] | None = None
    error: ApiError | None = None

    @property
    def ref(self) -> ObjectRef:
        return self.step.ref


@attrs.frozen(hash=False)
class ApplyResult:
    outcomes: tuple[StepOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.outcome not in (Outcome.CONFLICT, Outcome.FAILED) for o in self.outcomes)

    @property
    def changed(self) -> bool:
        return any(
            o.outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.PATCHED, Outcome.DELETED) for o in self.outcomes
        )

    @property
    def errors(self) -> tuple[ApiError, ...]:
        return tuple(o.error for o in self.outcomes if o.error is not None)

    def by_outcome(self, outcome: Outcome) -> tuple[StepOutcome, ...]:
        return tuple(o for o in self.outcomes if o.outcome == outcome)


#: Called after a conflict with the step that lost and the object as it is now (None if absent);
#: returns the step to try instead, or None when nothing needs writing any more.
Replan = Callable[[Step, dict[str, Any] | None], Awaitable[Step | None]]


class ApplierClient(ObjectReader, ObjectWriter, StatusWriter, Protocol):
    async def resolve(self, api_version: str, kind: str) -> ResourceType: ...


#: Metadata the server owns: never compared, never sent back from a plan.
_SERVER_META = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink")


def _desired_view(desired: Mapping[str, Any], *, drop_status: bool) -> dict[str, Any]:
    view = {k: v for k, v in desired.items() if k not in ("apiVersion", "kind")}
    if drop_status:
        view.pop("status", None)
    meta = dict(view.get("metadata") or {})
    for f in _SERVER_META:
        meta.pop(f, None)
    view["metadata"] = meta
    return view


def covers(current: Mapping[str, Any], desired: Mapping[str, Any], *, drop_status: bool = False) -> bool:
    """Whether ``current`` already has everything ``desired`` sets (merge-patch semantics: lists whole)."""
    return bool(apply_merge_patch(dict(current), _desired_view(desired, drop_status=drop_status)) == current)


def _rv(obj: Mapping[str, Any] | None) -> str:
    return str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")


class Applier:
    """Apply plans through ``client``; ``replan`` decides after conflicts (without it they are reported)."""

    def __init__(self, client: ApplierClient, *, replan: Replan | None = None, max_replans: int = 3) -> None:
        self.client = client
        self.replan = replan
        self.max_replans = max_replans

    async def apply(self, plan: Plan) -> ApplyResult:
        outcomes = [await self.apply_step(step) for step in plan.steps()]
        return ApplyResult(tuple(outcomes))

    async def apply_step(self, step: Step, *, attempt: int = 0) -> StepOutcome:
        try:
            if isinstance(step, Create):
                return await self._create(step, attempt)
            if isinstance(step, Update | StatusUpdate):
                return await self._update(step, attempt)
            if isinstance(step, MergePatch):
                return await self._patch(step, attempt)
            return await self._delete(step, attempt)
        except ConflictError as exc:
            return await self._conflict(step, exc, attempt)
        except ApiError as exc:
            return StepOutcome(step, Outcome.FAILED, error=exc)

    async def _has_status(self, ref: ObjectRef) -> bool:
        return (await self.client.resolve(ref.api_version, ref.kind)).status_subresource

    async def _current(self, ref: ObjectRef) -> dict[str, Any] | None:
        try:
            return await self.client.get(ref.api_version, ref.kind, ref.name, ref.namespace or None)
        except NotFoundError:
            return None

    async def _create(self, step: Create, attempt: int) -> StepOutcome:
        desired = wire(step.obj)
        for f in _SERVER_META:
            (desired.get("metadata") or {}).pop(f, None)
        try:
            return StepOutcome(step, Outcome.CREATED, object=await self.client.create(desired))
        except AlreadyExistsError:
            pass
        ref = step.ref
        current = await self._current(ref)
        if current is None:  # deleted in between: try once more from the top
            return StepOutcome(step, Outcome.CREATED, object=await self.client.create(desired))
        if covers(current, desired, drop_status=await self._has_status(ref)):
            return StepOutcome(step, Outcome.UNCHANGED, object=current)
        desired["metadata"]["resourceVersion"] = _rv(current)
        new = await self.client.update(desired)
        return StepOutcome(step, Outcome.UPDATED if _rv(new) != _rv(current) else Outcome.UNCHANGED, object=new)

    async def _update(self, step: Update | StatusUpdate, attempt: int) -> StepOutcome:
        desired = wire(step.obj)
        meta = desired.setdefault("metadata", {})
        status_only = isinstance(step, StatusUpdate)
        if not meta.get("resourceVersion"):
            current = await self.client.get(
                step.ref.api_version, step.ref.kind, step.ref.name, step.ref.namespace or None
            )
            if self._done(step, current, await self._has_status(step.ref)):
                return StepOutcome(step, Outcome.UNCHANGED, object=current)
            meta["resourceVersion"] = _rv(current)
        sent = str(meta["resourceVersion"])
        new = await (self.client.update_status(desired) if status_only else self.client.update(desired))
        return StepOutcome(step, Outcome.UPDATED if _rv(new) != sent else Outcome.UNCHANGED, object=new)

    def _done(self, step: Step, current: Mapping[str, Any] | None, has_status: bool) -> bool:
        """Whether ``current`` already is what ``step`` wants (so a lost race or a re-run changes nothing)."""
        if isinstance(step, Delete):
            return current is None
        if current is None:
            return False
        if isinstance(step, StatusUpdate):
            return bool(current.get("status") == wire(step.obj).get("status"))
        if isinstance(step, MergePatch):
            patch = {k: v for k, v in step.patch.items()}
            meta = dict(patch.get("metadata") or {})
            meta.pop("resourceVersion", None)
            if meta:
                patch["metadata"] = meta
            else:
                patch.pop("metadata", None)
            return bool(apply_merge_patch(dict(current), patch) == current)
        return covers(current, wire(step.obj), drop_status=has_status)

    async def _patch(self, step: MergePatch, attempt: int) -> StepOutcome:
        ref = step.target
        current = await self.client.get(ref.api_version, ref.kind, ref.name, ref.namespace or None)
        patch = wire(step.patch)
        has_rv_precondition = bool((patch.get("metadata") or {}).get("resourceVersion"))
        if not has_rv_precondition and self._done(step, current, False):
            return StepOutcome(step, Outcome.UNCHANGED, object=current)
        new = await self.client.patch(ref.api_version, ref.kind, ref.name, patch, ref.namespace or None)
        return StepOutcome(step, Outcome.PATCHED if _rv(new) != _rv(current) else Outcome.UNCHANGED, object=new)

    async def _delete(self, step: Delete, attempt: int) -> StepOutcome:
        ref = step.target
        try:
            await self.client.delete(
                ref.api_version,
                ref.kind,
                ref.name,
                ref.namespace or None,
                uid=step.uid,
                resource_version=step.resource_version,
                propagation_policy=step.propagation_policy,
            )
        except NotFoundError:
            return StepOutcome(step, Outcome.UNCHANGED)
        return StepOutcome(step, Outcome.DELETED)

    async def _conflict(self, step: Step, exc: ConflictError, attempt: int) -> StepOutcome:
        """Someone else wrote first: re-read; done already? else re-plan, never overwrite blindly."""
        try:
            current = await self._current(step.ref)
            if self._done(step, current, await self._has_status(step.ref)):
                return StepOutcome(step, Outcome.UNCHANGED, object=current)
            if self.replan is None or attempt >= self.max_replans:
                return StepOutcome(step, Outcome.CONFLICT, object=current, error=exc)
            new_step = await self.replan(step, current)
        except ApiError as err:
            return StepOutcome(step, Outcome.FAILED, error=err)
        if new_step is None:
            return StepOutcome(step, Outcome.UNCHANGED, object=current)
        return await self.apply_step(new_step, attempt=attempt + 1)
