"""`comind services up` on a platform and apps generated from the templates (not hand-written answers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from comind_scaffold import service_catalog as catalog
from comind_scaffold._docker import DockerEngine
from comind_scaffold.repo import PlatformRepo
from comind_scaffold.scaffold import new_app
from comind_scaffold.services.credentials import load_credentials
from comind_scaffold.services.manager import clean, status, up
from comind_scaffold.services.probes import local_client
from comind_scaffold.services.report import Action
from tests.components import docker_stack as ds
from tests.helpers_scaffold import commit_all, make_platform, make_template_repo
from tests.helpers_scaffold import status as git_status
from tests.helpers_services import image_refs, unique_platform

pytestmark = pytest.mark.docker


def _point_at_test_images(repo: Path, refs: dict[str, tuple[str, str]]) -> None:
    """Keep the generated services.yaml but run the locally built images on free ports, on the host network."""
    path = repo / "infra/docker/registry/services.yaml"
    data = yaml.safe_load(path.read_text())
    data["network_mode"] = "host"  # tests talk to loopback only: no container on a Docker bridge
    taken: set[int] = set()
    for name, entry in data["services"].items():
        entry["image"], entry["version"] = refs[name]
        for key in ("port", "console_port", "ui_port"):
            if key in entry:
                entry[key] = ds.free_port(avoid=taken)
                taken.add(entry[key])
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_generated_apps_get_their_databases_buckets_and_queues(
    tmp_path: Path, service_images: tuple[ds.ImageSet, str], docker_engine: Any
) -> None:
    template = make_template_repo(tmp_path / "template")
    platform = make_platform(template, tmp_path / "platform", platform_name=unique_platform("g"))
    new_app("orders", "payments", platform_dir=platform,
            options={"environments": ["dev"], "with_database": True, "with_queue": True, "with_storage": True})
    commit_all(platform, "orders")
    new_app("web-shop", "web", platform_dir=platform, options={"environments": ["dev", "stage"], "with_database": True})
    commit_all(platform, "web-shop")
    _point_at_test_images(platform, image_refs(*service_images))
    repo = PlatformRepo(platform)
    engine = DockerEngine(ds.docker_host())
    try:
        report = up(repo, engine=engine)
        created = {ch.object.split(" (")[0] for ch in report.changes if ch.action is Action.CREATED}
        name = repo.services.platform
        assert {"database orders_dev", "database web_shop_dev", "database web_shop_stage"} <= created
        assert f"bucket {name}-orders-dev" in created and "queue orders-dev" in created
        assert all(row.ok for row in status(repo, engine=engine))

        creds = load_credentials(repo.credentials_path)
        assert creds is not None
        with psycopg.connect(host="127.0.0.1", port=repo.services.services["postgresql"].port, user="web_shop_stage",
                             password=creds.apps["web-shop"]["stage"].database_password, dbname="web_shop_stage",
                             connect_timeout=5) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("web_shop_stage",)
        if "elasticmq" in repo.services.enabled():
            sqs = local_client(catalog.ELASTICMQ, "127.0.0.1", repo.services.services["elasticmq"].port,
                               creds.elasticmq, 5)
            sqs.get_queue_url(QueueName="orders-dev-dlq")
        assert repo.credentials_path.is_file() and ".comind" not in git_status(platform), "credentials not git-ignored"
    finally:
        clean(repo, engine=engine)
