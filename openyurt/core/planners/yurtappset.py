"""YurtAppSet (apps.openyurt.io/v1beta1): one Deployment or StatefulSet per selected NodePool.

The planner reproduces yurt-app-set-controller's reconcile as data. It picks the revision (named and
hashed like Go's, see :mod:`revision`), selects pools (``pools`` plus ``nodepoolSelector`` matches),
claims workloads (adopt orphans carrying the ref label, release owned ones that lost it), classifies
them (create for a pool without a workload, update when the revision label differs, delete for a
deselected pool) and renders each pool's workload from the template and the matching tweaks.

Upstream behaviour kept because it is visible on the wire: labels and annotations of a re-rendered
workload are merged (stale keys stay), the spec is replaced wholesale, replicas come from the last
matching tweak, patch tweaks are applied to Go's JSON of the whole object and decoded back *over* it
(so ``remove`` of a label does nothing and ``add /metadata/labels`` merges), hand edits survive until
the next revision, and status is computed from the workloads read before this round's actions (so it
lags one round). Plain bugs we do not copy, each marked "upstream bug" below.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import attrs

from openyurt.core import wellknown
from openyurt.core.api.apps_v1 import ControllerRevision, Deployment, StatefulSet
from openyurt.core.api.meta_v1 import LabelSelector, dns1123_subdomain_errors, selector_matches
from openyurt.core.api.openyurt_apps_v1beta1 import (
    DEFAULT_REVISION_HISTORY_LIMIT,
    STATEFULSET,
    DeploymentTemplateSpec,
    StatefulSetTemplateSpec,
    Tweaks,
    WorkloadTweak,
    YurtAppSet,
    substitute_pool_name,
    template_kind,
)
from openyurt.core.api.openyurt_apps_v1beta2 import NodePool
from openyurt.core.patch import PatchError, apply_json_patch
from openyurt.core.planners import revision as rev
from openyurt.core.planners._util import (
    Create,
    Delete,
    Event,
    MergePatch,
    Update,
    WireDict,
    controller_uid,
    format_time,
    owner_ref_wire,
    ref_of,
    status_update,
)
from openyurt.core.plans import EMPTY_PLAN, Plan, StatusUpdate, wire

Workload = Deployment | StatefulSet
Template = DeploymentTemplateSpec | StatefulSetTemplateSpec


@attrs.frozen
class YurtAppSetConfig:
    """Nothing is tunable upstream; kept so every planner has the same shape."""

    #: Used when ``spec.revisionHistoryLimit`` is unset (the webhook normally defaults it).
    default_revision_history_limit: int = DEFAULT_REVISION_HISTORY_LIMIT


@attrs.frozen
class YurtAppSetPlan:
    """What one reconcile of a YurtAppSet writes, and what it decided on the way."""

    revision: str
    collision_count: int
    selected_pools: tuple[str, ...]
    plan: Plan = EMPTY_PLAN
    events: tuple[Event, ...] = ()
    #: Pools whose workload could not be rendered (a tweak patch failed), with the reason.
    render_errors: tuple[tuple[str, str], ...] = ()

    @property
    def workload_creates(self) -> tuple[WireDict, ...]:
        return tuple(wire(c.obj) for c in self.plan.creates if c.ref.kind != "ControllerRevision")

    @property
    def workload_updates(self) -> tuple[WireDict, ...]:
        return tuple(wire(u.obj) for u in self.plan.updates)

    @property
    def workload_deletes(self) -> tuple[str, ...]:
        return tuple(d.ref.name for d in self.plan.deletes if d.ref.kind != "ControllerRevision")

    @property
    def is_empty(self) -> bool:
        return not self.plan and not self.events


# ==================================================================================================
# Pools and tweaks


def select_pools(
    pools: Sequence[NodePool], names: Sequence[str] | None, selector: LabelSelector | None
) -> tuple[str, ...]:
    """Names in ``names`` that exist, plus pools matching ``selector`` (None matches none), sorted."""
    wanted = set(names or ())
    matches = _matcher(selector)
    out = set()
    for p in pools:
        meta = p.metadata
        name = meta.name or ""
        if name in wanted or matches(meta.labels):
            out.add(name)
    return tuple(sorted(out))


def matching_tweaks(tweaks: Sequence[WorkloadTweak], pool: NodePool) -> list[Tweaks]:
    """Tweaks naming the pool or selecting its labels, in spec order (``GetNodePoolTweaksFromYurtAppSet``)."""
    return TweakMatcher(tweaks)(pool)


class TweakMatcher:
    """:func:`matching_tweaks` for many pools: each tweak's selector is looked at once."""

    def __init__(self, tweaks: Sequence[WorkloadTweak]) -> None:
        self.tweaks = [(t.tweaks, frozenset(t.pools or ()), _matcher(t.nodepool_selector)) for t in tweaks]

    def __call__(self, pool: NodePool) -> list[Tweaks]:
        name = pool.metadata.name or ""
        labels = pool.metadata.labels
        return [tweaks for tweaks, names, matches in self.tweaks if name in names or matches(labels)]


def _matcher(selector: LabelSelector | None) -> Callable[[Mapping[str, str] | None], bool]:
    """``selector_matches`` with ``selector`` bound; a selector of match labels only is read once."""
    if selector is None:
        return _never
    if selector.match_expressions:
        return lambda labels: selector_matches(selector, labels)  # type: ignore[arg-type]
    wanted = tuple((selector.match_labels or {}).items())
    if len(wanted) == 1:  # the usual selector, with no generator to run
        ((key, value),) = wanted
        return lambda labels: (labels or {}).get(key) == value
    return lambda labels: all((labels or {}).get(k) == v for k, v in wanted)


def _never(labels: Mapping[str, str] | None) -> bool:
    return False


def pool_replicas(template: Template, tweaks: Sequence[Tweaks]) -> int:
    """Replicas a pool gets: the last matching tweak that sets them, else the template (nil → 1)."""
    value = template.spec.get("replicas")
    for t in tweaks:
        if t.replicas is not None:
            value = t.replicas
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


