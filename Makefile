# The few commands people need. Everything runs in .venv/, built from uv.lock.
VENV       := .venv
BIN        := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP      := $(VENV)/.synced-$(shell cat uv.lock pyproject.toml | sha256sum | cut -c1-12)
export UV_PYTHON_DOWNLOADS := never
export GX_ANALYTICS_ENABLED := false

.PHONY: run test e2e bench lint format env clean-data

# Bootstrap: a venv from the system python3, uv inside it, then exactly the locked packages.
$(STAMP): uv.lock pyproject.toml
	test -x $(BIN)/python || python3 -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv sync --frozen --quiet --compile-bytecode
	rm -f $(VENV)/.synced-* && touch $@

env: $(STAMP)

run: $(STAMP)
	$(BIN)/corpus run

# Test files are spread over every core (CI has 2); a file's tests stay in one worker, so a
# module fixture (the release test's S3 server and versions) is built once.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench.compare
	$(BIN)/python -m bench.scale --rounds 3

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench

format: $(STAMP)
	$(BIN)/ruff check --fix pipeline tests bench
	$(BIN)/ruff format pipeline tests bench

clean-data:
	rm -rf data/ingest data/clean data/annotate data/validate data/quarantine data/release
