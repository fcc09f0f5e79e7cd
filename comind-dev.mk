# Development targets of the comind-ops toolkit itself (included by the rendered platform Makefile).
# A generated platform repository has no such file; there these targets do not exist.

COMIND_CACHE ?= $(HOME)/.cache/comind-ops
PYTHON ?= python3
PY_TAG := $(shell $(PYTHON) -c 'import sys; print("py%d%d" % sys.version_info[:2])' 2>/dev/null)
# Keyed by pyproject.toml and by this checkout's path: the venv holds an editable install of one checkout, so two
# clones sharing a venv would each re-point it at themselves and the other's tests would import the wrong files.
PYPROJECT_KEY := $(shell { cat pyproject.toml; echo "$(CURDIR)"; } | sha256sum | cut -c1-12)
VENV ?= $(COMIND_CACHE)/venv-$(PY_TAG)-$(PYPROJECT_KEY)
VPY := $(VENV)/bin/python
DEMO_DIR ?= $(CURDIR)/.demo
PYTEST_ARGS ?=

.PHONY: venv demo test test-quick components bench render-self lint

# The marker is written last: an interrupted build is redone, never taken for a finished venv.
VENV_DONE := $(VENV)/.comind-complete
$(VENV_DONE):
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e ".[test]"
	touch $@

venv: $(VENV_DONE) ## Create the toolkit's virtualenv (cached outside the clone, keyed by pyproject.toml)
	@$(VPY) -m pip install -q --no-deps -e .
	@echo "venv: $(VENV)"

demo: venv ## Render a platform and two apps into .demo/, validate them, start services if Docker answers, run the verifier
	@COMIND="$(VENV)/bin/comind" VPY="$(VPY)" DEMO_DIR="$(DEMO_DIR)" bash tests/testbin/demo.sh

components: venv ## Install and start the real components the tests use (docker engine, images, control plane, providers)
	VPY="$(VPY)" bash tests/testbin/setup-all.sh

test: venv ## The whole test suite against real components (set up first); a missing component fails, never skips
	VPY="$(VPY)" bash tests/testbin/run-tests.sh $(PYTEST_ARGS)

GO ?= $(shell command -v go || echo /usr/local/go/bin/go)
GOFMT ?= $(dir $(GO))gofmt
GO_PROVIDER := comind_scaffold/provider_localdev

# Every step runs, then the target fails if any did; the linters' versions are pinned in pyproject.toml's test extra.
lint: venv ## ruff, mypy --strict, gofmt, go vet and go test of the Go provider; fails on any finding
	@status=0; \
	echo "== ruff"; $(VENV)/bin/ruff check --output-format concise . || status=1; \
	echo "== mypy --strict"; $(VENV)/bin/mypy comind_scaffold || status=1; \
	echo "== gofmt"; unformatted="$$($(GOFMT) -l $(GO_PROVIDER))"; \
	if [ -n "$$unformatted" ]; then echo "not gofmt-formatted: $$unformatted"; status=1; fi; \
	echo "== go vet, go test"; (cd $(GO_PROVIDER) && CGO_ENABLED=0 $(GO) vet ./... && \
		CGO_ENABLED=0 $(GO) test ./...) || status=1; \
	exit $$status

test-quick: venv ## Tests that need no Docker engine, control plane or terraform mirror
	PATH="$(VENV)/bin:$$PATH" $(VPY) -m pytest tests/ -m "not docker and not cluster and not terraform" $(PYTEST_ARGS)

render-self: venv ## Re-render the repo's own platform files (Makefile, infra/, k8s/) from templates/platform
	$(VPY) -m tests.helpers_platform

bench: venv components ## Benchmarks (each prints side-by-side ratios against its baseline)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(VPY) $$b || exit 1; done
