"""Offline checks of a platform repository (layer `static`), run by `comind validate` and `pytest verify/`.

Every check takes a `RepoScan` (`comind_scaffold.validation.scan.scan`) and returns `CheckResult`s: one FAIL per
finding, naming the file or object and the rule, and one PASS summing up when nothing was found.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from comind_scaffold import constants as c
from comind_scaffold.errors import InputError, TemplateError
from comind_scaffold.models import CheckResult, failed, passed, skipped, warned
from comind_scaffold.naming import check_app_name, check_bucket_names
from comind_scaffold.repo_urls import same_repo
from comind_scaffold.specs import load_services_spec
from comind_scaffold.validation.objects import POD_SPEC_PATHS, RenderedObject, containers
from comind_scaffold.validation.pod_security import pod_violations
from comind_scaffold.validation.project_scope import project_overreach
from comind_scaffold.validation.scan import RepoScan
from comind_scaffold.validation.secrets import is_scanned, scan_file

__all__ = [
    "ALL_CHECKS",
    "check_answers",
    "check_applications",
    "check_builds",
    "check_containers",
    "check_image_tags",
    "check_namespaces",
    "check_network_policies",
    "check_plaintext_secrets",
    "check_pod_security",
    "check_project_privileges",
    "check_schemas",
    "check_service_ports",
    "check_unique_names",
    "check_yaml_syntax",
    "run_static_checks",
]

LAYER = "static"
ARGOCD_GROUP = "argoproj.io/"
ARGOCD_API = "argoproj.io/v1alpha1"
PROJECTS_DIR = f"{c.KUSTOMIZE_ROOT}/projects"
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
DEV_ENVIRONMENT = "dev"
# Settings the app template renders into each app's ConfigMap, and the kind of name each one holds.
_RENDERED_NAMES = {
    "DATABASE_NAME": "database",
    "S3_BUCKET": "bucket",
    "QUEUE_NAME": "queue",
    "DEAD_LETTER_QUEUE_NAME": "queue",
}


def _ok(name: str, obj: str, message: str, findings: list[CheckResult]) -> list[CheckResult]:
    return findings or [passed(name, LAYER, obj, message)]


def _misnamed_apps(scan: RepoScan) -> Iterator[CheckResult]:
    platform = scan.platform.platform_name if scan.platform else ""
    for app in scan.apps:
        try:
            check_app_name(app.app_name, app.environments)
            if app.with_storage and platform:
                check_bucket_names(app.app_name, [app.bucket(platform, env) for env in app.environments])
        except InputError as err:
            yield failed("answers", LAYER, f"app {app.app_name!r}", f"app_name: {err.rule}")


def check_answers(scan: RepoScan) -> list[CheckResult]:
    """The platform's and every app's answers files can be read, and each app's name follows the naming rule."""
    problems = [p for p in scan.problems if not p.ok] + list(_misnamed_apps(scan))
    notes = [p for p in scan.problems if p.ok]
    if scan.platform is None and not problems:
        return [skipped("answers", LAYER, ".", "not a comind-ops platform repository: platform checks skipped"), *notes]
    return _ok("answers", c.PLATFORM_ANSWERS, f"platform and {len(scan.apps)} app(s) read", problems) + notes


def check_yaml_syntax(scan: RepoScan) -> list[CheckResult]:
    """Every YAML file parses (and, outside kustomizations, its values can be constructed)."""
    scan.loose_objects  # noqa: B018 - constructs the documents the other checks read, recording failures
    findings = [failed("yaml.syntax", LAYER, f.rel, f.error) for f in scan.yaml_files if f.error]
    if not scan.yaml_files:
        return [skipped("yaml.syntax", LAYER, scan.rel(scan.root), "no YAML files found")]
    return _ok("yaml.syntax", ".", f"{len(scan.yaml_files)} YAML file(s) parse", findings)


def check_builds(scan: RepoScan) -> list[CheckResult]:
    """Every kustomization that is not part of another builds, and every declared app overlay exists."""
    results = []
    for path, build in scan.builds.items():
        if build.error is None:
            results.append(passed("kustomize.build", LAYER, scan.rel(path), f"builds ({len(build.objects)} objects)"))
        else:
            results.append(failed("kustomize.build", LAYER, scan.rel(path), build.error))
    entry_points = {o.source for o in scan.loose_objects if o.api_version.startswith(ARGOCD_GROUP)}
    for rel in scan.unreferenced:
        if rel in entry_points:
            continue  # an Argo CD manifest applied on its own, like the root app-of-apps
        results.append(
            warned(
                "kustomize.unreferenced",
                LAYER,
                rel,
                "inside a kustomization's folder but read by no kustomization: it is never deployed",
                hint="list it in the kustomization (resources, patches, generators) or move it out",
            )
        )
    for app in scan.apps:
        for env in app.environments:
            overlay = scan.root / c.APPS_DIR / app.app_name / c.APP_K8S_OVERLAYS / env
            if overlay not in scan.kustomizations:
                results.append(
                    failed(
                        "kustomize.overlay",
                        LAYER,
                        scan.rel(overlay),
                        f"app {app.app_name} declares environment {env} but has no kustomization here",
                    )
                )
    return results


