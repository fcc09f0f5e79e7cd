"""The Kubernetes adapter callers use: the kinds it knows, and the lists, reads and writes of their objects.

Objects come back as plain dicts (the API's own JSON). Lists are cluster-wide per kind, so the number of
requests does not grow with the number of apps. The connection under it (kubeconfig, bounded and counted
requests, unreachable servers) is `_kube_connection.py`, the only module that imports the kubernetes client;
this one also asks kubectl its version.
"""

from __future__ import annotations

import builtins  # `list` in the class below is a method
import json
import subprocess
from dataclasses import dataclass

from comind_scaffold._kube_connection import KubeConnection, Obj, answer_message
from comind_scaffold.errors import ClusterRefusedError, InputError, KindNotServedError

__all__ = ["KINDS", "Kind", "KindNotServedError", "KubeClient", "Obj", "kubectl_client_version"]


@dataclass(frozen=True)
class Kind:
    """Where a kind is served: group/version, plural and scope."""

    name: str
    api_version: str
    plural: str
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """Return the REST path of a collection or one object."""
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("Namespace", "v1", "namespaces", namespaced=False),
        Kind("Node", "v1", "nodes", namespaced=False),
        Kind("Pod", "v1", "pods"),
        Kind("Service", "v1", "services"),
        Kind("Secret", "v1", "secrets"),
        Kind("ServiceAccount", "v1", "serviceaccounts"),
        Kind("ResourceQuota", "v1", "resourcequotas"),
        Kind("LimitRange", "v1", "limitranges"),
        Kind("EndpointSlice", "discovery.k8s.io/v1", "endpointslices"),
        Kind("Deployment", "apps/v1", "deployments"),
        Kind("StatefulSet", "apps/v1", "statefulsets"),
        Kind("DaemonSet", "apps/v1", "daemonsets"),
        Kind("NetworkPolicy", "networking.k8s.io/v1", "networkpolicies"),
        Kind("Ingress", "networking.k8s.io/v1", "ingresses"),
        Kind("IngressClass", "networking.k8s.io/v1", "ingressclasses", namespaced=False),
        Kind("CustomResourceDefinition", "apiextensions.k8s.io/v1", "customresourcedefinitions", namespaced=False),
        Kind("Application", "argoproj.io/v1alpha1", "applications"),
        Kind("AppProject", "argoproj.io/v1alpha1", "appprojects"),
    )
}

# Secrets are listed as metadata only: the verifier needs to know they exist, never their values.
_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"


