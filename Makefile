# cloud-platform: `make up` deploys the dev stack to a new kind cluster; `make test` runs the offline suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
comma := ,
space := $(subst ,, )
OUT ?= build/$(STACK)
# The stacks are the Pulumi.<stack>.yaml files; make refuses any other STACK as `tools render` does.
STACKS := $(sort $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))
# A cloud stack's S3 backend and KMS secrets provider, saved by `tools bootstrap-backend --save`
# (git-ignored; exported variables win). `tools backend` stops a cloud stack without them.
-include .pulumi-backend-$(STACK).mk
# Otherwise a project-local state backend and passphrase: no Pulumi account is needed.
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
export PULUMI_CONFIG_PASSPHRASE_FILE ?= $(CURDIR)/.pulumi-passphrase
export PULUMI_SECRETS_PROVIDER

.PHONY: venv test up preview destroy render preflight toolchain backend check-stack clean clean-tools charts

# kind and the Pulumi CLI: used from PATH at a supported version, otherwise fetched into .bin/
# and verified against tools/toolchain.json. Standard library only, so it runs before .venv
# exists and a missing tool is named in seconds. The eks stack needs no docker or kind.
TOOLCHAIN = $(PYTHON) tools/toolchain.py
NEEDED_TOOLS := $(if $(filter eks,$(STACK)),pulumi,kind pulumi)

# "<real path of the base interpreter> <version>" of a Python, empty if it does not run.
python_id = $(shell $(1) -c 'import os, sys; print(os.path.realpath(sys._base_executable), "%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)
PYTHON_ID := $(call python_id,$(PYTHON))
VENV_ID := $(call python_id,$(PY))
PYTHON_VERSION := $(word 2,$(PYTHON_ID))

# A .venv built by another interpreter (or one that no longer runs) is rebuilt.
ifneq ($(PYTHON_ID),$(VENV_ID))
.PHONY: $(VENV)/.installed
endif

# The pins need Python 3.11+; older ones fail in pip's resolver with a cryptic message, so say it first.
define check_python
	@if [ -z "$(PYTHON_VERSION)" ]; then \
		echo "make: '$(PYTHON)' is not a working Python. cloud-platform needs Python 3.11 or newer: install it, then run make again with PYTHON=python3.11 (or newer)." >&2; exit 1; fi
	@v="$(PYTHON_VERSION)"; major=$${v%%.*}; rest=$${v#*.}; minor=$${rest%%.*}; \
	if [ "$$major" -lt 3 ] || { [ "$$major" -eq 3 ] && [ "$$minor" -lt 11 ]; }; then \
		echo "make: cloud-platform needs Python 3.11 or newer to build $(VENV), but '$(PYTHON)' is Python $$v. Install Python 3.11+, then run make again with PYTHON=python3.11 (or newer)." >&2; exit 1; fi
endef

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(check_python)
	@if [ -d $(VENV) ] && [ "$(VENV_ID)" != "$(PYTHON_ID)" ]; then \
		echo "make: $(VENV) was built by $(or $(VENV_ID),an interpreter that no longer runs), not $(PYTHON_ID): rebuilding it"; \
		rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed

test: venv
	$(PY) -m pytest

# The chart cache that `tools charts` and tests/charts render from, outside the repository
# ($$CLOUD_PLATFORM_CHART_CACHE, or $${XDG_CACHE_HOME:-~/.cache}/cloud-platform/charts), filled from
# the pinned chart repositories and checked against tools/charts.lock.yaml. Without network:
# python -m tools charts cache --from-git DIR (git clones of the charts' sources).
charts: venv
	$(PY) -m tools charts cache

render: venv
	$(PY) -m tools render $(STACK) --out $(OUT)

toolchain:
	@$(TOOLCHAIN) ensure $(NEEDED_TOOLS)

# The eks stack needs AWS credentials, images and a certificate, not docker and kind.
ifeq ($(STACK),eks)
preflight: toolchain venv
	$(PY) -m tools preflight eks
else
preflight: toolchain
endif

check-stack:
	@$(if $(filter $(STACK),$(STACKS)),:,echo "make: unknown stack '$(STACK)': expected one of $(subst $(space),$(comma)$(space),$(STACKS)) (STACK=<name> of a Pulumi.<name>.yaml)" >&2; exit 2)

# eks: the S3 backend and KMS secrets provider, or the exact commands that make them.
backend: check-stack venv
	$(PY) -m tools backend $(STACK)

.pulumi-state:
	mkdir -p .pulumi-state

.pulumi-passphrase:
	umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > $@

# Stack selection is shared by up, preview and destroy.
# `run` puts the fetched kind and pulumi (if any) first on PATH, ahead of .venv/bin.
# A stack created on the S3 backend gets the KMS secrets provider.
define select_stack
	$(TOOLCHAIN) run -- pulumi stack select --create $(STACK) --non-interactive $(if $(filter s3://%,$(PULUMI_BACKEND_URL)),--secrets-provider "$$PULUMI_SECRETS_PROVIDER") >/dev/null
endef
PULUMI = PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(TOOLCHAIN) run -- pulumi

# The stack name first, then preflight (tools, before the venv), so a typo or a missing tool
# stops make in seconds; then an eks stack's backend.
up: check-stack preflight venv backend .pulumi-state .pulumi-passphrase
	$(select_stack)
	$(PULUMI) up --stack $(STACK) --yes

preview: check-stack preflight venv backend .pulumi-state .pulumi-passphrase
	$(select_stack)
	$(PULUMI) preview --stack $(STACK) --diff

destroy: check-stack preflight venv backend .pulumi-state .pulumi-passphrase
	$(select_stack)
	$(PULUMI) destroy --stack $(STACK) --yes

# clean removes only what is rebuilt for free. It names what it keeps, and why.
clean:
	rm -rf build .pytest_cache
	@[ ! -d $(VENV) ] || echo "make clean leaves $(VENV)/: the virtualenv, rebuilt by make when the requirements or the Python change (rm -rf $(VENV) to force it)"
	@[ ! -d .pulumi-state ] || echo "make clean leaves .pulumi-state/: the stacks' Pulumi state; deleting it forgets what is deployed (make destroy first)"
	@[ ! -f .pulumi-passphrase ] || echo "make clean leaves .pulumi-passphrase: it decrypts the secrets in .pulumi-state/; without it that state is unreadable"
	@[ ! -d .bin ] || echo "make clean leaves .bin/: the kind and Pulumi CLIs make up fetched and verified (make clean-tools removes them; make up fetches them again)"

# The fetched CLIs; make up downloads and verifies them again when needed.
clean-tools:
	rm -rf .bin
