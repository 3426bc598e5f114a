"""Go's form of the core/v1 pod-template types: what ``json.Marshal`` writes after ``json.Unmarshal``.

The expected bytes follow Go's encoding/json rules on the structs of k8s.io/api core/v1 types.go
(Kubernetes 1.31..1.34): fields in struct order; an ``omitempty`` field is left out when empty
(``""``, ``0``, ``false``, nil pointer, empty slice or map), any other field is always written (a nil
pointer or slice as ``null``, a zero number as ``0``); a key that is no field of the struct is
dropped by the decoder. ``json.dumps`` of go_normalize's result gives the struct-order bytes a typed
marshal writes; the revision data is re-marshalled from a generic map, so its keys come sorted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from openyurt.core.planners import revision as rev
from openyurt.core.planners._util import go_json
from tests.unit.planners.builders import yas


def _struct_bytes(value: Any, tp: str) -> str:
    return json.dumps(rev.go_normalize(value, tp), separators=(",", ":"))


@pytest.mark.parametrize(
    ("volume", "expected"),
    [
        pytest.param(
            {"name": "c", "csi": {"volumeAttributes": {"a": "b"}, "readOnly": False, "driver": "d", "x": 1}},
            '{"name":"c","csi":{"driver":"d","readOnly":false,"volumeAttributes":{"a":"b"}}}',
            id="csi: pointer false kept, unknown key dropped",
        ),
        pytest.param(
            {"name": "i", "iscsi": {"iqn": "q", "targetPortal": "t", "readOnly": False, "portals": []}},
            '{"name":"i","iscsi":{"targetPortal":"t","iqn":"q","lun":0}}',
            id="iscsi: lun has no omitempty",
        ),
        pytest.param(
            {"name": "r", "rbd": {"image": "img", "pool": "", "secretRef": {"name": "s", "namespace": "x"}}},
            '{"name":"r","rbd":{"monitors":null,"image":"img","secretRef":{"name":"s"}}}',
            id="rbd: nil monitors written, secretRef a LocalObjectReference",
        ),
        pytest.param(
            {"name": "s", "scaleIO": {"system": "s", "gateway": "g", "sslEnabled": False}},
            '{"name":"s","scaleIO":{"gateway":"g","system":"s","secretRef":null}}',
            id="scaleIO: secretRef has no omitempty",
        ),
        pytest.param(
            {"name": "a", "azureDisk": {"readOnly": False, "fsType": "", "diskURI": "u", "diskName": "n"}},
            '{"name":"a","azureDisk":{"diskName":"n","diskURI":"u","fsType":"","readOnly":false}}',
            id="azureDisk: pointers keep their zero values",
        ),
        pytest.param(
            {"name": "f", "fc": {"lun": 0, "wwids": ["w"], "targetWWNs": []}},
            '{"name":"f","fc":{"lun":0,"wwids":["w"]}}',
            id="fc",
        ),
        pytest.param(
            {"name": "x", "flexVolume": {"options": {"k": "v"}, "driver": "d", "readOnly": True}},
            '{"name":"x","flexVolume":{"driver":"d","readOnly":true,"options":{"k":"v"}}}',
            id="flexVolume",
        ),
        pytest.param(
            {"name": "g", "gitRepo": {"directory": ".", "repository": "r", "revision": ""}},
            '{"name":"g","gitRepo":{"repository":"r","directory":"."}}',
            id="gitRepo",
        ),
        pytest.param(
            {"name": "o", "image": {"pullPolicy": "IfNotPresent", "reference": "reg/img:1"}},
            '{"name":"o","image":{"reference":"reg/img:1","pullPolicy":"IfNotPresent"}}',
            id="image",
        ),
        pytest.param(
            {"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"s": "1000"}}}}}},
            '{"name":"e","ephemeral":{"volumeClaimTemplate":{"metadata":{"creationTimestamp":null},'
            '"spec":{"resources":{"requests":{"s":"1k"}}}}}}',
            id="ephemeral: template metadata and canonical quantity",
        ),
        pytest.param(
            {"name": "m", "cephfs": {"monitors": ["a"]}, "glusterfs": {"path": "p", "endpoints": "e"}},
            '{"name":"m","glusterfs":{"endpoints":"e","path":"p"},"cephfs":{"monitors":["a"]}}',
            id="members in VolumeSource order",
        ),
        pytest.param(
            {"name": "u", "fooVolume": {"a": 1}, "awsElasticBlockStore": {"volumeID": "v", "partition": 0}},
            '{"name":"u","awsElasticBlockStore":{"volumeID":"v"}}',
            id="unknown volume source dropped",
        ),
        pytest.param(
            {"name": "p", "projected": {"sources": [{"clusterTrustBundle": {"path": "b", "signerName": "s"}}]}},
            '{"name":"p","projected":{"sources":[{"clusterTrustBundle":{"signerName":"s","path":"b"}}]}}',
            id="projected cluster trust bundle",
        ),
    ],
)
def test_volume_sources_marshal_like_go(volume: dict[str, Any], expected: str) -> None:
    assert _struct_bytes(volume, "Volume") == expected


def test_unknown_keys_are_dropped_at_every_struct_but_kept_in_maps_and_raw_values() -> None:
    container = {
        "name": "c",
        "typo": "x",
        "env": [{"name": "E", "value": "v", "bogus": True}],
        "resources": {"limits": {"cpu": "1000m"}, "extra": {}},
    }
    assert _struct_bytes(container, "Container") == (
        '{"name":"c","env":[{"name":"E","value":"v"}],"resources":{"limits":{"cpu":"1"}}}'
    )
    template = {"metadata": {"labels": {"any-key": "v"}, "x": 1}, "spec": {"containers": [], "y": {}}}
    assert _struct_bytes(template, "PodTemplateSpec") == (
        '{"metadata":{"creationTimestamp":null,"labels":{"any-key":"v"}},"spec":{"containers":[]}}'
    )
    workload = {"kind": "Deployment", "status": {"anything": 1.0}, "z": 2}
    assert _struct_bytes(workload, "Deployment") == (
        '{"kind":"Deployment","metadata":{"creationTimestamp":null},"spec":{"selector":null,'
        '"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":null}},"strategy":{}},'
        '"status":{"anything":1}}'
    )


def test_newer_pod_template_fields_are_modelled() -> None:
    container = {
        "name": "c",
        "restartPolicyRules": [{"exitCodes": {"values": [1], "operator": "In", "x": 0}, "action": "Restart"}],
        "env": [{"name": "E", "valueFrom": {"fileKeyRef": {"key": "k", "path": "p", "volumeName": "v"}}}],
    }
    assert _struct_bytes(container, "Container") == (
        '{"name":"c","env":[{"name":"E","valueFrom":{"fileKeyRef":{"volumeName":"v","path":"p","key":"k"}}}],'
        '"resources":{},"restartPolicyRules":[{"action":"Restart","exitCodes":{"operator":"In","values":[1]}}]}'
    )
    projection = {"podCertificate": {"keyType": "ED25519", "signerName": "s", "credentialBundlePath": "b", "n": 1}}
    assert _struct_bytes(projection, "VolumeProjection") == (
        '{"podCertificate":{"signerName":"s","keyType":"ED25519","credentialBundlePath":"b"}}'
    )
    assert _struct_bytes({"hostnameOverride": "h", "containers": None}, "PodSpec") == (
        '{"containers":null,"hostnameOverride":"h"}'
    )


def _template(volume: dict[str, Any], container_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    container = {"name": "nginx", "image": "nginx:1.19", **(container_extra or {})}
    return {
        "deploymentTemplate": {
            "metadata": {"labels": {"app": "demo"}},
            "spec": {
                "selector": {"matchLabels": {"app": "demo"}},
                "template": {
                    "metadata": {"labels": {"app": "demo"}},
                    "spec": {"containers": [container], "volumes": [volume]},
                },
            },
        }
    }


def test_revision_data_of_a_template_with_rare_volume_sources() -> None:
    volume = {"name": "v", "portworxVolume": {"volumeID": "px", "readOnly": False, "fsType": ""}}
    data = rev.yurtappset_revision_data({"workloadTemplate": _template(volume)})
    assert data.decode() == (
        '{"spec":{"workload":{"$patch":"replace","workloadTemplate":{"deploymentTemplate":{"metadata":'
        '{"creationTimestamp":null,"labels":{"app":"demo"}},"spec":{"selector":{"matchLabels":{"app":"demo"}},'
        '"strategy":{},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"demo"}},"spec":'
        '{"containers":[{"image":"nginx:1.19","name":"nginx","resources":{}}],'
        '"volumes":[{"name":"v","portworxVolume":{"volumeID":"px"}}]}}}}}}}}'
    )


def test_unknown_keys_do_not_change_the_revision() -> None:
    volume = {"name": "v", "storageos": {"volumeName": "s", "secretRef": {"name": "x"}}}
    plain = yas(template=_template(volume))
    noisy = yas(
        template=_template(
            {**volume, "storageos": {**volume["storageos"], "nope": 1}, "mystery": {}},
            {"notAField": [1, 2]},
        )
    )
    data = [rev.yurtappset_revision_data(o.spec.workload.to_wire()) for o in (plain, noisy)]  # type: ignore[union-attr]
    assert data[0] == data[1]
    assert b'"storageos":{"secretRef":{"name":"x"},"volumeName":"s"}' in data[0]


def test_empty_spec_fixture_is_unchanged() -> None:
    data = rev.yurtappset_revision_data(yas(template={}).spec.workload.to_wire())  # type: ignore[union-attr]
    assert rev.revision_name("test-yurtappset", rev.hash_controller_revision(data, 0)) == "test-yurtappset-694bbcc68"
    assert go_json(json.loads(data)) == data.decode()
