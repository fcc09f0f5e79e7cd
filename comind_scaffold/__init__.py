"""comind-ops: scaffold, update, validate and verify a Kubernetes GitOps platform and its apps."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from comind_scaffold.errors import ComindError, UserError

try:
    __version__ = version("comind-ops")
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"
__all__ = ["ComindError", "UserError", "__version__"]
