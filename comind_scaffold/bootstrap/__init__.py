"""`comind bootstrap`: stand the platform up in ordered phases, each with a time budget, resumable.

Phases: preflight → services (local) → cluster → root-app → wait. `cluster` runs the Terraform of
`infra/terraform/environments/<profile>`; with an existing cluster it is skipped. `root-app` applies the
app-of-apps (server-side, field manager `comind`); `wait` polls Argo CD's Applications with the verifier's
checks until every one is Synced and Healthy. Completed phases are recorded in `.comind/bootstrap-state.json`;
a run that stopped half-way resumes after the last completed phase, and a run on a healthy platform changes
nothing.

One module per part (`api.bootstrap` calls `run.bootstrap`):

- `options`: `BootstrapOptions` (typed), the phases and their default budgets, the checks on bad options.
- `state`: `.comind/bootstrap-state.json`, the phases a run completed (read, written atomically).
- `preflight`: one small check per precondition (a tool, a free port, Docker, AWS credentials, the cluster).
- `phases`: the services, cluster (Terraform) and root-app phases.
- `wait`: poll Argo CD until every Application is Synced and Healthy; first syncs and refreshes on the way.
- `run`: `bootstrap()`, the phases in order with their budgets and the resume; `PhaseResult`, `BootstrapReport`.

The cluster is reached only through `comind_scaffold._kube`, AWS only through `comind_scaffold._aws`.
"""
