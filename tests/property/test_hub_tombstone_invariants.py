"""Properties of the hub's cache under late (stale) lists.

- stale_lists_never_resurrect: applying a watch history in order, with lists read at earlier
  resourceVersions delivered late in between, leaves the cache equal to the history's final state —
  in particular no object deleted by a watch event comes back from a stale list.
"""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from openyurt.adapters.cache.disk import DiskCache

LIST = "kubelet/pods.v1.core"
NAMES = ["a", "b", "c", "d"]

# one step of the history: (name, True = create/modify, False = delete); each step gets the next RV
STEPS = st.lists(st.tuples(st.sampled_from(NAMES), st.booleans()), min_size=1, max_size=30)


def _key(name: str) -> str:
    return f"{LIST}/default/{name}"


def _data(name: str, rv: int) -> bytes:
    return json.dumps({"metadata": {"name": name, "namespace": "default", "resourceVersion": str(rv)}}).encode()


@settings(max_examples=150, deadline=None)
@given(steps=STEPS, lists=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=6))
def test_stale_lists_never_resurrect(steps: list[tuple[str, bool]], lists: list[tuple[int, int]]) -> None:
    # the cloud's history: states[i] = {name: rv} after step i (rv = i + 1)
    states: list[dict[str, int]] = [{}]
    events: list[tuple[str, str, int]] = []
    for i, (name, alive) in enumerate(steps):
        rv = i + 1
        cur = dict(states[-1])
        if alive:
            events.append(("MODIFIED", name, rv))
            cur[name] = rv
        elif name in cur:
            events.append(("DELETED", name, rv))
            del cur[name]
        states.append(cur)
    with TemporaryDirectory() as tmp:
        c = DiskCache(Path(tmp), sync=False)
        c.load()
        # after applying event j, deliver every list whose position is j, read at an RV <= event j's
        late = sorted((pos % (len(events) + 1), back) for pos, back in lists)
        for j in range(len(events) + 1):
            if j > 0:
                etype, name, rv = events[j - 1]
                if etype == "DELETED":
                    c.delete(_key(name), str(rv))
                else:
                    c.put(_key(name), str(rv), _data(name, rv))
            applied_rv = events[j - 1][2] if j > 0 else 0
            for pos, back in late:
                if pos != j:
                    continue
                read_at = max(0, applied_rv - back)
                snapshot = states[read_at]
                items = {_key(n): (str(rv), _data(n, rv)) for n, rv in snapshot.items()}
                c.replace_list(LIST, items, str(read_at), "&")
        final = states[-1]
        cached = c.keys()  # DiskCache.keys() is a list of keys, not a dict view
        got = {k.rsplit("/", 1)[1]: c.resource_version(k) for k in cached}
        assert got == {n: str(rv) for n, rv in final.items()}
