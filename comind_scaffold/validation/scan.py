"""One pass over a folder: what it declares, its YAML files, and the kustomize builds it needs.

Works on a comind-ops platform repository (answers, apps, overlays, Argo CD manifests) and on anything else:
a plain kustomize folder, a folder of YAML, a single file. Builds start as soon as the kustomizations are
known and run while the YAML files are read.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from comind_scaffold import constants as c
from comind_scaffold import layers
from comind_scaffold._kustomize import KUSTOMIZATION_FILES, Kustomizer
from comind_scaffold._kustomize_output import KustomizeBuild
from comind_scaffold._render_cache import RenderCache, kustomization_file, references
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.models import CheckResult, failed, skipped
from comind_scaffold.specs import AppSpec, PlatformSpec, load_app_spec, load_platform_spec
from comind_scaffold.validation.objects import RenderedObject, YamlFile, read_yaml_file
from comind_scaffold.validation.schemas import ArgoCDSchemas, SchemaSet

__all__ = ["IGNORED_DIRS", "RepoScan", "scan"]

LAYER = layers.STATIC.name
# Never read: VCS data, tool caches, and `.comind/` (git-ignored local-only state such as generated credentials).
IGNORED_DIRS = frozenset(
    {
        ".git",
        c.LOCAL_STATE_DIR,
        ".terraform",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    }
)
YAML_SUFFIXES = (".yaml", ".yml")
_OVERLAY = re.compile(rf"(?:^|/){c.APPS_DIR}/([^/]+)/{c.APP_K8S_OVERLAYS}/([^/]+)$")
_ANY_OVERLAY = re.compile(r"(?:^|/)overlays/([^/]+)$")


def _is_platform(folder: Path) -> bool:
    return (folder / c.PLATFORM_ANSWERS).is_file() and (folder / c.SERVICES_FILE).is_file()


def _walk(root: Path, nested: list[Path]) -> Iterator[Path]:
    """Files below `root`, without ignored folders and without other platform repositories (added to `nested`)."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here != root and _is_platform(here):
            nested.append(here)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        for name in sorted(files):
            yield here / name


@dataclass
class RepoScan:
    """What one folder holds, read once; the input of every static check.

    Attributes:
        root: The validated folder (absolute).
        platform: The platform's answers, when the folder is a comind-ops platform repository.
        apps: The apps' answers (empty outside a platform repository).
        problems: Failures met while reading (answers files that cannot be used).
        yaml_files: Every YAML file outside ignored folders.
        files: Every file outside ignored folders.
        kustomizations: Every folder holding a kustomization file.
        build_roots: The kustomizations to build: those no other one includes, plus every app overlay.
        referenced: Every file and folder some kustomization reads.
        schemas: The schema set for the platform's Kubernetes version and the chosen Argo CD schemas.
        kustomizer: Builds folders; shared so that no folder is built twice.

    """

    root: Path
    platform: PlatformSpec | None
    apps: list[AppSpec]
    problems: list[CheckResult]
    files: list[Path]
    yaml_files: list[YamlFile]
    kustomizations: set[Path]
    build_roots: list[Path]
    referenced: set[Path]
    schemas: SchemaSet
    kustomizer: Kustomizer
    _futures: dict[Path, Future[KustomizeBuild]] = field(default_factory=dict, repr=False)

    def rel(self, path: Path) -> str:
        """`path` relative to the root ('.' for the root itself)."""
        try:
            return path.relative_to(self.root).as_posix() or "."
        except ValueError:
            return str(path)

    def build(self, folder: Path) -> KustomizeBuild:
        """The build of one folder (started on demand when it is not a build root)."""
        return self.kustomizer.build(folder)

    @cached_property
    def builds(self) -> dict[Path, KustomizeBuild]:
        """The build of every build root (waits for them)."""
        return {path: self._futures[path].result() for path in self.build_roots}

    def overlay_of(self, folder: Path) -> tuple[str | None, str | None]:
        """(app, env) of a build folder: from `apps/<app>/k8s/overlays/<env>`, else env from `overlays/<env>`."""
        rel = self.rel(folder)
        match = _OVERLAY.search(rel)
        if match:
            return match.group(1), match.group(2)
        generic = _ANY_OVERLAY.search(rel)
        return None, generic.group(1) if generic else None

    @cached_property
    def unreferenced(self) -> list[str]:
        """YAML files inside a kustomization's folder that no kustomization reads (so they are never deployed)."""
        covered = tuple(f"{k}/" for k in self.kustomizations)
        found = []
        for yaml_file in self.yaml_files:
            path = yaml_file.path
            if path.name in KUSTOMIZATION_FILES or not str(path).startswith(covered) or path in self.referenced:
                continue
            found.append(yaml_file.rel)
        return found

    @cached_property
    def loose_objects(self) -> list[RenderedObject]:
        """Objects in YAML files no kustomization renders (Argo CD manifests, plain YAML folders, stray files)."""
        covered = tuple(f"{k}/" for k in self.kustomizations)
        unreferenced = set(self.unreferenced)
        objects = []
        for yaml_file in self.yaml_files:
            if str(yaml_file.path).startswith(covered) and yaml_file.rel not in unreferenced:
                continue
            for doc in yaml_file.docs:
                if isinstance(doc, dict) and "apiVersion" in doc and "kind" in doc:
                    app, env = _labels_app_env(doc)
                    objects.append(RenderedObject(doc, yaml_file.rel, app, env))
        return objects

    @cached_property
    def objects(self) -> list[RenderedObject]:
        """Every rendered object: build outputs of the build roots, then loose objects."""
        found: list[RenderedObject] = []
        for path, build in self.builds.items():
            app, env = self.overlay_of(path)
            source = self.rel(path)
            found.extend(RenderedObject(obj, source, app, env) for obj in build.objects)
        return found + self.loose_objects

    def app(self, name: str | None) -> AppSpec | None:
        """The answers of app `name`, when it exists."""
        return next((a for a in self.apps if a.app_name == name), None)


