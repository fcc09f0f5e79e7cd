"""One error tree for comind-ops.

`UserError` and its children carry a message meant for humans (and an optional hint). The CLI is the
only place that turns them into exit codes: bad input exits 2, failed checks and update conflicts exit 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from comind_scaffold.models import CheckResult

__all__ = [
    "AwsUnreachableError",
    "ClusterUnreachableError",
    "ComindError",
    "DockerUnavailableError",
    "GitError",
    "InputError",
    "KindNotServedError",
    "ServiceError",
    "TemplateError",
    "ToolFailedError",
    "ToolNotFoundError",
    "UpdateConflictError",
    "UnsupportedSchemaError",
    "UpdateFailedError",
    "UserError",
    "ValidationFailed",
]


class ComindError(Exception):
    """Root of every error comind-ops raises on purpose."""

    exit_code = 1


class UserError(ComindError):
    """An error whose message is written for the user; never shown with a traceback."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(UserError, ValueError):
    """Bad input: names the field and the rule it breaks."""

    def __init__(self, field: str, rule: str, hint: str | None = None) -> None:
        super().__init__(f"{field}: {rule}", hint)
        self.field = field
        self.rule = rule


class TemplateError(UserError):
    """The template or an answers file cannot be used as it is."""


class ToolNotFoundError(UserError, FileNotFoundError):
    """An outside tool (terraform, kubectl, docker, …) is missing or too old."""

    def __init__(self, tool: str, hint: str | None = None, reason: str = "not found on PATH") -> None:
        super().__init__(f"{tool}: {reason}", hint)
        self.tool = tool


class DockerUnavailableError(UserError, ConnectionError):
    """The Docker engine cannot be reached."""


class ClusterUnreachableError(UserError, ConnectionError):
    """The Kubernetes API cannot be reached."""


class AwsUnreachableError(UserError, ConnectionError):
    """The AWS API (or its emulator) cannot be reached or refuses our credentials."""


class ServiceError(UserError):
    """A local service cannot be started, reached or initialised."""


class AwsStateError(UserError):
    """The aws profile's Terraform state bucket cannot be created, checked or used."""


class ClusterRefusedError(ComindError):
    """The Kubernetes API answered and refused a write (admission, validation, RBAC): not bad input, not down."""


class KindNotServedError(ComindError, LookupError):
    """The API server does not serve this kind (its CRD is not installed)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind}: not served by the API server (CRD not installed?)")
        self.kind = kind


class GitError(ComindError):
    """A git command failed in a way the user did not cause."""


class UnsupportedSchemaError(ComindError):
    """The schema uses a keyword this compiler does not implement (the schema is then skipped, not an error)."""


class UpdateConflictError(ComindError):
    """`copier update` left conflict markers; the files are listed."""

    def __init__(self, app: str, files: Sequence[str]) -> None:
        self.app = app
        self.files = list(files)
        listed = ", ".join(self.files)
        super().__init__(f"{app}: update left conflicts in {listed}")


class UpdateFailedError(ComindError):
    """An update failed for another reason than conflicts; `failures` are (app, what failed) pairs."""

    def __init__(self, failures: Sequence[tuple[str, str]]) -> None:
        self.failures = list(failures)
        super().__init__("update failed: " + "; ".join(f"{app}: {what}" for app, what in self.failures))


class ToolFailedError(ComindError):
    """An outside tool ran and failed (terraform apply, …); `output` keeps what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class ValidationFailed(ComindError):
    """Checks ran and some failed; carries the results."""

    def __init__(self, results: Sequence[CheckResult], **extra: Any) -> None:
        self.results = list(results)
        failed = [r for r in self.results if not r.ok]
        first = f"; first: {failed[0].line()}" if failed else ""  # a caught exception still says what failed
        super().__init__(f"{len(failed)} check(s) failed{first}")
