"""comind-ops: scaffold, update, validate and verify a Kubernetes GitOps platform and its apps."""

from __future__ import annotations

from comind_scaffold.errors import ComindError, UserError

__version__ = "0.1.0"
__all__ = ["ComindError", "UserError", "__version__"]