# ==================================================================================================
# Rendering (ApplyTemplate + tweaks)


def generate_name(owner: str, pool: str) -> str:
    """``<owner>-<pool>-``, or ``<owner>-`` when that is not a valid DNS-1123 subdomain prefix."""
    prefix = f"{owner}-{pool}-"
    if not dns1123_subdomain_errors(prefix.rstrip("-")) and len(prefix) <= 253:
        return prefix
    return f"{owner}-"


def _json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars); several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value


class RenderError(ValueError):
    """A tweak patch does not apply to the rendered workload."""


def render_workload(
    *,
    kind: str,
    template: Template,
    pool: str,
    tweaks: Sequence[Tweaks],
    revision: str,
    owner_name: str,
    namespace: str,
    owner_reference: WireDict,
    ref_labels: Mapping[str, str],
    existing: Mapping[str, Any] | None = None,
) -> WireDict:
    """The pool's workload as upstream's ``ApplyTemplate`` builds it, on top of ``existing`` if given.

    ``ref_labels`` are the owner's labels besides pool and revision (``ref-yurtappset`` for a
    YurtAppSet). Raises RenderError when a tweak patch fails (the create/update fails upstream too).
    """
    obj: WireDict = _json_copy(dict(existing)) if existing is not None else {}
    obj["apiVersion"] = "apps/v1"
    obj["kind"] = kind
    meta = obj.setdefault("metadata", {})
    tmpl_meta = template.metadata or {}
    labels = dict(meta.get("labels") or {})
    labels.update(tmpl_meta.get("labels") or {})
    labels[wellknown.LABEL_POOL_NAME] = pool
    labels[wellknown.LABEL_CONTROLLER_REVISION_HASH] = revision
    labels.update(ref_labels)
    meta["labels"] = labels
    annotations = dict(meta.get("annotations") or {})
    annotations.update(tmpl_meta.get("annotations") or {})
    annotations[wellknown.ANNOTATION_REF_NODEPOOL] = pool
    meta["annotations"] = annotations
    meta["namespace"] = namespace
    if not meta.get("name"):
        meta["generateName"] = generate_name(owner_name, pool)
    refs = [r for r in meta.get("ownerReferences") or [] if not r.get("controller")]
    meta["ownerReferences"] = [*refs, dict(owner_reference)]

    spec = _json_copy(template.spec)
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        selector = {}
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), wellknown.LABEL_POOL_NAME: pool}
    spec["selector"] = selector
    pod_template = spec.get("template")
    if not isinstance(pod_template, dict):
        pod_template = {}
    pod_meta = pod_template.get("metadata")
    if not isinstance(pod_meta, dict):
        pod_meta = {}
    pod_labels = dict(pod_meta.get("labels") or {})
    if kind == STATEFULSET:
        pod_labels.update(tmpl_meta.get("labels") or {})
    pod_labels[wellknown.LABEL_POOL_NAME] = pool
    pod_labels[wellknown.LABEL_CONTROLLER_REVISION_HASH] = revision
    pod_meta["labels"] = pod_labels
    pod_template["metadata"] = pod_meta
    pod_spec = pod_template.get("spec")
    if not isinstance(pod_spec, dict):
        pod_spec = {}
    pod_spec["nodeSelector"] = {**(pod_spec.get("nodeSelector") or {}), wellknown.LABEL_NODEPOOL: pool}
    pod_template["spec"] = pod_spec
    spec["template"] = pod_template
    obj["spec"] = spec
    return _apply_pool_tweaks(obj, kind, tweaks, pool) if tweaks else obj


def apply_pool_tweaks(obj: WireDict, kind: str, tweaks: Sequence[Tweaks], pool: str) -> WireDict:
    """Basic tweaks (replicas, images) in order, then every patch on Go's JSON of the whole object."""
    return _apply_pool_tweaks(_json_copy(obj), kind, tweaks, pool)


def _apply_pool_tweaks(out: WireDict, kind: str, tweaks: Sequence[Tweaks], pool: str) -> WireDict:
    """apply_pool_tweaks on an object the caller owns (changed in place where convenient)."""
    spec = out.setdefault("spec", {})
    for t in tweaks:
        if t.replicas is not None:
            spec["replicas"] = t.replicas
        pod_spec = (spec.get("template") or {}).get("spec") or {}
        for image in t.container_images or ():
            for key in ("containers", "initContainers"):
                for c in pod_spec.get(key) or ():
                    if isinstance(c, dict) and c.get("name") == image.name:
                        c["image"] = image.target_image
    ops = [
        {"op": p.operation, "path": p.path, "value": substitute_pool_name(p.value, pool)}
        for t in tweaks
        for p in t.patches or ()
    ]
    if not ops:
        return out
    go_form = rev.go_normalize(out, kind)
    try:
        patched = apply_json_patch(go_form, ops)
    except PatchError as exc:
        raise RenderError(str(exc)) from exc
    # [quirk] Go decodes the patched JSON back into the object it marshalled, not into a new one.
    decoded = rev.go_decode_over(go_form, patched)
    return rev.prune_materialized(decoded, out)  # type: ignore[no-any-return]


#: Stands for the pool name while a tweak set's spec is rendered once for every pool (_TweakPlan).
_POOL_SENTINEL = "{{yurtappset-pool-sentinel}}"
_NO_NAME, _NAME_IN_TEXT, _NAME_IN_JSON = range(3)


@attrs.frozen
class _SentinelPaths:
    """Where _POOL_SENTINEL is in a spec rendered for it: the containers to copy, parents first, as
    (index of the copy holding it, 0 for the spec's own; key or index; the container), then the
    strings that are the sentinel and those that contain it, as (copy index, key[, the string])."""

    copies: tuple[tuple[int, Any, Any], ...] = ()
    names: tuple[tuple[int, Any], ...] = ()
    texts: tuple[tuple[int, Any, str], ...] = ()


