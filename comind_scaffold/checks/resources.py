"""Read-only views of cluster objects with predicate properties, and the snapshot the checks read from.

A `Snapshot` lists each kind once, cluster-wide, the first time a check asks for it; every check of a
run then reads from memory. That keeps the number of API requests independent of the number of apps.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime
from functools import cached_property

from comind_scaffold._kube import KindNotServedError, KubeClient, Obj
from comind_scaffold.validation.project_scope import project_overreach

WAITING_FAILURES = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError", "InvalidImageName"}
)


def _age_seconds(timestamp: str | None) -> float:
    if not timestamp:
        return 0.0
    then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return (datetime.now(UTC) - then).total_seconds()


class Resource:
    """Any object: name, namespace, labels and a `ref` like `Deployment argocd/argocd-server`."""

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        meta = obj.get("metadata") or {}
        self.name: str = meta.get("name", "")
        self.namespace: str = meta.get("namespace", "")
        self.labels: dict[str, str] = meta.get("labels") or {}

    @property
    def kind(self) -> str:
        """The object's kind."""
        return str(self.obj.get("kind", ""))

    @property
    def ref(self) -> str:
        """`Kind namespace/name` (or `Kind name` for cluster-scoped objects)."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"

    def condition(self, kind: str) -> Obj | None:
        """Return the status condition of that type, if any."""
        for cond in (self.obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == kind:
                return dict(cond)
        return None


class Workload(Resource):
    """A Deployment, StatefulSet or DaemonSet."""

    @property
    def desired(self) -> int:
        """Replicas (or scheduled pods for a DaemonSet) the workload wants."""
        status = self.obj.get("status") or {}
        if self.kind == "DaemonSet":
            return int(status.get("desiredNumberScheduled", 0))
        return int((self.obj.get("spec") or {}).get("replicas", 1))

    @property
    def ready(self) -> int:
        """Pods ready now."""
        status = self.obj.get("status") or {}
        if self.kind == "DaemonSet":
            return int(status.get("numberReady", 0))
        return int(status.get("readyReplicas", 0))

    @property
    def is_available(self) -> bool:
        """Wants at least one pod, and every wanted pod is ready (and, for a Deployment, Available=True)."""
        if self.desired < 1 or self.ready < self.desired:
            return False
        if self.kind == "Deployment":
            cond = self.condition("Available")
            return bool(cond and cond.get("status") == "True")
        return True

    def problem(self) -> str:
        """Why the workload is not available, in words."""
        if self.desired < 1:
            return "scaled to 0 replicas"
        text = f"{self.ready}/{self.desired} ready"
        cond = self.condition("Available") or self.condition("Progressing")
        if cond and cond.get("status") != "True" and cond.get("message"):
            text += f" ({cond['message']})"
        return text


class Pod(Resource):
    """A Pod."""

    def problem(self, pending_budget: float) -> str | None:
        """Return the reason this pod is broken (CrashLoopBackOff, ImagePullBackOff, Pending too long), or None."""
        status = self.obj.get("status") or {}
        for container in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
            waiting = (container.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in WAITING_FAILURES:
                restarts = container.get("restartCount", 0)
                return f"container {container.get('name')} {waiting['reason']} (restarts: {restarts})"
        if status.get("phase") == "Pending":
            age = _age_seconds((self.obj.get("metadata") or {}).get("creationTimestamp"))
            if age > pending_budget:
                scheduled = self.condition("PodScheduled") or {}
                why = scheduled.get("message") or scheduled.get("reason") or "not started"
                return f"Pending for {age:.0f}s (budget {pending_budget:.0f}s): {why}"
        if status.get("phase") == "Failed":
            return f"Failed: {status.get('reason') or status.get('message') or 'unknown reason'}"
        return None


class Node(Resource):
    """A Node."""

    @property
    def is_ready(self) -> bool:
        """The Ready condition is True."""
        cond = self.condition("Ready")
        return bool(cond and cond.get("status") == "True")

    @property
    def ready_reason(self) -> str:
        """Reason and message of the Ready condition."""
        cond = self.condition("Ready") or {}
        return f"Ready={cond.get('status', 'missing')} {cond.get('reason', '')}: {cond.get('message', '')}".strip()

    @property
    def pressures(self) -> list[str]:
        """Pressure conditions that are True (MemoryPressure, DiskPressure, PIDPressure…)."""
        conds = (self.obj.get("status") or {}).get("conditions") or []
        return [c["type"] for c in conds if c.get("type", "").endswith("Pressure") and c.get("status") == "True"]


class Application(Resource):
    """An Argo CD Application."""

    @cached_property
    def _status(self) -> Obj:
        return dict(self.obj.get("status") or {})

    @property
    def source(self) -> Obj:
        """The first source (single-source Applications have only one)."""
        spec = self.obj.get("spec") or {}
        if spec.get("source"):
            return dict(spec["source"])
        sources = spec.get("sources") or [{}]
        return dict(sources[0])

    @property
    def project(self) -> str:
        """The AppProject it belongs to."""
        return str((self.obj.get("spec") or {}).get("project", ""))

    @property
    def sync_status(self) -> str:
        """Synced, OutOfSync or Unknown."""
        return str((self._status.get("sync") or {}).get("status", "Unknown"))

    @property
    def health_status(self) -> str:
        """Healthy, Progressing, Degraded, Suspended, Missing or Unknown."""
        return str((self._status.get("health") or {}).get("status", "Unknown"))

    @property
    def is_synced(self) -> bool:
        """Sync status is Synced."""
        return self.sync_status == "Synced"

    @property
    def is_healthy(self) -> bool:
        """Health status is Healthy."""
        return self.health_status == "Healthy"

    @property
    def is_progressing(self) -> bool:
        """Still rolling out: worth waiting for."""
        return self.health_status == "Progressing"

    @property
    def first_unhealthy_resource(self) -> str:
        """`Kind namespace/name (Health: message)` of the first resource not Synced and Healthy, or ''."""
        for res in self._status.get("resources") or []:
            health = res.get("health") or {}
            unhealthy = health and health.get("status") not in (None, "Healthy")
            if unhealthy or res.get("status") not in (None, "Synced"):
                where = f"{res.get('namespace')}/{res.get('name')}" if res.get("namespace") else res.get("name")
                state = health.get("status") or res.get("status")
                why = f": {health['message']}" if health.get("message") else ""
                return f"{res.get('kind')} {where} ({state}{why})"
        return ""

    @property
    def message(self) -> str:
        """Argo CD's own explanation: health message, then condition or operation messages."""
        parts = [(self._status.get("health") or {}).get("message", "")]
        parts += [c.get("message", "") for c in self._status.get("conditions") or []]
        parts.append((self._status.get("operationState") or {}).get("message", ""))
        return "; ".join(p for p in parts if p)


