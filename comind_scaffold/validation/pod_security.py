"""The Pod Security Standards (Kubernetes v1.34, `latest`) as the apiserver's PodSecurity admission applies them.

`pod_violations(level, pod_spec, pod_annotations)` lists what a pod breaks at `baseline` or `restricted`, one
phrase per rule in the admission's own words ("privileged", "allowPrivilegeEscalation != false", …) with the
containers or volumes named. `privileged` (or any other level) checks nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["LEVELS", "pod_violations"]

LEVELS = ("privileged", "baseline", "restricted")
_BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
_SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
_RESTRICTED_VOLUMES = frozenset(
    {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
)
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_CONFINED_SECCOMP = ("RuntimeDefault", "Localhost")

Pod = dict[str, Any]


def _dict(data: Any, key: str) -> dict[str, Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _containers(pod: Pod) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in _list(pod, key):
            if isinstance(container, dict):
                yield str(container.get("name") or "?"), container


def _named(names: list[str], what: str = "container") -> str:
    return f"{what}{'s' if len(names) > 1 else ''} " + ", ".join(f'"{n}"' for n in names)


def _offenders(pod: Pod, broken: Callable[[dict[str, Any]], bool]) -> list[str]:
    """Containers whose securityContext breaks a rule."""
    return [name for name, c in _containers(pod) if broken(_dict(c, "securityContext"))]


def _baseline(pod: Pod, annotations: dict[str, Any]) -> Iterator[str]:
    context = _dict(pod, "securityContext")
    if _dict(context, "windowsOptions").get("hostProcess") is True or _offenders(
        pod, lambda sc: _dict(sc, "windowsOptions").get("hostProcess") is True
    ):
        yield "hostProcess (pod or containers must not set securityContext.windowsOptions.hostProcess=true)"
    shared = [f"{key}=true" for key in ("hostNetwork", "hostPID", "hostIPC") if pod.get(key) is True]
    if shared:
        yield f"host namespaces ({', '.join(shared)})"
    if names := _offenders(pod, lambda sc: sc.get("privileged") is True):
        yield f"privileged ({_named(names)} must not set securityContext.privileged=true)"
    added = {
        name: [str(cap) for cap in _list(_dict(sc, "capabilities"), "add") if cap not in _BASELINE_CAPABILITIES]
        for name, sc in ((n, _dict(c, "securityContext")) for n, c in _containers(pod))
    }
    if names := [name for name, caps in added.items() if caps]:
        caps = sorted({cap for name in names for cap in added[name]})
        yield f"non-default capabilities ({_named(names)} must not include {', '.join(caps)} in capabilities.add)"
    if volumes := [str(v.get("name")) for v in _list(pod, "volumes") if isinstance(v, dict) and "hostPath" in v]:
        yield f"hostPath volumes ({_named(volumes, 'volume')})"
    ports = [p for _, c in _containers(pod) for p in _list(c, "ports")]
    if any(isinstance(port, dict) and port.get("hostPort") for port in ports):
        yield "hostPort (containers must not set hostPort)"
    yield from _baseline_profiles(pod, context, annotations)


def _baseline_profiles(pod: Pod, context: dict[str, Any], annotations: dict[str, Any]) -> Iterator[str]:
    """AppArmor, SELinux, /proc mount, seccomp and sysctls: profiles that may not be switched off."""
    unconfined = [
        key
        for key, value in annotations.items()
        if key.startswith(_APPARMOR_ANNOTATION) and not str(value).startswith(("runtime/default", "localhost/"))
    ]
    profiles = [context, *(_dict(c, "securityContext") for _, c in _containers(pod))]
    if unconfined or any(_dict(sc, "appArmorProfile").get("type") == "Unconfined" for sc in profiles):
        yield "forbidden AppArmor profile (must be RuntimeDefault or Localhost)"

    def bad_selinux(sc: dict[str, Any]) -> bool:
        options = _dict(sc, "seLinuxOptions")
        return options.get("type", "") not in _SELINUX_TYPES or bool(options.get("user") or options.get("role"))

    if any(bad_selinux(sc) for sc in profiles):
        yield "seLinuxOptions (type must be container_t or another allowed type; user and role must not be set)"
    if names := _offenders(pod, lambda sc: sc.get("procMount") not in (None, "Default")):
        yield f"procMount ({_named(names)} must not set securityContext.procMount)"
    if any(_dict(sc, "seccompProfile").get("type") == "Unconfined" for sc in profiles):
        yield "seccompProfile (pod or containers must not set securityContext.seccompProfile.type=Unconfined)"
    sysctls = [str(s.get("name")) for s in _list(context, "sysctls") if isinstance(s, dict)]
    if unsafe := [name for name in sysctls if name not in _SAFE_SYSCTLS]:
        yield f"forbidden sysctls ({', '.join(unsafe)})"


def _restricted(pod: Pod) -> Iterator[str]:
    context = _dict(pod, "securityContext")
    kinds = {
        str(v.get("name")): next((k for k in v if k != "name"), "?")
        for v in _list(pod, "volumes")
        if isinstance(v, dict)
    }
    if volumes := [name for name, kind in kinds.items() if kind not in _RESTRICTED_VOLUMES]:
        used = ", ".join(sorted({kinds[v] for v in volumes}))
        yield f"restricted volume types ({_named(volumes, 'volume')} use {used})"
    if names := _offenders(pod, lambda sc: sc.get("allowPrivilegeEscalation") is not False):
        yield f"allowPrivilegeEscalation != false ({_named(names)} must set allowPrivilegeEscalation=false)"

    def unrestricted(sc: dict[str, Any]) -> bool:
        capabilities = _dict(sc, "capabilities")
        extra = [cap for cap in _list(capabilities, "add") if cap != "NET_BIND_SERVICE"]
        return "ALL" not in _list(capabilities, "drop") or bool(extra)

    if caps := _offenders(pod, unrestricted):
        yield f'unrestricted capabilities ({_named(caps)} must set securityContext.capabilities.drop=["ALL"])'
    pod_non_root = context.get("runAsNonRoot")
    root = _offenders(
        pod, lambda sc: sc.get("runAsNonRoot") is False or (sc.get("runAsNonRoot") is None and pod_non_root is not True)
    )
    if pod_non_root is False or root:
        yield f"runAsNonRoot != true (pod or {_named(root) if root else 'containers'} must set runAsNonRoot=true)"
    if context.get("runAsUser") == 0 or _offenders(pod, lambda sc: sc.get("runAsUser") == 0):
        yield "runAsUser=0 (pod and containers must not run as user 0)"
    pod_confined = _dict(context, "seccompProfile").get("type") in _CONFINED_SECCOMP
    if unset := _offenders(
        pod, lambda sc: not pod_confined and _dict(sc, "seccompProfile").get("type") not in _CONFINED_SECCOMP
    ):
        yield f"seccompProfile (pod or {_named(unset)} must set seccompProfile.type to RuntimeDefault or Localhost)"


def pod_violations(level: str, pod: Pod, annotations: dict[str, Any] | None = None) -> list[str]:
    """What `pod` (a PodSpec) breaks at Pod Security `level`; empty when it is admitted."""
    if level not in ("baseline", "restricted"):
        return []
    found = list(_baseline(pod, annotations or {}))
    if level == "restricted":
        found += _restricted(pod)
    return found
