"""apps.openyurt.io/v1beta1: NodePool (served, older) and YurtAppSet (storage/hub).

NodePool v1beta1 is what most published manifests use; it converts to the v1beta2 hub by upstream's
rules, which carry ``hostNetwork`` only through the object annotation ``nodepool.openyurt.io/hostnetwork``
(``spec.hostNetwork`` of v1beta1 is ignored both ways). YurtAppSet v1beta1 stamps one Deployment or
StatefulSet per selected NodePool from a schemaless template plus per-pool tweaks; its webhook checks
that the template, with each tweak applied on its own, is a workload the API server would accept. Those
workload-template checks live here because YurtAppDaemon (v1alpha1) reuses them.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Literal, Self

import pydantic
from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api import openyurt_apps_v1beta2 as v1beta2
from openyurt.core.api._base import (
    AnyJSON,
    FieldError,
    Int32,
    Int64,
    PrinterColumn,
    ResourceInfo,
    Schemaless,
    StrMap,
    WireModel,
    errors_from_pydantic,
    json_type_name,
)
from openyurt.core.api._conditions import OpenYurtCondition
from openyurt.core.api._resource import Resource, register, register_conversion
from openyurt.core.api.core_v1 import Taint
from openyurt.core.api.meta_v1 import (
    LabelSelector,
    ObjectMeta,
    canonical_json,
    dns1123_label_errors,
    label_errors,
    selector_errors,
    selector_matches,
)
from openyurt.core.api.openyurt_apps_v1beta2 import (
    CREATION_TIMESTAMP_DESCRIPTION,
    GROUP,
    NODEPOOL_AGE_COLUMN,
    NODEPOOL_COMMON_COLUMNS,
    forbidden,
    required,
    unsupported,
)
from openyurt.core.patch import PatchError, apply_json_patch

# ==================================================================================================
# NodePool v1beta1


class NodePoolSpec(WireModel):
    type: str | None = Field(default=None, description="Edge or Cloud.")
    host_network: bool | None = Field(
        default=None,
        description="Ignored by conversion: set the annotation nodepool.openyurt.io/hostnetwork=true instead.",
    )
    labels: StrMap | None = None
    annotations: StrMap | None = None
    taints: list[Taint] | None = None


class NodePoolStatus(WireModel):
    ready_node_num: Int32 | None = None
    unready_node_num: Int32 | None = None
    nodes: list[str] | None = None


NODEPOOL_COLUMNS = (*NODEPOOL_COMMON_COLUMNS, NODEPOOL_AGE_COLUMN)


@register(
    ResourceInfo(
        group=GROUP,
        version="v1beta1",
        kind="NodePool",
        plural="nodepools",
        singular="nodepool",
        short_names=("np",),
        namespaced=False,
        categories=("yurt",),
        served=True,
        storage=False,
        printer_columns=NODEPOOL_COLUMNS,
    )
)
class NodePool(Resource):
    spec: NodePoolSpec | None = None
    status: NodePoolStatus | None = None

    def with_defaults(self) -> Self:
        """The v1beta2 webhook seen through this version: type, type label, zeroed status."""
        return nodepool_old_defaults(self, NodePoolSpec, NodePoolStatus)  # type: ignore[no-any-return]

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The v1beta2 webhook runs on the converted object (admission matchPolicy Equivalent)."""
        hub_old = nodepool_to_v1beta2(old) if old is not None else None
        return nodepool_to_v1beta2(self).semantic_errors(hub_old)


def nodepool_old_defaults(pool: Any, spec_cls: Any, status_cls: Any) -> Any:
    """Defaults of the v1beta2 NodePool webhook that v1alpha1/v1beta1 can express."""
    spec = pool.spec or spec_cls()
    pool_type = spec.type or v1beta2.NODEPOOL_TYPE_EDGE
    labels = dict(pool.metadata.labels or {})
    labels[wellknown.LABEL_NODEPOOL_TYPE] = pool_type.lower()
    return pool.evolve(
        metadata=pool.metadata.evolve(labels=labels),
        spec=spec.evolve(type=pool_type),
        status=status_cls(ready_node_num=0, unready_node_num=0, nodes=[]),
    )


