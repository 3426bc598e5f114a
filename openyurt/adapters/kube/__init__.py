"""Kubernetes adapters: narrow protocols, a kubernetes-asyncio client, an in-memory API, informers, the applier."""
