"""Point a demo platform's services.yaml at the locally built test images when the official ones are absent.

Usage: demo_local_images.py VERSIONS_ENV SERVICES_YAML. Prints what it changed; changes nothing when every
official image is present (or when a local image is missing too).
"""

from __future__ import annotations

import sys
from pathlib import Path

import docker
import yaml


def local_images(versions_env: Path) -> dict[str, tuple[str, str]]:
    """Service name → (image, tag) of the locally built test images."""
    pins = dict(
        line.split("=", 1) for line in versions_env.read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    refs = {
        "postgresql": pins["POSTGRES_TAG"],
        "redis": pins["REDIS_TAG"],
        "elasticmq": f"comind-test/elasticmq:{pins['ELASTICMQ_VERSION']}",
        "minio": f"comind-test/minio:{pins['MINIO_TAG_VERSION']}",
    }
    return {name: tuple(ref.rsplit(":", 1)) for name, ref in refs.items()}  # type: ignore[misc]


def main(versions_env: str, services_yaml: str) -> int:
    client = docker.from_env(timeout=5)
    present = {tag for image in client.images.list() for tag in image.tags}
    path = Path(services_yaml)
    spec = yaml.safe_load(path.read_text())
    local = local_images(Path(versions_env))
    changed = []
    for name, svc in spec["services"].items():
        official = f"{svc['image']}:{svc['version']}"
        image, tag = local[name]
        if official not in present and f"{image}:{tag}" in present:
            svc["image"], svc["version"] = image, tag
            changed.append(f"{name}: {official} (not present, no registry) -> {image}:{tag}")
    if changed:
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        print("services.yaml now uses locally built images:\n  " + "\n  ".join(changed))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