def hostnetwork_from_annotations(meta: ObjectMeta) -> bool:
    """Upstream's rule for older NodePool versions: the annotation, compared case-insensitively."""
    return (meta.annotations or {}).get(wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK, "").lower() == "true"


def old_nodepool_to_v1beta2(src: Any) -> v1beta2.NodePool:
    """v1alpha1/v1beta1 -> v1beta2: shared fields copied, hostNetwork from the annotation, election reset.

    Go's encoder omits false booleans, so ``interConnectivity: false`` is left unset (same meaning).
    """
    spec = src.spec
    fields: dict[str, Any] = {
        "leader_election_strategy": v1beta2.ELECTION_STRATEGY_RANDOM,
        "leader_replicas": 1,
    }
    if spec is not None:
        for name in ("type", "labels", "annotations", "taints"):
            if name in spec.model_fields_set:
                fields[name] = getattr(spec, name)
    if hostnetwork_from_annotations(src.metadata):
        fields["host_network"] = True
    out: dict[str, Any] = {"metadata": src.metadata, "spec": v1beta2.NodePoolSpec(**fields)}
    if src.status is not None:
        out["status"] = v1beta2.NodePoolStatus(**_status_counters(src.status))
    return v1beta2.NodePool(**out)


def v1beta2_to_old_nodepool(src: v1beta2.NodePool, dst_cls: Any, spec_cls: Any, status_cls: Any) -> Any:
    """v1beta2 -> v1alpha1/v1beta1: shared fields copied; hostNetwork becomes the annotation."""
    meta = src.metadata
    spec = src.spec or v1beta2.NodePoolSpec()
    if spec.host_network:
        annotations = dict(meta.annotations or {})
        annotations[wellknown.ANNOTATION_NODEPOOL_HOSTNETWORK] = "true"
        meta = meta.evolve(annotations=annotations)
    fields = {n: getattr(spec, n) for n in ("type", "labels", "annotations", "taints") if n in spec.model_fields_set}
    out: dict[str, Any] = {"metadata": meta}
    if src.spec is not None:
        out["spec"] = spec_cls(**fields)
    if src.status is not None:
        out["status"] = status_cls(**_status_counters(src.status))
    return dst_cls(**out)


def _status_counters(status: Any) -> dict[str, Any]:
    return {
        n: getattr(status, n) for n in ("ready_node_num", "unready_node_num", "nodes") if n in status.model_fields_set
    }


def nodepool_to_v1beta2(src: NodePool) -> v1beta2.NodePool:
    return old_nodepool_to_v1beta2(src)


def nodepool_from_v1beta2(src: v1beta2.NodePool) -> NodePool:
    return v1beta2_to_old_nodepool(src, NodePool, NodePoolSpec, NodePoolStatus)  # type: ignore[no-any-return]


register_conversion(NodePool, v1beta2.NodePool, nodepool_to_v1beta2)
register_conversion(v1beta2.NodePool, NodePool, nodepool_from_v1beta2)


# ==================================================================================================
# Workload templates (shared by YurtAppSet v1alpha1/v1beta1 and YurtAppDaemon)

DEPLOYMENT = "Deployment"
STATEFULSET = "StatefulSet"


class DeploymentTemplateSpec(WireModel):
    """An apps/v1 Deployment's metadata and spec, kept as sent (the CRD does not check them)."""

    metadata: Schemaless | None = None
    spec: Schemaless


class StatefulSetTemplateSpec(WireModel):
    """An apps/v1 StatefulSet's metadata and spec, kept as sent."""

    metadata: Schemaless | None = None
    spec: Schemaless


class WorkloadTemplate(WireModel):
    """Exactly one of the two members must be set (webhook rule)."""

    deployment_template: DeploymentTemplateSpec | None = None
    stateful_set_template: StatefulSetTemplateSpec | None = None


def template_kind(
    tmpl: WorkloadTemplate | None,
) -> tuple[str, str, DeploymentTemplateSpec | StatefulSetTemplateSpec] | None:
    """(kind, wire member name, template) of the one template set, or None if none or both are set."""
    if tmpl is None or (tmpl.deployment_template is None) == (tmpl.stateful_set_template is None):
        return None
    if tmpl.deployment_template is not None:
        return DEPLOYMENT, "deploymentTemplate", tmpl.deployment_template
    assert tmpl.stateful_set_template is not None
    return STATEFULSET, "statefulSetTemplate", tmpl.stateful_set_template


