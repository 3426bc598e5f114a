"""PoolRenderer (the planner's rendering) against render_workload (the reference), route by route.

Equality is checked on ``json.dumps``: key order and value types included, not only ``==``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openyurt.core.api.apps_v1 import Deployment, StatefulSet
from openyurt.core.api.openyurt_apps_v1beta1 import Tweaks, template_kind
from openyurt.core.planners.yurtappset import PoolRenderer, RenderError, _without_spec, render_workload
from tests.unit.planners.builders import deployment_template, yas

OWNER_REF = {
    "apiVersion": "apps.openyurt.io/v1beta1",
    "kind": "YurtAppSet",
    "name": "test-yurtappset",
    "uid": "uid-test-yurtappset",
    "controller": True,
    "blockOwnerDeletion": True,
}
EXISTING: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "w-p1",
        "namespace": "default",
        "uid": "uid-w",
        "resourceVersion": "3",
        "labels": {"apps.openyurt.io/pool-name": "p1", "keep": "me"},
        "annotations": {"note": "x"},
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "Other", "name": "o", "uid": "u-o"},
            {**OWNER_REF, "uid": "old"},
        ],
        "finalizers": ["f"],
    },
    "spec": {"replicas": 9},
    "status": {"replicas": 2, "readyReplicas": 2},
}


def _render_both(
    template: dict[str, Any], tweaks: list[dict[str, Any]], existing: dict[str, Any] | None
) -> tuple[str, str, PoolRenderer, list[Tweaks]]:
    owner = yas(template=template)
    kind, _, tmpl = template_kind(owner.spec.workload.workload_template)  # type: ignore[union-attr,misc]
    parsed = [Tweaks.model_validate(t) for t in tweaks]
    common: Any = {
        "kind": kind,
        "template": tmpl,
        "revision": "test-yurtappset-abc",
        "owner_name": owner.name,
        "namespace": "default",
        "owner_reference": OWNER_REF,
        "ref_labels": {"apps.openyurt.io/ref-yurtappset": owner.name},
    }

    def run(fn: Any) -> str:
        try:
            return json.dumps(fn())
        except RenderError as exc:
            return f"error: {exc}"

    want = run(lambda: render_workload(pool="p1", tweaks=parsed, existing=existing, **common))
    renderer = PoolRenderer(**common)
    model: Any = None
    if existing is not None:
        model = (StatefulSet if kind == "StatefulSet" else Deployment).model_validate({**existing, "kind": kind})
    got_wire = run(lambda: renderer.render("p1", parsed, existing))
    got_model = run(lambda: renderer.render("p1", parsed, model)) if model is not None else got_wire
    assert got_wire == got_model
    return got_wire, want, renderer, parsed


LABEL = "/metadata/labels/pool"
CASES: list[Any] = [
    pytest.param([], True, id="no tweaks"),
    pytest.param([{"replicas": 3, "containerImages": [{"name": "nginx", "targetImage": "x"}]}], True, id="basic"),
    pytest.param([{"patches": [{"path": LABEL, "operation": "add", "value": "{{nodepool-name}}"}]}], True, id="label"),
    pytest.param(
        [{"patches": [{"path": "/metadata/annotations/a~1b", "operation": "replace", "value": "v"}]}],
        True,
        id="replace of a missing annotation fails",
    ),
    pytest.param(
        [{"patches": [{"path": "/metadata/labels/keep", "operation": "remove"}]}], True, id="remove decodes back"
    ),
    pytest.param(
        [
            {"patches": [{"path": "/spec/template/spec/containers/0/image", "operation": "replace", "value": "i"}]},
            {"patches": [{"path": "/spec/template/spec/containers/-", "operation": "add", "value": {"name": "s"}}]},
        ],
        True,
        id="spec list patches",
    ),
    pytest.param(
        [
            {
                "patches": [
                    {
                        "path": "/spec/template/spec/volumes",
                        "operation": "add",
                        "value": [{"name": "v", "configMap": {"name": "{{nodepool-name}}-cm"}}],
                    },
                    {"path": "/spec/template/metadata/labels/np", "operation": "add", "value": "{{nodepool-name}}"},
                ]
            }
        ],
        True,
        id="pool name inside spec patch values",
    ),
    pytest.param(
        [{"patches": [{"path": "/spec/missing/x", "operation": "add", "value": 1}]}], False, id="failing spec patch"
    ),
    pytest.param(
        [{"patches": [{"path": "/spec", "operation": "replace", "value": {"replicas": 1}}]}], False, id="whole spec"
    ),
    pytest.param([{"patches": [{"path": "", "operation": "add", "value": {}}]}], False, id="whole object"),
    pytest.param(
        [{"patches": [{"path": "/metadata/finalizers/-", "operation": "add", "value": "g"}]}], False, id="finalizers"
    ),
    pytest.param([{"patches": [{"path": LABEL, "operation": "add", "value": 3}]}], False, id="label set to a number"),
    pytest.param(
        [{"patches": [{"path": LABEL, "operation": "add", "value": "a"}, {"path": LABEL, "operation": "remove"}]}],
        False,
        id="two patches on one key",
    ),
    pytest.param(
        [
            {
                "patches": [
                    {"path": "/spec/template/metadata/labels", "operation": "add", "value": {"{{nodepool-name}}": "1"}}
                ]
            }
        ],
        False,
        id="pool name as a key",
    ),
    pytest.param([{"patches": [{"path": "/status/x", "operation": "add", "value": 1}]}], False, id="status patch"),
]


@pytest.mark.parametrize("existing", [None, EXISTING], ids=["create", "update"])
@pytest.mark.parametrize(("tweaks", "fast"), CASES)
def test_renderer_equals_reference(tweaks: list[dict[str, Any]], fast: bool, existing: dict[str, Any] | None) -> None:
    got, want, renderer, parsed = _render_both(deployment_template(), tweaks, existing)
    assert got == want
    if parsed and any(t.patches for t in parsed):
        assert renderer._plan(parsed).fast is fast  # the route these cases are meant to take


def test_sentinel_text_in_the_template_takes_the_reference_route() -> None:
    template = deployment_template()
    template["deploymentTemplate"]["spec"]["template"]["metadata"]["labels"]["t"] = "{{yurtappset-pool-sentinel}}"
    tweaks = [{"patches": [{"path": LABEL, "operation": "add", "value": "x"}]}]
    got, want, renderer, parsed = _render_both(template, tweaks, EXISTING)
    assert got == want
    assert not renderer._plan(parsed).fast


def test_statefulset_with_unknown_keys_everywhere() -> None:
    template = {
        "statefulSetTemplate": {
            "metadata": {"labels": {"app": "db"}},
            "spec": {
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "mystery": 1.0,
                "volumeClaimTemplates": [
                    {"metadata": {"name": "d"}, "spec": {"resources": {"requests": {"s": "1Gi"}}}}
                ],
                "template": {"spec": {"containers": [{"name": "db", "typo": True}]}},
            },
        }
    }
    existing = {**EXISTING, "kind": "StatefulSet", "zz": {"a": 1.0}}
    tweaks = [{"patches": [{"path": LABEL, "operation": "add", "value": "{{nodepool-name}}"}]}]
    got, want, _, _ = _render_both(template, tweaks, existing)
    assert got == want
    assert "mystery" not in got and "typo" not in got and '"zz"' not in got


def test_workload_wire_without_spec_keeps_key_order() -> None:
    for data in (
        EXISTING,
        {**EXISTING, "extra": 1},
        {"apiVersion": "apps/v1", "kind": "Deployment", "status": {"replicas": 1}, "spec": {}},
        {"kind": "Deployment"},
    ):
        model = Deployment.model_validate(data)
        want = model.to_wire()
        if "spec" in want:
            want["spec"] = None
        assert json.dumps(_without_spec(model)) == json.dumps(want)
