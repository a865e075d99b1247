# pshell: `make run` starts the shell, `make test` runs every test; both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.test-installed
DSTAMP := $(VENV)/.dev-installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-deps system-deps bench lint clean pester corpus docs-examples

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	$(BIN)/python -m compileall -q pshell >/dev/null
	touch $@

run: $(STAMP)
	$(BIN)/pshell

# OpenSSH's sshd (the remoting tests start real sshd processes on 127.0.0.x) and tmux (the REPL is
# tested once in a real terminal) come from Debian's packages when they are missing.
system-deps:
	@missing=""; \
	[ -x /usr/sbin/sshd ] || missing="$$missing openssh-server"; \
	command -v ssh >/dev/null 2>&1 || missing="$$missing openssh-client"; \
	command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	command -v pgrep >/dev/null 2>&1 || missing="$$missing procps"; \
	command -v useradd >/dev/null 2>&1 || missing="$$missing passwd"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@mkdir -p /run/sshd 2>/dev/null || $(SUDO) mkdir -p /run/sshd || true

$(TSTAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

test-deps: system-deps $(TSTAMP)

test: test-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

# bytecode first: a module compiled at every start would be measured as pshell's start-up
bench: test-deps
	$(BIN)/python -m compileall -q pshell >/dev/null
	$(BIN)/python bench/run.py

# Yardsticks (not part of `make test`: they need a checkout of PowerShell/PowerShell, see README).
# pester: PowerShell's own tests through tests/pester/Pester.ps1. PESTER_SET=language (Language's tests,
# baseline tests/pester/failing.txt) or cmdlets (Modules/Microsoft.PowerShell.{Utility,Management,Core},
# baseline tests/pester/failing-cmdlets.txt); PESTER_ARGS=--update records a new baseline, -v lists failures.
PESTER_SET ?= language
pester: $(STAMP)
	@test -n "$(PESTER_SRC)" || { echo "usage: make pester PESTER_SRC=<PowerShell checkout>"; exit 2; }
	$(BIN)/python tests/pester/run.py --set $(PESTER_SET) $(PESTER_ARGS) $(PESTER_SRC)

# corpus: every .ps1/.psm1 of PowerShell's repository through pshell's parser
corpus: $(STAMP)
	@test -n "$(PS_REPO)" || { echo "usage: make corpus PS_REPO=<PowerShell checkout>"; exit 2; }
	$(BIN)/python tests/pester/corpus.py $(PS_REPO)

# docs-examples: the examples of PowerShell's reference pages on jobs and remoting, each translated
# to Linux and loopback sshd as a test of ours (docs_examples/; the table is in the README)
docs-examples: test-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider docs_examples

$(DSTAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# ruff (pyflakes, pycodestyle, bugbear) over everything, then mypy over the package; both always
# run, and lint fails when either finds something.
lint: $(DSTAMP)
	@status=0; \
	echo "ruff check pshell tests bench"; $(BIN)/python -m ruff check pshell tests bench || status=1; \
	echo "mypy pshell"; $(BIN)/python -m mypy pshell || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) build *.egg-info
