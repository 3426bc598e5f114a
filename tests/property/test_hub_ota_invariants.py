"""Properties of the hub's OTA decisions (yurthub.md §4).

- ota_upgrade_allowed_iff: an upgrade passes the pre-check exactly when the pod is not terminating,
  is bound to this node, has ``PodNeedUpgrade=True``, and any ``PodImageReady`` is True with the same
  revision hash; only a passing DaemonSet or static pod is ever acted on.
- ota_image_pull_targets_the_needed_revision: an allowed image pull writes exactly one
  ``PodImageReady=False`` naming the ``PodNeedUpgrade`` revision, keeps every other condition as it
  was, and pins the resourceVersion it read; after it, an upgrade is refused until the pull is done.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.hub import ota

NODE = "edge-1"
NOW = "2025-01-02T03:04:05Z"
HASHES = st.sampled_from(["", "abc", "6d4f9", "old"])
STATUSES = st.sampled_from(["True", "False", "Unknown"])


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    conditions: list[dict[str, Any]] = []
    if draw(st.booleans()):
        conditions.append({"type": "Ready", "status": draw(STATUSES), "lastTransitionTime": "2024-01-01T00:00:00Z"})
    need = draw(st.none() | st.tuples(STATUSES, HASHES))
    if need is not None:
        conditions.append({"type": "PodNeedUpgrade", "status": need[0], "message": f"controllerrevision: {need[1]}"})
    image = draw(st.none() | st.tuples(STATUSES, HASHES))
    if image is not None:
        conditions.append({"type": "PodImageReady", "status": image[0], "message": f"controllerrevision: {image[1]}"})
    conditions = draw(st.permutations(conditions))
    meta: dict[str, Any] = {
        "name": draw(st.sampled_from(["ds-a", f"kube-proxy-{NODE}", "x-edge-2"])),
        "namespace": "kube-system",
        "uid": "u",
        "resourceVersion": str(draw(st.integers(1, 99))),
    }
    owner = draw(st.sampled_from([None, "DaemonSet", "Node", "ReplicaSet"]))
    if owner is not None:
        meta["ownerReferences"] = [{"kind": owner, "name": "o", "uid": "o", "controller": True}]
    if draw(st.booleans()):
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "spec": {"nodeName": draw(st.sampled_from([NODE, "edge-2", ""]))},
        "status": {"conditions": conditions},
    }


def _cond(p: dict[str, Any], type_: str) -> dict[str, Any] | None:
    return next((c for c in p["status"]["conditions"] if c["type"] == type_), None)


@settings(max_examples=400, deadline=None)
@given(p=pods())
def test_ota_upgrade_allowed_iff(p: dict[str, Any]) -> None:
    need = _cond(p, "PodNeedUpgrade")
    image = _cond(p, "PodImageReady")
    expected = (
        "deletionTimestamp" not in p["metadata"]
        and p["spec"]["nodeName"] == NODE
        and need is not None
        and need["status"] == "True"
        and (image is None or (image["status"] == "True" and image["message"] == need["message"]))
    )
    assert (ota.upgrade_precheck(p, NODE) is None) == expected
    plan = ota.decide_upgrade(p, NODE)
    if plan.action != "refuse":
        assert expected
        owner = p["metadata"].get("ownerReferences", [{}])[0].get("kind")
        assert (plan.action, owner) in {("delete_pod", "DaemonSet"), ("static_manifest", "Node")}
    elif not expected:
        assert plan.status == 403


@settings(max_examples=400, deadline=None)
@given(p=pods())
def test_ota_image_pull_targets_the_needed_revision(p: dict[str, Any]) -> None:
    plan = ota.decide_image_pull(p, NODE, NOW)
    if ota.base_precheck(p, NODE) is not None:
        assert (plan.action, plan.status) == ("refuse", 403)
        return
    assert plan.action == "patch_status"
    need = _cond(p, "PodNeedUpgrade")
    assert need is not None
    new = plan.patch["status"]["conditions"]
    images = [c for c in new if c["type"] == "PodImageReady"]
    assert len(images) == 1
    assert images[0]["status"] == "False" and images[0]["message"] == need["message"]
    assert [c for c in new if c["type"] != "PodImageReady"] == [
        c for c in p["status"]["conditions"] if c["type"] != "PodImageReady"
    ]
    assert plan.patch["metadata"] == {"resourceVersion": p["metadata"]["resourceVersion"]}
    after = {**p, "status": {"conditions": new}}
    assert ota.upgrade_precheck(after, NODE) is not None, "an upgrade waits for the requested pull"
