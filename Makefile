# cloud-platform: `make up` deploys the dev stack to a new kind cluster; `make test` runs the offline suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
OUT ?= build/$(STACK)
# A project-local state backend and passphrase: no Pulumi account is needed.
export PULUMI_BACKEND_URL ?= file://$(CURDIR)/.pulumi-state
export PULUMI_CONFIG_PASSPHRASE_FILE ?= $(CURDIR)/.pulumi-passphrase

.PHONY: venv test up preview destroy render preflight clean

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $@

venv: $(VENV)/.installed

test: venv
	$(PY) -m pytest

render: venv
	$(PY) -m tools render $(STACK) --out $(OUT)

preflight: venv
	$(PY) -m tools preflight

.pulumi-state:
	mkdir -p .pulumi-state

.pulumi-passphrase:
	umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(32))" > $@

# Stack selection is shared by up, preview and destroy.
define select_stack
	pulumi stack select --create $(STACK) --non-interactive >/dev/null
endef

up: preflight .pulumi-state .pulumi-passphrase
	$(select_stack)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" pulumi up --stack $(STACK) --yes

preview: preflight .pulumi-state .pulumi-passphrase
	$(select_stack)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" pulumi preview --stack $(STACK) --diff

destroy: preflight .pulumi-state .pulumi-passphrase
	$(select_stack)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" pulumi destroy --stack $(STACK) --yes

clean:
	rm -rf build .pytest_cache
