"""What a platform repository says should be in the cluster: app/env pairs and the objects their overlays render.

All overlays are rendered by ONE `kubectl kustomize` run over a throw-away kustomization that lists them
(relative paths, in a temporary folder outside the repo), so 600 overlays cost one process, not 600.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from comind_scaffold import constants as c
from comind_scaffold._kube import Obj
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import AppSpec

RENDER_TIMEOUT = 120.0


@dataclass(frozen=True)
class AppEnv:
    """One app in one environment (the unit the apps layer checks)."""

    app: AppSpec
    env: str

    @property
    def namespace(self) -> str:
        """`<app>-<env>`."""
        return self.app.namespace(self.env)

    @property
    def id(self) -> str:
        """Test id: `<app>-<env>`."""
        return self.namespace

    def overlay(self, repo: PlatformRepo) -> Path:
        """Return the overlay folder Argo CD deploys."""
        return repo.app_dir(self.app.app_name) / c.APP_K8S_OVERLAYS / self.env


@dataclass
class Rendered:
    """Objects rendered per namespace, plus why some overlays could not be rendered."""

    objects: dict[str, list[Obj]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class Expected:
    """The platform's declared state, for the environments being verified.

    Attributes:
        repo: The platform repository.
        envs: Environments to verify (all of the platform's when none are given).

    """

    def __init__(self, repo: PlatformRepo, envs: list[str] | None = None) -> None:
        self.repo = repo
        self.envs = list(envs) if envs else list(repo.spec.environments)

    @cached_property
    def app_envs(self) -> list[AppEnv]:
        """Every (app, env) the apps layer checks, in a stable order."""
        return [AppEnv(app, env) for app in self.repo.apps for env in app.environments if env in self.envs]

    @cached_property
    def rendered(self) -> Rendered:
        """Each app overlay rendered, grouped by namespace (`{}` with an error when kubectl is missing)."""
        overlays = {pair.namespace: pair.overlay(self.repo) for pair in self.app_envs}
        present = {ns: path for ns, path in overlays.items() if (path / "kustomization.yaml").is_file()}
        result = Rendered(
            errors={ns: f"{path}: no kustomization.yaml" for ns, path in overlays.items() if ns not in present}
        )
        if not present:
            return result
        if shutil.which("kubectl") is None:
            result.errors.update({ns: "kubectl not found on PATH: cannot render the overlay" for ns in present})
            return result
        try:
            docs = _render_together(list(present.values()))
        except RuntimeError:
            docs = []
            for ns, path in present.items():  # one broken overlay must not hide the others
                try:
                    docs += _render_together([path])
                except RuntimeError as err:
                    result.errors[ns] = str(err)
        grouped: dict[str, list[Obj]] = defaultdict(list)
        for doc in docs:
            meta = doc.get("metadata") or {}
            owner = str(meta.get("name") if doc.get("kind") == "Namespace" else meta.get("namespace"))
            if owner in present:
                grouped[owner].append(doc)
        result.objects = dict(grouped)
        return result

    def objects(self, namespace: str, kind: str) -> list[Obj]:
        """Return rendered objects of `kind` for an app namespace."""
        return [o for o in self.rendered.objects.get(namespace, []) if o.get("kind") == kind]


def _render_together(overlays: list[Path]) -> list[Obj]:
    with tempfile.TemporaryDirectory(prefix="comind-render-") as tmp:
        entries = [os.path.relpath(path, tmp) for path in overlays]
        (Path(tmp) / "kustomization.yaml").write_text(yaml.safe_dump({"resources": entries}))
        try:
            proc = subprocess.run(
                ["kubectl", "kustomize", tmp], capture_output=True, text=True, timeout=RENDER_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(f"kubectl kustomize: no answer within {RENDER_TIMEOUT:.0f}s") from err
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()] or ["failed"]
        raise RuntimeError(f"kubectl kustomize: {lines[-1][:300]}")
    return [doc for doc in yaml.load_all(proc.stdout, Loader=_loader()) if isinstance(doc, dict)]


def _loader() -> type[yaml.SafeLoader]:
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader
