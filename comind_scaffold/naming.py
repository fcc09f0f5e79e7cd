"""Naming rules shared by the CLI, the Copier validators and the Terraform validation blocks."""

from __future__ import annotations

import re

from comind_scaffold.errors import InputError

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_LABEL = 63
# "platform" would give platform-<env>, the namespace of the platform services layer.
RESERVED_NAMESPACES = frozenset({"default", "platform", "argocd", "sealed-secrets", "ingress-nginx", "metallb-system"})
RESERVED_PREFIXES = ("kube-", "platform-")


def check_dns_label(field: str, value: str) -> None:
    """Raise InputError unless `value` is a DNS-1123 label."""
    if not DNS_LABEL.match(value):
        raise InputError(
            field,
            f"{value!r} must be a DNS-1123 label: lower-case letters, digits and '-', "
            "starting with a letter and ending with a letter or digit",
        )
    if len(value) > MAX_LABEL:
        raise InputError(field, f"{value!r} is {len(value)} characters; at most {MAX_LABEL}")


def check_app_name(name: str, environments: list[str]) -> None:
    """Raise InputError unless `name` makes a valid `<name>-<env>` namespace for every environment."""
    check_dns_label("name", name)
    longest = max((len(e) for e in environments), default=0)
    limit = MAX_LABEL - 1 - longest
    if len(name) > limit:
        raise InputError("name", f"{name!r} is {len(name)} characters; at most {limit} so that <name>-<env> fits 63")
    if name in RESERVED_NAMESPACES or name.startswith(RESERVED_PREFIXES):
        raise InputError(
            "name", f"{name!r} is reserved (default, platform, argocd, kube-*, platform-* and the platform's namespaces)"
        )


def app_namespace(app: str, env: str) -> str:
    """The namespace an app's environment runs in."""
    return f"{app}-{env}"
