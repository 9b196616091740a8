# Everything a fresh machine needs: Python 3 and make. `make run` and `make test` create
# the virtual environment on first use and reinstall only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# the second pass, under python -O (which strips asserts): the error paths and the command
# line, where a check that lived in an assert would show; the whole suite runs in the first
OPTIMIZED_TESTS := tests/test_errors.py tests/reliability/test_rel_bad_input.py \
	tests/reliability/test_rel_cli.py tests/reliability/test_rel_checkpoint_files.py \
	tests/reliability/test_rel_idx_files.py \
	tests/reliability/test_rel_kill_resume.py::test_sigkill_at_random_and_edge_points_then_resume_is_bit_identical

.PHONY: run test test-optimized lint format bench bench-torch clean

run: $(STAMP)
	$(BIN)/python -m chainrule

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest
	$(BIN)/python -O -m pytest -q -p no:cacheprovider $(OPTIMIZED_TESTS)

test-optimized: $(STAMP)  # the whole suite under python -O (asserts stripped), as one pass
	$(BIN)/python -O -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-torch: $(STAMP)  # the CPU build, from PyTorch's CPU wheel index (PyPI's Linux wheel brings CUDA)
	$(BIN)/python -m pip install --quiet torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,plot]"
	touch $(STAMP)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .ruff_cache .hypothesis
