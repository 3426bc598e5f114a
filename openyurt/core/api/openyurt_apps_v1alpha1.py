"""apps.openyurt.io/v1alpha1: the oldest NodePool and YurtAppSet views, and the single-version kinds.

Many clusters and docs still speak v1alpha1, so old NodePool and YurtAppSet manifests must keep parsing
and convert to the hubs (v1beta2 and v1beta1) by upstream's rules. YurtStaticSet and NodeBucket only
exist here. YurtAppDaemon is deprecated (nothing reconciles it upstream any more) but its CRD is still
served, so it is modelled with its old webhook rules. YurtAppOverrider was removed upstream; it is kept
unserved and out of the CRDs only so that an old manifest parses and its errors name the field.
"""

from __future__ import annotations

import copy
from typing import Any, Literal, Self

from pydantic import Field

from openyurt.core import wellknown
from openyurt.core.api import openyurt_apps_v1beta1 as v1beta1
from openyurt.core.api import openyurt_apps_v1beta2 as v1beta2
from openyurt.core.api._base import (
    AnyJSON,
    FieldError,
    Int32,
    Int64,
    IntOrString,
    PrinterColumn,
    ResourceInfo,
    Schemaless,
    StrMap,
    WireModel,
)
from openyurt.core.api._conditions import OpenYurtCondition
from openyurt.core.api._resource import Resource, register, register_conversion
from openyurt.core.api.core_v1 import NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration
from openyurt.core.api.meta_v1 import LabelSelector, canonical_json, selector_errors, selector_matches
from openyurt.core.api.openyurt_apps_v1beta1 import (
    DEFAULT_REVISION_HISTORY_LIMIT,
    DEPLOYMENT,
    STATEFULSET,
    DeploymentTemplateSpec,
    StatefulSetTemplateSpec,
    WorkloadTemplate,
    default_pull_policy,
    pod_template_errors,
    template_labels,
)
from openyurt.core.api.openyurt_apps_v1beta2 import (
    CREATION_TIMESTAMP_DESCRIPTION,
    GROUP,
    forbidden,
    required,
    unsupported,
)

_AGE = PrinterColumn("AGE", ".metadata.creationTimestamp", "date", CREATION_TIMESTAMP_DESCRIPTION)

# ==================================================================================================
# NodePool v1alpha1 (deprecated)


class NodePoolSpec(WireModel):
    type: str | None = Field(default=None, description="Edge or Cloud.")
    selector: LabelSelector | None = Field(
        default=None, description="Never used for membership; dropped when converted to newer versions."
    )
    labels: StrMap | None = None
    annotations: StrMap | None = None
    taints: list[Taint] | None = None


NodePoolStatus = v1beta1.NodePoolStatus


