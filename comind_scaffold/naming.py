"""The naming rule of apps and teams: one definition for the CLI, the Copier validators and Terraform.

tests/test_naming_rules.py checks that the Copier validator (templates/app/copier-questions.yml) and the app
modules' Terraform validation (infra/terraform/modules/app/*/names.tf) accept exactly the names this module does.
"""

from __future__ import annotations

import re

from comind_scaffold.errors import InputError

DNS_LABEL_PATTERN = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS_LABEL = re.compile(DNS_LABEL_PATTERN)  # use with fullmatch: `$` would also match before a final newline
MAX_LABEL = 63
# "platform" would give platform-<env>, the namespace of the platform services layer.
RESERVED_NAMESPACES = frozenset({"default", "platform", "argocd", "sealed-secrets", "ingress-nginx", "metallb-system"})
RESERVED_PREFIXES = ("kube-", "platform-")
# DNS labels that YAML 1.1 (kustomize's reading) takes for booleans or null: unquoted they stop being names.
YAML_TYPED_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def is_dns_label(value: str) -> bool:
    """True for a DNS-1123 label (the whole string, at most 63 characters)."""
    return isinstance(value, str) and bool(DNS_LABEL.fullmatch(value)) and len(value) <= MAX_LABEL


def check_dns_label(field: str, value: str) -> None:
    """Raise InputError unless `value` is a DNS-1123 label that YAML reads as text."""
    if not isinstance(value, str) or not DNS_LABEL.fullmatch(value):
        raise InputError(
            field,
            f"{value!r} must be a DNS-1123 label: lower-case letters, digits and '-', "
            "starting with a letter and ending with a letter or digit",
        )
    if len(value) > MAX_LABEL:
        raise InputError(field, f"{value!r} is {len(value)} characters; at most {MAX_LABEL}")
    if value in YAML_TYPED_WORDS:
        raise InputError(field, f"{value!r} reads as a YAML boolean or null ({', '.join(sorted(YAML_TYPED_WORDS))})")


def check_app_name(name: str, environments: list[str]) -> None:
    """Raise InputError unless `name` makes a valid `<name>-<env>` namespace for every environment."""
    check_dns_label("name", name)
    longest = max((len(e) for e in environments), default=0)
    limit = MAX_LABEL - 1 - longest
    if len(name) > limit:
        raise InputError("name", f"{name!r} is {len(name)} characters; at most {limit} so that <name>-<env> fits 63")
    if name in RESERVED_NAMESPACES or name.startswith(RESERVED_PREFIXES):
        reserved = "default, platform, argocd, kube-*, platform-* and the platform's namespaces"
        raise InputError("name", f"{name!r} is reserved ({reserved})")


def check_bucket_names(name: str, buckets: list[str]) -> None:
    """Raise InputError unless every bucket app `name` gets (`<platform>-<name>-<env>`) fits S3's 63 characters."""
    for bucket in buckets:
        if len(bucket) > MAX_LABEL:
            raise InputError(
                "name", f"{name!r} makes the bucket {bucket!r}, {len(bucket)} characters; S3 allows {MAX_LABEL}"
            )


def app_namespace(app: str, env: str) -> str:
    """The namespace an app's environment runs in."""
    return f"{app}-{env}"