def template_labels(template: DeploymentTemplateSpec | StatefulSetTemplateSpec) -> dict[str, str] | None:
    labels = (template.metadata or {}).get("labels")
    return labels if isinstance(labels, dict) else None


def default_pull_policy(pod_template: Any) -> Any:
    """OpenYurt's pod-spec defaulting quirk: containers with no imagePullPolicy get ``Always``."""
    if not isinstance(pod_template, dict):
        return pod_template
    out = copy.deepcopy(pod_template)
    pod = out.get("spec")
    if isinstance(pod, dict) and isinstance(pod.get("containers"), list):
        for container in pod["containers"]:
            if isinstance(container, dict) and not container.get("imagePullPolicy"):
                container["imagePullPolicy"] = "Always"
    return out


# -- checks the API server applies to a Deployment/StatefulSet spec (the subset that matters here) --

#: (path relative to the checked object, message, reason)
RelError = tuple[str, str, str]
_PULL_POLICIES = ("Always", "IfNotPresent", "Never")


def _join(prefix: str, rel: str) -> str:
    if not prefix:
        return rel
    return f"{prefix}{rel}" if rel.startswith("[") else f"{prefix}.{rel}"


def parse_selector(value: Any, rel: str) -> tuple[LabelSelector | None, list[RelError]]:
    if value is None:
        return None, []
    try:
        return LabelSelector.model_validate(value), []
    except pydantic.ValidationError as exc:
        return None, [(_join(rel, e.path) if e.path else rel, e.message, e.reason) for e in errors_from_pydantic(exc)]


def pod_template_errors(template: Any, rel: str, *, restart_always: bool) -> list[RelError]:
    """A PodTemplateSpec's essentials: labels, containers with names and images, valid policies."""
    if template is None:
        template = {}
    if not isinstance(template, dict):
        return [(rel, f"Invalid value: expected object, got {json_type_name(template)}", "FieldValueTypeInvalid")]
    out: list[RelError] = []
    meta = template.get("metadata") or {}
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if labels is not None and not (isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values())):
        out.append((f"{rel}.metadata.labels", "Invalid value: expected a map of strings", "FieldValueTypeInvalid"))
    elif labels:
        out.extend((e.path, e.message, e.reason) for e in label_errors(labels, f"{rel}.metadata.labels"))
    pod = template.get("spec")
    if pod is None:
        pod = {}
    elif not isinstance(pod, dict):
        return [
            *out,
            (f"{rel}.spec", f"Invalid value: expected object, got {json_type_name(pod)}", "FieldValueTypeInvalid"),
        ]
    for key in ("initContainers", "containers"):
        items = pod.get(key)
        path = f"{rel}.spec.{key}"
        if items is None and key == "initContainers":
            continue
        if not isinstance(items, list) or (key == "containers" and not items):
            out.append((path, "Required value", "FieldValueRequired"))
            continue
        seen: set[str] = set()
        for i, c in enumerate(items):
            cpath = f"{path}[{i}]"
            if not isinstance(c, dict):
                out.append((cpath, f"Invalid value: expected object, got {json_type_name(c)}", "FieldValueTypeInvalid"))
                continue
            name = c.get("name")
            if not name or not isinstance(name, str):
                out.append((f"{cpath}.name", "Required value", "FieldValueRequired"))
            else:
                out.extend(
                    (f"{cpath}.name", f'Invalid value: "{name}": {m}', "FieldValueInvalid")
                    for m in dns1123_label_errors(name)
                )
                if name in seen:
                    out.append((f"{cpath}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate"))
                seen.add(name)
            if not c.get("image") or not isinstance(c.get("image"), str):
                out.append((f"{cpath}.image", "Required value", "FieldValueRequired"))
            policy = c.get("imagePullPolicy")
            if policy and policy not in _PULL_POLICIES:
                e = unsupported(f"{cpath}.imagePullPolicy", policy, _PULL_POLICIES)
                out.append((e.path, e.message, e.reason))
    restart = pod.get("restartPolicy")
    if restart_always and restart not in (None, "", "Always"):
        e = unsupported(f"{rel}.spec.restartPolicy", restart, ("Always",))
        out.append((e.path, e.message, e.reason))
    return out