@register(
    ResourceInfo(
        group=GROUP,
        version="v1alpha1",
        kind="NodePool",
        plural="nodepools",
        singular="nodepool",
        short_names=("np",),
        namespaced=False,
        categories=("yurt",),
        served=True,
        storage=False,
        deprecated=True,
        deprecation_warning=(
            "apps.openyurt.io/v1alpha1 NodePool is deprecated in v1.0.0+; use apps.openyurt.io/v1beta1 NodePool"
        ),
        printer_columns=v1beta1.NODEPOOL_COLUMNS,
    )
)
class NodePool(Resource):
    spec: NodePoolSpec | None = None
    status: NodePoolStatus | None = None

    def with_defaults(self) -> Self:
        """The v1beta2 webhook seen through this version: type, type label, zeroed status."""
        return v1beta1.nodepool_old_defaults(self, NodePoolSpec, NodePoolStatus)  # type: ignore[no-any-return]

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The v1beta2 webhook runs on the converted object (admission matchPolicy Equivalent)."""
        hub_old = nodepool_to_v1beta2(old) if old is not None else None
        return nodepool_to_v1beta2(self).semantic_errors(hub_old)


def nodepool_to_v1beta2(src: NodePool) -> v1beta2.NodePool:
    """Same rules as v1beta1; ``spec.selector`` has no counterpart and is dropped."""
    return v1beta1.old_nodepool_to_v1beta2(src)


def nodepool_from_v1beta2(src: v1beta2.NodePool) -> NodePool:
    return v1beta1.v1beta2_to_old_nodepool(src, NodePool, NodePoolSpec, NodePoolStatus)  # type: ignore[no-any-return]


register_conversion(NodePool, v1beta2.NodePool, nodepool_to_v1beta2)
register_conversion(v1beta2.NodePool, NodePool, nodepool_from_v1beta2)


# ==================================================================================================
# YurtAppSet v1alpha1 (deprecated)


class Pool(WireModel):
    """One pool workload: its nodes, replicas and a strategic-merge patch of the template."""

    name: str
    node_selector_term: NodeSelectorTerm | None = None
    tolerations: list[Toleration] | None = None
    replicas: Int32
    patch: Schemaless | None = None


class Topology(WireModel):
    pools: list[Pool] | None = None


class YurtAppSetSpec(WireModel):
    selector: LabelSelector
    workload_template: WorkloadTemplate | None = None
    topology: Topology | None = None
    revision_history_limit: Int32 | None = None


class WorkloadSummary(WireModel):
    available_condition: str
    ready_replicas: Int32
    replicas: Int32
    workload_name: str


class YurtAppSetStatus(WireModel):
    observed_generation: Int64 | None = None
    collision_count: Int32 | None = None
    current_revision: str
    conditions: list[OpenYurtCondition] | None = None
    workload_summary: list[WorkloadSummary] | None = None
    overrider_ref: str | None = None
    pool_replicas: dict[str, Int32] | None = None
    ready_replicas: Int32 | None = None
    replicas: Int32
    template_type: str = Field(description="Deployment or StatefulSet.")


@register(
    ResourceInfo(
        group=GROUP,
        version="v1alpha1",
        kind="YurtAppSet",
        plural="yurtappsets",
        singular="yurtappset",
        short_names=("yas",),
        namespaced=True,
        categories=("yurt",),
        served=True,
        storage=False,
        deprecated=True,
        deprecation_warning=(
            "apps.openyurt.io/v1alpha1 YurtAppSet is deprecated; use apps.openyurt.io/v1beta1 YurtAppSet; "
            "v1alpha1 YurtAppSet.Status.WorkloadSummary should not be used"
        ),
        printer_columns=(
            PrinterColumn("READY", ".status.readyReplicas", "integer", "The number of pods ready."),
            PrinterColumn("WorkloadTemplate", ".status.templateType", "string", "The WorkloadTemplate Type."),
            _AGE,
            PrinterColumn(
                "OverriderRef", ".status.overriderRef", "string", "The name of overrider bound to this yurtappset"
            ),
        ),
    )
)
class YurtAppSet(Resource):
    spec: YurtAppSetSpec | None = None
    status: YurtAppSetStatus | None = None

    def with_defaults(self) -> Self:
        """The v1beta1 webhook's only default, which this version can express directly."""
        if self.spec is None or self.spec.revision_history_limit is not None:
            return self
        return self.evolve(spec=self.spec.evolve(revision_history_limit=DEFAULT_REVISION_HISTORY_LIMIT))

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The v1beta1 webhook on the converted object; paths are v1beta1's, as a real API server reports."""
        hub_old = yurtappset_to_v1beta1(old) if old is not None else None
        return yurtappset_to_v1beta1(self).semantic_errors(hub_old)


def _copy_template(tmpl: WorkloadTemplate | None) -> WorkloadTemplate:
    if tmpl is None:
        return WorkloadTemplate()
    fields: dict[str, Any] = {}
    if tmpl.deployment_template is not None:
        fields["deployment_template"] = tmpl.deployment_template
    if tmpl.stateful_set_template is not None:
        fields["stateful_set_template"] = tmpl.stateful_set_template
    return WorkloadTemplate(**fields)


