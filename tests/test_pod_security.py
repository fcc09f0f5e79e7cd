"""Pod Security levels checked on rendered pods: comind's verdict per rule, `comind validate` naming the workload,
and the real kube-apiserver's PodSecurity admission agreeing with comind on every case."""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from comind_scaffold.validation.pod_security import pod_violations
from tests.helpers_validate import failures, validate_with_edits

Pod = dict[str, Any]
# A pod `restricted` admits; each case changes one thing.
COMPLIANT: Pod = {
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
    "containers": [
        {
            "name": "app",
            "image": "comind-test/app:1",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }
    ],
}


def _container(**security: Any) -> Callable[[Pod], None]:
    return lambda pod: pod["containers"][0]["securityContext"].update(security)


def _pod(**fields: Any) -> Callable[[Pod], None]:
    return lambda pod: pod.update(fields)


def _pod_security(**security: Any) -> Callable[[Pod], None]:
    return lambda pod: pod["securityContext"].update(security)


def _without_pod_seccomp(pod: Pod) -> None:
    del pod["securityContext"]["seccompProfile"]


def _privileged_init_container(pod: Pod) -> None:
    init = copy.deepcopy(pod["containers"][0])
    init.update(name="init")
    init["securityContext"].update(privileged=True, allowPrivilegeEscalation=True)
    pod["initContainers"] = [init]


def _volume(**source: Any) -> Callable[[Pod], None]:
    return lambda pod: pod.update(volumes=[{"name": "data", **source}])


# id: (change, admitted at baseline, admitted at restricted)
CASES: dict[str, tuple[Callable[[Pod], None], bool, bool]] = {
    "compliant": (lambda pod: None, True, True),
    # The apiserver refuses privileged with allowPrivilegeEscalation=false as invalid, before Pod Security.
    "privileged": (_container(privileged=True, allowPrivilegeEscalation=True), False, False),
    "privileged-init-container": (_privileged_init_container, False, False),
    "privilege-escalation": (_container(allowPrivilegeEscalation=True), True, False),
    "capability-sys-admin": (_container(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}), False, False),
    "capability-chown": (_container(capabilities={"drop": ["ALL"], "add": ["CHOWN"]}), True, False),
    "capability-net-bind-service": (
        _container(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
        True,
        True,
    ),
    "capabilities-not-dropped": (_container(capabilities={}), True, False),
    "host-network": (_pod(hostNetwork=True), False, False),
    "host-pid": (_pod(hostPID=True), False, False),
    "host-ipc": (_pod(hostIPC=True), False, False),
    "host-port": (
        lambda pod: pod["containers"][0].update(ports=[{"containerPort": 8080, "hostPort": 8080}]),
        False,
        False,
    ),
    "host-path-volume": (_volume(hostPath={"path": "/var/run"}), False, False),
    "nfs-volume": (_volume(nfs={"server": "nfs.example", "path": "/"}), True, False),
    "empty-dir-volume": (_volume(emptyDir={}), True, True),
    "run-as-root-allowed": (_pod_security(runAsNonRoot=False), True, False),
    "run-as-user-0": (_container(runAsUser=0), True, False),
    "no-seccomp": (_without_pod_seccomp, True, False),
    "container-seccomp-only": (
        lambda pod: (_without_pod_seccomp(pod), _container(seccompProfile={"type": "RuntimeDefault"})(pod)),
        True,
        True,
    ),
    "seccomp-unconfined": (_container(seccompProfile={"type": "Unconfined"}), False, False),
    "apparmor-unconfined": (_container(appArmorProfile={"type": "Unconfined"}), False, False),
    "selinux-spc": (_container(seLinuxOptions={"type": "spc_t"}), False, False),
    "unsafe-sysctl": (_pod_security(sysctls=[{"name": "kernel.msgmax", "value": "65536"}]), False, False),
    "safe-sysctl": (_pod_security(sysctls=[{"name": "net.ipv4.tcp_syncookies", "value": "1"}]), True, True),
}


APPARMOR = "container.apparmor.security.beta.kubernetes.io/app"
# id: (pod annotations, admitted at baseline, admitted at restricted); the spec is COMPLIANT.
ANNOTATED: dict[str, tuple[dict[str, str], bool, bool]] = {
    "apparmor-annotation-unconfined": ({APPARMOR: "unconfined"}, False, False),
    "apparmor-annotation-runtime-default": ({APPARMOR: "runtime/default"}, True, True),
}


