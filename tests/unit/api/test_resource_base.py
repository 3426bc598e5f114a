"""The shared entry points: dispatch by apiVersion/kind, defaulting per operation, conversion, pruning."""

from __future__ import annotations

import pytest

from openyurt.core.api import (
    ObjectInvalid,
    check_object,
    convert_object,
    parse_object,
    pruned,
    unknown_fields,
)

POOL = {
    "apiVersion": "apps.openyurt.io/v1beta2",
    "kind": "NodePool",
    "metadata": {"name": "hangzhou"},
    "spec": {"type": "Edge"},
}


def test_unknown_kind_is_named() -> None:
    with pytest.raises(ObjectInvalid) as info:
        parse_object({"apiVersion": "apps.openyurt.io/v1", "kind": "Nope", "metadata": {"name": "x"}})
    assert [e.path for e in info.value.errors] == ["kind"]
    assert "Nope" in str(info.value)


@pytest.mark.parametrize("missing", ["apiVersion", "kind"])
def test_missing_type_meta_is_required(missing: str) -> None:
    data = {k: v for k, v in POOL.items() if k != missing}
    with pytest.raises(ObjectInvalid) as info:
        parse_object(data)
    assert [(e.path, e.reason) for e in info.value.errors] == [(missing, "FieldValueRequired")]


def test_not_an_object() -> None:
    with pytest.raises(ObjectInvalid, match="expected an object"):
        parse_object(["a"])  # type: ignore[arg-type]


def test_create_defaults_but_update_keeps_nodepool_status() -> None:
    created = check_object(POOL)
    assert created.to_wire()["status"] == {"readyNodeNum": 0, "unreadyNodeNum": 0, "nodes": []}
    stored = {**created.to_wire(), "status": {"readyNodeNum": 3, "unreadyNodeNum": 1, "nodes": ["a", "b", "c", "d"]}}
    updated = check_object(stored, old=created)
    # NodePool's mutating webhook runs on CREATE only: an update must not zero the status.
    assert updated.to_wire()["status"]["readyNodeNum"] == 3


def test_update_defaults_kinds_whose_webhook_runs_on_update() -> None:
    yas = {
        "apiVersion": "apps.openyurt.io/v1beta1",
        "kind": "YurtAppSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "workload": {
                "workloadTemplate": {
                    "deploymentTemplate": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {
                            "selector": {"matchLabels": {"app": "web"}},
                            "template": {
                                "metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                            },
                        },
                    }
                }
            }
        },
    }
    old = check_object(yas)
    assert old.to_wire()["spec"]["revisionHistoryLimit"] == 10
    assert check_object(yas, old=old).to_wire()["spec"]["revisionHistoryLimit"] == 10


def test_webhook_errors_name_the_field() -> None:
    with pytest.raises(ObjectInvalid) as info:
        check_object({**POOL, "spec": {"type": "Fog"}})
    assert "spec.type" in [e.path for e in info.value.errors]


def test_conversion_goes_through_the_hub() -> None:
    v1alpha1 = convert_object(parse_object(POOL), "apps.openyurt.io/v1alpha1")
    assert v1alpha1.api_version == "apps.openyurt.io/v1alpha1"
    back = convert_object(v1alpha1, "apps.openyurt.io/v1beta1")
    assert back.to_wire()["spec"]["type"] == "Edge"


def test_conversion_to_unknown_version_is_an_error() -> None:
    with pytest.raises(ObjectInvalid, match="no version"):
        convert_object(parse_object(POOL), "apps.openyurt.io/v9")


def test_pruned_drops_exactly_the_unknown_fields() -> None:
    obj = parse_object({**POOL, "spec": {"type": "Edge", "colour": "blue"}, "extra": 1})
    assert sorted(unknown_fields(obj)) == ["extra", "spec.colour"]
    assert pruned(obj) == {**POOL}