def yurtappset_to_v1beta1(src: YurtAppSet) -> v1beta1.YurtAppSet:
    """v1alpha1 -> v1beta1: templates kept; each topology pool selected by node-pool name becomes a name
    in ``pools`` plus a replicas tweak; selector, tolerations and per-pool patches have no counterpart.

    A pool qualifies, as upstream, when its only match expression is on ``apps.openyurt.io/nodepool``
    or its first expression uses ``In``; a pool without expressions (upstream panics) is skipped.
    """
    spec = src.spec
    out: dict[str, Any] = {"metadata": src.metadata}
    if spec is not None:
        pools: list[str] = []
        tweaks: list[v1beta1.WorkloadTweak] = []
        for pool in (spec.topology.pools if spec.topology else None) or []:
            exprs = (pool.node_selector_term.match_expressions if pool.node_selector_term else None) or []
            if not exprs:
                continue
            first = exprs[0]
            if (len(exprs) == 1 and first.key == wellknown.LABEL_NODEPOOL) or first.operator == "In":
                values = list(first.values or [])
                pools.extend(values)
                tweaks.append(v1beta1.WorkloadTweak(pools=values, tweaks=v1beta1.Tweaks(replicas=pool.replicas)))
        workload: dict[str, Any] = {"workload_template": _copy_template(spec.workload_template)}
        if tweaks:
            workload["workload_tweaks"] = tweaks
        dst_spec: dict[str, Any] = {"workload": v1beta1.Workload(**workload)}
        if pools:
            dst_spec["pools"] = pools
        if spec.revision_history_limit is not None:
            dst_spec["revision_history_limit"] = spec.revision_history_limit
        out["spec"] = v1beta1.YurtAppSetSpec(**dst_spec)
    if src.status is not None:
        st = src.status
        # Upstream counts a workload as ready when its replicas *differ* from its ready replicas (a bug);
        # we count it ready as v1beta1's own status does: replicas > 0 and all of them ready.
        ready = sum(1 for w in st.workload_summary or [] if w.replicas > 0 and w.ready_replicas == w.replicas)
        status: dict[str, Any] = {
            "current_revision": st.current_revision,
            "ready_workloads": ready,
            "total_workloads": len(st.pool_replicas or {}),
        }
        if st.observed_generation is not None:
            status["observed_generation"] = st.observed_generation
        if st.collision_count is not None:
            status["collision_count"] = st.collision_count
        if st.conditions:
            status["conditions"] = st.conditions
        out["status"] = v1beta1.YurtAppSetStatus(**status)
    return v1beta1.YurtAppSet(**out)


def yurtappset_from_v1beta1(src: v1beta1.YurtAppSet) -> YurtAppSet:
    """v1beta1 -> v1alpha1: selector from the template, one pool per name (``apps.openyurt.io/nodepool In
    [name]``) with the template's replicas unless a tweak naming the pool sets them (last one wins).

    Upstream emits the pools in random (Go map) order; we keep the order of ``spec.pools``, without
    duplicates, so the result is deterministic. Status replica counts are estimates, as upstream.
    """
    out: dict[str, Any] = {"metadata": src.metadata}
    template_type = ""
    default_replicas = 0
    if src.spec is not None:
        spec = src.spec
        tmpl = spec.workload.workload_template
        selector = LabelSelector()
        for kind, t in ((DEPLOYMENT, tmpl.deployment_template), (STATEFULSET, tmpl.stateful_set_template)):
            if t is None:
                continue
            template_type = kind
            replicas = t.spec.get("replicas")
            default_replicas = replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 0
            parsed = v1beta1.yurtappset_template_selector(t)
            if parsed is not None:
                selector = parsed
        per_pool: dict[str, int] = {}
        for name in spec.pools or []:
            per_pool.setdefault(name, default_replicas)
        for tweak in spec.workload.workload_tweaks or []:
            if tweak.tweaks.replicas is None:
                continue
            for name in tweak.pools or []:
                if name in per_pool:
                    per_pool[name] = tweak.tweaks.replicas
        dst_spec: dict[str, Any] = {"selector": selector, "workload_template": _copy_template(tmpl)}
        if per_pool:
            dst_spec["topology"] = Topology(
                pools=[
                    Pool(
                        name=name,
                        node_selector_term=NodeSelectorTerm(
                            match_expressions=[
                                NodeSelectorRequirement(key=wellknown.LABEL_NODEPOOL, operator="In", values=[name])
                            ]
                        ),
                        replicas=replicas,
                    )
                    for name, replicas in per_pool.items()
                ]
            )
        if spec.revision_history_limit is not None:
            dst_spec["revision_history_limit"] = spec.revision_history_limit
        out["spec"] = YurtAppSetSpec(**dst_spec)
    if src.status is not None:
        st = src.status
        status: dict[str, Any] = {
            "current_revision": st.current_revision,
            "ready_replicas": st.ready_workloads * default_replicas,
            "replicas": st.total_workloads * default_replicas,
            "template_type": template_type,
            "pool_replicas": {name: default_replicas for name in (src.spec.pools if src.spec else None) or []},
        }
        if st.observed_generation is not None:
            status["observed_generation"] = st.observed_generation
        if st.collision_count is not None:
            status["collision_count"] = st.collision_count
        if st.conditions:
            status["conditions"] = st.conditions
        out["status"] = YurtAppSetStatus(**status)
    return YurtAppSet(**out)


