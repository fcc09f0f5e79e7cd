"""Ask Argo CD to compare again now, instead of at its next periodic reconciliation (minutes by default).

Argo CD reads the annotation `argocd.argoproj.io/refresh` (`normal`: compare with the cached manifests of the
newest commit; `hard`: render them again) and removes it when done — what `argocd app get --refresh` sets.
The root app and the apps root come first, so a freshly pushed app gets its Applications created.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

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