def check_schemas(scan: RepoScan) -> list[CheckResult]:
    """Every rendered object is valid against the schema of its kind (unknown fields fail)."""
    findings: list[CheckResult] = []
    unknown: dict[tuple[str, str], str] = {}
    valid = 0
    for obj in scan.objects:
        validator = scan.schemas.validator(obj.api_version, obj.kind) if obj.api_version and obj.kind else None
        if validator is None:
            unknown.setdefault((obj.api_version, obj.kind), obj.source)
            continue
        issue = validator.first_issue(obj.data)
        if issue is None:
            valid += 1
        else:
            findings.append(failed("schema", LAYER, obj.ref, str(issue)))
    versions = f"Kubernetes {scan.schemas.kubernetes.version}, Argo CD {scan.schemas.argocd.source}"
    results = _ok("schema", ".", f"{valid} object(s) valid ({versions})", findings)
    for (api_version, kind), source in sorted(unknown.items()):
        results.append(
            skipped("schema", LAYER, f"{kind or '?'} {api_version or '?'} ({source})", "no schema for this kind")
        )
    return results


def _claims(scan: RepoScan) -> dict[str, dict[str, set[str]]]:
    """What each app claims, by kind of name: {'namespace': {'shop-dev': {'shop'}}, …}."""
    claims: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    platform = scan.platform.platform_name if scan.platform else ""
    domain = scan.platform.local_domain if scan.platform else ""
    for app in scan.apps:
        for env in app.environments:
            claims["namespace"][app.namespace(env)].add(app.app_name)
            if app.with_database:
                claims["database"][app.database(env)].add(app.app_name)
            if app.with_storage:
                claims["bucket"][app.bucket(platform, env)].add(app.app_name)
            if app.with_queue:
                claims["queue"][app.queue(env)].add(app.app_name)
                claims["queue"][app.queue(env) + "-dlq"].add(app.app_name)
            if app.ingress:
                claims["ingress host"][app.host(env, domain)].add(app.app_name)
    for obj in scan.objects:
        owner = obj.app or obj.source
        if obj.kind == "Ingress":
            for rule in obj.get_list("spec", "rules"):
                if isinstance(rule, dict) and rule.get("host"):
                    claims["ingress host"][str(rule["host"])].add(owner)
        if not obj.app or obj.api_version == ARGOCD_API:
            continue
        if obj.namespace:
            claims["namespace"][obj.namespace].add(owner)
        if obj.kind == "ConfigMap" and isinstance(obj.get("data"), dict):
            for key, what in _RENDERED_NAMES.items():
                if obj.data["data"].get(key):
                    claims[what][str(obj.data["data"][key])].add(owner)
    return claims


def check_unique_names(scan: RepoScan) -> list[CheckResult]:
    """No two apps share a namespace, database, bucket, queue or ingress host (declared or rendered)."""
    findings = []
    seen: dict[str, int] = defaultdict(int)
    for app in scan.apps:
        seen[app.app_name] += 1
    for name, count in sorted(seen.items()):
        if count > 1:
            findings.append(failed("unique.app", LAYER, name, f"{count} answers files under apps/ declare this app"))
    for what, names in sorted(_claims(scan).items()):
        for name, owners in sorted(names.items()):
            if len(owners) > 1:
                listed = ", ".join(sorted(owners))
                findings.append(failed(f"unique.{what.replace(' ', '-')}", LAYER, name, f"{what} claimed by {listed}"))
    return _ok("unique", ".", "namespaces, databases, buckets, queues and ingress hosts are unique", findings)


def check_namespaces(scan: RepoScan) -> list[CheckResult]:
    """Every namespaced object of an app overlay lives in the app's `<app>-<env>` namespace."""
    findings = []
    for obj in scan.objects:
        app = scan.app(obj.app)
        if app is None or obj.env is None or obj.kind in ("Namespace", "Application", "AppProject"):
            continue
        expected = app.namespace(obj.env)
        if obj.namespace and obj.namespace != expected:
            findings.append(failed("namespace", LAYER, obj.ref, f"is in namespace {obj.namespace}, not {expected}"))
    return _ok("namespace", ".", "app objects live in <app>-<env>", findings)


