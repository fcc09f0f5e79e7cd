"""`bootstrap()`: every phase in order, each against its time budget, recorded so an interrupted run resumes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from comind_scaffold.bootstrap.options import PHASES, BootstrapOptions, validate, with_cluster_defaults
from comind_scaffold.bootstrap.phases import phase_cluster, phase_root_app, phase_services
from comind_scaffold.bootstrap.preflight import preflight
from comind_scaffold.bootstrap.state import STATE_FILE, BootstrapState
from comind_scaffold.bootstrap.wait import phase_wait
from comind_scaffold.errors import ValidationFailed
from comind_scaffold.repo import PlatformRepo

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PhaseResult:
    """One phase of a run.

    Attributes:
        phase: Its name.
        outcome: done, unchanged, skipped, resumed (completed by an earlier run) or planned (dry run).
        detail: What happened, one line.
        seconds: How long it took.

    """

    phase: str
    outcome: str
    detail: str
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the phase changed something."""
        return self.outcome == "done"


@dataclass(frozen=True)
class BootstrapReport:
    """Every phase of a run, in order."""

    profile: str
    phases: list[PhaseResult]
    resumed: bool = False

    @property
    def changed(self) -> bool:
        """True when any phase changed something."""
        return any(p.changed for p in self.phases)


def _run_phase(repo: PlatformRepo, options: BootstrapOptions, phase: str, say: Progress) -> tuple[str, str]:
    if phase == "preflight":
        results = preflight(repo, options)
        if not all(r.ok for r in results):
            raise ValidationFailed(results)
        return "unchanged", f"{len(results)} checks passed"
    if phase == "services":
        return phase_services(repo, options, say)
    if phase == "cluster":
        return phase_cluster(repo, options)
    if phase == "root-app":
        return phase_root_app(repo, options)
    return phase_wait(options, say)


def bootstrap(repo: PlatformRepo, options: BootstrapOptions, progress: Progress | None = None,
              on_phase: Callable[[PhaseResult], None] | None = None) -> BootstrapReport:
    """Run (or with `dry_run` show) every phase in order.

    Args:
        repo: The platform repository.
        options: Profile, mode, budgets.
        progress: Called with short status messages while a phase runs.
        on_phase: Called with each phase's result as soon as it is known.

    Returns:
        The phases, in order.

    Raises:
        InputError: Bad options.
        ValidationFailed: Preflight failed (every failure listed), or the wait budget ran out.
        ToolFailedError: terraform failed.
        ClusterUnreachableError: The cluster cannot be reached.
        ClusterRefusedError: The API server refuses the root app (exit 1, its message).

    """
    validate(repo, options)
    options = with_cluster_defaults(repo, options)
    say = progress or (lambda _message: None)
    state = BootstrapState.load(repo.root / STATE_FILE, options.profile, options.existing_cluster)
    resumed = bool(state.completed)
    phases: list[PhaseResult] = []

    def record(result: PhaseResult) -> None:
        phases.append(result)
        if on_phase:
            on_phase(result)

    for phase in PHASES:
        if phase in state.completed and phase != "preflight":
            record(PhaseResult(phase, "resumed", "completed by the interrupted run"))
            continue
        say(f"{phase}…")
        started = time.monotonic()
        outcome, detail = _run_phase(repo, options, phase, say)
        elapsed = time.monotonic() - started
        if elapsed > options.budget(phase) and phase != "wait":
            detail += f" (took {elapsed:.0f} s, over its {options.budget(phase):.0f} s budget)"
        record(PhaseResult(phase, outcome, detail, elapsed))
        if not options.dry_run:
            state.complete(phase)
    if not options.dry_run:
        state.finished = True
        state.save()
    return BootstrapReport(options.profile, phases, resumed)