register_conversion(YurtAppSet, v1beta1.YurtAppSet, yurtappset_to_v1beta1)
register_conversion(v1beta1.YurtAppSet, YurtAppSet, yurtappset_from_v1beta1)


# ==================================================================================================
# YurtAppDaemon v1alpha1 (deprecated; CRD still served, nothing reconciles it upstream)


class YurtAppDaemonSpec(WireModel):
    selector: LabelSelector = Field(description="Pods of the generated workloads; must match the template labels.")
    workload_template: WorkloadTemplate | None = None
    nodepool_selector: LabelSelector = Field(
        alias="nodepoolSelector", description="One workload is created in every NodePool these labels select."
    )
    revision_history_limit: Int32 | None = None


class YurtAppDaemonStatus(WireModel):
    observed_generation: Int64 | None = None
    collision_count: Int32 | None = None
    current_revision: str
    conditions: list[OpenYurtCondition] | None = None
    overrider_ref: str | None = None
    workload_summary: list[WorkloadSummary] | None = None
    template_type: str
    nodepools: list[str] | None = Field(default=None, alias="nodepools")


_WORKLOAD_TEMPLATE_PATH = "spec.workloadTemplate"
#: Inner-spec fields the old webhook lets change on update, per template kind.
_MUTABLE_TEMPLATE_FIELDS = {
    DEPLOYMENT: frozenset({"replicas", "template", "strategy"}),
    STATEFULSET: frozenset({"replicas", "template", "updateStrategy"}),
}


