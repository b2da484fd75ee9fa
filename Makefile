# resnet-study: `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

PRESET   ?= paper
DATA_DIR ?= data
SEEDS    ?= 0
OUT      ?= runs/cifar-sweep-$(PRESET)
WORKERS  ?=

.DEFAULT_GOAL := help
.PHONY: help setup test test-all cifar-sweep cifar-quick imagenet-sweep models clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,notebooks]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the package (editable) with test extras

test: $(STAMP) ## Run the fast test suite (slow and GPU tests are skipped)
	$(BIN)/pytest -m "not slow and not gpu" -q

test-all: $(STAMP) ## Run every test, slow ones too (GPU tests skip without a GPU)
	$(BIN)/pytest -q

models: $(STAMP) ## Print the paper's networks with parameter and multiply-add counts
	$(BIN)/resnet-study models

cifar-sweep: $(STAMP) ## The paper's Fig. 6 grid (PRESET=paper|quick DATA_DIR= SEEDS=0,1 OUT=)
	$(BIN)/resnet-study sweep --config experiments/cifar_sweep.yaml --preset $(PRESET) \
		--data-dir $(DATA_DIR) --seeds $(SEEDS) --out $(OUT) $(if $(WORKERS),--workers $(WORKERS))

cifar-quick: $(STAMP) ## Plain/ResNet 20 and 56, quick preset (DATA_DIR= OUT=)
	$(BIN)/resnet-study sweep --config experiments/cifar_quick.yaml \
		--data-dir $(DATA_DIR) --out $(if $(filter runs/cifar-sweep-%,$(OUT)),runs/cifar-quick,$(OUT))

clean: ## Remove the environment and caches (keeps data/ and runs/)
	rm -rf $(VENV) .pytest_cache *.egg-info
