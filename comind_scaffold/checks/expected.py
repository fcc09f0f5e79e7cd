"""What a platform repository says should be in the cluster: app/env pairs and the objects their overlays render.

Overlays are rendered by the real kustomize, many at a time (`_kustomize.Kustomizer`), through the platform's
render cache (`_render_cache`): only overlays whose inputs changed since any earlier render (by `comind
validate`, the static layer, or an earlier run) are rendered again. Rendering starts as early as the caller
asks (`start_rendering`), so it overlaps the cluster layers' API calls.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from comind_scaffold import constants as c
from comind_scaffold._kube import Obj
from comind_scaffold._kustomize import Kustomizer
from comind_scaffold._kustomize_output import KustomizeBuild
from comind_scaffold._render_cache import RenderCache
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
        self._lock = threading.Lock()
        self._pending: tuple[dict[str, Path], dict[str, str], dict[str, Future[KustomizeBuild]]] | None = None
        self._kustomizer: Kustomizer | None = None
        self._done: dict[str, tuple[list[Obj], str | None]] = {}
        self._waiting = 0  # overlays submitted whose render nobody has collected yet

    @cached_property
    def app_envs(self) -> list[AppEnv]:
        """Every (app, env) the apps layer checks, in a stable order."""
        return [AppEnv(app, env) for app in self.repo.apps for env in app.environments if env in self.envs]

    def start_rendering(self) -> None:
        """Start rendering every overlay in the background (idempotent)."""
        with self._lock:
            if self._pending is not None:
                return
            overlays = {pair.namespace: pair.overlay(self.repo) for pair in self.app_envs}
            present = {ns: path for ns, path in overlays.items() if (path / "kustomization.yaml").is_file()}
            errors = {ns: f"{path}: no kustomization.yaml" for ns, path in overlays.items() if ns not in present}
            futures: dict[str, Future[KustomizeBuild]] = {}
            if present:
                try:
                    self._kustomizer = Kustomizer(cache=RenderCache(self.repo.root / c.RENDER_CACHE_DIR))
                    submitted = self._kustomizer.submit_many(present.values())
                    futures = {ns: submitted[path.resolve()] for ns, path in present.items()}
                    self._waiting = len(futures)
                except ToolNotFoundError as err:
                    errors.update({ns: f"{err.message}: cannot render the overlay" for ns in present})
            self._pending = (present, errors, futures)

    def render(self, namespace: str) -> tuple[list[Obj], str | None]:
        """The objects the overlay of `namespace` renders and why it could not, waiting for that overlay only.

        Checks of one app can then run while kustomize still renders the others.
        """
        self.start_rendering()
        assert self._pending is not None
        present, errors, futures = self._pending
        with self._lock:
            done = self._done.get(namespace)
        if done is not None:
            return done
        if namespace in errors or namespace not in futures:
            done = ([], errors.get(namespace))
        else:
            build = futures[namespace].result()
            error = None if build.ok else f"{present[namespace]}: {build.error}"
            done = ([dict(o) for o in build.objects], error)
        with self._lock:
            if namespace not in self._done:
                self._done[namespace] = done
                self._waiting -= namespace in futures
            finished = self._waiting == 0
        if finished and self._kustomizer is not None:
            self._kustomizer.close()  # idle now; also drops renders unused for weeks
        return done

    @cached_property
    def rendered(self) -> Rendered:
        """Every app overlay rendered, grouped by namespace (waits for all of them)."""
        self.start_rendering()
        assert self._pending is not None
        present, errors, futures = self._pending
        result = Rendered()
        for ns in [*errors, *futures]:
            objects, error = self.render(ns)
            if error is not None:
                result.errors[ns] = error
            else:
                result.objects[ns] = objects
        return result

    @property
    def render_cache_hits(self) -> int:
        """How many overlays came from the render cache rather than kustomize."""
        cache = self._kustomizer.cache if self._kustomizer else None
        return cache.hits if cache else 0

    def objects(self, namespace: str, kind: str) -> list[Obj]:
        """Return rendered objects of `kind` for an app namespace."""
        return [o for o in self.render(namespace)[0] if o.get("kind") == kind]