@attrs.frozen
class _TweakPlan:
    """How workloads with one tweak set are rendered; worked out once per set and renderer."""

    #: Held so that the ids keying the renderer's cache stay theirs.
    tweaks: tuple[Tweaks, ...]
    #: Whether any tweak has patches (otherwise the raw rendering is the result).
    patched: bool = False
    #: Whether the per-pool shortcut applies: see PoolRenderer (otherwise the reference route).
    fast: bool = False
    #: The canonical spec rendered for _POOL_SENTINEL, and where the sentinel is in it.
    spec: Any = None
    spec_paths: _SentinelPaths = _SentinelPaths()
    #: The patches outside the spec: each sets one label or annotation to a string, or removes one:
    #: (map, key, operation, value, how the pool name is put in; see _substitution).
    on_maps: tuple[tuple[str, str, str, Any, int], ...] = ()


class PoolRenderer:
    """:func:`render_workload` for many pools of one owner and revision, sharing what they share.

    Every pool's workload is the template plus a few pool-specific keys, so the renderer copies only
    the dicts along the paths it changes (metadata maps, selector, pod labels, node selector, the
    containers an image tweak touches) and shares the rest of the template with every result.

    A workload with tweak patches is the canonical Go form of the whole object (:func:`rev.canonical`).
    When the patches outside the spec only set or remove labels and annotations (to strings), it is
    computed in parts, each cheaply:

    * the spec depends on the pool only through its name, which the canonical form carries as opaque
      text, so it is rendered once per tweak set for a sentinel name, its patches applied the
      reference way, and each pool gets a copy of the paths where the sentinel is, with its name
      put in (:class:`_TweakPlan`);
    * a label or annotation patch sets one key of a map whose Go form is the map itself, so it is
      applied to the rendered map before the canonical form is made, with the same result;
    * the rest is the canonical form of the existing workload's metadata and status, read from the
      model (rev.canonical_model) rather than from its dump.

    Anything else takes the reference route (Go form, JSON patch, decode over, prune) with identity
    memos, so the template is normalised once per plan. Results equal render_workload's; they share
    parts with each other and with the template, so they are read-only (``wire()`` copies).
    """

    def __init__(
        self,
        *,
        kind: str,
        template: Template,
        revision: str,
        owner_name: str,
        namespace: str,
        owner_reference: WireDict,
        ref_labels: Mapping[str, str],
    ) -> None:
        self.kind = kind
        self.template = template
        tmpl_meta = template.metadata or {}
        self.tmpl_labels: Mapping[str, Any] = tmpl_meta.get("labels") or {}
        self.tmpl_annotations: Mapping[str, Any] = tmpl_meta.get("annotations") or {}
        self.revision = revision
        self.owner_name = owner_name
        self.namespace = namespace
        self.owner_reference = owner_reference
        self.ref_labels = ref_labels
        self._spec_type = rev.struct_fields(kind)["spec"][1]
        self._normal: rev.NormalizeMemo = {}
        self._pruned: rev.PruneMemo = {}
        self._canon: rev.NormalizeMemo = {}
        self._plans: dict[tuple[int, ...], _TweakPlan] = {}
        #: Whether the labels and annotations a workload gets hold strings only (see _canonical).
        self._flat_maps = all(
            isinstance(v, str) for m in (self.tmpl_labels, self.tmpl_annotations, ref_labels) for v in m.values()
        )
        #: The canonical ownerReferences of a workload with no other owner (shared by all).
        self._owner_references = rev.canonical_field(
            [owner_reference], rev.struct_fields("ObjectMeta")["ownerReferences"]
        )

    def render(
        self, pool: str, tweaks: Sequence[Tweaks], existing: Mapping[str, Any] | Workload | None = None
    ) -> WireDict:
        """The pool's workload; ``existing``: the workload it replaces, as wire data or a model."""
        plan = self._plan(tweaks) if tweaks else None
        if plan is not None and plan.fast:
            out = self._canonical(pool, plan, existing)
            if out is not None:
                return out
        wire_existing = existing if existing is None or isinstance(existing, Mapping) else _without_spec(existing)
        obj = self._metadata(pool, wire_existing)
        obj["spec"] = self._spec(pool, tweaks)
        if plan is None or not plan.patched:
            return obj
        ops = [
            {"op": p.operation, "path": p.path, "value": substitute_pool_name(p.value, pool)}
            for t in tweaks
            for p in t.patches or ()
        ]
        return self._patched(obj, self.kind, ops)  # type: ignore[no-any-return]

    def _canonical(self, pool: str, plan: _TweakPlan, existing: Mapping[str, Any] | Workload | None) -> WireDict | None:
        """The shortcut (see the class), or None where a patch would fail (the reference says why)."""
        spec = _put_pool(plan.spec, plan.spec_paths, pool)
        if existing is None or (type(existing) not in _MODELS and isinstance(existing, Mapping)):
            obj = self._metadata(pool, existing)
            if not _patch_maps(obj["metadata"], plan.on_maps, pool):
                return None
            obj["spec"] = None  # its place; the value is given
            return rev.canonical_struct(obj, self.kind, self._canon, {"spec": spec})
        model = cast(Workload, existing)
        meta = model.metadata
        labels, annotations = self._maps(pool, meta.labels, meta.annotations)
        maps = {"labels": labels, "annotations": annotations}
        if plan.on_maps and not _patch_maps(maps, plan.on_maps, pool):
            return None
        # The maps hold strings only (the model's are typed, the rest are checked): their Go form is
        # themselves, and they are never empty (the pool's keys are in them); so they are given.
        given: WireDict = maps if self._flat_maps else {}
        raw: WireDict = {"namespace": self.namespace} if self._flat_maps else {"namespace": self.namespace, **maps}
        kept = [r.to_wire() for r in meta.owner_references or () if not r.controller]
        if kept:
            raw["ownerReferences"] = [*kept, self.owner_reference]
        else:
            given["ownerReferences"] = self._owner_references
        if not meta.name:
            raw["generateName"] = generate_name(self.owner_name, pool)
        out = {
            "kind": self.kind,
            "apiVersion": "apps/v1",
            "metadata": rev.canonical_model(meta, "ObjectMeta", raw, given, self._canon),
            "spec": spec,
        }
        # The rest of the canonical form of a Deployment or StatefulSet (GO_TYPES): its status, kept
        # as it is, {} for a null one; unknown keys are dropped.
        if "status" in model.__pydantic_fields_set__:
            status = model.status
            out["status"] = {} if status is None else rev.go_numbers(rev.model_wire(status))
        return out

    def _maps(self, pool: str, labels: Mapping[str, Any] | None, annotations: Mapping[str, Any] | None) -> Any:
        """The workload's labels and annotations: its own with the template's and the pool's merged in."""
        labels = {**(labels or {}), **self.tmpl_labels}
        labels[wellknown.LABEL_POOL_NAME] = pool
        labels[wellknown.LABEL_CONTROLLER_REVISION_HASH] = self.revision
        labels.update(self.ref_labels)
        annotations = {**(annotations or {}), **self.tmpl_annotations}
        annotations[wellknown.ANNOTATION_REF_NODEPOOL] = pool
        return labels, annotations

    def _metadata(self, pool: str, existing: Mapping[str, Any] | None) -> WireDict:
        """The workload without its spec: ``existing`` with the pool's labels and owner merged in."""
        obj: WireDict = dict(existing) if existing is not None else {}
        obj["apiVersion"] = "apps/v1"
        obj["kind"] = self.kind
        meta = dict(obj["metadata"]) if "metadata" in obj else {}
        obj["metadata"] = meta
        meta["labels"], meta["annotations"] = self._maps(pool, meta.get("labels"), meta.get("annotations"))
        meta["namespace"] = self.namespace
        if not meta.get("name"):
            meta["generateName"] = generate_name(self.owner_name, pool)
        refs = [r for r in meta.get("ownerReferences") or [] if not r.get("controller")]
        meta["ownerReferences"] = [*refs, self.owner_reference]
        return obj

    def _spec(self, pool: str, tweaks: Sequence[Tweaks]) -> WireDict:
        """The pool's spec with the basic tweaks (copy-on-write of what they change)."""
        spec = dict(self.template.spec)
        selector = spec.get("selector")
        selector = dict(selector) if isinstance(selector, dict) else {}
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), wellknown.LABEL_POOL_NAME: pool}
        spec["selector"] = selector
        pod_template = spec.get("template")
        pod_template = dict(pod_template) if isinstance(pod_template, dict) else {}
        pod_meta = pod_template.get("metadata")
        pod_meta = dict(pod_meta) if isinstance(pod_meta, dict) else {}
        pod_labels = dict(pod_meta.get("labels") or {})
        if self.kind == STATEFULSET:
            pod_labels.update(self.tmpl_labels)
        pod_labels[wellknown.LABEL_POOL_NAME] = pool
        pod_labels[wellknown.LABEL_CONTROLLER_REVISION_HASH] = self.revision
        pod_meta["labels"] = pod_labels
        pod_template["metadata"] = pod_meta
        pod_spec = pod_template.get("spec")
        pod_spec = dict(pod_spec) if isinstance(pod_spec, dict) else {}
        pod_spec["nodeSelector"] = {**(pod_spec.get("nodeSelector") or {}), wellknown.LABEL_NODEPOOL: pool}
        pod_template["spec"] = pod_spec
        spec["template"] = pod_template
        for t in tweaks:
            if t.replicas is not None:
                spec["replicas"] = t.replicas
            for image in t.container_images or ():
                for key in ("containers", "initContainers"):
                    containers = pod_spec.get(key)
                    if not containers or not any(
                        isinstance(c, dict) and c.get("name") == image.name for c in containers
                    ):
                        continue
                    containers = [
                        {**c, "image": image.target_image} if isinstance(c, dict) and c.get("name") == image.name else c
                        for c in containers
                    ]
                    pod_spec[key] = containers
        return spec

    def _patched(self, obj: Any, tp: str, ops: list[dict[str, Any]]) -> Any:
        """The reference route: ``ops`` on Go's form of ``obj``, decoded over it, pruned."""
        go_form = rev.go_normalize(obj, tp, self._normal)
        try:
            patched = _patch_shared(go_form, ops)
        except _SlowPath:
            try:
                patched = apply_json_patch(_json_copy(go_form), ops)
            except PatchError as exc:
                raise RenderError(str(exc)) from exc
        decoded = rev.go_decode_over(go_form, patched)
        return rev.prune_materialized(decoded, obj, self._pruned)

    def _plan(self, tweaks: Sequence[Tweaks]) -> _TweakPlan:
        key = tuple(map(id, tweaks))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._make_plan(tuple(tweaks))
        return plan

    def _make_plan(self, tweaks: tuple[Tweaks, ...]) -> _TweakPlan:
        patches = [p for t in tweaks for p in t.patches or ()]
        if not patches:
            return _TweakPlan(tweaks)
        slow = _TweakPlan(tweaks, patched=True)
        spec_ops: list[dict[str, Any]] = []
        on_maps: list[tuple[str, str, str, Any, int]] = []
        for p in patches:
            try:
                tokens = _pointer(p.path)
            except _SlowPath:
                return slow
            if len(tokens) > 1 and tokens[0] == "spec":  # no escape spells "spec": "/spec/..."
                value = substitute_pool_name(p.value, _POOL_SENTINEL)
                spec_ops.append({"op": p.operation, "path": p.path[len("/spec") :], "value": value})
            elif (
                len(tokens) == 3
                and tokens[0] == "metadata"
                and tokens[1] in _MAPS
                and (p.operation == "remove" or isinstance(p.value, str))  # a removal's value is not used
            ):
                on_maps.append((tokens[1], tokens[2], p.operation, p.value, _substitution(p.value)))
            else:
                return slow
        if len({(name, key) for name, key, _, _, _ in on_maps}) < len(on_maps):
            return slow  # one patch works on what another one wrote: keep the sequential reference
        inputs = [self.template.spec, dict(self.tmpl_labels), self.revision, [t.to_wire() for t in tweaks]]
        if _POOL_SENTINEL in json.dumps(inputs):
            return slow
        raw = self._spec(_POOL_SENTINEL, tweaks)
        try:
            spec = self._patched(raw, self._spec_type, spec_ops) if spec_ops else None
            if spec is None:
                spec = rev.canonical(raw, self._spec_type, self._canon)
            spec_paths = _sentinel_paths(spec)
        except (RenderError, _SlowPath):
            return slow
        return _TweakPlan(tweaks, True, True, spec, spec_paths, tuple(on_maps))


