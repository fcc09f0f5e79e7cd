"""What a platform repository says should be in the cluster: app/env pairs and the objects their overlays render.

Overlays are rendered by the real kustomize, many at a time (`_kustomize.Kustomizer`), and kept in the
platform's git-ignored `.comind/cache/rendered/`: kustomize costs tens of milliseconds per overlay, which for
600 overlays would dwarf every API call of a run, so only overlays whose files changed are rendered again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from comind_scaffold import constants as c
from comind_scaffold._kube import Obj
from comind_scaffold._kustomize import Kustomizer, kustomize_command
from comind_scaffold.errors import ToolNotFoundError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.specs import AppSpec


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
        """Each app overlay rendered, grouped by namespace; unchanged overlays come from the render cache."""
        overlays = {pair.namespace: pair.overlay(self.repo) for pair in self.app_envs}
        present = {ns: path for ns, path in overlays.items() if (path / "kustomization.yaml").is_file()}
        result = Rendered(
            errors={ns: f"{path}: no kustomization.yaml" for ns, path in overlays.items() if ns not in present}
        )
        if not present:
            return result
        try:
            command = kustomize_command()
        except ToolNotFoundError as err:
            result.errors.update({ns: f"{err.message}: cannot render the overlay" for ns in present})
            return result
        cache = RenderCache(self.repo.root / c.LOCAL_STATE_DIR / "cache" / "rendered", " ".join(command))
        keys = {ns: cache.key(path.parents[1]) for ns, path in present.items()}
        for ns in present:
            cached = cache.load(ns, keys[ns])
            if cached is not None:
                result.objects[ns] = cached
        missing = {ns: path for ns, path in present.items() if ns not in result.objects}
        if missing:
            with Kustomizer(command) as kustomizer:
                builds = kustomizer.build_many(missing.values())
            for ns, path in missing.items():
                build = builds[path.resolve()]
                if build.ok:
                    result.objects[ns] = [dict(o) for o in build.objects]
                    cache.store(ns, keys[ns], result.objects[ns])
                else:
                    result.errors[ns] = f"{path}: {build.error}"
        return result

    def objects(self, namespace: str, kind: str) -> list[Obj]:
        """Return rendered objects of `kind` for an app namespace."""
        return [o for o in self.rendered.objects.get(namespace, []) if o.get("kind") == kind]


class RenderCache:
    """Rendered overlays kept in the platform's local state folder, keyed by the app's k8s files.

    A render is reused only when every file under the app's `k8s/` folder and the kustomize command are the
    same as when it was stored, so a cached render is always what kustomize would print now.
    """

    def __init__(self, folder: Path, command: str) -> None:
        self.folder = folder
        self.command = command

    def key(self, k8s_dir: Path) -> str:
        """Return a digest of the kustomize command and every file under the app's k8s folder."""
        digest = hashlib.sha256(self.command.encode())
        for path in sorted(p for p in k8s_dir.rglob("*") if p.is_file()):
            digest.update(str(path.relative_to(k8s_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def load(self, namespace: str, key: str) -> list[Obj] | None:
        """Return the stored render of `namespace` when it was made from the same files."""
        try:
            data = json.loads((self.folder / f"{namespace}.json").read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        objects = data.get("objects")
        return objects if isinstance(objects, list) else None

    def store(self, namespace: str, key: str, objects: list[Obj]) -> None:
        """Keep a render for the next run; a folder that cannot be written only means no cache."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{namespace}.json.tmp"
            tmp.write_text(json.dumps({"key": key, "objects": objects}))
            tmp.replace(self.folder / f"{namespace}.json")
        except OSError:
            return
