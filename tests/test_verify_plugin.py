"""The verify plugin's own behaviour: inert outside verify runs, profile deselection, one clear failure, CLI errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from comind_scaffold.cli import main
from comind_scaffold.errors import InputError
from tests.helpers_verify import ROOT, platform_repo  # noqa: F401


def _pytest(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_plugin_is_inert_in_other_pytest_runs(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert 1 + 1 == 2\n")
    proc = _pytest(str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert "comind verify summary" not in proc.stdout
    assert "1 passed" in proc.stdout


@pytest.mark.parametrize(
    ("profile", "present", "absent"),
    [("local", "test_services.py", "test_aws.py"), ("aws", "test_aws.py", "test_services.py")],
)
def test_profile_deselects_layers_that_do_not_apply(platform_repo, profile: str, present: str, absent: str) -> None:  # noqa: F811
    proc = _pytest(
        str(ROOT / "verify"),
        "--co",
        "-q",
        f"--profile={profile}",
        f"--platform-dir={platform_repo.root}",
        "--kubeconfig=/nonexistent",
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert present in proc.stdout and absent not in proc.stdout
    assert "deselected" in proc.stdout
    assert "test_app_deployment[shop-dev]" in proc.stdout and "test_app_guard[web-prod-NetworkPolicy]" in proc.stdout


def test_no_platform_repo_is_one_clear_failure(tmp_path: Path) -> None:
    proc = _pytest(
        str(ROOT / "verify"),
        "-m",
        "static or gitops",
        "--profile=local",
        f"--platform-dir={tmp_path}",
        "--kubeconfig=/nonexistent",
        "-rfEs",
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    # one line per unusable target (the platform repo, the cluster), the rest of the gitops layer not run
    assert len(errors) == 2, proc.stdout[-3000:]
    assert "test_static_validation" in errors[0] and "test_argocd_crds" in errors[1]
    assert "platform repository: " in proc.stdout and ".copier-answers.yml: not found" in proc.stdout
    assert "Kubernetes API: kubeconfig: /nonexistent: no such file" in proc.stdout
    assert "not run: Kubernetes API unusable (kubeconfig: /nonexistent: no such file)" in proc.stdout
    assert "Traceback" not in proc.stdout


def test_status_rejects_an_unknown_layer_in_one_line(platform_repo, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    code = main(["status", "--layer", "network", "--platform-dir", str(platform_repo.root)])
    err = capsys.readouterr().err
    assert code == 2
    assert [line for line in err.splitlines() if line.strip()] == [
        "error: --layer: 'network' is not one of static, services, cluster, gitops, apps, aws"
    ]


def test_status_outside_a_platform_repo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["gitops-status"])
    err = capsys.readouterr().err
    assert code == 2 and "not inside a comind-ops platform repository" in err and "Traceback" not in err


def test_status_runs_the_suite_and_exits_1_on_failure(platform_repo, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    code = main(
        ["status", "--layer", "cluster", "--platform-dir", str(platform_repo.root), "--kubeconfig", "/nonexistent"]
    )
    assert code == 1


def test_status_inside_a_generated_platform_runs_the_installed_suite(
    platform_repo,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(platform_repo.root / "apps")  # found upwards, like every comind command
    report = tmp_path / "status.json"
    code = main(["status", "--layer", "static", "--json", str(report)])
    assert code == 0, capsys.readouterr().out[-3000:]
    layers = json.loads(report.read_text())["layers"]
    assert layers == {"static": {"PASS": 1, "WARN": 0, "FAIL": 0, "SKIP": 0, "seconds": layers["static"]["seconds"]}}


def test_local_runs_use_the_kubeconfig_bootstrap_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from comind_scaffold.bootstrap.options import LOCAL_KUBECONFIG
    from comind_scaffold.layers import VerifyOptions as Options
    from comind_scaffold.verifier.session import VerifySession
    from tests.helpers_services import write_platform

    monkeypatch.delenv("KUBECONFIG", raising=False)
    repo = write_platform(tmp_path, {"platform": "demo", "services": {}})
    session = VerifySession(Options(profile="local", platform_dir=str(repo.root)))
    assert session.kubeconfig() is None  # nothing written yet: kubectl's default
    (repo.root / LOCAL_KUBECONFIG).parent.mkdir(parents=True, exist_ok=True)
    (repo.root / LOCAL_KUBECONFIG).write_text("apiVersion: v1\n")
    assert VerifySession(Options(profile="local", platform_dir=str(repo.root))).kubeconfig() == str(
        repo.root / LOCAL_KUBECONFIG
    )
    assert VerifySession(Options(profile="aws", platform_dir=str(repo.root))).kubeconfig() is None
    explicit = VerifySession(Options(profile="local", platform_dir=str(repo.root), kubeconfig="/k"))
    assert explicit.kubeconfig() == "/k"


def test_every_verifier_option_is_one_flag_of_pytest_and_of_the_status_commands() -> None:
    from typer.main import get_command

    from comind_scaffold.cli import app
    from comind_scaffold.layers import OPTIONS

    table = [option.flag for option in OPTIONS]
    commands = get_command(app).commands
    flags = {name: [f for p in commands[name].params for f in p.opts if f != "--help"] for name in commands}
    assert flags["status"] == [*table, "--list"]
    assert flags["gitops-status"] == [flag for flag in table if flag != "--layer"]
    proc = _pytest("--help", cwd=ROOT)
    group = proc.stdout.split("comind-ops platform verifier (pytest verify/):\n")[1].split("\n\n")[0]
    assert [line.split()[0].split("=")[0] for line in group.splitlines() if line.startswith("  --")] == table


def test_options_reach_the_child_pytest_as_the_same_flags() -> None:
    from comind_scaffold.layers import VerifyOptions
    from comind_scaffold.verifier.run import verify_command

    options = VerifyOptions(profile="aws", layers=["apps", "aws"], envs=["dev", "prod"], wait=2.5, timeout=1.0,
                            platform_dir="/p", aws_profile="ci")
    argv = verify_command(options)
    flags = [arg for arg in argv if arg.startswith("--") and not arg.startswith(("--rootdir", "--tb"))]
    assert flags == ["--profile=aws", "--layer=apps", "--layer=aws", "--platform-dir=/p", "--env=dev", "--env=prod",
                     "--wait=2.5", "--aws-profile=ci", "--probe-timeout=1.0"]
    with pytest.raises(InputError) as err:
        verify_command(VerifyOptions(layers=["network"]))
    assert err.value.message == "--layer: 'network' is not one of static, services, cluster, gitops, apps, aws"


def test_layer_option_selects_like_a_marker(platform_repo) -> None:  # noqa: F811
    proc = _pytest(str(ROOT / "verify"), "--co", "-q", "--profile=local", "--layer=gitops", "--layer=static",
                   f"--platform-dir={platform_repo.root}", "--kubeconfig=/nonexistent")
    assert proc.returncode == 0, proc.stdout[-3000:]
    files = {line.split("::")[0].rsplit("/", 1)[-1] for line in proc.stdout.splitlines() if "::" in line}
    assert files == {"test_gitops.py", "test_static.py"}, proc.stdout[-3000:]


def test_status_list_shows_each_layers_checks_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from comind_scaffold.layers import APPS, GITOPS

    monkeypatch.chdir(tmp_path)  # no platform repository needed
    assert main(["status", "--list", "--layer", "gitops", "--layer", "apps"]) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines()]
    assert [line.split(":")[0] for line in lines if not line.startswith(("test_", "options"))] == ["gitops", "apps"]
    assert [line for line in lines if line.startswith("test_")] == [*GITOPS.checks, *APPS.checks]
    assert "options: --kubeconfig --context --wait --probe-timeout" in lines
    assert main(["status", "--list", "--profile", "local"]) == 0
    assert "aws: " not in capsys.readouterr().out


def test_static_validate_in_the_background_keeps_its_error_for_the_static_test(tmp_path: Path) -> None:
    """The background validate of an unusable platform raises nothing in its own thread (pytest would print that
    thread's traceback); the static test gets the error as one line."""
    import threading

    from comind_scaffold.errors import UserError
    from comind_scaffold.layers import VerifyOptions as Options
    from comind_scaffold.verifier.session import VerifySession

    raised: list[BaseException | None] = []
    previous, threading.excepthook = threading.excepthook, lambda args: raised.append(args.exc_value)
    try:
        session = VerifySession(Options(profile="local", platform_dir=str(tmp_path)))
        worker = threading.Thread(target=session.start_static)
        worker.start()
        worker.join()
    finally:
        threading.excepthook = previous
    assert raised == []
    with pytest.raises(UserError, match=r"platform repository: .*\.copier-answers\.yml: not found"):
        session.static_report()


def _fixture_closure(test: Callable[..., object]) -> set[str]:
    """The plugin's fixtures a suite test requests, directly or through other fixtures (as pytest resolves them)."""
    import inspect

    from comind_scaffold.verifier import plugin

    fixtures = {name: obj for name, obj in vars(plugin).items() if isinstance(obj, type(plugin.platform))}
    found: set[str] = set()
    todo = list(inspect.signature(test).parameters)
    while todo:
        name = todo.pop()
        if name in fixtures and name not in found:
            found.add(name)
            todo += inspect.signature(fixtures[name]).parameters
    return found


def test_every_target_a_layer_reaches_has_its_fixtures_in_the_plugin() -> None:
    from comind_scaffold import layers
    from comind_scaffold.verifier import collection, plugin

    declared = {target for layer in layers.LAYERS for target in layer.targets} - {layers.REPOSITORY}
    assert set(collection.REACHES) == declared
    fixtures = {name for name, obj in vars(plugin).items() if isinstance(obj, type(plugin.platform))}
    for reach in collection.REACHES.values():
        assert {reach.value, reach.probe} - {""} <= fixtures, reach


def test_each_suite_test_needs_a_target_of_its_own_layer_through_its_fixtures() -> None:
    """A fixture built on a target must request that target's fixture, or its tests would not be reported as
    not run (only skipped one by one) when the target is unusable."""
    import importlib

    from comind_scaffold import layers
    from comind_scaffold.verifier.collection import REACHES, needed_target

    for layer in layers.LAYERS:
        module = importlib.import_module(layer.module)
        reached_by_layer: set[str] = set()
        for check in layer.checks:
            names = _fixture_closure(getattr(module, check))
            reached = {t for t, reach in REACHES.items() if {reach.value, reach.probe} & names}
            reached_by_layer |= reached
            assert reached <= set(layer.targets), (layer.name, check, reached)
            assert len(reached) == (layer is not layers.STATIC), (layer.name, check, reached)
            by_value = {t for t, reach in REACHES.items() if reach.value in names}  # not the probe's test
            assert needed_target(names) == next(iter(by_value), None), (layer.name, check)
        assert reached_by_layer == set(layer.targets) - {layers.REPOSITORY}, layer.name
