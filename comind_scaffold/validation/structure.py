"""Offline rules of the repository's files.

Answers readable, YAML parsing, kustomizations building, objects valid against their schemas.
"""

from __future__ import annotations

from collections.abc import Iterator

from comind_scaffold import constants as c
from comind_scaffold.errors import InputError
from comind_scaffold.models import CheckResult, failed, passed, skipped, warned
from comind_scaffold.naming import check_app_name, check_bucket_names
from comind_scaffold.validation.rule import LAYER, summary
from comind_scaffold.validation.scan import RepoScan


def _misnamed_apps(scan: RepoScan) -> Iterator[CheckResult]:
    platform = scan.platform.platform_name if scan.platform else ""
    for app in scan.apps:
        try:
            check_app_name(app.app_name, app.environments)
            if app.with_storage and platform:
                check_bucket_names(app.app_name, [app.bucket(platform, env) for env in app.environments])
        except InputError as err:
            yield failed("answers", LAYER, f"app {app.app_name!r}", f"app_name: {err.rule}")


def check_answers(scan: RepoScan) -> list[CheckResult]:
    """The platform's and every app's answers files can be read, and each app's name follows the naming rule."""
    problems = [p for p in scan.problems if not p.ok] + list(_misnamed_apps(scan))
    notes = [p for p in scan.problems if p.ok]
    if scan.platform is None and not problems:
        return [skipped("answers", LAYER, ".", "not a comind-ops platform repository: platform checks skipped"), *notes]
    return summary("answers", c.PLATFORM_ANSWERS, f"platform and {len(scan.apps)} app(s) read", problems) + notes


def check_yaml_syntax(scan: RepoScan) -> list[CheckResult]:
    """Every YAML file parses (and, outside kustomizations, its values can be constructed)."""
    scan.loose_objects  # noqa: B018 - constructs the documents the other checks read, recording failures
    findings = [failed("yaml.syntax", LAYER, f.rel, f.error) for f in scan.yaml_files if f.error]
    if not scan.yaml_files:
        return [skipped("yaml.syntax", LAYER, scan.rel(scan.root), "no YAML files found")]
    return summary("yaml.syntax", ".", f"{len(scan.yaml_files)} YAML file(s) parse", findings)


def check_builds(scan: RepoScan) -> list[CheckResult]:
    """Every kustomization that is not part of another builds, and every declared app overlay exists."""
    results = []
    for path, build in scan.builds.items():
        if build.error is None:
            results.append(passed("kustomize.build", LAYER, scan.rel(path), f"builds ({len(build.objects)} objects)"))
        else:
            results.append(failed("kustomize.build", LAYER, scan.rel(path), build.error))
    entry_points = {o.source for o in scan.loose_objects if o.api_version.startswith(c.ARGOCD_GROUP + "/")}
    for rel in scan.unreferenced:
        if rel in entry_points:
            continue  # an Argo CD manifest applied on its own, like the root app-of-apps
        results.append(
            warned(
                "kustomize.unreferenced",
                LAYER,
                rel,
                "inside a kustomization's folder but read by no kustomization: it is never deployed",
                hint="list it in the kustomization (resources, patches, generators) or move it out",
            )
        )
    for app in scan.apps:
        for env in app.environments:
            overlay = scan.root / c.APPS_DIR / app.app_name / c.APP_K8S_OVERLAYS / env
            if overlay not in scan.kustomizations:
                results.append(
                    failed(
                        "kustomize.overlay",
                        LAYER,
                        scan.rel(overlay),
                        f"app {app.app_name} declares environment {env} but has no kustomization here",
                    )
                )
    return results


def check_schemas(scan: RepoScan) -> list[CheckResult]:
    """Every rendered object is valid against the schema of its kind (unknown fields fail)."""
    findings: list[CheckResult] = []
    unknown: dict[tuple[str, str], str] = {}
    valid = 0
    for obj in scan.objects:
        validator = scan.schemas.validator(obj.api_version, obj.kind) if obj.api_version and obj.kind else None
        if validator is None:
            unknown.setdefault((obj.api_version, obj.kind), obj.source)
            continue
        issue = validator.first_issue(obj.data)
        if issue is None:
            valid += 1
        else:
            findings.append(failed("schema", LAYER, obj.ref, str(issue)))
    versions = f"Kubernetes {scan.schemas.kubernetes.version}, Argo CD {scan.schemas.argocd.source}"
    results = summary("schema", ".", f"{valid} object(s) valid ({versions})", findings)
    for (api_version, kind), source in sorted(unknown.items()):
        results.append(
            skipped("schema", LAYER, f"{kind or '?'} {api_version or '?'} ({source})", "no schema for this kind")
        )
    return results