class KubeClient(KubeConnection):
    """Kind-aware reads and writes over one kubeconfig context's connection (`server`, `requests`, `timeout`)."""

    def merge_patch(self, kind: str, name: str, patch: Obj, namespace: str | None = None) -> None:
        """Apply a JSON merge patch to one object.

        Raises:
            LookupError: No such object.
            ClusterUnreachableError: The API server cannot be reached.
            ClusterRefusedError: The API server refuses the patch.

        """
        headers = {"Accept": "application/json", "Content-Type": "application/merge-patch+json"}
        status, reason, raw = self._request("PATCH", KINDS[kind].path(namespace, name), None, headers, patch)
        if status == 404:
            raise LookupError(f"{kind} {name}")
        if status >= 400:
            detail = raw.decode(errors="replace")[:300]
            raise ClusterRefusedError(
                f"API server {self.server}: HTTP {status} {reason} on PATCH {kind} {name}: {detail}"
            )

    def apply(self, obj: Obj, field_manager: str, *, dry_run: bool = False) -> Obj:
        """Server-side apply one object, as `kubectl apply --server-side` does (a field conflict is refused).

        Returns the object as the API server stored it (with `dry_run`, as it would store it; nothing changes).

        Raises:
            InputError: The object names no kind this adapter knows, or no namespace for a namespaced kind.
            ClusterUnreachableError: The API server cannot be reached.
            ClusterRefusedError: The API server refuses the object.

        """
        meta = obj.get("metadata") or {}
        kind, name, namespace = KINDS.get(str(obj.get("kind"))), str(meta.get("name", "")), meta.get("namespace")
        if kind is None or not name or (kind.namespaced and not namespace):
            raise InputError(f"{obj.get('kind')} {name}".strip(), "needs a known kind, a name and (namespaced) "
                             "a namespace to be applied")
        query = [("fieldManager", field_manager)] + ([("dryRun", "All")] if dry_run else [])
        headers = {"Accept": "application/json", "Content-Type": "application/apply-patch+yaml"}
        status, reason, raw = self._request("PATCH", kind.path(namespace, name), query, headers, obj)
        if status >= 400:
            detail = answer_message(raw)[:300]
            raise ClusterRefusedError(
                f"API server {self.server}: HTTP {status} {reason} on apply {kind.name} {name}: {detail}"
            )
        stored: Obj = json.loads(raw)
        return stored

    def would_change(self, obj: Obj, field_manager: str) -> bool:
        """True when applying `obj` would change the stored object (`kubectl diff --server-side` exiting 1).

        A dry-run apply is compared with the live object; managed fields, resource version and status aside.
        """
        planned = self.apply(obj, field_manager, dry_run=True)
        live = self.get(str(obj["kind"]), str(obj["metadata"]["name"]), obj["metadata"].get("namespace"))
        return live is None or _comparable(planned) != _comparable(live)

    def create(self, kind: str, obj: Obj, namespace: str | None = None) -> bool:
        """Create one object; False when one of that name already exists (it is left as it is).

        Raises:
            ClusterUnreachableError: The API server cannot be reached.
            ClusterRefusedError: The API server refuses the object.

        """
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        status, reason, raw = self._request("POST", KINDS[kind].path(namespace), None, headers, obj)
        if status == 409:
            return False
        if status >= 400:
            detail = raw.decode(errors="replace")[:300]
            raise ClusterRefusedError(f"API server {self.server}: HTTP {status} {reason} on POST {kind}: {detail}")
        return True

    def version(self) -> str:
        """Return the server's gitVersion (`v1.34.4`)."""
        return str(self._get("/version").get("gitVersion", ""))

    def list(self, kind: str, *, namespace: str | None = None, selector: str | None = None) -> list[Obj]:
        """Every object of `kind` (across namespaces unless `namespace`), with `apiVersion`/`kind` filled in.

        Raises:
            KindNotServedError: The kind is not served (e.g. Argo CD's CRDs are missing).
            ClusterUnreachableError: The API server cannot be reached or refuses the request.

        """
        spec = KINDS[kind]
        query = [("labelSelector", selector)] if selector else []
        accept = _METADATA_ONLY if kind == "Secret" else "application/json"
        try:
            data = self._get(spec.path(namespace), query, accept)
        except LookupError as err:
            raise KindNotServedError(kind) from err
        items: list[Obj] = data.get("items") or []
        for item in items:
            item.setdefault("apiVersion", spec.api_version)
            item["kind"] = kind
        return items

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """One object, or None when it does not exist (used by baselines and tests, not by checks)."""
        spec = KINDS[kind]
        try:
            return self._get(spec.path(namespace, name))
        except LookupError:
            return None

    def secrets_with_data(self, namespace: str, *, selector: str | None = None) -> builtins.list[Obj]:
        """Secrets of one namespace *with their values* (for `comind seal --fetch-cert`); checks never call this."""
        query = [("labelSelector", selector)] if selector else []
        try:
            items: list[Obj] = self._get(KINDS["Secret"].path(namespace), query).get("items") or []
        except LookupError:
            return []
        return items

    def service_proxy_get(self, namespace: str, service: str, path: str) -> bytes:
        """GET `path` of a Service through the API server's proxy (`service` may be `name:port-name`).

        Raises:
            LookupError: The proxy answered an error (no such Service, no ready endpoint, refused); says which.
            ClusterUnreachableError: The API server itself cannot be reached.

        """
        proxy = f"/api/v1/namespaces/{namespace}/services/{service}/proxy{path}"
        status, reason, raw = self._raw_get(proxy, None, "*/*")
        if status >= 400:
            detail = answer_message(raw)[:200]
            raise LookupError(f"service proxy {namespace}/{service}: HTTP {status} {reason}: {detail}")
        return raw


def _comparable(obj: Obj) -> Obj:
    """`obj` without what the API server keeps for itself: managed fields, resource version, status."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in ("managedFields", "resourceVersion")}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def kubectl_client_version(binary: str = "kubectl") -> str:
    """The gitVersion `kubectl version --client` reports (`v1.34.4`); ValueError when it reports none in 30 s."""
    try:
        done = subprocess.run([binary, "version", "--client", "-o", "json"], capture_output=True, text=True,
                              timeout=30, check=False)
        return str(json.loads(done.stdout)["clientVersion"]["gitVersion"])
    except (subprocess.TimeoutExpired, KeyError, TypeError) as err:  # json's own error is a ValueError already
        raise ValueError(str(err) or err.__class__.__name__) from err
