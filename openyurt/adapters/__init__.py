"""Adapters: the only code that talks to Kubernetes, EdgeX, Linux networking and local stores."""
