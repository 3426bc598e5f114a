"""OTA image pre-pull end to end: the embedded API server (which stores Jobs; no job controller runs
them, so the test reports the Job's success itself), ``openyurt manager`` with every controller by
default, and the real kubectl. The pod asks for the pull the way the hub's ``.../imagepull`` does:
``PodImageReady=False`` naming the revision ``PodNeedUpgrade`` names."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.apiserver.conftest import Kubectl
from tests.integration.manager.conftest import ManagerRun, get, wait
from tests.integration.manager.test_manager_daemonpodupdater import NEW_HASH, NS, _daemonset, _enable, _nodes, _pod


def _condition(pod: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for c in pod["status"].get("conditions") or []:
        if c["type"] == type_:
            return dict(c)
    return None


def test_a_requested_pull_runs_a_job_and_reports_the_image_ready(kubectl: Kubectl, manager: ManagerRun) -> None:
    _nodes(kubectl)
    ds = _daemonset(kubectl, "pre")
    _pod(kubectl, ds, "pre-old", "dpu-0", latest=False)
    _enable(kubectl, "pre", "ota")
    need = wait(
        lambda: (
            (c := _condition(get(kubectl, "pod", "pre-old", "-n", NS), "PodNeedUpgrade"))
            and c["status"] == "True"
            and c
        ),
        "PodNeedUpgrade=True",
    )
    message = f"controllerrevision: {NEW_HASH}"
    assert need["message"] == message
    pod = get(kubectl, "pod", "pre-old", "-n", NS)
    asked = {
        "type": "PodImageReady",
        "status": "False",
        "message": message,
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }
    patch = {"status": {"conditions": [*pod["status"]["conditions"], asked]}}
    kubectl.run("patch", "pod", "pre-old", "-n", NS, "--subresource=status", "--type=merge", "-p", json.dumps(patch))

    job_name = f"image-pre-pull-pre-old-{NEW_HASH}"
    job = wait(lambda: get(kubectl, "jobs", "-n", NS)["items"], "the pre-pull Job")[0]
    assert job["metadata"]["name"] == job_name
    spec = job["spec"]["template"]["spec"]
    assert spec["nodeName"] == "dpu-0" and spec["restartPolicy"] == "OnFailure"
    assert [(c["name"], c["image"], c["imagePullPolicy"]) for c in spec["containers"]] == [
        ("prepull-agent", "foo/bar:v2", "Always")
    ]
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("Pod", "pre-old")

    kubectl.run(
        "patch",
        "job",
        job_name,
        "-n",
        NS,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"succeeded": 1}}),
    )
    ready = wait(
        lambda: (
            (c := _condition(get(kubectl, "pod", "pre-old", "-n", NS), "PodImageReady")) and c["status"] == "True" and c
        ),
        "PodImageReady=True",
    )
    assert (ready["reason"], ready["message"]) == ("PullImageSuccess", message)
