"""`comind check-update`: each app's and the platform's template version against the newest template tag."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from comind_scaffold import constants as c
from comind_scaffold import template_source
from comind_scaffold.errors import TemplateError
from comind_scaffold.repo import PlatformRepo

__all__ = ["PLATFORM", "VersionStatus", "check_update", "parse_version"]

PLATFORM = "platform"  # the name the platform goes by among the apps, here and in update results
_DESCRIBE = re.compile(r"^v?(?P<release>[0-9]+(\.[0-9]+)*)(-(?P<ahead>[0-9]+)-g[0-9a-f]+)?$")


class VersionStatus(BaseModel):
    """Template version of one app (or the platform) against the newest template tag."""

    model_config = ConfigDict(frozen=True)

    name: str
    current: str
    latest: str
    outdated: bool


def parse_version(text: str) -> tuple[int, ...] | None:
    """Parse a tag or `git describe` string (`v1.2.0`, `v1.2.0-3-gabc1234`) into a comparable tuple, else None."""
    found = _DESCRIBE.match(text.strip())
    if not found:
        return None
    return (*(int(part) for part in found["release"].split(".")), int(found["ahead"] or 0))


def check_update(platform_dir: Path | str = ".") -> list[VersionStatus]:
    """Each app's and the platform's template version against the newest tag of the template they came from."""
    repo = PlatformRepo.open(platform_dir)
    newest_of: dict[str, str] = {}
    entries = [(PLATFORM, repo.root, repo.spec.src_path, repo.spec.commit)]
    entries += [(app.app_name, repo.app_dir(app.app_name), app.src_path, app.commit) for app in repo.apps]
    statuses = []
    for name, folder, source, current in entries:
        if not source:
            raise TemplateError(f"{folder / c.APP_ANSWERS}: no _src_path recorded, so its template is unknown")
        if source not in newest_of:
            listed = template_source.tags(source, current or None, bases=[folder, repo.root])
            tags = [tag for tag in listed if parse_version(tag)]
            newest_of[source] = max(tags, key=lambda tag: parse_version(tag) or (), default="")
        latest = newest_of[source]
        mine, theirs = parse_version(current), parse_version(latest)
        outdated = bool(mine and theirs and theirs[:-1] > mine[:-1])
        statuses.append(VersionStatus(name=name, current=current or "?", latest=latest or "?", outdated=outdated))
    return statuses
