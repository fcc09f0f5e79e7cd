"""What a verify run collects: the layers it selects, each test's parameters, and which tests it leaves out.

The plugin's hooks (`plugin.py`) call these while pytest collects; a test whose target cannot be used is
reported as not run here rather than run only to skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from comind_scaffold import layers
from comind_scaffold.errors import UserError
from comind_scaffold.layers import VerifyOptions
from comind_scaffold.verifier.report import LayerReport, layer_of
from comind_scaffold.verifier.session import PROFILE_LAYERS, Target, VerifySession


def static_test_will_run(config: pytest.Config) -> bool:
    """Tell whether the static layer's test is surely selected, so its validate may start before collection.

    Only then: a validate nobody waits for would still render every overlay before the process could exit.
    """
    option = config.option
    if option.collectonly or config.getoption("keyword", "") or getattr(option, "lf", False):
        return False
    if any(getattr(option, name, None) for name in ("deselect", "ignore", "ignore_glob")):
        return False
    for arg in config.args:
        path, _, test = arg.partition("::")
        folder = Path(path)
        if folder.is_dir() and (folder / "test_static.py").is_file():
            continue
        if folder.name == "test_static.py" and test.split("[")[0] in ("", "test_static_validation"):
            continue
        return False
    return True


def applying(options: VerifyOptions) -> frozenset[str]:
    """Layers that the profile applies and `--layer` (if given) selects."""
    of_profile = PROFILE_LAYERS[options.profile]
    return of_profile & set(options.layers) if options.layers else of_profile


def selected_layers(config: pytest.Config, options: VerifyOptions) -> set[str]:
    """Layers that the profile applies and `--layer` and `-m` (if given) select."""
    selected = set(applying(options))
    expression = config.getoption("markexpr", "")
    if not expression:
        return selected
    from _pytest.mark.expression import Expression

    try:
        compiled = Expression.compile(expression)
    except Exception:  # pytest reports a bad -m itself
        return selected
    return {layer for layer in selected if compiled.evaluate(_only(layer))}


def _only(layer: str) -> Any:
    def matches(name: str, /, **kwargs: object) -> bool:
        return name == layer

    return matches


def keep_applying_layers(config: pytest.Config, options: VerifyOptions, items: list[pytest.Item]) -> None:
    """Deselect the tests of layers the profile or --layer leave out; order the others by layer."""
    applies = applying(options)
    keep = [item for item in items if layer_of(item.keywords) in applies]
    dropped = [item for item in items if layer_of(item.keywords) not in applies]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    keep.sort(key=lambda item: layers.NAMES.index(layer_of(item.keywords)))
    items[:] = keep


class Reach(NamedTuple):
    """How the suite's tests reach one target a layer declares (`Layer.targets`)."""

    value: str  # the fixture handing out the target's value: whatever needs the target requests it
    probe: str  # the fixture handing out the Target itself, for its reachability test ("" where there is none)
    build: Callable[[VerifySession], Target[Any]]  # the session's builder of the target


# Every target of the layers but the repository on disk (tests/test_verify_plugin.py holds the keys to layers.py).
REACHES: dict[str, Reach] = {
    layers.KUBE_API: Reach("kube", "kube_target", VerifySession.kube),
    layers.AWS_API: Reach("aws", "aws_target", VerifySession.aws),
    layers.DOCKER_ENGINE: Reach("docker", "", VerifySession.docker),
}


def needed_target(fixturenames: Iterable[str]) -> str | None:
    """The target (a key of REACHES) that a test with these fixtures needs, or None.

    The names are pytest's closure (`item.fixturenames`): a fixture built on `docker` (`service_rows`) needs the
    Docker engine without being listed anywhere.
    """
    names = set(fixturenames)
    return next((target for target, reach in REACHES.items() if reach.value in names), None)


def report_unusable_as_not_run(
    config: pytest.Config, session: VerifySession, items: list[pytest.Item], report: LayerReport
) -> None:
    """Report tests whose target is unusable as not run instead of running them only to skip.

    With hundreds of apps a down cluster would otherwise mean thousands of skipping tests; the one failure
    naming the target stays (its reachability test, or else the first test that needs it).
    """
    needing: dict[str, list[pytest.Item]] = {}
    for item in items:
        needed = needed_target(getattr(item, "fixturenames", ()))
        if needed is not None:
            needing.setdefault(needed, []).append(item)
    not_run: list[pytest.Item] = []
    for target_name, waiting in needing.items():
        reach = REACHES[target_name]
        target = reach.build(session)
        if not target.error:
            continue
        has_probe = bool(reach.probe) and any(reach.probe in getattr(item, "fixturenames", ()) for item in items)
        skipped = waiting if has_probe else waiting[1:]
        not_run += skipped
        for item in skipped:
            report.not_run(item.nodeid, layer_of(item.keywords), f"not run: {target.name} unusable ({target.error})")
    if not_run:
        dropped = set(not_run)
        config.hook.pytest_deselected(items=not_run)
        items[:] = [item for item in items if item not in dropped]


def parameters(session: VerifySession, wanted: set[str]) -> dict[str, tuple[list[Any], list[str]]]:
    """Values and ids for each parametrized name in `wanted`: what the platform declares and the cluster holds."""
    from comind_scaffold.checks import apps, cluster, gitops

    params: dict[str, tuple[list[Any], list[str]]] = {}
    repo, profile = session.platform().value, session.options.profile
    expected = session.expected
    if "app_env" in wanted:
        pairs = expected.app_envs if expected else []
        params["app_env"] = (pairs, [p.id for p in pairs])
    if "guard_kind" in wanted:
        params["guard_kind"] = (list(apps.GUARD_KINDS), list(apps.GUARD_KINDS))
    envs = expected.envs if expected else []
    simple = {
        "platform_ns": cluster.platform_namespaces(repo.spec, profile, envs) if repo else [],
        "controller_ns": list(cluster.controller_namespaces(profile)),
        "team": list(repo.spec.teams) if repo else [],
        "platform_env": list(envs),
        "service": _enabled_services(repo),
    }
    for key, values in simple.items():
        if key in wanted:
            params[key] = (values, values)
    if "node_group" in wanted:
        groups = list(repo.spec.eks_node_groups) if repo else []
        params["node_group"] = (groups, [g.name for g in groups])
    if {"application", "project"} & wanted:
        snapshot = session.settled_snapshot()
        app_names = [a.name for a in gitops.applications(snapshot)] if snapshot else []
        project_names = [p.name for p in gitops.app_projects(snapshot)] if snapshot else []
        for key, values in (("application", app_names), ("project", project_names)):
            if key in wanted:
                params[key] = (values, values)
    return params


def _enabled_services(repo: Any) -> list[str]:
    if repo is None:
        return []
    try:
        return sorted(repo.services.enabled())
    except UserError:  # a broken services.yaml is the static layer's finding
        return []
