"""The wait phase: poll Argo CD with the verifier's checks until every Application is Synced and Healthy.

On the way it asks Argo CD to compare now (refresh) and requests the first sync of manual Applications that were
never deployed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold.bootstrap.options import BootstrapOptions, kube_client
from comind_scaffold.errors import ValidationFailed
from comind_scaffold.models import CheckResult

REFRESH_EVERY = 20.0  # seconds between refresh requests while Applications are pending

Progress = Callable[[str], None]


def gitops_results(options: BootstrapOptions, waited: float) -> list[CheckResult]:
    """Run the verifier's gitops checks: CRDs, root app, and every Application Synced and Healthy."""
    from comind_scaffold.checks.gitops import applications, check_application, check_argocd_crds, check_root_app
    from comind_scaffold.checks.resources import Snapshot

    with kube_client(options) as client:
        snapshot = Snapshot(client)
        results = check_argocd_crds(snapshot) + [check_root_app(snapshot)]
        results += [check_application(app, waited) for app in applications(snapshot)]
    return results


def never_synced_manual(app: Mapping[str, Any]) -> bool:
    """True for an Application without automated sync, compared by Argo CD (OutOfSync) and never synced.

    It has no sync requested either: on a new platform, a prod app waiting for its first deployment.
    """
    spec, status = app.get("spec") or {}, app.get("status") or {}
    return (not (spec.get("syncPolicy") or {}).get("automated") and not app.get("operation")
            and not status.get("history") and not status.get("operationState")
            and (status.get("sync") or {}).get("status") == "OutOfSync")


def first_sync_operation(app: Mapping[str, Any]) -> dict[str, Any]:
    """The operation `argocd app sync` sets (Argo CD's API server, SyncOperation).

    That is the Application's source at the revision Argo CD compared, with its sync options and retry strategy.
    """
    spec, status = app.get("spec") or {}, app.get("status") or {}
    policy = spec.get("syncPolicy") or {}
    sync: dict[str, Any] = {"revision": (status.get("sync") or {}).get("revision")
                            or (spec.get("source") or {}).get("targetRevision") or "HEAD",
                            "syncOptions": list(policy.get("syncOptions") or [])}
    if spec.get("source"):
        sync["source"] = spec["source"]
    operation: dict[str, Any] = {"initiatedBy": {"username": "comind bootstrap"}, "sync": sync}
    if policy.get("retry"):
        operation["retry"] = policy["retry"]
    return {"operation": operation}


def start_first_syncs(options: BootstrapOptions) -> list[str]:
    """Request the first sync of every never-synced manual Application (see `never_synced_manual`).

    Bootstrapping a platform is the deliberate act that rolls out its first version everywhere; after that, a
    manual Application syncs only when a person asks (and the verifier reports it OutOfSync until then).
    """
    names = []
    with kube_client(options) as client:
        apps = [a for a in client.list("Application", namespace=c.ARGOCD_NAMESPACE) if never_synced_manual(a)]
        for app in apps:
            name = str(app["metadata"]["name"])
            client.merge_patch("Application", name, first_sync_operation(app), c.ARGOCD_NAMESPACE)
            names.append(name)
    return names


def refresh_applications(options: BootstrapOptions) -> list[str]:
    """Ask Argo CD to compare every Application now (`comind sync`); the roots first."""
    from comind_scaffold._kube import KindNotServedError
    from comind_scaffold.gitops_sync import request_refresh, roots_first

    with kube_client(options) as client:
        try:
            live = [a["metadata"]["name"] for a in client.list("Application", namespace=c.ARGOCD_NAMESPACE)]
        except KindNotServedError:  # Argo CD not installed yet: the wait reports it, nothing to refresh
            return []
        return request_refresh(client, roots_first(live))


def phase_wait(options: BootstrapOptions, progress: Progress, *, clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> tuple[str, str]:
    """Poll until every Application is Synced and Healthy, or the wait budget runs out (ValidationFailed).

    Manual Applications that were never synced get their first sync requested (`start_first_syncs`).
    """
    budget = options.budget("wait")
    if options.dry_run:
        return "planned", f"would wait up to {budget:.0f} s for every Application to be Synced and Healthy"
    start = clock()
    first_synced: list[str] = []
    refreshed_at: float | None = None
    while True:
        waited = clock() - start
        results = gitops_results(options, waited)
        pending = [r for r in results if not r.ok]
        if pending and (refreshed_at is None or waited - refreshed_at >= REFRESH_EVERY):
            refresh_applications(options)  # Argo CD would otherwise compare again only at its next reconciliation
            refreshed_at = waited
        if pending:
            started = start_first_syncs(options)
            if started:
                first_synced += started
                progress(f"first sync of {', '.join(started)} (manual sync policy, never deployed)")
        if not pending:
            detail = f"{len(results) - 3} Applications Synced and Healthy after {waited:.0f} s"
            if first_synced:
                detail += f" (first sync requested for {', '.join(sorted(set(first_synced)))})"
            return ("done" if first_synced else "unchanged"), detail
        progress(f"waiting for Argo CD ({waited:.0f}/{budget:.0f} s): {pending[0].line()}")
        if waited + options.poll_interval > budget:
            raise ValidationFailed(pending, budget=budget)
        sleep(options.poll_interval)