def workload_spec_errors(kind: str, spec: Any) -> list[RelError]:
    """What ValidateDeploymentSpec / ValidateStatefulSetSpec reject, paths relative to the spec.

    Covers the selector (present, non-empty, well-formed, matching the pod template's labels),
    replicas, and the pod template essentials. Full PodSpec validation is the API server's job.
    """
    if not isinstance(spec, dict):
        return [("", f"Invalid value: expected object, got {json_type_name(spec)}", "FieldValueTypeInvalid")]
    out: list[RelError] = []
    replicas = spec.get("replicas")
    if replicas is not None:
        if isinstance(replicas, bool) or not isinstance(replicas, int):
            out.append(
                (
                    "replicas",
                    f"Invalid value: expected integer, got {json_type_name(replicas)}",
                    "FieldValueTypeInvalid",
                )
            )
        elif replicas < 0:
            out.append(
                ("replicas", f"Invalid value: {replicas}: must be greater than or equal to 0", "FieldValueInvalid")
            )
    selector, sel_errs = parse_selector(spec.get("selector"), "selector")
    out.extend(sel_errs)
    template = spec.get("template")
    if spec.get("selector") is None:
        out.append(("selector", "Required value", "FieldValueRequired"))
    elif selector is not None:
        syntax = selector_errors(selector, "selector")
        out.extend((e.path, e.message, e.reason) for e in syntax)
        if syntax:
            pass  # an unparsable selector matches nothing; the API server reports only the syntax
        elif not selector.match_labels and not selector.match_expressions:
            out.append(
                (
                    "selector",
                    f"Invalid value: {canonical_json(spec['selector'])}: empty selector is invalid for {kind.lower()}",
                    "FieldValueInvalid",
                )
            )
        elif isinstance(template, dict | None):
            meta = (template or {}).get("metadata") or {}
            labels = meta.get("labels") if isinstance(meta, dict) else None
            if not selector_matches(selector, labels if isinstance(labels, dict) else {}):
                out.append(
                    (
                        "template.metadata.labels",
                        f"Invalid value: {canonical_json(labels or {})}: `selector` does not match template `labels`",
                        "FieldValueInvalid",
                    )
                )
    out.extend(pod_template_errors(template, "template", restart_always=True))
    if kind == STATEFULSET:
        policy = spec.get("podManagementPolicy")
        if policy not in (None, "", "OrderedReady", "Parallel"):
            e = unsupported("podManagementPolicy", policy, ("OrderedReady", "Parallel"))
            out.append((e.path, e.message, e.reason))
    return out


# -- a workload rendered from the template, and the tweaks applied to it --


def render_workload(kind: str, template: DeploymentTemplateSpec | StatefulSetTemplateSpec) -> dict[str, Any]:
    """The workload object the webhook builds from a template: the spec, with the struct members Go's
    encoder always emits present, so patches against them apply as they would upstream."""
    spec = copy.deepcopy(template.spec)
    if not isinstance(spec.get("template"), dict):
        spec["template"] = {}
    pod_template = spec["template"]
    for key in ("metadata", "spec"):
        if not isinstance(pod_template.get(key), dict):
            pod_template[key] = {}
    if not isinstance(pod_template["spec"].get("containers"), list):
        pod_template["spec"]["containers"] = []
    strategy_key = "strategy" if kind == DEPLOYMENT else "updateStrategy"
    if not isinstance(spec.get(strategy_key), dict):
        spec[strategy_key] = {}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {}, "spec": spec, "status": {}}


# ==================================================================================================
# YurtAppSet v1beta1


class ContainerImage(WireModel):
    name: str = Field(description="Container or init container whose image is replaced.")
    target_image: str


class Patch(WireModel):
    """One RFC 6902 operation on the whole rendered workload; ``{{nodepool-name}}`` in ``value`` is the pool."""

    path: str
    operation: Literal["add", "remove", "replace"]
    value: AnyJSON = None


