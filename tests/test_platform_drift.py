"""The repository's own Makefile, infra/docker, k8s/kustomize and k8s/platform (and infra/terraform once the
template has it) must be exactly templates/platform rendered with the root .copier-answers.yml — after the team
projects' destinations are rewritten for the repo's apps, which `comind new-app` maintains."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.helpers_platform import ROOT, apply_app_projects, drift, render_platform, root_answers


def test_repo_platform_files_are_the_template_rendered(tmp_path: Path) -> None:
    rendered = render_platform(tmp_path / "render", root_answers())
    apply_app_projects(rendered, ROOT)
    problems = drift(rendered, ROOT)
    assert not problems, "re-render with `python -m tests.helpers_platform`:\n" + "\n".join(problems)


def test_drift_names_every_differing_file(tmp_path: Path) -> None:
    rendered = render_platform(tmp_path / "render", root_answers())
    repo = tmp_path / "repo"
    for part in ("Makefile", "infra", "k8s", "verify"):
        source = rendered / part
        if source.is_file():
            (repo / part).parent.mkdir(parents=True, exist_ok=True)
            (repo / part).write_bytes(source.read_bytes())
        else:
            shutil.copytree(source, repo / part)
    assert drift(rendered, repo) == []
    (repo / "Makefile").write_text("changed\n")
    (repo / "k8s/kustomize/root-app.yaml").unlink()
    (repo / "k8s/platform/base/stray.yaml").write_text("kind: Stray\n")
    assert drift(rendered, repo) == [
        "missing from the repo: k8s/kustomize/root-app.yaml",
        "not rendered by the template: k8s/platform/base/stray.yaml",
        "differs from the render: Makefile",
    ]