def _argocd(scan: RepoScan, kind: str) -> list[RenderedObject]:
    return [o for o in scan.objects if o.kind == kind and o.api_version == ARGOCD_API]


def _declared_projects(scan: RepoScan) -> dict[str, RenderedObject]:
    """AppProjects committed under k8s/kustomize/projects/ (or, outside a platform repo, anywhere)."""
    if scan.platform is None:
        return {p.name: p for p in _argocd(scan, "AppProject")}
    found = {}
    for yaml_file in scan.yaml_files:
        if yaml_file.rel.startswith(PROJECTS_DIR + "/"):
            for doc in yaml_file.docs:
                if isinstance(doc, dict) and doc.get("kind") == "AppProject":
                    obj = RenderedObject(doc, yaml_file.rel)
                    found[obj.name] = obj
    return found


def _sources(app: RenderedObject) -> list[dict[str, object]]:
    sources = [app.get("spec", "source"), *app.get_list("spec", "sources")]
    return [s for s in sources if isinstance(s, dict)]


def _check_source_path(scan: RepoScan, app: RenderedObject, source: dict[str, object]) -> CheckResult | None:
    path = source.get("path")
    if not isinstance(path, str) or source.get("chart"):
        return None
    repo_url = str(source.get("repoURL") or "")
    if scan.platform is not None and not same_repo(repo_url, scan.platform.repo_url):
        return skipped("argocd.source", LAYER, app.ref, f"source {repo_url} is another repository: path not checked")
    folder = (scan.root / path).resolve()
    if not folder.is_dir() or not (folder == scan.root or scan.root in folder.parents):
        return failed("argocd.source", LAYER, app.ref, f"source.path {path} does not exist in the repository")
    if folder in scan.kustomizations:
        build = scan.build(folder)
        if build.error is not None:
            return failed("argocd.source", LAYER, app.ref, f"source.path {path} does not build: {build.error}")
    return None


def _app_and_env(scan: RepoScan, app: RenderedObject) -> tuple[str | None, str | None]:
    name, env = app.labels.get(c.LABEL_APP), app.labels.get(c.LABEL_ENV)
    for source in _sources(app):
        if isinstance(source.get("path"), str):
            path_app, path_env = scan.overlay_of(scan.root / str(source["path"]))
            name, env = name or path_app, env or path_env
    return (str(name) if name else None), (str(env) if env else None)


def _destination_allowed(project: RenderedObject, server: str, namespace: str) -> bool:
    for dest in project.get_list("spec", "destinations"):
        if not isinstance(dest, dict):
            continue
        server_ok = fnmatch.fnmatchcase(server, str(dest.get("server") or "")) if dest.get("server") else True
        if server_ok and fnmatch.fnmatchcase(namespace, str(dest.get("namespace") or "")):
            return True
    return False


def check_applications(scan: RepoScan) -> list[CheckResult]:
    """Each Application's source builds; its app's ones deploy to `<app>-<env>` in project `<team>`, which allows it."""
    projects = _declared_projects(scan)
    findings: list[CheckResult] = []
    applications = _argocd(scan, "Application")
    for application in applications:
        for source in _sources(application):
            result = _check_source_path(scan, application, source)
            if result is not None:
                findings.append(result)
        project = application.get_str("spec", "project")
        namespace = application.get_str("spec", "destination", "namespace")
        server = application.get_str("spec", "destination", "server")
        app_name, env = _app_and_env(scan, application)
        app = scan.app(app_name)
        if app is not None and env is not None:
            if namespace != app.namespace(env):
                findings.append(
                    failed(
                        "argocd.destination",
                        LAYER,
                        application.ref,
                        f"deploys to {namespace or '(none)'}, not the app's namespace {app.namespace(env)}",
                    )
                )
            if project != app.team:
                findings.append(
                    failed("argocd.project", LAYER, application.ref, f"is in project {project}, not team {app.team}")
                )
        if not project:
            findings.append(failed("argocd.project", LAYER, application.ref, "has no spec.project"))
        elif project not in projects:
            if scan.platform is not None or projects:
                where = PROJECTS_DIR if scan.platform is not None else "the scanned files"
                findings.append(failed("argocd.project", LAYER, application.ref, f"project {project} not in {where}"))
        elif namespace and not _destination_allowed(projects[project], server, namespace):
            findings.append(
                failed(
                    "argocd.project",
                    LAYER,
                    application.ref,
                    f"project {project} ({projects[project].source}) does not allow destination namespace {namespace}",
                )
            )
    if not applications:
        return [skipped("argocd.application", LAYER, ".", "no Argo CD Applications found")]
    failures = [f for f in findings if not f.ok]
    extra = [f for f in findings if f.ok]
    return _ok("argocd.application", ".", f"{len(applications)} Application(s) consistent", failures) + extra


def check_project_privileges(scan: RepoScan) -> list[CheckResult]:
    """AppProjects grant least privilege: no glob source repo, destination or cluster-scoped resource."""
    projects = {p.name: p for p in _argocd(scan, "AppProject")}
    projects.update(_declared_projects(scan))  # the committed file names a project better than a build does
    findings = [
        failed("argocd.least-privilege", LAYER, project.ref, phrase)
        for project in projects.values()
        for phrase in project_overreach(project.get_dict("spec"))
    ]
    if not projects:
        return [skipped("argocd.least-privilege", LAYER, ".", "no AppProjects found")]
    return _ok("argocd.least-privilege", ".", f"{len(projects)} AppProject(s) least-privilege", findings)


def check_service_ports(scan: RepoScan) -> list[CheckResult]:
    """No two enabled local services (or a service's console/UI) listen on the same port of the bind address."""
    if scan.platform is None:
        return []
    try:
        services = load_services_spec(scan.root / c.SERVICES_FILE)
    except (InputError, TemplateError) as err:
        return [failed("services.ports", LAYER, c.SERVICES_FILE, err.message)]
    users: dict[int, list[str]] = defaultdict(list)
    for name, service in services.enabled().items():
        for field in ("port", "console_port", "ui_port"):
            port = getattr(service, field)
            if port is not None:
                users[port].append(f"{name} {field}")
    findings = [
        failed("services.ports", LAYER, c.SERVICES_FILE, f"port {port} is used by {' and '.join(names)}")
        for port, names in sorted(users.items())
        if len(names) > 1
    ]
    return _ok("services.ports", c.SERVICES_FILE, f"{len(users)} port(s), each used once", findings)


def check_plaintext_secrets(scan: RepoScan) -> list[CheckResult]:
    """No committed file holds a plaintext secret (`.comind/` is local-only and never read)."""
    marker = c.LOCAL_DEV_SECRET_MARKER
    findings = []
    scanned = [f for f in scan.files if is_scanned(f)]
    parsed = {f.path: f for f in scan.yaml_files}
    for path in scanned:
        known = parsed.get(path)
        text, nodes = (known.text, known.nodes if known.error is None else None) if known else (None, None)
        for finding in scan_file(path, scan.rel(path), text=text, nodes=nodes):
            findings.append(
                failed(
                    f"secrets.{finding.rule}",
                    LAYER,
                    finding.where,
                    finding.detail,
                    hint=f"use a SealedSecret or the generated .comind/ credentials; a local-only dev default "
                    f"may carry the comment '# {marker}'",
                )
            )
    return _ok("secrets", ".", f"{len(scanned)} file(s) hold no plaintext secret", findings)


def _image_problem(image: str) -> str | None:
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the tag 'latest'"
    return None


def check_image_tags(scan: RepoScan) -> list[CheckResult]:
    """No container outside dev runs an untagged or `latest` image."""
    findings = []
    for obj in scan.objects:
        if obj.env == DEV_ENVIRONMENT:
            continue
        for container in containers(obj):
            image = container.spec.get("image")
            image = image if isinstance(image, str) else ""
            problem = f"image {image!r} {_image_problem(image)}" if image else "no image"
            if not problem.endswith("None"):
                findings.append(failed("image.tag", LAYER, container.ref, f"{problem} (outside dev)"))
    return _ok("image.tag", ".", "images outside dev are pinned", findings)


def check_containers(scan: RepoScan) -> list[CheckResult]:
    """Every container sets cpu/memory requests and limits; long-running ones have readiness and liveness probes."""
    findings = []
    for obj in scan.objects:
        for container in containers(obj):
            resources = container.spec.get("resources")
            resources = resources if isinstance(resources, dict) else {}
            missing = [
                f"{level}.{res}"
                for level in ("requests", "limits")
                for res in ("cpu", "memory")
                if not (isinstance(resources.get(level), dict) and resources[level].get(res))
            ]
            if missing:
                findings.append(
                    failed("container.resources", LAYER, container.ref, "no resources." + ", ".join(missing))
                )
            if container.long_running:
                probes = [p for p in ("readinessProbe", "livenessProbe") if not container.spec.get(p)]
                if probes:
                    findings.append(failed("container.probes", LAYER, container.ref, "no " + " and no ".join(probes)))
    return _ok("container", ".", "containers set resources and probes", findings)


