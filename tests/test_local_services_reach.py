"""Pods reach the local services (services.yaml network_mode k3d): the rendered wiring, the app's connection
settings resolved against the real test control plane, and the Docker side against the real dockerd.

No test sends traffic to a container's cluster-network address (tests talk to loopback only): what needs a k3d
cluster — a pod connecting through the Service to the container — is listed in the README's "Not exercised by CI".
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from comind_scaffold._docker import DockerEngine
from comind_scaffold.errors import InputError, ServiceError
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.services.kinds import container_name, owned_labels, ports_of
from comind_scaffold.services.manager import clean, up
from comind_scaffold.services.report import Action
from comind_scaffold.specs import load_services_spec
from tests.components import docker_stack as ds
from tests.helpers_platform_checks import kustomize_build
from tests.helpers_services import image_refs, services_yaml, unique_platform, write_platform
from tests.helpers_verify import platform_repo  # noqa: F401


def _by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _slice_of(objects: list[dict[str, Any]], service: str) -> dict[str, Any]:
    slices = [o for o in objects if o["kind"] == "EndpointSlice"
              and o["metadata"]["labels"].get("kubernetes.io/service-name") == service]
    assert len(slices) == 1, f"{service}: {len(slices)} EndpointSlices"
    return slices[0]


def test_each_local_service_is_a_selectorless_service_on_its_container_address(
        platform_repo: PlatformRepo) -> None:  # noqa: F811
    spec = platform_repo.services
    assert spec.network_mode == "k3d" and spec.cluster_network is not None
    for env in platform_repo.spec.environments:
        objects = kustomize_build(platform_repo.root / f"k8s/platform/overlays/{env}")
        services = _by_kind(objects, "Service")
        assert set(services) == set(spec.enabled())
        for name, svc in spec.enabled().items():
            service = services[name]["spec"]
            assert service["type"] == "ClusterIP" and "selector" not in service
            assert sorted(p["port"] for p in service["ports"]) == sorted(ports_of(name, svc).values())
            found = _slice_of(objects, name)
            assert found["metadata"]["namespace"] == f"platform-{env}"
            assert found["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == "comind"
            assert [e["addresses"] for e in found["endpoints"]] == [[str(svc.cluster_address)]]
            assert {(p["name"], p["port"]) for p in found["ports"]} == {
                (p["name"], p["port"]) for p in service["ports"]}


def test_the_addresses_lie_on_the_k3d_network_outside_what_docker_and_metallb_hand_out(
        platform_repo: PlatformRepo) -> None:  # noqa: F811
    net = platform_repo.services.cluster_network
    assert net is not None
    local = platform_repo.root / "infra/terraform/environments/local"
    k3d = yaml.safe_load((local / "k3d-cluster.yaml").read_text())
    assert (k3d["network"], k3d["subnet"]) == (net.name, str(net.subnet))
    pool = re.search(r'variable "metallb_address_pool".*?default\s*=\s*"([^"]+)"',
                     (local / "variables.tf").read_text(), re.DOTALL)
    assert pool is not None
    first, last = (ipaddress.IPv4Address(a) for a in pool.group(1).split("-"))
    for name, svc in platform_repo.services.enabled().items():
        address = svc.cluster_address
        assert address is not None and address in net.subnet, name
        assert address not in net.ip_range and not first <= address <= last, name


def test_both_profiles_are_rendered_and_default_profile_is_deployed(platform_repo: PlatformRepo) -> None:  # noqa: F811
    spec = platform_repo.spec
    for env in spec.environments:
        overlay = platform_repo.root / f"k8s/platform/overlays/{env}"
        kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
        assert kustomization["resources"] == ["../../base", spec.default_profile]
        services = _by_kind(kustomize_build(overlay / "aws"), "Service")
        assert services["postgresql"]["spec"]["externalName"] == f"postgresql.{env}.internal.{spec.aws_domain}"
        assert services["minio"]["spec"]["externalName"] == f"s3.{spec.aws_region}.amazonaws.com"


def _config(objects: list[dict[str, Any]]) -> dict[str, str]:
    maps = [o for o in objects if o["kind"] == "ConfigMap"]
    assert len(maps) == 1
    return dict(maps[0]["data"])


def _kubectl(cluster: Any, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["kubectl", f"--kubeconfig={cluster.kubeconfig}", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.cluster
def test_an_apps_connection_settings_resolve_to_the_service_of_its_container(
        platform_repo: PlatformRepo, kube_cluster: Any) -> None:  # noqa: F811
    app = next(a for a in platform_repo.apps if a.with_database and a.with_storage and a.with_queue)
    env = app.environments[0]
    config = _config(kustomize_build(platform_repo.app_dir(app.app_name) / f"k8s/overlays/{env}"))
    wanted = {  # service -> (host, port) as the app's pods read them
        "postgresql": (config["DATABASE_HOST"], int(config["DATABASE_PORT"])),
        "minio": re.match(r"https?://([^:/]+):(\d+)", config["S3_ENDPOINT"]).groups(),  # type: ignore[union-attr]
        "elasticmq": re.match(r"https?://([^:/]+):(\d+)", config["SQS_ENDPOINT"]).groups(),  # type: ignore[union-attr]
    }
    namespace = f"platform-t{uuid.uuid4().hex[:8]}"
    objects = kustomize_build(platform_repo.root / f"k8s/platform/overlays/{env}")
    renamed = json.loads(json.dumps(objects).replace(f'"platform-{env}"', json.dumps(namespace)))
    _kubectl(kube_cluster, "apply", "--server-side", "--field-manager=comind-tests", "--validate=strict", "-f", "-",
             stdin=yaml.safe_dump_all(renamed))
    try:
        for name, (host, port) in wanted.items():
            service, ns, *rest = host.split(".")
            assert (ns, rest) == (f"platform-{env}", ["svc", "cluster", "local"]), host
            live = json.loads(_kubectl(kube_cluster, "get", "service", service, "-n", namespace, "-o", "json"))
            assert int(port) in [p["port"] for p in live["spec"]["ports"]]
            assert live["spec"]["clusterIP"] and not live["spec"].get("selector")
            slices = json.loads(_kubectl(kube_cluster, "get", "endpointslices", "-n", namespace, "-l",
                                         f"kubernetes.io/service-name={service}", "-o", "json"))["items"]
            addresses = [a for s in slices for e in s["endpoints"] for a in e["addresses"]]
            assert addresses == [str(platform_repo.services.services[name].cluster_address)], name  # type: ignore[index]
            assert int(port) in [p["port"] for s in slices for p in s["ports"]]
    finally:
        _kubectl(kube_cluster, "delete", "namespace", namespace, "--wait=false")


def _k3d_platform(tmp_path: Path, service_images: Any, subnet: str) -> tuple[PlatformRepo, dict[str, Any]]:
    network = ipaddress.IPv4Network(subnet)
    name = unique_platform("k")
    data = services_yaml(name, image_refs(*service_images), enabled=("redis",),
                         redis={"cluster_address": str(network[200])})
    data["network_mode"] = "k3d"
    data["cluster_network"] = {"name": f"{name}-net", "subnet": subnet, "gateway": str(network[1]),
                               "ip_range": str(next(network.subnets(new_prefix=network.prefixlen + 1)))}
    return write_platform(tmp_path, data), data


def _subnet() -> str:
    return f"172.30.{secrets.randbelow(250) + 2}.0/24"


@pytest.mark.docker
def test_services_join_the_cluster_network_at_their_address_and_publish_on_loopback_only(
        tmp_path: Path, service_images: Any, docker_engine: Any) -> None:
    repo, data = _k3d_platform(tmp_path, service_images, _subnet())
    engine = DockerEngine(ds.docker_host())
    net = data["cluster_network"]
    try:
        first = up(repo, engine=engine)
        assert (f"network {net['name']}", Action.CREATED) in [(ch.object, ch.action) for ch in first.changes]
        found = engine.network(net["name"])
        assert found is not None
        assert (found.subnet, found.ip_range, found.gateway) == (net["subnet"], net["ip_range"], net["gateway"])
        assert owned_labels(data["platform"]).items() <= found.labels.items()
        container = container_name(data["platform"], "redis")
        attrs = docker_engine.containers.get(container).attrs
        attached = attrs["NetworkSettings"]["Networks"]
        assert list(attached) == [net["name"]]
        assert attached[net["name"]]["IPAddress"] == data["services"]["redis"]["cluster_address"]
        assert {"redis", container} <= set(attached[net["name"]]["Aliases"] or [])
        port = data["services"]["redis"]["port"]
        assert attrs["HostConfig"]["PortBindings"] == {f"{port}/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
        again = up(repo, engine=engine)
        assert not again.changed
    finally:
        removed = clean(repo, engine=engine)
    assert (f"network {net['name']}", Action.REMOVED) in [(ch.object, ch.action) for ch in removed]
    assert engine.network(net["name"]) is None


@pytest.mark.docker
def test_a_network_of_that_name_with_another_subnet_is_refused(
        tmp_path: Path, service_images: Any, docker_engine: Any) -> None:
    repo, data = _k3d_platform(tmp_path, service_images, _subnet())
    import docker.types

    pool = docker.types.IPAMPool(subnet="172.30.1.0/24")
    other = docker_engine.networks.create(data["cluster_network"]["name"], driver="bridge",
                                          ipam=docker.types.IPAMConfig(pool_configs=[pool]))
    try:
        with pytest.raises(ServiceError, match="exists with subnet 172.30.1.0/24"):
            up(repo, engine=DockerEngine(ds.docker_host()))
        redis = container_name(data["platform"], "redis")
        assert docker_engine.containers.list(all=True, filters={"name": redis}) == []
    finally:
        clean(repo, engine=DockerEngine(ds.docker_host()))
        other.remove()


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("cluster_network"), "cluster_network: required with network_mode k3d"),
    (lambda d: d["services"]["redis"].pop("cluster_address"), "services.redis.cluster_address: required"),
    (lambda d: d["services"]["redis"].update(cluster_address="172.30.9.5"), "outside ip_range"),
    (lambda d: d["services"]["redis"].update(cluster_address="10.0.0.5"), "must lie in 172.30.9.0/24"),
    (lambda d: d["services"]["postgresql"].update(enabled=True, cluster_address="172.30.9.200"),
     "is already the address of"),
])
def test_a_bad_cluster_network_is_one_line_naming_the_field(tmp_path: Path, change: Any, message: str) -> None:
    network = ipaddress.IPv4Network("172.30.9.0/24")
    data = services_yaml("p", {s: ("img", "1") for s in ("postgresql", "minio", "redis", "elasticmq")},
                         enabled=("redis",), redis={"cluster_address": str(network[200])})
    data.update(network_mode="k3d", cluster_network={"name": "n", "subnet": str(network), "gateway": "172.30.9.1",
                                                     "ip_range": "172.30.9.0/25"})
    change(data)
    path = tmp_path / "services.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as caught:
        load_services_spec(path)
    assert message in caught.value.message and "\n" not in caught.value.message
