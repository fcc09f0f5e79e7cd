"""Every check of a layer in one call (what the suite runs, test by test).

The suite stays the interface people use; this is for callers that want all results at once — the
benchmark, the fault-injection tests and any program embedding the verifier.
"""

from __future__ import annotations

from typing import Any

from comind_scaffold.checks import apps, cluster, gitops, local_services, monitoring
from comind_scaffold.checks.expected import Expected
from comind_scaffold.checks.resources import Snapshot
from comind_scaffold.models import CheckResult, failed
from comind_scaffold.repo import PlatformRepo


def cluster_results(snapshot: Snapshot, expected: Expected, profile: str) -> list[CheckResult]:
    """Run the cluster layer."""
    spec = expected.repo.spec
    results = [cluster.check_api(snapshot)]
    if not results[0].ok:
        return results
    results.append(cluster.check_server_version(snapshot, spec))
    results += cluster.check_nodes(snapshot, cluster.expected_node_count(spec, profile))
    for namespace in cluster.platform_namespaces(spec, profile, expected.envs):
        results += [cluster.check_namespace(snapshot, namespace), cluster.check_pods(snapshot, namespace)]
    for namespace in cluster.controller_namespaces(profile):
        results += cluster.check_workloads(snapshot, namespace)
    results.append(cluster.check_ingress_class(snapshot))
    return results


def gitops_results(snapshot: Snapshot, expected: Expected, waited: float = 0.0) -> list[CheckResult]:
    """Run the gitops layer."""
    repo = expected.repo
    results = [*gitops.check_argocd_crds(snapshot), gitops.check_root_app(snapshot)]
    for app in gitops.applications(snapshot):
        results += [gitops.check_application(app, waited), gitops.check_application_source(app, repo.spec, repo.root)]
    results += [gitops.check_team_project(snapshot, repo.spec, team) for team in repo.spec.teams]
    results += [gitops.check_project_least_privilege(p) for p in gitops.app_projects(snapshot)]
    results += monitoring.check_monitoring(snapshot, repo.spec)
    return results


def apps_results(snapshot: Snapshot, expected: Expected, profile: str, waited: float = 0.0) -> list[CheckResult]:
    """Run the apps layer, for every app and environment."""
    spec = expected.repo.spec
    domain = spec.local_domain if profile == "local" else spec.aws_domain
    results: list[CheckResult] = []
    for pair in expected.app_envs:
        results.append(apps.check_app_namespace(snapshot, expected, pair))
        results += [apps.check_app_guard(snapshot, expected, pair, kind) for kind in apps.GUARD_KINDS]
        results += [
            apps.check_app_deployments(snapshot, pair),
            apps.check_app_images(snapshot, expected, pair),
            apps.check_app_endpoints(snapshot, pair),
            apps.check_app_ingress(snapshot, pair, domain),
            apps.check_app_application(snapshot, pair, waited),
            apps.check_app_secret(snapshot, pair),
        ]
    return results


def kube_results(snapshot: Snapshot, expected: Expected, profile: str, wait: float = 0.0) -> list[CheckResult]:
    """Run cluster + gitops + apps, after waiting up to `wait` seconds for Progressing Applications."""
    results = cluster_results(snapshot, expected, profile)
    if not results[0].ok:
        return results
    waited = snapshot.wait_while_progressing(wait)
    return results + gitops_results(snapshot, expected, waited) + apps_results(snapshot, expected, profile, waited)


def services_results(repo: PlatformRepo, engine: Any, expected: Expected, timeout: float = 3.0) -> list[CheckResult]:
    """Run the services layer (local profile): containers, ports, probes, then every app's resources."""
    from comind_scaffold.services.credentials import load_credentials
    from comind_scaffold.services.manager import status

    services = repo.services
    rows = {row.service: row for row in status(repo, engine=engine, timeout=timeout)}
    results: list[CheckResult] = []
    for name, spec in services.enabled().items():
        row = rows[name]
        results += [
            local_services.check_container(row),
            local_services.check_port(name, spec, services, row, timeout),
            local_services.check_probe(row),
        ]
    creds = load_credentials(repo.credentials_path)
    if creds is None:
        results.append(
            failed(
                "app.resources",
                "services",
                str(repo.credentials_path),
                "no local credentials: app databases, buckets and queues cannot be checked",
                "run `comind services up`",
            )
        )
    else:
        for pair in expected.app_envs:
            results += local_services.check_app_resources(pair, services, creds, timeout)
    return results
