"""`validate(path)`: every static check over one folder, with what each phase cost."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from comind_scaffold._gc import fewer_collections
from comind_scaffold.models import CheckResult, Status
from comind_scaffold.validation import argocd_wiring, secrets, structure, uniqueness, workloads
from comind_scaffold.validation.rule import StaticCheck
from comind_scaffold.validation.scan import scan
from comind_scaffold.validation.schemas import ArgoCDSchemas

__all__ = ["ALL_CHECKS", "ValidationReport", "validate"]

# Every offline rule, in the order its results are reported.
ALL_CHECKS: tuple[StaticCheck, ...] = (
    structure.check_answers,
    structure.check_yaml_syntax,
    structure.check_builds,
    structure.check_schemas,
    uniqueness.check_unique_names,
    uniqueness.check_namespaces,
    argocd_wiring.check_applications,
    argocd_wiring.check_project_privileges,
    uniqueness.check_service_ports,
    secrets.check_plaintext_secrets,
    workloads.check_image_tags,
    workloads.check_containers,
    workloads.check_network_policies,
    workloads.check_pod_security,
)


@dataclass
class ValidationReport:
    """What `validate` found.

    Attributes:
        path: The validated folder or file.
        results: Every check result, in check order.
        timings: Seconds per phase (`scan`, `build`, then one entry per check) and `total`.
        kubernetes_version: The Kubernetes schema version used.
        argocd_schemas: Where the Argo CD schemas came from.
        builds: How many kustomize builds were needed.
        cached_builds: How many of them came from the platform's render cache instead of kustomize.
        objects: How many rendered objects were checked.

    """

    path: Path
    results: list[CheckResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    kubernetes_version: str = ""
    argocd_schemas: str = ""
    builds: int = 0
    cached_builds: int = 0
    objects: int = 0

    @property
    def failures(self) -> list[CheckResult]:
        """The failed results."""
        return [r for r in self.results if r.status is Status.FAIL]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what `comind validate --json` prints)."""
        return {
            "path": str(self.path),
            "ok": self.ok,
            "kubernetes_version": self.kubernetes_version,
            "argocd_schemas": self.argocd_schemas,
            "builds": self.builds,
            "cached_builds": self.cached_builds,
            "objects": self.objects,
            "counts": {s.value: sum(1 for r in self.results if r.status is s) for s in Status},
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "results": [r.model_dump(mode="json") for r in self.results],
        }


def validate(path: Path | str, *, argocd_crds: Path | str | None = None) -> ValidationReport:
    """Validate a platform repository, any kustomize folder, a folder of YAML, or one YAML file, offline.

    Args:
        path: What to validate.
        argocd_crds: A folder of Argo CD CRD YAMLs whose schemas to use (else `$COMIND_ARGOCD_CRDS`, else the
            built-in schema).

    Returns:
        The report; `report.ok` is False when a check failed.

    Raises:
        InputError: `path` or `argocd_crds` does not exist, or holds no Argo CD CRD.
        ToolNotFoundError: There are kustomizations but neither kustomize nor kubectl.

    """
    with fewer_collections():
        return _validate(path, argocd_crds)


def _validate(path: Path | str, argocd_crds: Path | str | None) -> ValidationReport:
    started = time.perf_counter()
    argocd = ArgoCDSchemas.resolve(argocd_crds)
    report = ValidationReport(path=Path(path), argocd_schemas=argocd.source)
    repo = scan(path, argocd=argocd)
    try:
        mark = time.perf_counter()
        report.timings["scan"] = mark - started
        builds = repo.builds
        report.timings["build"] = time.perf_counter() - mark
        for check in ALL_CHECKS:
            mark = time.perf_counter()
            report.results.extend(check(repo))
            report.timings[check.__name__.removeprefix("check_")] = time.perf_counter() - mark
        report.builds = repo.kustomizer.builds_run
        report.cached_builds = repo.kustomizer.cache.hits if repo.kustomizer.cache else 0
        report.objects = len(repo.objects)
        report.kubernetes_version = repo.schemas.kubernetes.version
        del builds
    finally:
        repo.kustomizer.close()
    report.timings["total"] = time.perf_counter() - started
    return report
