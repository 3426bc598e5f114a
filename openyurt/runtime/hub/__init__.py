"""yurthub: the per-node caching edge proxy with offline autonomy (see docs/hub-offline.md)."""
