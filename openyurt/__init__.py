"""openyurt: OpenYurt's edge-computing platform as a Python SDK, with a pure reconciliation core."""

__version__ = "0.1.0"
__all__ = ["__version__"]
