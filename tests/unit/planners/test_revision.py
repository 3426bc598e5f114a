"""ControllerRevision hashing and naming, against the upstream fixtures (revision_test.go)."""

from __future__ import annotations

import pytest

from openyurt.core.planners import revision as rev
from tests.unit.planners.builders import NOW, deployment_template, revision_obj, yas

EMPTY = b'{"spec":{"workload":{"$patch":"replace","workloadTemplate":{}}}}'


@pytest.mark.parametrize(
    ("data", "probe", "expected"),
    [
        (b'{"a":"a"}', 0, "7fcd4f8557"),
        (b'{"a":"a"}', None, "854fdd585f"),
        (EMPTY, 0, "694bbcc68"),
        (EMPTY, None, "66875f4864"),
    ],
)
def test_hash_controller_revision_fixtures(data: bytes, probe: int | None, expected: str) -> None:
    assert rev.hash_controller_revision(data, probe) == expected


def test_empty_spec_yurtappset_gets_upstream_revision_name() -> None:
    obj = yas(template={})
    data = rev.yurtappset_revision_data(obj.spec.workload.to_wire())  # type: ignore[union-attr]
    assert data == EMPTY
    assert rev.revision_name(obj.name, rev.hash_controller_revision(data, 0)) == "test-yurtappset-694bbcc68"


def test_plan_revision_for_empty_spec_creates_the_upstream_name() -> None:
    from openyurt.core.planners import plan_yurtappset

    plan = plan_yurtappset(yas(template={}), [], [], [], now=NOW)
    assert plan.revision == "test-yurtappset-694bbcc68"
    (create,) = [c for c in plan.plan.creates if c.ref.kind == "ControllerRevision"]
    assert create.obj["metadata"]["labels"]["controller.kubernetes.io/hash"] == "694bbcc68"
    assert create.obj["revision"] == 1


def test_go_typed_serialisation_emits_zero_fields_like_encoding_json() -> None:
    data = rev.yurtappset_revision_data({"workloadTemplate": deployment_template(replicas=None)})
    assert data.decode() == (
        '{"spec":{"workload":{"$patch":"replace","workloadTemplate":{"deploymentTemplate":{"metadata":'
        '{"creationTimestamp":null,"labels":{"app":"demo"}},"spec":{"selector":{"matchLabels":{"app":"demo"}},'
        '"strategy":{},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"demo"}},"spec":'
        '{"containers":[{"image":"nginx:1.19","name":"nginx","resources":{}}],"initContainers":'
        '[{"image":"initOld","name":"initContainer","resources":{}}]}}}}}}}}'
    )


def test_go_json_escapes_html_and_sorts_keys() -> None:
    from openyurt.core.planners._util import go_json

    assert go_json({"b": "<&>", "a": 1.0, "c": 0.5}) == '{"a":1,"b":"\\u003c\\u0026\\u003e","c":0.5}'


def test_pool_and_selector_changes_do_not_make_a_new_revision() -> None:
    a = yas(pools=["a"]).spec.workload.to_wire()  # type: ignore[union-attr]
    b = yas(pools=["b"], selector={"matchLabels": {"x": "y"}}, limit=3).spec.workload.to_wire()  # type: ignore[union-attr]
    assert rev.yurtappset_revision_data(a) == rev.yurtappset_revision_data(b)


def test_reuses_newest_equal_revision_and_bumps_an_older_equal_one() -> None:
    owner = yas()
    data = rev.yurtappset_revision_data(owner.spec.workload.to_wire())  # type: ignore[union-attr]
    import json

    same = revision_obj("r-same", 1, json.loads(data), owner)
    other = revision_obj("r-other", 2, {"spec": {"workload": {"x": 1}}}, owner)
    common = {
        "owner_name": owner.name,
        "namespace": "default",
        "data": data,
        "collision_count": 0,
        "labels": {},
        "owner_reference": {},
    }
    newest = rev.plan_revision(
        history=[other, same.model_copy(update={"revision": 3})], namespace_revisions=[], **common
    )  # type: ignore[arg-type]
    assert newest.name == "r-same" and newest.ops == ()
    rollback = rev.plan_revision(history=[same, other], namespace_revisions=[], **common)  # type: ignore[arg-type]
    assert rollback.name == "r-same"
    assert rollback.ops[0].patch["revision"] == 3  # type: ignore[union-attr]


def test_name_collision_with_different_data_probes_the_next_count() -> None:
    owner = yas(template={})
    clash = revision_obj("test-yurtappset-694bbcc68", 1, {"other": True}, None)
    out = rev.plan_revision(
        owner_name=owner.name,
        namespace="default",
        data=EMPTY,
        history=[],
        namespace_revisions=[clash],
        collision_count=0,
        labels={},
        owner_reference={},
    )
    assert out.collision_count == 1
    assert out.name == "test-yurtappset-" + rev.hash_controller_revision(EMPTY, 1)


def test_prune_keeps_limit_and_current() -> None:
    hist = tuple((f"r{i}", i) for i in range(1, 6))
    deletes = rev.prune_history(hist, limit=2, keep="r1", namespace="default")
    assert [d.ref.name for d in deletes] == ["r2", "r3"]


def test_decode_over_keeps_removed_keys_and_merges_list_elements() -> None:
    original = {"metadata": {"labels": {"a": "1", "b": "2"}}, "list": [{"x": 1, "y": 2}, {"x": 3}]}
    patched = {"metadata": {"labels": {"a": "1"}}, "list": [{"x": 9}]}
    assert rev.go_decode_over(original, patched) == {
        "metadata": {"labels": {"a": "1", "b": "2"}},
        "list": [{"x": 9, "y": 2}],
    }