@register(
    ResourceInfo(
        group=GROUP,
        version="v1alpha1",
        kind="YurtAppDaemon",
        plural="yurtappdaemons",
        singular="yurtappdaemon",
        short_names=("yad",),
        namespaced=True,
        categories=("yurt",),
        served=True,
        storage=True,
        deprecated=True,
        deprecation_warning=(
            "apps.openyurt.io/v1alpha1 YurtAppDaemon is deprecated; use apps.openyurt.io/v1beta1 YurtAppSet;"
        ),
        printer_columns=(
            PrinterColumn("WorkloadTemplate", ".status.templateType", "string", "The WorkloadTemplate Type."),
            _AGE,
            PrinterColumn(
                "OverriderRef", ".status.overriderRef", "string", "The name of overrider bound to this yurtappdaemon"
            ),
        ),
    )
)
class YurtAppDaemon(Resource):
    spec: YurtAppDaemonSpec | None = None
    status: YurtAppDaemonStatus | None = None

    def with_defaults(self) -> Self:
        """The old mutating webhook: revisionHistoryLimit 10, the template selector := spec.selector,
        containers without imagePullPolicy pull ``Always``."""
        if self.spec is None:
            return self
        spec = self.spec
        tmpl = spec.workload_template
        changes: dict[str, Any] = {}
        if spec.revision_history_limit is None:
            changes["revision_history_limit"] = DEFAULT_REVISION_HISTORY_LIMIT
        if tmpl is not None:
            members: dict[str, Any] = {}
            for name, t in (
                ("deployment_template", tmpl.deployment_template),
                ("stateful_set_template", tmpl.stateful_set_template),
            ):
                if t is None:
                    continue
                inner = copy.deepcopy(t.spec)
                inner["selector"] = spec.selector.to_wire()
                if "template" in inner:
                    inner["template"] = default_pull_policy(inner["template"])
                members[name] = t.evolve(spec=inner)
            if members:
                changes["workload_template"] = tmpl.evolve(**members)
        return self.evolve(spec=spec.evolve(**changes)) if changes else self

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The old validating webhook: a non-empty selector matching one template's labels; on update
        only the inner spec's template, strategy and replicas may change."""
        if self.spec is None:
            return [required("spec.selector")]
        spec = self.spec
        selector = spec.selector
        errors = selector_errors(selector, "spec.selector")
        if not selector.match_labels and not selector.match_expressions:
            errors.append(
                FieldError(
                    "spec.selector", f"Invalid value: {canonical_json(selector.to_wire())}: empty selector is invalid"
                )
            )
        tmpl = spec.workload_template or WorkloadTemplate()
        present = [
            (kind, member, t)
            for kind, member, t in (
                (DEPLOYMENT, "deploymentTemplate", tmpl.deployment_template),
                (STATEFULSET, "statefulSetTemplate", tmpl.stateful_set_template),
            )
            if t is not None
        ]
        if not present:
            errors.append(
                required(_WORKLOAD_TEMPLATE_PATH, "should provide one of (statefulSetTemplate/deploymentTemplate)")
            )
        elif len(present) > 1:
            errors.append(
                FieldError(
                    _WORKLOAD_TEMPLATE_PATH,
                    "Invalid value: should provide only one of (statefulSetTemplate/deploymentTemplate)",
                )
            )
        for kind, member, t in present:
            errors.extend(_daemon_template_errors(kind, f"{_WORKLOAD_TEMPLATE_PATH}.{member}", t, selector))
        if old is not None and old.spec is not None:
            old_tmpl = old.spec.workload_template or WorkloadTemplate()
            for kind, member, new_t, old_t in (
                (DEPLOYMENT, "deploymentTemplate", tmpl.deployment_template, old_tmpl.deployment_template),
                (STATEFULSET, "statefulSetTemplate", tmpl.stateful_set_template, old_tmpl.stateful_set_template),
            ):
                if new_t is None or old_t is None:
                    continue
                fixed = _MUTABLE_TEMPLATE_FIELDS[kind]
                if {k: v for k, v in new_t.spec.items() if k not in fixed} != {
                    k: v for k, v in old_t.spec.items() if k not in fixed
                }:
                    errors.append(
                        forbidden(
                            f"{_WORKLOAD_TEMPLATE_PATH}.{member}.spec",
                            f"updates to {member} spec for fields other than "
                            + ", ".join(f"'{f}'" for f in sorted(fixed))
                            + " are forbidden",
                        )
                    )
        return errors


