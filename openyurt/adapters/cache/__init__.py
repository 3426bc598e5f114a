"""Object caches for yurthub: what the node keeps so it can keep working while the cloud is away."""

from openyurt.adapters.cache.protocol import ListMarker, ObjectCache

__all__ = ["ListMarker", "ObjectCache"]