class Tweaks(WireModel):
    replicas: Int32 | None = None
    container_images: list[ContainerImage] | None = None
    patches: list[Patch] | None = None


class WorkloadTweak(WireModel):
    """Tweaks for the pools named in ``pools`` or whose labels match ``nodepoolSelector``."""

    nodepool_selector: LabelSelector | None = Field(default=None, alias="nodepoolSelector")
    pools: list[str] | None = None
    tweaks: Tweaks


class Workload(WireModel):
    workload_template: WorkloadTemplate
    workload_tweaks: list[WorkloadTweak] | None = None


class YurtAppSetSpec(WireModel):
    workload: Workload
    nodepool_selector: LabelSelector | None = Field(
        default=None, alias="nodepoolSelector", description="Selects NodePools by their labels."
    )
    pools: list[str] | None = Field(default=None, description="NodePool names, in addition to the selector.")
    revision_history_limit: Int32 | None = Field(default=None, description="ControllerRevisions kept (default 10).")


class YurtAppSetStatus(WireModel):
    observed_generation: Int64 | None = None
    collision_count: Int32 | None = None
    current_revision: str
    conditions: list[OpenYurtCondition] | None = None
    ready_workloads: Int32
    updated_workloads: Int32 | None = None
    total_workloads: Int32


DEFAULT_REVISION_HISTORY_LIMIT = 10
_TEMPLATE_PATH = "spec.workload.workloadTemplate"


@register(
    ResourceInfo(
        group=GROUP,
        version="v1beta1",
        kind="YurtAppSet",
        plural="yurtappsets",
        singular="yurtappset",
        short_names=("yas",),
        namespaced=True,
        categories=("yurt",),
        served=True,
        storage=True,
        printer_columns=(
            PrinterColumn("TOTAL", ".status.totalWorkloads", "integer", "The total number of workloads."),
            PrinterColumn("READY", ".status.readyWorkloads", "integer", "The number of workloads ready."),
            PrinterColumn("UPDATED", ".status.updatedWorkloads", "integer", "The number of workloads updated."),
            PrinterColumn("AGE", ".metadata.creationTimestamp", "date", CREATION_TIMESTAMP_DESCRIPTION),
        ),
    )
)
class YurtAppSet(Resource):
    defaults_on_update = True
    spec: YurtAppSetSpec | None = None
    status: YurtAppSetStatus | None = None

    def with_defaults(self) -> Self:
        """The YurtAppSet mutating webhook (CREATE/UPDATE): revisionHistoryLimit defaults to 10."""
        if self.spec is None or self.spec.revision_history_limit is not None:
            return self
        return self.evolve(spec=self.spec.evolve(revision_history_limit=DEFAULT_REVISION_HISTORY_LIMIT))

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The YurtAppSet validating webhook: one template, valid with every tweak, kind fixed on update."""
        if self.spec is None:
            return [required("spec.workload", "a workload template is required")]
        workload = self.spec.workload
        tmpl = workload.workload_template
        errors: list[FieldError] = []
        chosen = template_kind(tmpl)
        if chosen is None:
            if tmpl.deployment_template is None:
                errors.append(required(_TEMPLATE_PATH, "one of deploymentTemplate or statefulSetTemplate is required"))
            else:
                errors.append(
                    FieldError(
                        _TEMPLATE_PATH,
                        "Invalid value: only one of deploymentTemplate and statefulSetTemplate may be set",
                    )
                )
        else:
            kind, member, template = chosen
            errors.extend(
                tweaked_template_errors(kind, template, workload.workload_tweaks or [], f"{_TEMPLATE_PATH}.{member}")
            )
        if old is not None and old.spec is not None:
            old_tmpl = old.spec.workload.workload_template
            if (old_tmpl.deployment_template is None and tmpl.deployment_template is not None) or (
                old_tmpl.stateful_set_template is None and tmpl.stateful_set_template is not None
            ):
                errors.append(forbidden(_TEMPLATE_PATH, "the kind of workload template may not be changed"))
        return errors


def substitute_pool_name(value: Any, pool: str) -> Any:
    """Replace every ``{{nodepool-name}}`` in a patch value's JSON text, as the controller does."""
    text = json.dumps(value)
    if wellknown.NODEPOOL_NAME_PLACEHOLDER not in text:
        return value
    return json.loads(text.replace(wellknown.NODEPOOL_NAME_PLACEHOLDER, json.dumps(pool)[1:-1]))