#: The workload models (checked by type first: isinstance against Mapping, an ABC, is slow).
_MODELS = (Deployment, StatefulSet)
#: The metadata maps _TweakPlan.on_maps patches.
_MAPS = ("labels", "annotations")


def _patch_maps(meta: dict[str, Any], ops: Sequence[tuple[str, str, str, Any, int]], pool: str) -> bool:
    """Apply _TweakPlan.on_maps to the rendered metadata's own (fresh) maps; False where an
    operation would fail on Go's form (the map is empty there, or the key to change is absent).

    The operations change distinct keys, so their order does not matter but for new keys, which
    go after the others in operation order, as they do when decoded."""
    for name, key, op, _, _ in ops:
        if not meta[name] or (op != "add" and key not in meta[name]):
            return False  # omitempty drops an empty map from Go's form: nothing to patch into
    for name, key, op, value, how in ops:
        if op != "remove":  # [quirk] a removed key decodes back
            meta[name][key] = _substitute(value, how, pool)
    return True


def _substitution(value: Any) -> int:
    """How substitute_pool_name changes ``value``: not at all, as text, or through its JSON text.

    A placeholder in a string's JSON text is one in the string (neither contains a backslash or a
    quote), so replacing it in the string directly gives what the JSON round trip gives."""
    if isinstance(value, str):
        return _NAME_IN_TEXT if wellknown.NODEPOOL_NAME_PLACEHOLDER in value else _NO_NAME
    return _NAME_IN_JSON if wellknown.NODEPOOL_NAME_PLACEHOLDER in json.dumps(value) else _NO_NAME


