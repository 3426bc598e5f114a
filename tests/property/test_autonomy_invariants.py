"""Autonomy (pod-binding) invariants (hypothesis).

- test_toleration_seconds_follow_autonomy: on an autonomous edge node, not-ready/unreachable NoExecute
  tolerations that had a limit end with no tolerationSeconds for unlimited autonomy and with exactly
  the duration otherwise; other tolerations are untouched.
- test_pod_binding_idempotent: applying the plan then planning again gives an empty plan.
- test_pod_binding_is_deterministic: equal inputs give equal plans.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.api.core_v1 import Pod
from openyurt.core.planners import node_autonomy, plan_pod_binding
from openyurt.core.planners._util import apply_steps, ref_of
from tests.unit.planners.builders import NOW, node, pod

AUTONOMY = st.sampled_from(
    [
        {},
        {"apps.openyurt.io/binding": "true"},
        {"node.beta.openyurt.io/autonomy": "true"},
        {"node.openyurt.io/autonomy-duration": "0"},
        {"node.openyurt.io/autonomy-duration": "-5m"},
        {"node.openyurt.io/autonomy-duration": "90s"},
        {"node.openyurt.io/autonomy-duration": "24h"},
        {"node.openyurt.io/autonomy-duration": "nonsense"},
    ]
)
TOLERATION = st.builds(
    lambda key, effect, secs: {
        "key": key,
        "operator": "Exists",
        "effect": effect,
        **({"tolerationSeconds": secs} if secs is not None else {}),
    },
    st.sampled_from(["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable", "other"]),
    st.sampled_from(["NoExecute", "NoSchedule"]),
    st.none() | st.integers(0, 600),
)


@st.composite
def cases(draw: Any) -> Any:
    n = node("n", labels={"openyurt.io/is-edge-worker": "true"}, annotations=draw(AUTONOMY))
    pods = [
        pod(f"p{i}", "n", tolerations=draw(st.lists(TOLERATION, max_size=3))) for i in range(draw(st.integers(0, 3)))
    ]
    return n, pods


def _apply(n: Any, pods: list[Pod]) -> list[Pod]:
    store = {ref_of(p): p.to_wire() for p in pods}
    store = apply_steps(store, plan_pod_binding(n, pods, now=NOW).patches)
    return [Pod.model_validate(store[ref_of(p)]) for p in pods]


@settings(max_examples=100, deadline=None)
@given(cases())
def test_toleration_seconds_follow_autonomy(c: Any) -> None:
    n, pods = c
    setting = node_autonomy(n)
    for before, after in zip(pods, _apply(n, pods), strict=True):
        for t0, t1 in zip(before.spec.tolerations or [], after.spec.tolerations or [], strict=True):
            special = t0.key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable") and (
                t0.effect == "NoExecute"
            )
            if special and setting.autonomous and t0.toleration_seconds is not None:
                assert t1.toleration_seconds == setting.toleration_seconds
            elif not special:
                assert t1 == t0


@settings(max_examples=100, deadline=None)
@given(cases())
def test_pod_binding_idempotent(c: Any) -> None:
    n, pods = c
    assert plan_pod_binding(n, _apply(n, pods), now=NOW).is_empty


@settings(max_examples=50, deadline=None)
@given(cases())
def test_pod_binding_is_deterministic(c: Any) -> None:
    n, pods = c
    assert plan_pod_binding(n, pods, now=NOW) == plan_pod_binding(n, list(reversed(pods)), now=NOW)