def _daemon_template_errors(
    kind: str, path: str, template: DeploymentTemplateSpec | StatefulSetTemplateSpec, selector: LabelSelector
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not selector_matches(selector, template_labels(template) or {}):
        errors.append(
            FieldError(
                f"{path}.metadata.labels",
                f"Invalid value: {canonical_json(template_labels(template) or {})}: "
                "`selector` does not match template `labels`",
            )
        )
    inner = template.spec
    replicas = inner.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas < 0:
        errors.append(
            FieldError(f"{path}.spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0")
        )
    if kind == STATEFULSET:
        strategy = inner.get("updateStrategy")
        rolling = strategy.get("rollingUpdate") if isinstance(strategy, dict) else None
        if (
            isinstance(strategy, dict)
            and strategy.get("type") == "RollingUpdate"
            and isinstance(rolling, dict)
            and rolling.get("partition") is not None
        ):
            errors.append(
                FieldError(
                    f"{path}.spec.updateStrategy.rollingUpdate.partition",
                    f"Invalid value: {rolling['partition']}: partition in statefulSetTemplate will not be used",
                )
            )
    pod_template = inner.get("template")
    pod_labels = ((pod_template or {}).get("metadata") or {}).get("labels") if isinstance(pod_template, dict) else None
    if (selector.match_labels or selector.match_expressions) and not selector_matches(
        selector, pod_labels if isinstance(pod_labels, dict) else {}
    ):
        errors.append(
            FieldError(
                f"{path}.spec.template.metadata.labels",
                f"Invalid value: {canonical_json(pod_labels or {})}: `selector` does not match template `labels`",
            )
        )
    errors.extend(
        FieldError(p, m, r)
        for p, m, r in pod_template_errors(pod_template, f"{path}.spec.template", restart_always=True)
    )
    return errors


# ==================================================================================================
# YurtStaticSet v1alpha1

UPGRADE_STRATEGIES = (wellknown.UPDATE_STRATEGY_OTA, wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE)
DEFAULT_MAX_UNAVAILABLE = "10%"


class YurtStaticSetUpgradeStrategy(WireModel):
    type: str | None = Field(default=None, description="AdvancedRollingUpdate (default) or OTA.")
    max_unavailable: IntOrString | None = Field(
        default=None, description="AdvancedRollingUpdate budget: a count or a percentage of the nodes."
    )


class YurtStaticSetSpec(WireModel):
    static_pod_manifest: str | None = Field(
        default=None, description="Manifest file name on the node, without the .yaml suffix."
    )
    upgrade_strategy: YurtStaticSetUpgradeStrategy | None = None
    revision_history_limit: Int32 | None = None
    template: Schemaless | None = Field(default=None, description="The static pod's PodTemplateSpec.")


class YurtStaticSetStatus(WireModel):
    observed_generation: Int64 | None = None
    total_number: Int32
    ready_number: Int32
    upgraded_number: Int32


@register(
    ResourceInfo(
        group=GROUP,
        version="v1alpha1",
        kind="YurtStaticSet",
        plural="yurtstaticsets",
        singular="yurtstaticset",
        short_names=("yss",),
        namespaced=True,
        served=True,
        storage=True,
        printer_columns=(
            _AGE,
            PrinterColumn("Total", ".status.totalNumber", "integer", "The total number of static pods"),
            PrinterColumn("Ready", ".status.readyNumber", "integer", "The number of ready static pods"),
            PrinterColumn(
                "Upgraded", ".status.upgradedNumber", "integer", "The number of static pods that have been upgraded"
            ),
        ),
    )
)
class YurtStaticSet(Resource):
    defaults_on_update = True
    spec: YurtStaticSetSpec | None = None
    status: YurtStaticSetStatus | None = None

    def with_defaults(self) -> Self:
        """The mutating webhook: AdvancedRollingUpdate with 10% unavailable, 10 revisions, the template
        named after the object, and containers without imagePullPolicy pulling ``Always``."""
        spec = self.spec or YurtStaticSetSpec()
        strategy = spec.upgrade_strategy or YurtStaticSetUpgradeStrategy()
        stype = strategy.type or wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE
        strategy_changes: dict[str, Any] = {"type": stype}
        # upstream compares the typed constant exactly here (the validator is case-insensitive)
        if stype == wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE and strategy.max_unavailable is None:
            strategy_changes["max_unavailable"] = DEFAULT_MAX_UNAVAILABLE
        template = default_pull_policy(copy.deepcopy(spec.template) if spec.template is not None else {})
        meta = template.get("metadata")
        meta = dict(meta) if isinstance(meta, dict) else {}
        meta["name"] = self.name
        if self.namespace:
            meta["namespace"] = self.namespace
        else:
            meta.pop("namespace", None)
        template["metadata"] = meta
        new_spec = spec.evolve(
            upgrade_strategy=strategy.evolve(**strategy_changes),
            revision_history_limit=(
                spec.revision_history_limit
                if spec.revision_history_limit is not None
                else DEFAULT_REVISION_HISTORY_LIMIT
            ),
            template=template,
        )
        return self.evolve(spec=new_spec)

    def semantic_errors(self, old: Self | None = None) -> list[FieldError]:
        """The validating webhook (the new object only): manifest name, strategy, template essentials."""
        spec = self.spec or YurtStaticSetSpec()
        errors: list[FieldError] = []
        if not spec.static_pod_manifest:
            errors.append(required("spec.staticPodManifest", "staticPodManifest is required"))
        strategy = spec.upgrade_strategy or YurtStaticSetUpgradeStrategy()
        stype = (strategy.type or "").lower()
        if stype not in {s.lower() for s in UPGRADE_STRATEGIES}:
            errors.append(unsupported("spec.upgradeStrategy.type", strategy.type or "", UPGRADE_STRATEGIES))
        elif stype == wellknown.UPDATE_STRATEGY_ADVANCED_ROLLING_UPDATE.lower() and strategy.max_unavailable is None:
            errors.append(
                required(
                    "spec.upgradeStrategy.maxUnavailable", "maxUnavailable is required in AdvancedRollingUpdate mode"
                )
            )
        errors.extend(
            FieldError(p, m, r) for p, m, r in pod_template_errors(spec.template, "spec.template", restart_always=False)
        )
        return errors


# ==================================================================================================
# NodeBucket v1alpha1 (fields at the root: no spec, no status)


class NodeBucketNode(WireModel):
    name: str | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version="v1alpha1",
        kind="NodeBucket",
        plural="nodebuckets",
        singular="nodebucket",
        short_names=("nb",),
        namespaced=False,
        categories=("yurt",),
        served=True,
        storage=True,
        printer_columns=(
            PrinterColumn(
                "NUM-NODES", ".numNodes", "integer", "NumNodes represents the number of nodes in the NodeBucket."
            ),
            _AGE,
        ),
    )
)
class NodeBucket(Resource):
    """A controller-made shard (<= 100 names) of a NodePool's member list, labelled openyurt.io/pool-name."""

    num_nodes: Int32
    nodes: list[NodeBucketNode]