def _substitute(value: Any, how: int, pool: str) -> Any:
    if how == _NO_NAME:
        return value
    if how == _NAME_IN_TEXT:
        return value.replace(wellknown.NODEPOOL_NAME_PLACEHOLDER, pool)
    return substitute_pool_name(value, pool)


def _sentinel_paths(spec: dict[str, Any]) -> _SentinelPaths:
    """Raises _SlowPath for a key holding the sentinel: the name would decide which keys exist,
    which the canonical form does not treat as opaque text."""
    copies: list[tuple[int, Any, Any]] = []
    names: list[tuple[int, Any]] = []
    texts: list[tuple[int, Any, str]] = []

    def walk(value: Any, index: int) -> bool:
        items: Any = value.items() if isinstance(value, dict) else enumerate(value)
        found = False
        for key, item in items:
            if isinstance(key, str) and _POOL_SENTINEL in key:
                raise _SlowPath
            if isinstance(item, str):
                if item == _POOL_SENTINEL:
                    names.append((index, key))
                elif _POOL_SENTINEL in item:
                    texts.append((index, key, item))
                else:
                    continue
                found = True
            elif isinstance(item, dict | list):
                mark = (len(copies), len(names), len(texts))
                copies.append((index, key, item))
                if walk(item, len(copies)):
                    found = True
                else:  # no sentinel below: no copy needed
                    del copies[mark[0] :], names[mark[1] :], texts[mark[2] :]
        return found

    walk(spec, 0)
    return _SentinelPaths(tuple(copies), tuple(names), tuple(texts))


def _put_pool(spec: dict[str, Any], paths: _SentinelPaths, pool: str) -> dict[str, Any]:
    """The spec rendered for _POOL_SENTINEL with ``pool`` in its place (copies those paths only)."""
    copies = [spec.copy()]
    for parent, key, value in paths.copies:
        copy_ = value.copy()
        copies[parent][key] = copy_
        copies.append(copy_)
    for parent, key in paths.names:
        copies[parent][key] = pool
    for parent, key, text in paths.texts:
        copies[parent][key] = text.replace(_POOL_SENTINEL, pool)
    return copies[0]


_CONTAINERS = (dict, list)


class _SlowPath(Exception):
    """An operation :func:`_patch_shared` leaves to :func:`apply_json_patch` (errors included)."""


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise _SlowPath
    tokens = path[1:].split("/")
    if "~" in path:
        for token in tokens:
            if "~" in token.replace("~0", "").replace("~1", ""):
                raise _SlowPath
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in tokens]
    return tokens


def _index(token: str, size: int) -> int:
    """A valid existing-element index (RFC 6901: no sign, no leading zero), else _SlowPath."""
    if not token.isdigit() or not token.isascii() or (token[0] == "0" and len(token) > 1):
        raise _SlowPath
    idx = int(token)
    if idx >= size:
        raise _SlowPath
    return idx


def _patch_shared(doc: Any, ops: Sequence[Mapping[str, Any]]) -> Any:
    """:func:`apply_json_patch` for add/remove/replace ops that all apply, copying only the
    containers on their paths (the rest stays shared with ``doc``). Anything else, or any op that
    would fail, raises _SlowPath, and the caller runs apply_json_patch for the result or the error.
    """
    owned: set[int] = set()
    keep: list[Any] = []  # owned copies stay alive, so their ids stay theirs

    def own(container: Any) -> Any:
        if id(container) in owned:
            return container
        copy_: Any = dict(container) if isinstance(container, dict) else list(container)
        owned.add(id(copy_))
        keep.append(copy_)
        return copy_

    root = doc
    for op in ops:
        name = op.get("op")
        if name not in ("add", "remove", "replace") or ("value" not in op and name != "remove"):
            raise _SlowPath
        tokens = _pointer(op.get("path"))
        if not isinstance(root, _CONTAINERS):
            raise _SlowPath
        root = own(root)
        parent = root
        for token in tokens[:-1]:
            if isinstance(parent, dict):
                if token not in parent:
                    raise _SlowPath
                child = parent[token]
                if not isinstance(child, _CONTAINERS):
                    raise _SlowPath
                child = own(child)
                parent[token] = child
            else:
                idx = _index(token, len(parent))
                child = parent[idx]
                if not isinstance(child, _CONTAINERS):
                    raise _SlowPath
                child = own(child)
                parent[idx] = child
            parent = child
        last = tokens[-1]
        value = op.get("value")
        if isinstance(parent, dict):
            if name != "add" and last not in parent:
                raise _SlowPath
            if name != "add":
                del parent[last]
            if name != "remove":
                parent[last] = value
        else:
            if name == "add" and last == "-":
                parent.append(value)
                continue
            idx = _index(last, len(parent) + (1 if name == "add" else 0))
            if name != "add":
                del parent[idx]
            if name != "remove":
                parent.insert(idx, value)
    return root


