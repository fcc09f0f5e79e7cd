# comind-ops — every target is a thin call of the `comind` CLI (comind-ops); `make help` lists them.
# Rendered from the comind-ops platform template: change answers with `make update`, not by editing this file.
# Override the CLI with e.g. `make status COMIND="python -m comind_scaffold.cli"`.

COMIND ?= comind
PROFILE ?= local
# Set on the command line only (`make tf-plan-app APP=shop ENV=dev`): a plain `=` ignores same-named variables of
# the environment, such as the shell's ENV.
APP =
TEAM =
ENV =
# Optional for new-app/new-app-full: a subset of the environments, e.g. ENVS="dev stage".
ENVS =
SVC =
# `make seal`: a KEY=VALUE file (values never on the command line, so never in the shell history).
FILE =
# `make destroy CONFIRM=yes`: nothing is removed without it.
CONFIRM =

# Stop with one line naming the missing variable (exit 2) instead of calling comind with an empty argument.
require = $(if $(strip $($(1))),,$(error $(1) is required: make $@ $(1)=<$(2)>))
env_flags = $(foreach env,$(ENVS),--env $(env))

.DEFAULT_GOAL := help
.PHONY: help bootstrap bootstrap-plan status gitops-status \
	services-setup services-status services-stop services-logs services-clean \
	new-app new-app-full update check-update validate \
	tf-plan-app tf-apply-app tf-destroy-app tf-output-app
.PHONY: destroy kubeconfig argocd-url argocd-password argocd-port-forward seal seal-fetch-cert update-platform
.PHONY: monitoring-access monitoring-port-forward monitoring-proxy monitoring-check

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^## / {printf "\n%s\n", substr($$0, 4)} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

## Platform
bootstrap: ## Create the cluster, install Argo CD and the root app (PROFILE=local|aws, default local)
	$(COMIND) bootstrap --profile '$(PROFILE)'

bootstrap-plan: ## Show what bootstrap would do, change nothing (PROFILE=local|aws)
	$(COMIND) bootstrap --profile '$(PROFILE)' --dry-run

status: ## Check every layer (services, cluster, Argo CD, apps); exits 1 if any check fails
	$(COMIND) status

gitops-status: ## Check that every Argo CD Application is Synced and Healthy; exits 1 if not
	$(COMIND) gitops-status

destroy: ## Remove the cluster, every app's infrastructure and (local) the services comind made (CONFIRM=yes)
	$(COMIND) destroy --profile '$(PROFILE)'$(if $(filter yes,$(CONFIRM)), --yes)

## Cluster access (after bootstrap)
kubeconfig: ## Merge the platform's kubeconfig into ~/.kube/config and use it (then: kubectl get pods -n APP-ENV)
	$(COMIND) kubeconfig --profile '$(PROFILE)' --merge --use

argocd-url: ## Print Argo CD's URL (user admin)
	$(COMIND) argocd url --profile '$(PROFILE)'

argocd-password: ## Print Argo CD's initial admin password
	$(COMIND) argocd password --profile '$(PROFILE)'

argocd-port-forward: ## Forward http://127.0.0.1:8080 to Argo CD until Ctrl-C
	$(COMIND) argocd port-forward --profile '$(PROFILE)'

## Monitoring (answer monitoring: off — these targets say so and exit 2)
monitoring-access: ## Print Grafana's URL and admin login, and where the port-forwards listen
	$(COMIND) monitoring access --profile '$(PROFILE)'

monitoring-port-forward: ## Forward http://127.0.0.1:3000 to Grafana (SVC=prometheus: 9090) until Ctrl-C
	$(COMIND) monitoring port-forward $(or $(SVC),grafana) --profile '$(PROFILE)'

monitoring-proxy: ## Serve Grafana on http://127.0.0.1:3000 through the API server's service proxy until Ctrl-C
	$(COMIND) monitoring proxy --profile '$(PROFILE)'

monitoring-check: ## Grafana's login exists, then every Argo CD Application (kube-prometheus-stack too) Synced and Healthy
	$(COMIND) monitoring access --profile '$(PROFILE)' >/dev/null && $(COMIND) gitops-status --profile '$(PROFILE)'

## Secrets
seal: ## Seal a KEY=VALUE file into a SealedSecret in an app's overlay (APP=name ENV=env FILE=path)
	$(call require,APP,name)$(call require,ENV,env)$(COMIND) seal '$(APP)' --env '$(ENV)' --profile '$(PROFILE)' $(if $(strip $(FILE)),--from-env-file '$(FILE)')

seal-fetch-cert: ## Fetch the cluster's sealed-secrets certificate into .comind/ (needed once per cluster)
	$(COMIND) seal --fetch-cert --profile '$(PROFILE)'

## Local services (Docker, bound to 127.0.0.1)
services-setup: ## Start PostgreSQL, MinIO, Redis, ElasticMQ; generate local credentials into .comind/
	$(COMIND) services up

services-status: ## Check each service answers (authenticated); exits 1 if one does not
	$(COMIND) services status

services-stop: ## Stop the services, keep their data
	$(COMIND) services stop

services-logs: ## Show one service's logs (SVC=postgresql|minio|redis|elasticmq)
	$(call require,SVC,service)$(COMIND) services logs '$(SVC)'

services-clean: ## Remove the containers and volumes comind created (their data is lost); nothing else is touched
	$(COMIND) services clean --yes

## Apps
new-app: ## Create an app (APP=name TEAM=platform|backend|frontend [ENVS="dev ..."])
	$(call require,APP,name)$(call require,TEAM,team)$(COMIND) new-app '$(APP)' --team '$(TEAM)' $(env_flags)

new-app-full: ## Create an app with a database and storage, a cache, a queue (APP=name TEAM=team)
	$(call require,APP,name)$(call require,TEAM,team)$(COMIND) new-app '$(APP)' --team '$(TEAM)' --with-database --with-storage --with-cache --with-queue $(env_flags)

update: ## Update every app from the template (APP=name for one app); the platform's own files: update-platform
	$(COMIND) update $(if $(strip $(APP)),'$(APP)',--all)

update-platform: ## Update the platform's own files (Makefile, infra/, k8s/) from the template; commit, then `make update`
	$(COMIND) update --platform

check-update: ## Tell whether a newer template version exists; exits 1 if one does
	$(COMIND) check-update --exit-code

validate: ## Validate this repository offline (answers, YAML, kustomize builds, schemas, policies)
	$(COMIND) validate .

## App infrastructure (Terraform)
tf-plan-app: ## Plan an app's infrastructure (APP=name ENV=env)
	$(call require,APP,name)$(call require,ENV,env)$(COMIND) tf plan '$(APP)' --env '$(ENV)'

tf-apply-app: ## Apply an app's infrastructure (APP=name ENV=env)
	$(call require,APP,name)$(call require,ENV,env)$(COMIND) tf apply '$(APP)' --env '$(ENV)'

tf-destroy-app: ## Destroy an app's infrastructure (APP=name ENV=env)
	$(call require,APP,name)$(call require,ENV,env)$(COMIND) tf destroy '$(APP)' --env '$(ENV)'

tf-output-app: ## Show an app's infrastructure outputs (APP=name ENV=env)
	$(call require,APP,name)$(call require,ENV,env)$(COMIND) tf output '$(APP)' --env '$(ENV)'

# Development targets of the comind-ops toolkit itself; a generated platform has no such file.
-include comind-dev.mk