def _manifests(namespace: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(case, Pod manifest) for every case of CASES and ANNOTATED."""
    specs = {case: ({}, _case_pod(case)) for case in CASES}
    specs |= {case: (marks, copy.deepcopy(COMPLIANT)) for case, (marks, _, _) in ANNOTATED.items()}
    for case, (marks, spec) in sorted(specs.items()):
        metadata = {"name": f"probe-{case}", "namespace": namespace, "annotations": marks}
        yield case, {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


@pytest.mark.parametrize("case", sorted(ANNOTATED))
def test_comind_verdict_on_annotations(case: str) -> None:
    annotations, baseline, restricted = ANNOTATED[case]
    verdicts = [not pod_violations(level, COMPLIANT, annotations) for level in ("baseline", "restricted")]
    assert verdicts == [baseline, restricted]


def _case_pod(case: str) -> Pod:
    pod = copy.deepcopy(COMPLIANT)
    CASES[case][0](pod)
    return pod


@pytest.mark.parametrize("case", sorted(CASES))
def test_comind_verdict_per_rule(case: str) -> None:
    _, baseline, restricted = CASES[case]
    pod = _case_pod(case)
    assert (not pod_violations("baseline", pod), not pod_violations("restricted", pod)) == (baseline, restricted)
    assert pod_violations("privileged", pod) == []


API_DEPLOYMENT = "apps/api/k8s/base/deployment.yaml"
PROD_APP = "apps/api/argocd/prod.yaml"
DEV_APP = "apps/api/argocd/dev.yaml"


def test_validate_names_the_workload_and_each_rule_it_breaks(tmp_path: Path) -> None:
    escalate = "allowPrivilegeEscalation: true\n            privileged: true"
    report = validate_with_edits(tmp_path / "repo", [(API_DEPLOYMENT, "allowPrivilegeEscalation: false", escalate)])
    found = {r.object.split(" (")[0]: r.message for r in failures(report.results, "pod-security")}
    assert set(found) == {"Deployment api-dev/api", "Deployment api-prod/api"}, found
    assert found["Deployment api-prod/api"].startswith("pods violate restricted: privileged (container \"api\"")
    assert "allowPrivilegeEscalation != false" in found["Deployment api-prod/api"]


def test_validate_holds_each_namespace_to_its_own_level(tmp_path: Path) -> None:
    edits = [
        (PROD_APP, "enforce: restricted", "enforce: baseline"),
        (API_DEPLOYMENT, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"),
    ]
    report = validate_with_edits(tmp_path / "repo", edits)
    found = {r.object.split(" (")[0]: r.message for r in failures(report.results, "pod-security")}
    assert list(found) == ["Deployment api-dev/api"], found  # baseline allows privilege escalation
    assert found["Deployment api-dev/api"].startswith("pods violate restricted: allowPrivilegeEscalation != false")


# --------------------------------------------------------------------------- the real apiserver


def _kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args], input=stdin, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def level_namespaces(kube_cluster: Any) -> Iterator[tuple[Path, dict[str, str]]]:
    suffix = uuid.uuid4().hex[:8]
    namespaces = {level: f"psa-{level}-{suffix}" for level in ("baseline", "restricted")}
    for level, name in namespaces.items():
        manifest = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"pod-security.kubernetes.io/enforce": level}},
        }
        done = _kubectl(kube_cluster.kubeconfig, "create", "-f", "-", stdin=json.dumps(manifest))
        assert done.returncode == 0, done.stderr
    yield kube_cluster.kubeconfig, namespaces
    for name in namespaces.values():
        _kubectl(kube_cluster.kubeconfig, "delete", "namespace", name, "--wait=false")


@pytest.mark.cluster
def test_the_apiservers_pod_security_admission_agrees(level_namespaces: tuple[Path, dict[str, str]]) -> None:
    kubeconfig, namespaces = level_namespaces
    disagree = []
    for level, namespace in namespaces.items():
        for case, pod in _manifests(namespace):
            done = _kubectl(kubeconfig, "create", "--dry-run=server", "-f", "-", stdin=json.dumps(pod))
            if done.returncode != 0 and "violates PodSecurity" not in done.stderr:
                pytest.fail(f"{case} at {level}: refused for another reason: {done.stderr.strip()}", pytrace=False)
            admitted = done.returncode == 0
            if admitted != (not pod_violations(level, pod["spec"], pod["metadata"]["annotations"])):
                disagree.append(f"{case} at {level}: apiserver {'admits' if admitted else done.stderr.strip()}")
    assert disagree == []