class AppProject(Resource):
    """An Argo CD AppProject."""

    @property
    def wildcards(self) -> list[str]:
        """Every glob that widens the project (source repos, destinations, cluster resources), as phrases."""
        spec = self.obj.get("spec")
        return project_overreach(spec if isinstance(spec, dict) else {})


class Snapshot:
    """Cluster objects listed once per kind and indexed by namespace.

    Attributes:
        client: The API client the lists go through.

    """

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._lists: dict[str, list[Obj]] = {}
        self._by_ns: dict[str, dict[str, list[Obj]]] = {}
        self._version: str | None = None

    @property
    def version(self) -> str:
        """The API server's gitVersion (asked once)."""
        if self._version is None:
            self._version = self.client.version()
        return self._version

    def all(self, kind: str) -> list[Obj]:
        """Every object of `kind` in the cluster ([] when the kind is not served)."""
        if kind not in self._lists:
            try:
                self._lists[kind] = self.client.list(kind)
            except KindNotServedError:
                self._lists[kind] = []
        return self._lists[kind]


    def in_namespace(self, kind: str, namespace: str) -> list[Obj]:
        """Objects of `kind` in one namespace."""
        if kind not in self._by_ns:
            index: dict[str, list[Obj]] = defaultdict(list)
            for obj in self.all(kind):
                index[(obj.get("metadata") or {}).get("namespace", "")].append(obj)
            self._by_ns[kind] = index
        return self._by_ns[kind].get(namespace, [])

    def named(self, kind: str, name: str, namespace: str = "") -> Obj | None:
        """One object by name, from the lists."""
        pool = self.in_namespace(kind, namespace) if namespace else self.all(kind)
        return next((o for o in pool if (o.get("metadata") or {}).get("name") == name), None)

    def refresh(self, kind: str) -> list[Obj]:
        """List `kind` again (used while waiting for Applications to settle)."""
        self._lists.pop(kind, None)
        self._by_ns.pop(kind, None)
        return self.all(kind)

    def applications(self) -> list[Application]:
        """Every Argo CD Application."""
        return [Application(o) for o in self.all("Application")]

    def wait_while_progressing(self, budget: float, interval: float = 2.0) -> float:
        """Re-list Applications until none is Progressing or `budget` seconds pass; returns seconds waited."""
        start = time.monotonic()
        while any(app.is_progressing for app in self.applications()):
            left = budget - (time.monotonic() - start)
            if left <= 0:
                break
            time.sleep(min(interval, left))
            self.refresh("Application")
        return time.monotonic() - start