# ==================================================================================================
# YurtAppOverrider v1alpha1 (removed upstream after v1.6.1; parse-only)


class Subject(WireModel):
    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = Field(default=None, description="YurtAppSet or YurtAppDaemon.")
    name: str


class ImageItem(WireModel):
    container_name: str
    image_claim: str


class Item(WireModel):
    """Only one of its members may be set."""

    image: ImageItem | None = None
    replicas: Int32 | None = None


class OverriderPatch(WireModel):
    path: str
    operation: Literal["add", "remove", "replace"]
    value: AnyJSON = None


class Entry(WireModel):
    pools: list[str] = Field(description="Pool names; '*' is every pool and '-name' excludes one.")
    items: list[Item] | None = None
    patches: list[OverriderPatch] | None = None


@register(
    ResourceInfo(
        group=GROUP,
        version="v1alpha1",
        kind="YurtAppOverrider",
        plural="yurtappoverriders",
        singular="yurtappoverrider",
        short_names=("yao",),
        namespaced=True,
        served=False,
        storage=False,
        crd=False,
        status_subresource=False,
        printer_columns=(
            PrinterColumn("Subject", ".subject.kind", "string", "The subject kind of this overrider."),
            PrinterColumn("Name", ".subject.name", "string", "The subject name of this overrider."),
            _AGE,
        ),
    )
)
class YurtAppOverrider(Resource):
    """Per-pool overrides of a YurtAppSet/YurtAppDaemon; replaced by YurtAppSet v1beta1 workloadTweaks."""

    subject: Subject
    entries: list[Entry]


__all__ = [
    "Entry",
    "ImageItem",
    "Item",
    "NodeBucket",
    "NodeBucketNode",
    "NodePool",
    "NodePoolSpec",
    "NodePoolStatus",
    "OverriderPatch",
    "Pool",
    "Subject",
    "Topology",
    "WorkloadSummary",
    "YurtAppDaemon",
    "YurtAppDaemonSpec",
    "YurtAppDaemonStatus",
    "YurtAppOverrider",
    "YurtAppSet",
    "YurtAppSetSpec",
    "YurtAppSetStatus",
    "YurtStaticSet",
    "YurtStaticSetSpec",
    "YurtStaticSetStatus",
    "YurtStaticSetUpgradeStrategy",
]
