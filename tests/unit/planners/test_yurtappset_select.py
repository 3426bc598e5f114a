"""Pool selection and tweak matching: the bound matchers against ``selector_matches`` itself."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.core.api.meta_v1 import LabelSelector, selector_matches
from openyurt.core.api.openyurt_apps_v1beta1 import WorkloadTweak
from openyurt.core.planners.yurtappset import _matcher, matching_tweaks, select_pools
from tests.unit.planners.builders import pool

KEYS = st.sampled_from(["zone", "tier"])
VALUES = st.sampled_from(["x", "y"])
LABELS = st.none() | st.dictionaries(KEYS, VALUES, max_size=2)
SELECTORS = st.none() | st.builds(
    lambda labels, exprs: LabelSelector.model_validate(
        {**({"matchLabels": labels} if labels is not None else {}), **({"matchExpressions": exprs} if exprs else {})}
    ),
    st.none() | st.dictionaries(KEYS, VALUES, max_size=2),
    st.lists(
        st.builds(
            lambda k, op, vs: {"key": k, "operator": op, **({"values": vs} if op in ("In", "NotIn") else {})},
            KEYS,
            st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
            st.lists(VALUES, min_size=1, max_size=2),
        ),
        max_size=2,
    ),
)


@settings(max_examples=300, deadline=None)
@given(SELECTORS, LABELS)
def test_bound_matcher_is_selector_matches(selector: LabelSelector | None, labels: dict[str, str] | None) -> None:
    assert _matcher(selector)(labels) == selector_matches(selector, labels)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2), SELECTORS, st.integers(0, 3)), max_size=3
    ),
    st.sampled_from(["a", "b", "d"]),
    LABELS,
    st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3),
)
def test_matching_and_selection_follow_selector_matches(
    specs: list[Any], name: str, labels: dict[str, str] | None, names: list[str]
) -> None:
    tweaks = [
        WorkloadTweak.model_validate(
            {
                **({"pools": ps} if ps else {}),
                **({"nodepoolSelector": sel.to_wire()} if sel is not None else {}),
                "tweaks": {"replicas": r},
            }
        )
        for ps, sel, r in specs
    ]
    np = pool(name, labels=labels)
    want = [t.tweaks for t in tweaks if name in (t.pools or ()) or selector_matches(t.nodepool_selector, labels)]
    assert matching_tweaks(tweaks, np) == want
    selector = tweaks[0].nodepool_selector if tweaks else None
    pools = [np, pool("e", labels={"zone": "x"})]
    wanted = set(names)
    expected = sorted(p.name for p in pools if p.name in wanted or selector_matches(selector, p.metadata.labels))
    assert select_pools(pools, names, selector) == tuple(expected)
