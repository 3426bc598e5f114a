"""resource.Quantity as Go re-marshals it: the revision hash sees the canonical form.

Expected values follow k8s.io/apimachinery's ParseQuantity + MarshalJSON (yurt-manager.md §2.4 [compat]),
including the parser keeping the text of inputs its fast path deems canonical (``+1``, ``01``, ``1E3``).
"""

from __future__ import annotations

from typing import Any

import pytest

from openyurt.core.planners import revision as rev

CASES = [
    # decimal SI: the largest exact unit, milli (or smaller) for fractions
    ("0", "0"),
    ("000", "0"),
    ("0.0", "0"),
    ("-0", "0"),
    ("1", "1"),
    ("-1", "-1"),
    ("1.5", "1500m"),
    ("1500m", "1500m"),
    ("1000m", "1"),
    ("-1000m", "-1"),
    ("0.5", "500m"),
    ("-0.5", "-500m"),
    (".5", "500m"),
    ("0.1", "100m"),
    ("1.0", "1"),
    ("1.50", "1500m"),
    ("0.0001", "100u"),
    ("1.23456789", "1234567890n"),
    ("1n", "1n"),
    ("0.1n", "1n"),  # rounded up to the smallest unit
    ("0.0000000001", "1n"),
    ("1000", "1k"),
    ("1234567", "1234567"),
    ("1024", "1024"),
    ("1k", "1k"),
    ("1000k", "1M"),
    ("100M", "100M"),
    ("1E", "1E"),
    ("10E", "10E"),
    ("1000E", "1"),  # beyond Exa Go finds no suffix and writes none
    ("123456789012345678901", "123456789012345678901"),
    # binary SI: whole multiples of 1024, decimal below 1024 or when not whole
    ("1Ki", "1Ki"),
    ("8Mi", "8Mi"),
    ("16Ki", "16Ki"),
    ("100Mi", "100Mi"),
    ("1024Mi", "1Gi"),
    ("1024Ki", "1Mi"),
    ("2048Ki", "2Mi"),
    ("1024Ti", "1Pi"),
    ("1Ei", "1Ei"),
    ("1.5Gi", "1536Mi"),
    ("1.5Ki", "1536"),
    ("0.5Ki", "512"),
    ("1.1Mi", "1153433600m"),
    ("0Ki", "0"),
    ("8Ei", "9223372036854775807"),  # capped at 2^63-1
    # decimal exponent: the family is kept, exponent a multiple of 3
    ("1e3", "1e3"),
    ("2e3", "2e3"),
    ("12e-3", "12e-3"),
    ("1e-3", "1e-3"),
    ("1000e3", "1e6"),
    ("1.5e3", "1500"),
    ("1e100", "10e99"),
    ("1e-20", "1e-9"),
    ("1.5e-20", "1e-9"),
    # kept as written: the parser's "already canonical" shortcut
    ("+1", "+1"),
    ("01", "01"),
    ("1.", "1."),
    ("1E3", "1E3"),
    ("1E+3", "1E+3"),
    ("1e+3", "1e+3"),
    # invalid: unchanged (Go's decoder would reject the object)
    ("", ""),
    ("abc", "abc"),
    ("1.1.1", "1.1.1"),
    ("1 Gi", "1 Gi"),
    ("5Gi ", "5Gi "),
    ("1ki", "1ki"),
    ("1e", "1e"),
    ("--1", "--1"),
    ("1Ki2", "1Ki2"),
    ("1e3.5", "1e3.5"),
    ("1Ee3", "1Ee3"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_canonical_quantity(text: str, expected: str) -> None:
    assert rev.canonical_quantity(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1000, "1k"),
        (2, "2"),
        (0.5, "500m"),
        (1.0, "1"),
        (1e-7, "100e-9"),  # Go's JSON text of the float is 1e-7
        (" 1Gi ", "1Gi"),  # UnmarshalJSON trims spaces
        (None, "0"),  # null decodes to the zero quantity
        (True, True),  # not a quantity: left alone
        ("x", "x"),
    ],
)
def test_quantity_json(value: Any, expected: Any) -> None:
    assert rev.quantity_json(value) == expected


def _pod_template(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "deploymentTemplate": {
            "metadata": {},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": spec}},
        }
    }


def _normal_pod_spec(spec: dict[str, Any]) -> Any:
    norm = rev.go_normalize({"workloadTemplate": _pod_template(spec)}, "Workload")
    return norm["workloadTemplate"]["deploymentTemplate"]["spec"]["template"]["spec"]


