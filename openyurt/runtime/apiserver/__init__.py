"""The embedded Kubernetes-compatible API server: the local default control plane every daemon talks to."""
