"""Users' own response filters, found through the ``openyurt.hub.filters`` entry-point group.

Reading installed packages' metadata is I/O, so it lives here rather than in the pure filter core;
each entry point loads to a filter object or a zero-argument factory of one (``as_filter``).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable

from openyurt.core.hub.filters import ENTRY_POINT_GROUP, ObjectFilter, as_filter


def load_plugin_filters(
    entry_points: Callable[[], Iterable[importlib.metadata.EntryPoint]] | None = None,
) -> list[ObjectFilter]:
    """Every registered plugin filter; PluginError names an entry point that is not one."""
    eps = entry_points() if entry_points is not None else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return [as_filter(ep.load(), f"entry point {ep.name!r} ({ep.value})") for ep in eps]