def test_serializer_canonicalises_every_resource_list() -> None:
    res = {"limits": {"cpu": "1000m", "memory": "1024Mi"}, "requests": {"cpu": 0.5, "memory": "1.5Gi"}}
    want = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1536Mi"}}
    spec = _normal_pod_spec(
        {
            "containers": [{"name": "c", "resources": res}],
            "initContainers": [{"name": "i", "resources": res}],
            "ephemeralContainers": [{"name": "e", "resources": res, "targetContainerName": ""}],
            "overhead": {"cpu": "250m", "memory": "1000"},
            "resources": res,
            "volumes": [
                {"name": "scratch", "emptyDir": {"sizeLimit": "2048Mi", "medium": ""}},
                {
                    "name": "eph",
                    "ephemeral": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "1000Mi"}}}}},
                },
            ],
        }
    )
    assert spec["containers"][0]["resources"] == want
    assert spec["initContainers"][0]["resources"] == want
    assert spec["ephemeralContainers"][0] == {"name": "e", "resources": want}
    assert spec["overhead"] == {"cpu": "250m", "memory": "1k"}
    assert spec["resources"] == want
    assert spec["volumes"][0] == {"name": "scratch", "emptyDir": {"sizeLimit": "2Gi"}}
    claim = spec["volumes"][1]["ephemeral"]["volumeClaimTemplate"]
    assert claim == {
        "metadata": {"creationTimestamp": None},
        "spec": {"resources": {"requests": {"storage": "1000Mi"}}},
    }


def test_serializer_canonicalises_volume_claim_templates() -> None:
    template = {
        "statefulSetTemplate": {
            "metadata": {},
            "spec": {
                "serviceName": "s",
                "selector": {"matchLabels": {"a": "b"}},
                "template": {"spec": {"containers": [{"name": "c"}]}},
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10240Mi"}}},
                    }
                ],
            },
        }
    }
    data = rev.workload_template_revision_data(template)
    assert (
        b'"volumeClaimTemplates":[{"metadata":{"creationTimestamp":null,"name":"data"},"spec":{"accessModes":'
        b'["ReadWriteOnce"],"resources":{"requests":{"storage":"10Gi"}}},"status":{}}]' in data
    )


def test_downward_api_divisor_is_always_written() -> None:
    """ResourceFieldSelector.divisor is a struct under omitempty: Go writes "0" when unset."""
    spec = _normal_pod_spec(
        {
            "containers": [
                {
                    "name": "c",
                    "env": [
                        {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
                        {
                            "name": "MEM",
                            "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1024Ki"}},
                        },
                    ],
                }
            ]
        }
    )
    env = spec["containers"][0]["env"]
    assert env[0]["valueFrom"] == {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}}
    assert env[1]["valueFrom"]["resourceFieldRef"]["divisor"] == "1Mi"


def test_equal_quantities_in_different_spellings_hash_alike() -> None:
    def data(cpu: Any, mem: str) -> bytes:
        spec = {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu, "memory": mem}}}]}
        return rev.yurtappset_revision_data({"workloadTemplate": _pod_template(spec)})

    assert data("1000m", "1024Mi") == data("1", "1Gi") == data(1, "1Gi")
    assert data("1500m", "1Gi") != data("1", "1Gi")


def test_typed_template_fields_drop_go_zero_values() -> None:
    """Fields now typed: omitempty zero values vanish, required zero values appear."""
    spec = _normal_pod_spec(
        {
            "containers": [
                {
                    "name": "c",
                    "securityContext": {"privileged": None, "capabilities": {"add": [], "drop": ["ALL"]}},
                    "livenessProbe": {"grpc": {"port": 9000}},
                    "lifecycle": {"preStop": {"exec": {"command": []}}},
                    "envFrom": [{"prefix": "", "configMapRef": {"name": "cm", "optional": None}}],
                }
            ],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}}},
            "securityContext": {"runAsUser": None, "sysctls": []},
            "imagePullSecrets": [{"name": ""}],
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}],
            "volumes": [{"name": "p", "projected": {}}],
        }
    )
    c = spec["containers"][0]
    assert c["securityContext"] == {"capabilities": {"drop": ["ALL"]}}
    assert c["livenessProbe"] == {"grpc": {"port": 9000, "service": None}}
    assert c["lifecycle"] == {"preStop": {"exec": {}}}
    assert c["envFrom"] == [{"configMapRef": {"name": "cm"}}]
    assert spec["affinity"] == {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": None}}
    }
    assert spec["securityContext"] == {}
    assert spec["imagePullSecrets"] == [{}]
    assert spec["topologySpreadConstraints"] == [
        {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"}
    ]
    assert spec["volumes"] == [{"name": "p", "projected": {"sources": None}}]