def apply_tweaks(
    workload: dict[str, Any], tweaks: list[Tweaks], pool: str = ""
) -> tuple[dict[str, Any], tuple[int, int, str] | None]:
    """Apply tweaks as yurt-manager does: replicas and images first, then every patch in order.

    Returns the new workload and, if a patch failed, (tweak index, patch index, reason).
    """
    out = copy.deepcopy(workload)
    spec = out.setdefault("spec", {})
    for tw in tweaks:
        if tw.replicas is not None:
            spec["replicas"] = tw.replicas
        pod = (spec.get("template") or {}).get("spec") or {}
        for image in tw.container_images or []:
            for key in ("containers", "initContainers"):
                for c in pod.get(key) or []:
                    if isinstance(c, dict) and c.get("name") == image.name:
                        c["image"] = image.target_image
    for i, tw in enumerate(tweaks):
        for j, p in enumerate(tw.patches or []):
            op = {"op": p.operation, "path": p.path, "value": substitute_pool_name(p.value, pool)}
            try:
                out = apply_json_patch(out, [op])
            except PatchError as exc:
                # drop the "json patch op 0 (op 'path'): " prefix: the caller names the patch itself
                reason = str(exc)
                return out, (i, j, reason.split("): ", 1)[1] if reason.startswith("json patch op") else reason)
    return out, None


def tweaked_template_errors(
    kind: str,
    template: DeploymentTemplateSpec | StatefulSetTemplateSpec,
    tweaks: list[WorkloadTweak],
    template_path: str,
) -> list[FieldError]:
    """The webhook's spec check: without tweaks the template itself, else the template with each tweak
    applied on its own (a tweak may only apply to some pools, so each must yield a valid workload).

    An error of the bare template is reported at the template; one only a tweak causes, at the tweak.
    """

    def spec_errors(workload: dict[str, Any]) -> list[RelError]:
        return workload_spec_errors(kind, workload.get("spec"))

    base = render_workload(kind, template)
    bare = spec_errors(base)
    if not tweaks:
        return [FieldError(_join(f"{template_path}.spec", p), m, r) for p, m, r in bare]
    out: list[FieldError] = []
    reported: set[RelError] = set()
    for i, tweak in enumerate(tweaks):
        tweak_path = f"spec.workload.workloadTweaks[{i}].tweaks"
        rendered, failed = apply_tweaks(base, [tweak.tweaks])
        if failed is not None:
            _, j, reason = failed
            bad = (tweak.tweaks.patches or [])[j]
            out.append(FieldError(f"{tweak_path}.patches[{j}].path", f'Invalid value: "{bad.path}": {reason}'))
            continue
        for err in spec_errors(rendered):
            rel, msg, reason = err
            if err in bare:
                if err not in reported:
                    reported.add(err)
                    out.append(FieldError(_join(f"{template_path}.spec", rel), msg, reason))
            elif rel == "replicas" and tweak.tweaks.replicas is not None:
                out.append(FieldError(f"{tweak_path}.replicas", msg, reason))
            else:
                out.append(FieldError(tweak_path, f"Invalid value: with this tweak applied, spec.{rel}: {msg}", reason))
    return out


def yurtappset_template_selector(template: DeploymentTemplateSpec | StatefulSetTemplateSpec) -> LabelSelector | None:
    selector, errs = parse_selector(template.spec.get("selector"), "selector")
    return None if errs else selector


__all__ = [
    "DEFAULT_REVISION_HISTORY_LIMIT",
    "ContainerImage",
    "DeploymentTemplateSpec",
    "NodePool",
    "NodePoolSpec",
    "NodePoolStatus",
    "Patch",
    "StatefulSetTemplateSpec",
    "Tweaks",
    "Workload",
    "WorkloadTemplate",
    "WorkloadTweak",
    "YurtAppSet",
    "YurtAppSetSpec",
    "YurtAppSetStatus",
]