def _app_namespaces(scan: RepoScan) -> dict[str, str]:
    """Namespaces that must be locked down: every app's `<app>-<env>`, and any namespace running workloads."""
    found = {app.namespace(env): f"app {app.app_name}" for app in scan.apps for env in app.environments}
    for obj in scan.objects:
        if obj.namespace and obj.namespace not in found and next(containers(obj), None) is not None:
            found[obj.namespace] = obj.source
    return found


def _is_default_deny(policy: RenderedObject) -> bool:
    return (
        not policy.get("spec", "podSelector")
        and "Ingress" in policy.get_list("spec", "policyTypes")
        and not policy.get("spec", "ingress")
    )


def check_network_policies(scan: RepoScan) -> list[CheckResult]:
    """Each app namespace has a default-deny NetworkPolicy (all pods, Ingress, no allow rule)."""
    denied = {p.namespace for p in scan.objects if p.kind == "NetworkPolicy" and _is_default_deny(p)}
    findings = [
        failed(
            "networkpolicy.default-deny",
            LAYER,
            f"namespace {namespace} ({owner})",
            "no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, …], no ingress rules)",
        )
        for namespace, owner in sorted(_app_namespaces(scan).items())
        if namespace not in denied
    ]
    return _ok("networkpolicy.default-deny", ".", "every app namespace denies by default", findings)


def _pod_security_labels(scan: RepoScan) -> dict[str, tuple[str, str]]:
    """Namespace -> (enforce level, where it is set), from Namespace objects and Argo CD managed namespace metadata."""
    levels: dict[str, tuple[str, str]] = {}
    for obj in scan.objects:
        if obj.kind == "Namespace" and PSA_ENFORCE in obj.labels:
            levels[obj.name] = (obj.get_str("metadata", "labels", PSA_ENFORCE), obj.source)
        elif obj.kind == "Application" and obj.api_version == ARGOCD_API:
            options = obj.get_list("spec", "syncPolicy", "syncOptions")
            level = obj.get_str("spec", "syncPolicy", "managedNamespaceMetadata", "labels", PSA_ENFORCE)
            namespace = obj.get_str("spec", "destination", "namespace")
            if "CreateNamespace=true" in options and level and namespace:
                levels.setdefault(namespace, (level, obj.source))
    return levels


def _pod_security_violations(scan: RepoScan, levels: dict[str, tuple[str, str]]) -> Iterator[CheckResult]:
    """Each workload whose pods the level its namespace enforces would refuse."""
    for obj in scan.objects:
        level = levels.get(obj.namespace, ("", ""))[0]
        path = POD_SPEC_PATHS.get(obj.kind)
        pod = obj.get(*path) if level and path else None
        if not isinstance(pod, dict) or path is None:
            continue
        annotations = obj.get_dict(*path[:-1], "metadata", "annotations")
        violations = pod_violations(level, pod, annotations)
        if violations:
            yield failed("pod-security", LAYER, obj.ref, f"pods violate {level}: " + "; ".join(violations))


def check_pod_security(scan: RepoScan) -> list[CheckResult]:
    """Each app namespace enforces a Pod Security level (baseline or restricted), which its pods meet."""
    levels = _pod_security_labels(scan)
    findings = list(_pod_security_violations(scan, levels))
    for namespace, owner in sorted(_app_namespaces(scan).items()):
        level, where = levels.get(namespace, ("", ""))
        if not level:
            findings.append(
                failed("pod-security", LAYER, f"namespace {namespace} ({owner})", f"no {PSA_ENFORCE} label")
            )
        elif level not in ("baseline", "restricted"):
            findings.append(
                failed("pod-security", LAYER, f"namespace {namespace} ({where})", f"{PSA_ENFORCE} is {level!r}")
            )
    return _ok("pod-security", ".", "every app namespace enforces Pod Security and its pods meet it", findings)


StaticCheck = Callable[[RepoScan], list[CheckResult]]

ALL_CHECKS: tuple[StaticCheck, ...] = (
    check_answers,
    check_yaml_syntax,
    check_builds,
    check_schemas,
    check_unique_names,
    check_namespaces,
    check_applications,
    check_project_privileges,
    check_service_ports,
    check_plaintext_secrets,
    check_image_tags,
    check_containers,
    check_network_policies,
    check_pod_security,
)


def run_static_checks(scan: RepoScan, checks: Iterable[StaticCheck] = ALL_CHECKS) -> list[CheckResult]:
    """Run checks in order and return all their results."""
    results: list[CheckResult] = []
    for check in checks:
        results.extend(check(scan))
    return results
