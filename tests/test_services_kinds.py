"""services.yaml -> container configuration, per network mode (no engine needed)."""

from __future__ import annotations

import pytest

from comind_scaffold import service_catalog as catalog
from comind_scaffold.services.credentials import LocalCredentials, PostgresCredentials
from comind_scaffold.services.kinds import (
    LABEL_CONFIG_HASH,
    container_config,
    elasticmq_config,
    owned_labels,
)
from comind_scaffold.specs import ServicesSpec

SERVICES = catalog.NAMES


def _spec(network_mode: str, bind: str = "127.0.0.1") -> ServicesSpec:
    return ServicesSpec.model_validate({
        "platform": "acme",
        "bind_address": bind,
        "network_mode": network_mode,
        "services": {
            "postgresql": {"image": "postgres", "version": "15", "port": catalog.POSTGRESQL.port,
                           "database": "acme_dev"},
            "minio": {"image": "minio/minio", "version": "R1", "port": catalog.MINIO.port,
                      "console_port": catalog.MINIO.extra_port},
            "redis": {"image": "redis", "version": "7", "port": catalog.REDIS.port},
            "elasticmq": {"image": "softwaremill/elasticmq-native", "version": "1.6", "port": catalog.ELASTICMQ.port},
        },
    })


def _creds() -> LocalCredentials:
    return LocalCredentials(postgresql=PostgresCredentials(username="postgres", database="acme_dev"))


@pytest.mark.parametrize("service", SERVICES)
def test_host_mode_binds_the_loopback_address_and_publishes_nothing(service: str) -> None:
    config = container_config(service, _spec("host", "127.0.0.2"), _creds())
    assert config.network_mode == "host" and config.ports == {}
    flat = " ".join(config.command) + " " + " ".join(config.files.values())
    assert "127.0.0.2" in flat and "0.0.0.0" not in flat
    assert config.labels.items() >= owned_labels("acme", service).items()
    assert config.name == f"acme-{catalog.lookup(service).container}"
    assert config.mount == catalog.lookup(service).data_dir
    assert config.volume == f"{config.name}-data"


@pytest.mark.parametrize("service", SERVICES)
def test_bridge_mode_publishes_every_port_on_loopback_only(service: str) -> None:
    config = container_config(service, _spec("bridge"), _creds())
    assert config.network_mode == "bridge" and config.ports
    assert {host for host, _ in config.ports.values()} == {"127.0.0.1"}
    assert all(inner == outer for inner, (_, outer) in config.ports.items())
    record = catalog.lookup(service)
    assert {record.port, *([record.extra_port] if record.extra_port_role == "console" else [])} == set(config.ports)


@pytest.mark.parametrize(("alias", "service"), [(a, s.name) for s in catalog.SERVICES.values() for a in s.aliases])
def test_an_alias_gives_the_same_container_as_the_canonical_name(alias: str, service: str) -> None:
    creds = _creds()
    assert container_config(alias, _spec("bridge"), creds) == container_config(service, _spec("bridge"), creds)


def test_secrets_stay_out_of_labels_and_the_config_hash_follows_them() -> None:
    creds = _creds()
    first = container_config("redis", _spec("host"), creds)
    assert creds.redis.password not in str(first.labels)
    creds.redis.password = "rotated"
    assert container_config("redis", _spec("host"), creds).labels[LABEL_CONFIG_HASH] != first.labels[LABEL_CONFIG_HASH]


def test_elasticmq_config_persists_under_data_and_keeps_stats_off_unless_asked() -> None:
    text = elasticmq_config(_spec("host").services["elasticmq"], _spec("host"))
    assert 'path = "/data/queues.conf"' in text and "jdbc:h2:/data/" in text
    assert "rest-stats { enabled = false" in text


def test_only_takes_any_name_of_a_service_and_keeps_services_yaml_order() -> None:
    from comind_scaffold.services.manager import select

    assert select(_spec("host"), ["queue", "postgres", "s3", "minio"]) == ["postgresql", "minio", "elasticmq"]
