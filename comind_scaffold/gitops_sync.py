"""Ask Argo CD to compare again now, instead of at its next periodic reconciliation (minutes by default).

Argo CD reads the annotation `argocd.argoproj.io/refresh` (`normal`: compare with the cached manifests of the
newest commit; `hard`: render them again) and removes it when done — what `argocd app get --refresh` sets.
The root app and the apps root come first, so a freshly pushed app gets its Applications created — one after the
other: an Application that apps-root creates before the root app has synced the AppProject admitting its namespace
is refused, and Argo CD looks at it again only at its next periodic reconciliation (a project change does not
requeue it), which made onboarding take 24–72 s instead of a few.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from comind_scaffold import constants as c
from comind_scaffold.errors import InputError

if TYPE_CHECKING:
    from comind_scaffold._kube import KubeClient
    from comind_scaffold.repo import PlatformRepo

REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
Refresh = Literal["normal", "hard"]


def refresh_targets(repo: PlatformRepo, live: Sequence[str], apps: Sequence[str]) -> list[str]:
    """The Applications to refresh, in order: the platform's root and apps root, then `apps`' (all when empty).

    Raises:
        InputError: An app that is not in the repository.

    """
    name = repo.spec.platform_name
    roots = [app for app in (f"{name}-root", f"{name}-apps") if app in live]
    if not apps:
        return roots + sorted(set(live) - set(roots))
    known = {spec.app_name: spec for spec in repo.apps}
    chosen: list[str] = []
    for app in apps:
        if app not in known:
            raise InputError("app", f"{app!r} is not an app of this platform ({', '.join(sorted(known)) or 'none'})")
        chosen += [known[app].namespace(env) for env in known[app].environments if known[app].namespace(env) in live]
    return roots + chosen


def roots_first(live: Sequence[str]) -> list[str]:
    """Every Application, the root apps (`*-root`, then `*-apps`) first: they create and admit the others."""
    return sorted(live, key=lambda name: (not name.endswith("-root"), not name.endswith("-apps"), name))


def request_refresh(client: KubeClient, names: Sequence[str], kind: Refresh = "normal") -> list[str]:
    """Annotate each Application so Argo CD compares it now; return the names annotated."""
    for name in names:
        client.merge_patch(
            "Application", name, {"metadata": {"annotations": {REFRESH_ANNOTATION: kind}}}, c.ARGOCD_NAMESPACE
        )
    return list(names)


ROOT_SETTLE_SECONDS = 60.0  # how long `sync` waits for one root app before going on regardless


def compares_anyway(app: dict[str, Any], apps_root: dict[str, Any] | None) -> bool:
    """Whether Argo CD compares the Application at the newest commit without being asked.

    So it does when it has never compared it, or when the apps root's latest sync created it: Argo CD compares an
    Application as soon as it sees it. Asking again costs a second compare for nothing: 111 of the 150
    Applications of 50 apps x 3 environments onboarded in one commit (benchmarks/bench_gitops.py).
    """
    if not (app.get("status") or {}).get("reconciledAt"):
        return True
    started = (((apps_root or {}).get("status") or {}).get("operationState") or {}).get("startedAt")
    created = (app.get("metadata") or {}).get("creationTimestamp")
    return bool(started and created and created >= started)  # RFC 3339 in UTC, whole seconds: ordered as text


def reconciled(app: dict[str, Any] | None, kinds: Sequence[str] = ()) -> bool:
    """Whether Argo CD has compared the Application since its refresh was requested and applied what it started.

    If the compare started a sync, the sync has applied its resources (of `kinds`, when given) at the compared
    revision. A sync then waiting for health counts as applied: apps-root's waits for every new app to be
    deployed, which is what comes next.
    """
    if app is None:
        return True
    if REFRESH_ANNOTATION in ((app.get("metadata") or {}).get("annotations") or {}):
        return False
    status = app.get("status") or {}
    state = status.get("operationState") or {}
    if "operation" not in app and state.get("phase") != "Running":
        return True  # nothing to sync, or the sync is over
    result = state.get("syncResult") or {}
    if result.get("revision") != (status.get("sync") or {}).get("revision"):
        return False  # an older sync still running
    done = [r for r in result.get("resources") or [] if not kinds or r.get("kind") in kinds]
    return bool(done) and all(r.get("status") == "Synced" for r in done)


def sync_platform(client: KubeClient, repo: PlatformRepo, apps: Sequence[str], kind: Refresh = "normal", *,
                  settle: float = ROOT_SETTLE_SECONDS, clock: Callable[[], float] = time.monotonic,
                  sleep: Callable[[float], None] = time.sleep) -> list[str]:
    """Refresh the root app, the apps root, then the Applications of `apps` (all when empty), each in turn.

    The root app is waited for until its sync has applied the AppProjects (sync wave -10), the apps root until
    its sync has created the apps' Applications. With no `apps` and a normal refresh, the Applications Argo CD
    compares anyway (compares_anyway) are left alone.

    A root that Argo CD does not get that far with within `settle` seconds (Argo CD down, a failing sync) is left
    with its refresh requested and the next one goes ahead. Returns the names refreshed, in order.

    Raises:
        InputError: An app that is not in the repository.

    """

    def live() -> list[str]:
        return [a["metadata"]["name"] for a in client.list("Application", namespace=c.ARGOCD_NAMESPACE)]

    targets = refresh_targets(repo, live(), apps)  # validates `apps` before anything is asked of Argo CD
    name = repo.spec.platform_name
    roots = [app for app in targets if app in (f"{name}-root", f"{name}-apps")]
    for root in roots:
        request_refresh(client, [root], kind)
        kinds = ("AppProject",) if root == f"{name}-root" else ()
        deadline = clock() + settle
        while not reconciled(client.get("Application", root, c.ARGOCD_NAMESPACE), kinds) and clock() < deadline:
            sleep(0.2)
    listed = {a["metadata"]["name"]: a for a in client.list("Application", namespace=c.ARGOCD_NAMESPACE)}
    apps_root = listed.get(f"{name}-apps")
    rest = [app for app in refresh_targets(repo, list(listed), apps)
            if app not in roots and (apps or kind == "hard" or not compares_anyway(listed[app], apps_root))]
    return roots + request_refresh(client, rest, kind)
