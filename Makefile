# Two commands for a fresh machine:
#   make demo   set up .venv and train the primer's MNIST network (mnist-sgd)
#   make test   set up .venv with every extra and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[torch,h5,playground,sklearn,dev]"
	touch $(STAMP)

# The team's machines keep the real data sets in ../shared/data; elsewhere groundup downloads
# MNIST (about 11 MB, SHA-256 checked) into ~/.cache/groundup on first use.
SHARED_DATA := $(wildcard ../shared/data)
ifneq ($(SHARED_DATA),)
export GROUNDUP_DATA_DIR ?= $(abspath $(SHARED_DATA))
endif

demo: $(STAMP)
	$(BIN)/groundup train mnist

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks
	# Two pytest workers on two cores: one BLAS/OpenMP thread each, or they fight over the cores.
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n 2

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
