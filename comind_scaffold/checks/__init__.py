"""The live checks: plain `check_*` functions returning `CheckResult`s, shared by `comind` and `pytest verify/`.

Layers `cluster`, `gitops`, `apps` and `aws` read a `Snapshot` listed once per run; `services` reuses the services
manager's probes. The offline rules of the `static` layer live in `comind_scaffold.validation`.
"""

from __future__ import annotations

from comind_scaffold.checks import apps, aws, cluster, gitops
from comind_scaffold.checks.expected import AppEnv, Expected
from comind_scaffold.checks.resources import Application, AppProject, Node, Pod, Snapshot, Workload

__all__ = [
    "AppEnv",
    "AppProject",
    "Application",
    "Expected",
    "Node",
    "Pod",
    "Snapshot",
    "Workload",
    "apps",
    "aws",
    "cluster",
    "gitops",
]