def _labels_app_env(doc: dict[str, Any]) -> tuple[str | None, str | None]:
    labels = (doc.get("metadata") or {}).get("labels") if isinstance(doc.get("metadata"), dict) else None
    if not isinstance(labels, dict):
        return None, None
    app, env = labels.get(c.LABEL_APP), labels.get(c.LABEL_ENV)
    return (str(app) if app else None), (str(env) if env else None)


def _read_specs(root: Path) -> tuple[PlatformSpec | None, list[AppSpec], list[CheckResult]]:
    problems: list[CheckResult] = []
    platform = None
    answers = root / c.PLATFORM_ANSWERS
    is_platform = _is_platform(root) or (answers.is_file() and (root / c.APPS_DIR).is_dir())
    if is_platform:
        try:
            platform = load_platform_spec(answers)
        except (InputError, TemplateError) as err:
            problems.append(failed("answers", LAYER, c.PLATFORM_ANSWERS, err.message))
    apps = []
    for path in sorted((root / c.APPS_DIR).glob(f"*/{c.APP_ANSWERS}")) if is_platform else []:
        try:
            apps.append(load_app_spec(path))
        except (InputError, TemplateError) as err:
            problems.append(failed("answers", LAYER, path.relative_to(root).as_posix(), err.message))
    return platform, apps, problems


def scan(
    path: Path | str,
    *,
    argocd: ArgoCDSchemas | None = None,
    kustomizer: Kustomizer | None = None,
) -> RepoScan:
    """Read a folder (or one file) and start building its kustomizations.

    Args:
        path: A platform repository, any folder, or a single YAML file.
        argocd: Argo CD schemas (default: `ArgoCDSchemas.resolve()`).
        kustomizer: The builder to use; a new one when omitted (the caller closes it via `RepoScan.kustomizer`).

    Raises:
        InputError: `path` does not exist.
        ToolNotFoundError: Kustomizations exist but neither kustomize nor kubectl is installed.

    """
    target = Path(path).expanduser()
    if not target.exists():
        raise InputError("path", f"{path} does not exist")
    target = target.resolve()
    root = target if target.is_dir() else target.parent
    nested: list[Path] = []
    files = list(_walk(target, nested)) if target.is_dir() else [target]
    platform, apps, problems = _read_specs(root) if target.is_dir() else (None, [], [])
    problems += [
        skipped("nested-platform", LAYER, _rel(root, n), "another platform repository: validate it on its own")
        for n in nested
    ]

    manifests = _manifest_files(root, files) if platform is not None else files
    folders = sorted({f.parent for f in manifests if f.name in KUSTOMIZATION_FILES})
    referenced: set[Path] = set()
    for folder in folders:
        file = kustomization_file(folder)
        if file is not None:
            referenced |= references(folder, file)
    overlays = [root / c.APPS_DIR / app.app_name / c.APP_K8S_OVERLAYS / env for app in apps for env in app.environments]
    known = set(folders)
    roots = [f for f in folders if f not in referenced]
    roots += [o for o in overlays if o in known and o in referenced]

    # In a platform repository renders are shared with earlier runs and with the verifier (see _render_cache).
    kustomizer = kustomizer or Kustomizer(cache=RenderCache(root / c.RENDER_CACHE_DIR) if platform else None)
    futures = kustomizer.submit_many(roots)
    yaml_files = [read_yaml_file(f, _rel(root, f)) for f in manifests if f.suffix in YAML_SUFFIXES]
    version = (platform or PlatformSpec()).kubernetes_version
    return RepoScan(
        root=root,
        platform=platform,
        apps=apps,
        problems=problems,
        files=files,
        yaml_files=yaml_files,
        kustomizations=set(folders),
        build_roots=roots,
        referenced=referenced,
        schemas=SchemaSet(version, argocd if argocd is not None else ArgoCDSchemas.resolve()),
        kustomizer=kustomizer,
        _futures=futures,
    )


def _manifest_files(root: Path, files: list[Path]) -> list[Path]:
    """In a platform repository, the files that can be deployed: top-level ones and those under apps/, k8s/, infra/.

    Test fixtures, docs or tools elsewhere are not manifests of this platform (the secret scan still reads them).
    """
    return [f for f in files if len(parts := f.relative_to(root).parts) == 1 or parts[0] in c.PLATFORM_MANIFEST_DIRS]


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
