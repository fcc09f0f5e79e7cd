"""The `secrets` rule: no committed file (YAML, Terraform/HCL, env and other text) holds a plaintext secret.

Each file is read as what it is: YAML mappings (a Secret's data, env entries, generator literals), HCL variable
defaults and attributes, env assignments, on top of the line shapes of `secret_shapes.py`; SealedSecret documents
are ciphertext and exempt. A line is also exempt when it carries the marker `LOCAL_DEV_SECRET_MARKER` in a
comment, or follows a comment line carrying it: that is how a template marks a development default that only ever
runs on the developer's machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import yaml

from comind_scaffold._yaml import SafeLoader as _Loader
from comind_scaffold.constants import LOCAL_DEV_SECRET_MARKER
from comind_scaffold.models import CheckResult, failed
from comind_scaffold.validation.objects import YamlFile
from comind_scaffold.validation.rule import LAYER, summary
from comind_scaffold.validation.scan import RepoScan
from comind_scaffold.validation.secret_shapes import (
    SecretFinding,
    is_literal,
    is_sensitive_key,
    line_findings,
    line_rules_may_match,
    mentions_sensitive_word,
)

__all__ = ["SecretFinding", "check_plaintext_secrets", "is_scanned", "scan_file"]

_MAX_BYTES = 1_000_000
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*$")
_HCL_STRING = re.compile(r'^\s*"?([A-Za-z_][A-Za-z0-9_-]*)"?\s*[=:]\s*"((?:[^"\\]|\\.)*)"')
_HCL_VARIABLE = re.compile(r'^\s*variable\s+"([^"]+)"')
_HCL_DEFAULT = re.compile(r'^\s*default\s*=\s*"((?:[^"\\]|\\.)*)"')
_RULE_ORDER = ("private-key", "known-token", "url-credential", "secret-object", "sensitive-key", "high-entropy")


def _yaml_pairs(node: yaml.Node, in_secret_data: bool = False) -> Iterator[tuple[str, yaml.ScalarNode, bool]]:
    """(key, value node, inside Secret data) for every scalar-valued mapping entry, depth first."""
    if isinstance(node, yaml.MappingNode):
        kind = next((v.value for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "kind"), None)
        env_name = next((v.value for k, v in node.value if getattr(k, "value", None) == "name"), None)
        for key_node, value_node in node.value:
            key = str(getattr(key_node, "value", ""))
            if isinstance(value_node, yaml.ScalarNode):
                if key == "value" and isinstance(env_name, str):
                    yield env_name, value_node, in_secret_data
                else:
                    yield key, value_node, in_secret_data
            else:
                secret_data = kind == "Secret" and key in ("data", "stringData")
                yield from _yaml_pairs(value_node, in_secret_data or secret_data)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode) and isinstance(item.value, str):
                match = _ASSIGNMENT.match(item.value)
                if match:  # kustomize generator literals: KEY=VALUE
                    yield match.group(1), yaml.ScalarNode(item.tag, match.group(2), item.start_mark), False
            else:
                yield from _yaml_pairs(item, in_secret_data)


def _encrypted_lines(nodes: Sequence[yaml.Node]) -> set[int]:
    """Lines of SealedSecret documents: ciphertext looks random by design and is safe to commit."""
    lines: set[int] = set()
    for document in nodes:
        if isinstance(document, yaml.MappingNode) and any(
            getattr(k, "value", None) == "kind" and getattr(v, "value", None) == "SealedSecret"
            for k, v in document.value
        ):
            lines.update(range(document.start_mark.line + 1, document.end_mark.line + 2))
    return lines


def _may_hold_yaml_secret(text: str) -> bool:
    """False when no mapping of `text` can be a finding of `_yaml_findings` or a SealedSecret.

    Those need a key whose letters and digits spell a sensitive word, or `kind: Secret` (`secret` is one of
    them): such a key is spelt out in the text unless an escape sequence writes it.
    """
    return "\\" in text or mentions_sensitive_word(text)


def _yaml_findings(rel: str, text: str, nodes: Sequence[yaml.Node]) -> Iterator[SecretFinding]:
    for document in nodes:
        if document is None:
            continue
        for key, value, in_secret_data in _yaml_pairs(document):
            literal = value.tag == "tag:yaml.org,2002:str" and is_literal(str(value.value))
            line = value.start_mark.line + 1
            if in_secret_data and literal:
                yield SecretFinding(rel, line, "secret-object", f"Secret data key {key!r} holds a literal value")
            elif literal and is_sensitive_key(key):
                yield SecretFinding(rel, line, "sensitive-key", f"{key!r} holds a literal value")


def _hcl_findings(rel: str, lines: list[str]) -> Iterator[SecretFinding]:
    variable = None
    for number, line in enumerate(lines, start=1):
        code = line.split("#", 1)[0].split("//", 1)[0] if '"' not in line else line
        declared = _HCL_VARIABLE.match(code)
        if declared:
            variable = declared.group(1)
            continue
        default = _HCL_DEFAULT.match(code)
        if default and variable and is_sensitive_key(variable) and is_literal(default.group(1)):
            yield SecretFinding(rel, number, "sensitive-key", f"variable {variable!r} has a literal default")
            continue
        match = _HCL_STRING.match(code)
        if match and is_sensitive_key(match.group(1)) and is_literal(match.group(2)):
            yield SecretFinding(rel, number, "sensitive-key", f"{match.group(1)!r} holds a literal value")


def _env_findings(rel: str, lines: list[str]) -> Iterator[SecretFinding]:
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match and is_sensitive_key(match.group(1)) and is_literal(match.group(2).split(" #", 1)[0]):
            yield SecretFinding(rel, number, "sensitive-key", f"{match.group(1)!r} holds a literal value")


def _kind_of(path: Path) -> str | None:
    name = path.name
    if name == ".terraform.lock.hcl":
        return None  # provider checksums, not secrets
    if path.suffix in (".yaml", ".yml"):
        return "yaml"
    if path.suffix in (".tf", ".tfvars", ".hcl"):
        return "hcl"
    if name == ".env" or name.startswith(".env.") or path.suffix == ".env":
        return "env"
    if path.suffix in (".pem", ".key", ".json", ".conf", ".ini", ".properties", ".cfg"):
        return "text"
    return None


def is_scanned(path: Path) -> bool:
    """True for the file types the secret scan reads."""
    return _kind_of(path) is not None


def scan_file(
    path: Path,
    rel: str,
    *,
    text: str | None = None,
    nodes: Sequence[yaml.Node] | Callable[[], Sequence[yaml.Node]] | None = None,
) -> list[SecretFinding]:
    """Every plaintext secret in one file, except on lines marked as local-only development defaults.

    Args:
        path: The file.
        rel: Its name in findings.
        text: Its text, when already read.
        nodes: Its composed YAML documents (or what composes them, called only when needed), when already parsed.

    """
    kind = _kind_of(path)
    if kind is None:
        return []
    if text is None:
        try:
            if path.stat().st_size > _MAX_BYTES:
                return []
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
    lines = text.splitlines()
    findings = list(line_findings(rel, lines)) if line_rules_may_match(text) else []
    if kind == "yaml" and _may_hold_yaml_secret(text):
        if callable(nodes):
            nodes = nodes()
        elif nodes is None:
            try:
                nodes = list(yaml.compose_all(text, Loader=_Loader))
            except yaml.YAMLError:
                nodes = []  # a broken file is reported by the YAML check; line rules still ran on it
        findings += _yaml_findings(rel, text, nodes)
        encrypted = _encrypted_lines(nodes)
        findings = [f for f in findings if f.line not in encrypted or f.rule in ("private-key", "known-token")]
    elif kind == "hcl":
        findings += _hcl_findings(rel, lines)
    elif kind in ("env", "text") and path.suffix not in (".json", ".pem", ".key"):
        findings += _env_findings(rel, lines)

    def allowed(line: int) -> bool:
        here = lines[line - 1] if line - 1 < len(lines) else ""
        above = lines[line - 2].lstrip() if line >= 2 else ""
        comment_above = above.startswith(("#", "//")) and LOCAL_DEV_SECRET_MARKER in above
        return LOCAL_DEV_SECRET_MARKER in here or comment_above

    strongest: dict[int, SecretFinding] = {}
    for finding in sorted(findings, key=lambda f: _RULE_ORDER.index(f.rule), reverse=True):
        if not allowed(finding.line):
            strongest[finding.line] = finding  # one finding per line: the most specific rule wins
    return [strongest[line] for line in sorted(strongest)]


def _nodes_of(known: YamlFile) -> Callable[[], Sequence[yaml.Node]] | None:
    """What composes a file the scan read (None for a file that is not valid YAML: scan_file tries it itself)."""
    return (lambda: known.nodes) if known.error is None else None


def check_plaintext_secrets(scan: RepoScan) -> list[CheckResult]:
    """No committed file holds a plaintext secret (`.comind/` is local-only and never read)."""
    marker = LOCAL_DEV_SECRET_MARKER
    findings = []
    scanned = [f for f in scan.files if is_scanned(f)]
    parsed = {f.path: f for f in scan.yaml_files}
    for path in scanned:
        known = parsed.get(path)
        text, nodes = (known.text, _nodes_of(known)) if known else (None, None)
        for finding in scan_file(path, scan.rel(path), text=text, nodes=nodes):
            findings.append(
                failed(
                    f"secrets.{finding.rule}",
                    LAYER,
                    finding.where,
                    finding.detail,
                    hint=f"use a SealedSecret or the generated .comind/ credentials; a local-only dev default "
                    f"may carry the comment '# {marker}'",
                )
            )
    return summary("secrets", ".", f"{len(scanned)} file(s) hold no plaintext secret", findings)