# ==================================================================================================
# Claiming and classifying


def claim_workloads(
    owner_uid: str,
    owner_deleting: bool,
    workloads: Sequence[Workload],
    selector: Mapping[str, str],
    owner_reference: WireDict,
) -> tuple[list[Workload], list[MergePatch]]:
    """``refmanager.ClaimOwnedObjects``: owned + matching kept, owned + not matching released,
    orphans matching adopted (same namespace assumed by the caller); others ignored."""
    current: list[Workload] = []
    ops: list[MergePatch] = []
    wanted = tuple(selector.items())
    for w in workloads:
        labels = w.metadata.labels or {}
        matches = True
        for k, v in wanted:
            if labels.get(k) != v:
                matches = False
                break
        ctrl = controller_uid(w)
        if ctrl == owner_uid and owner_uid:
            if matches:
                current.append(w)
            elif w.metadata.deletion_timestamp is None:
                kept = [r for r in _owner_refs(w) if r.get("uid") != owner_uid]
                ops.append(MergePatch(ref_of(w), {"metadata": {**_preconditions(w), "ownerReferences": kept or None}}))
        elif ctrl is None and matches and not owner_deleting and w.metadata.deletion_timestamp is None:
            refs = [*_owner_refs(w), owner_reference]
            ops.append(MergePatch(ref_of(w), {"metadata": {**_preconditions(w), "ownerReferences": refs}}))
            current.append(w)
    return current, ops


def _owner_refs(w: Workload) -> list[WireDict]:
    return [r.to_wire() for r in w.metadata.owner_references or []]


def _preconditions(w: Workload) -> WireDict:
    rv = {"resourceVersion": w.metadata.resource_version} if w.metadata.resource_version else {}
    uid = {"uid": w.metadata.uid} if w.metadata.uid else {}
    return {**rv, **uid}


def _name(w: Workload) -> str:
    return w.metadata.name or ""


def _label(w: Workload, key: str) -> str | None:
    labels = w.metadata.labels
    return labels.get(key) if labels else None


@attrs.frozen
class Classification:
    create: tuple[str, ...]
    update: tuple[Workload, ...]
    delete: tuple[Workload, ...]


def classify_workloads(current: Sequence[Workload], selected: Sequence[str], revision: str) -> Classification:
    """``classifyWorkloads``: index by pool label; stale revision → update; deselected → delete.

    Upstream bug: with two workloads for one pool only the last listed is tracked and the other
    lives on (double replicas). We keep one (the one on the current revision, else the last by
    name) and delete the rest, so a pool converges to exactly one workload.
    """
    by_pool: dict[str, list[Workload]] = {}
    for w in sorted(current, key=_name):
        labels = w.metadata.labels
        pool = labels.get(wellknown.LABEL_POOL_NAME) if labels else None
        if pool:
            if pool in by_pool:
                by_pool[pool].append(w)
            else:
                by_pool[pool] = [w]
    wanted = set(selected)
    updates: list[Workload] = []
    deletes: list[Workload] = []
    for pool in sorted(by_pool):
        items = by_pool[pool]
        if pool not in wanted:
            deletes.extend(items)
            continue
        keep = items[-1]
        if len(items) > 1:
            on_rev = [w for w in items if _label(w, wellknown.LABEL_CONTROLLER_REVISION_HASH) == revision]
            keep = on_rev[-1] if on_rev else keep
            deletes.extend(w for w in items if w is not keep)
        if _label(keep, wellknown.LABEL_CONTROLLER_REVISION_HASH) != revision:
            updates.append(keep)
    creates = tuple(p for p in selected if p and p not in by_pool)
    return Classification(creates, tuple(updates), tuple(deletes))


# ==================================================================================================
# Conditions and status


def set_condition(conditions: Sequence[WireDict], new: WireDict) -> list[WireDict]:
    """``SetYurtAppSetCondition``: keep an identical condition (and its time); otherwise drop the old
    one of that type and append the new one at the end."""
    fields = ("type", "status", "reason", "message")
    for c in conditions:
        if c.get("type") == new["type"] and all((c.get(f) or "") == (new.get(f) or "") for f in fields):
            return list(conditions)
    return [c for c in conditions if c.get("type") != new["type"]] + [new]


def condition(type_: str, status: str, reason: str, message: str, now: datetime) -> WireDict:
    return {
        "type": type_,
        "status": status,
        "lastTransitionTime": format_time(now),
        "reason": reason,
        "message": message,
    }


def _workload_counts(workloads: Sequence[Workload], revision: str) -> tuple[int, int]:
    ready = updated = 0
    for w in workloads:
        st = w.status
        replicas = (st.replicas if st else None) or 0
        if replicas > 0 and ((st.ready_replicas if st else None) or 0) == replicas:
            ready += 1
        if (w.metadata.labels or {}).get(wellknown.LABEL_CONTROLLER_REVISION_HASH) == revision and (
            (st.updated_replicas if st else None) or 0
        ) == replicas:
            updated += 1
    return ready, updated


# ==================================================================================================
# The planner


@attrs.frozen
class PoolWorkloads:
    """The workload half of a plan: shared by YurtAppSet and YurtAppDaemon."""

    claims: tuple[MergePatch, ...]
    creates: tuple[Create, ...]
    deletes: tuple[Delete, ...]
    updates: tuple[Update, ...]
    current: tuple[Workload, ...]
    #: (pool, reason) of workloads that could not be rendered for a create / an update.
    create_errors: tuple[tuple[str, str], ...]
    update_errors: tuple[tuple[str, str], ...]


