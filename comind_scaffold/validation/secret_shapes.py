"""What a plaintext secret looks like, whatever the file holding it.

Which keys name a credential (and which only refer to one), which values are literals rather than references or
interpolations, and the shapes a line is a finding for by itself: PEM private keys, well-known token formats,
passwords inside URLs and high-entropy strings. `secrets.py` reads each file type with these and reports.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "SecretFinding",
    "is_literal",
    "is_sensitive_key",
    "line_findings",
    "line_rules_may_match",
    "mentions_sensitive_word",
    "shannon_entropy",
]

_SENSITIVE = ("password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey", "credential")
# Keys naming or configuring a secret rather than holding one (secretName, existingSecret, tokenPath, …).
_REFERENCE_SUFFIXES = (
    "name",
    "names",
    "ref",
    "refs",
    "file",
    "path",
    "dir",
    "selector",
    "length",
    "enabled",
    "type",
    "mode",
    "namespace",
    "version",
    "ttl",
    "url",
    "uri",
    "endpoint",
    "arn",
    "template",
    "audience",
    "expiration",
)
_REFERENCE_PREFIXES = ("existing", "use", "create", "enable", "generate", "rotate", "automount", "sealed")
_REFERENCE_VALUE = re.compile(r"^(?:\$\{.*\}|\$\(.*\)|\{\{.*\}\}|<[^>]*>|(?:var|local|data|module)\.\S+)$")
_KNOWN_TOKENS = re.compile(
    r"(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|sk_live_[A-Za-z0-9]{20,})"
)
# Any key may hold a URL (DATABASE_URL is not a "reference" when it carries the password): look at the value.
_URL_PASSWORD = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]*:(?P<password>[^\s/@'\"]+)@")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_MIN_ENTROPY = 4.0


@dataclass(frozen=True)
class SecretFinding:
    """A plaintext secret.

    Attributes:
        file: Path of the file, relative to the validated folder.
        line: 1-based line number.
        rule: `secret-object`, `sensitive-key`, `private-key`, `known-token`, `url-credential` or `high-entropy`.
        detail: What was found (never the value itself).

    """

    file: str
    line: int
    rule: str
    detail: str

    @property
    def where(self) -> str:
        """`file:line`."""
        return f"{self.file}:{self.line}"


def shannon_entropy(text: str) -> float:
    """Bits per character of `text`."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def is_sensitive_key(key: str) -> bool:
    """True when a key's name says it holds a credential (and not a reference to one)."""
    norm = _NOT_ALNUM.sub("", key.lower())
    if not any(word in norm for word in _SENSITIVE):
        return False
    return not (norm.endswith(_REFERENCE_SUFFIXES) or norm.startswith(_REFERENCE_PREFIXES))


def is_literal(value: str) -> bool:
    """True for a value that is a credential itself, not empty and not a reference or interpolation."""
    value = value.strip().strip("'\"")
    if not value or value.lower() in ("true", "false", "null", "~", "none"):
        return False
    return not (_REFERENCE_VALUE.match(value) or "${" in value)


def _high_entropy(text: str) -> bool:
    for candidate in _CANDIDATE.findall(text):
        mixed = re.search(r"[a-z]", candidate) and re.search(r"[A-Z]", candidate) and re.search(r"\d", candidate)
        if mixed and shannon_entropy(candidate) >= _MIN_ENTROPY:
            return True
    return False


def line_rules_may_match(text: str) -> bool:
    """False when no line of `text` can be a finding of `line_findings` (one search of the text, not one per line).

    None of their patterns matches across a line break, so a line that matches is a match in the whole text.
    """
    return bool(
        _PRIVATE_KEY.search(text) or _KNOWN_TOKENS.search(text) or _URL_PASSWORD.search(text) or _high_entropy(text)
    )


def line_findings(rel: str, lines: list[str]) -> Iterator[SecretFinding]:
    """Rules that need no structure: private keys, well-known token shapes, high-entropy strings."""
    for number, line in enumerate(lines, start=1):
        if _PRIVATE_KEY.search(line):
            yield SecretFinding(rel, number, "private-key", "a PEM private key")
        elif _KNOWN_TOKENS.search(line):
            yield SecretFinding(rel, number, "known-token", "a string shaped like a cloud or Git host token")
        elif any(is_literal(found["password"]) for found in _URL_PASSWORD.finditer(line)):
            yield SecretFinding(rel, number, "url-credential", "a URL with a literal password (user:password@host)")
        elif _high_entropy(line.split("#", 1)[0] if not line.lstrip().startswith("-----") else ""):
            yield SecretFinding(rel, number, "high-entropy", "a high-entropy string (looks generated, like a key)")


def mentions_sensitive_word(text: str) -> bool:
    """True when the letters and digits of `text` spell a word a sensitive key holds (`secret`, `token`, …)."""
    letters = _NOT_ALNUM.sub("", text.lower())
    return any(word in letters for word in _SENSITIVE)