def plan_pool_workloads(
    *,
    owner: Any,
    kind: str,
    template: Template,
    tweaks: Sequence[WorkloadTweak],
    ref_labels: Mapping[str, str],
    pools: Sequence[NodePool],
    selected: Sequence[str],
    workloads: Sequence[Workload],
    revision: str,
) -> PoolWorkloads:
    """Claim, classify and render: the workload actions for one owner at one revision."""
    owner_ref = owner_ref_wire(owner)
    namespace = owner.namespace
    candidates = [w for w in workloads if w.kind == kind and (w.metadata.namespace or "") == namespace]
    current, claims = (
        claim_workloads(
            owner.metadata.uid or "",
            owner.metadata.deletion_timestamp is not None,
            candidates,
            ref_labels if ref_labels else {},
            owner_ref,
        )
        if ref_labels
        else _owned_only(owner.metadata.uid or "", candidates)
    )
    cls = classify_workloads(current, selected, revision)
    pool_by_name = {p.metadata.name or "": p for p in pools}
    tweaks_for = TweakMatcher(tweaks)
    create_errors: list[tuple[str, str]] = []
    update_errors: list[tuple[str, str]] = []
    renderer = PoolRenderer(
        kind=kind,
        template=template,
        revision=revision,
        owner_name=owner.name,
        namespace=owner.namespace,
        owner_reference=owner_ref,
        ref_labels=ref_labels,
    )

    def render(pool: str, existing: Workload | None, errors: list[tuple[str, str]]) -> WireDict | None:
        np = pool_by_name.get(pool)
        if np is None:
            errors.append((pool, f"nodepool {pool} not found"))
            return None
        try:
            return renderer.render(pool, tweaks_for(np), existing)
        except RenderError as exc:
            errors.append((pool, str(exc)))
            return None

    creates = []
    for pool in cls.create:
        obj = render(pool, None, create_errors)
        if obj is not None:
            creates.append(Create(obj))
    updates = []
    for w in cls.update:
        obj = render(_label(w, wellknown.LABEL_POOL_NAME) or "", w, update_errors)
        if obj is not None:
            updates.append(Update(obj))
    deletes = tuple(Delete(ref_of(w), uid=w.metadata.uid, propagation_policy="Background") for w in cls.delete)
    # An orphan about to be updated (the update sets the ownerReference) or deleted needs no
    # separate adoption write; upstream adopts first, with the same end state.
    if claims:
        acted = {ref_of(w) for w in (*cls.update, *cls.delete)}
        claims = [c for c in claims if c.ref not in acted or not _is_adoption(c)]
    return PoolWorkloads(
        tuple(claims),
        tuple(creates),
        deletes,
        tuple(updates),
        tuple(current),
        tuple(create_errors),
        tuple(update_errors),
    )


def _without_spec(w: Workload) -> WireDict:
    """``w.to_wire()`` with a null spec: rendering replaces the spec, and dumping it is most of the
    cost. Keys keep their place (the declared fields, in order), as the rendered object keeps the
    existing one's key order."""
    if w.__pydantic_extra__:  # rare: the whole dump keeps the unknown keys in their place
        data = w.to_wire()
        if "spec" in data:
            data["spec"] = None
        return data
    out: WireDict = {}
    fields = w.model_fields_set
    if "api_version" in fields:
        out["apiVersion"] = w.api_version
    if "kind" in fields:
        out["kind"] = w.kind
    if "metadata" in fields:
        out["metadata"] = w.metadata.to_wire()
    if "spec" in fields:
        out["spec"] = None
    if "status" in fields:
        out["status"] = w.status.to_wire() if w.status is not None else None
    return out


def _is_adoption(patch: MergePatch) -> bool:
    refs = (patch.patch.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("controller") for r in refs)


def _owned_only(owner_uid: str, workloads: Sequence[Workload]) -> tuple[list[Workload], list[MergePatch]]:
    return [w for w in workloads if owner_uid and controller_uid(w) == owner_uid], []


def plan_yurtappset(
    yas: YurtAppSet,
    pools: Sequence[NodePool],
    workloads: Sequence[Workload],
    revisions: Sequence[ControllerRevision],
    *,
    now: datetime,
    config: YurtAppSetConfig | None = None,
) -> YurtAppSetPlan:
    """One reconcile of ``yas``.

    ``pools``: every NodePool. ``workloads``: Deployments and StatefulSets (any namespace; only the
    template's kind in the YurtAppSet's namespace is considered). ``revisions``: ControllerRevisions
    of the YurtAppSet's namespace. A YurtAppSet being deleted gets an empty plan (GC cleans up).
    """
    config = config or YurtAppSetConfig()
    ref = ref_of(yas)
    empty = YurtAppSetPlan(
        revision=(yas.status.current_revision if yas.status else ""), collision_count=0, selected_pools=()
    )
    if yas.metadata.deletion_timestamp is not None or yas.spec is None:
        return empty
    chosen = template_kind(yas.spec.workload.workload_template)
    status = yas.status
    old_collisions = status.collision_count if status and status.collision_count is not None else 0

    # 1. revision
    owner_ref = owner_ref_wire(yas)
    ref_label = {wellknown.LABEL_REF_YURTAPPSET: yas.name}
    owned_revs = [
        r
        for r in revisions
        if r.namespace == yas.namespace
        and (r.metadata.labels or {}).get(wellknown.LABEL_REF_YURTAPPSET) == yas.name
        and controller_uid(r) in (None, yas.metadata.uid)
    ]
    outcome = rev.plan_revision(
        owner_name=yas.name,
        namespace=yas.namespace,
        data=rev.yurtappset_revision_data(yas.spec.workload.to_wire()),
        history=owned_revs,
        namespace_revisions=[r for r in revisions if r.namespace == yas.namespace],
        collision_count=old_collisions,
        labels={**(yas.metadata.labels or {}), **ref_label},
        owner_reference=owner_ref,
    )
    revision = outcome.name

    # 2. pools
    selected = select_pools(pools, yas.spec.pools, yas.spec.nodepool_selector)
    conditions = [c.to_wire() for c in (status.conditions if status and status.conditions else [])]
    events: list[Event] = []
    if not selected:
        events.append(
            Event(
                ref,
                "Warning",
                wellknown.REASON_NO_FIND_POOLS,
                f"There are no matched nodepools for YurtAppSet {yas.namespace}/{yas.name}",
            )
        )
        conditions = set_condition(
            conditions,
            condition(
                wellknown.CONDITION_POOL_FOUND,
                "False",
                wellknown.REASON_NO_FIND_POOLS,
                "There are no matched nodepools for YurtAppSet",
                now,
            ),
        )
    else:
        # Go formats the sorted set list as "[a b c]".
        conditions = set_condition(
            conditions,
            condition(
                wellknown.CONDITION_POOL_FOUND,
                "True",
                wellknown.REASON_FIND_POOLS,
                f"There are {len(selected)} matched nodepools: [{' '.join(selected)}]",
                now,
            ),
        )

    # 3. workloads
    if chosen is None:  # the webhook forbids this; nothing can be rendered
        return YurtAppSetPlan(revision, outcome.collision_count, selected, Plan.of(outcome.ops), tuple(events))
    kind, _, template = chosen
    pw = plan_pool_workloads(
        owner=yas,
        kind=kind,
        template=template,
        tweaks=yas.spec.workload.workload_tweaks or [],
        ref_labels=ref_label,
        pools=pools,
        selected=selected,
        workloads=workloads,
        revision=revision,
    )
    create_errors, update_errors = pw.create_errors, pw.update_errors
    if pw.creates or create_errors:
        if create_errors:
            msg = "; ".join(f"create workload by nodepool {p} error: {m}" for p, m in create_errors)
            conditions = set_condition(
                conditions,
                condition(
                    wellknown.CONDITION_APP_DISPATCHED, "False", wellknown.REASON_CREATE_WORKLOAD_ERROR, msg, now
                ),
            )
        else:
            events.append(
                Event(ref, "Normal", wellknown.EVENT_SUCCESSFUL_CREATE_WORKLOAD, f"Create {len(pw.creates)} {kind}")
            )
            conditions = set_condition(
                conditions,
                condition(
                    wellknown.CONDITION_APP_DISPATCHED,
                    "True",
                    "",
                    "All expected workloads are created successfully",
                    now,
                ),
            )
    if pw.deletes:
        events.append(
            Event(ref, "Normal", wellknown.EVENT_SUCCESSFUL_DELETE_WORKLOAD, f"Delete {len(pw.deletes)} {kind}")
        )
        conditions = set_condition(
            conditions,
            condition(
                wellknown.CONDITION_APP_DELETED, "True", "", "Unexpected workloads are deleted successfully", now
            ),
        )
    if pw.updates or update_errors:
        if update_errors:
            for pool, m in update_errors:
                events.append(
                    Event(ref, "Warning", "Failed UpdateWorkload", f"Error updating {kind} of nodepool {pool}: {m}")
                )
            msg = "; ".join(f"update workload of nodepool {p} error: {m}" for p, m in update_errors)
            conditions = set_condition(
                conditions,
                condition(wellknown.CONDITION_APP_UPDATED, "False", wellknown.REASON_UPDATE_WORKLOAD_ERROR, msg, now),
            )
        else:
            events.append(
                Event(ref, "Normal", wellknown.EVENT_SUCCESSFUL_UPDATE_WORKLOAD, f"Update {len(pw.updates)} {kind}")
            )
            conditions = set_condition(
                conditions,
                condition(
                    wellknown.CONDITION_APP_UPDATED, "True", "", "All expected workloads are updated successfully", now
                ),
            )

    # 4. status (from the workloads read before this round's actions, as upstream)
    total = len(pw.current)
    ready, updated = _workload_counts(pw.current, revision)
    if total == 0:
        conditions = set_condition(
            conditions, condition(wellknown.CONDITION_APP_READY, "False", wellknown.REASON_NO_WORKLOAD_FOUND, "", now)
        )
    elif ready == total:
        conditions = set_condition(
            conditions, condition(wellknown.CONDITION_APP_READY, "True", wellknown.REASON_ALL_WORKLOADS_READY, "", now)
        )
    else:
        conditions = set_condition(
            conditions,
            condition(wellknown.CONDITION_APP_READY, "False", wellknown.REASON_NOT_ALL_WORKLOADS_READY, "", now),
        )
    old_conditions = [c.to_wire() for c in (status.conditions if status and status.conditions else [])]
    unchanged = (
        status is not None
        and status.current_revision == revision
        and status.collision_count is not None
        and status.collision_count == outcome.collision_count
        and status.total_workloads == total
        and status.ready_workloads == ready
        and (status.updated_workloads or 0) == updated
        and (status.observed_generation or 0) == (yas.metadata.generation or 0)
        and old_conditions == conditions
    )
    status_op: StatusUpdate | None = None
    if not unchanged:
        new_status: WireDict = {
            "observedGeneration": yas.metadata.generation or 0,
            "collisionCount": outcome.collision_count,
            "currentRevision": revision,
            "conditions": conditions,
            "readyWorkloads": ready,
            "updatedWorkloads": updated,
            "totalWorkloads": total,
        }
        status_op = status_update(yas, new_status)

    # 5. prune revisions
    limit = yas.spec.revision_history_limit
    prune = rev.prune_history(
        outcome.history,
        limit=config.default_revision_history_limit if limit is None else limit,
        keep=revision,
        namespace=yas.namespace,
    )
    steps = (*outcome.ops, *pw.creates, *pw.updates, *pw.claims, *pw.deletes, *prune)
    return YurtAppSetPlan(
        revision=revision,
        collision_count=outcome.collision_count,
        selected_pools=selected,
        plan=Plan.of((*steps, status_op) if status_op is not None else steps),
        events=tuple(events),
        render_errors=(*pw.create_errors, *pw.update_errors),
    )
