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
QUICK_OUT ?= runs/cifar-quick
STUDY_OUT ?= runs/cifar-study
IMAGENET_STUDY_OUT ?= runs/imagenet-study
CONSTRUCTED_OUT ?= runs/constructed
IMAGENET_DIR    ?= $(DATA_DIR)
IMAGENET_PRESET ?= imagenet_subset
IMAGENET_OUT    ?= runs/imagenet-$(IMAGENET_PRESET)
# make gpu-check: the machine's own python3 and torch, data in an ignored folder of the checkout (it travels with it)
GPU_DATA ?= .gpu/data
GPU_OUT  ?= results/bench
CIFAR    ?= $(DATA_DIR)

.DEFAULT_GOAL := help
.PHONY: help setup test test-all gpu-data gpu-check cifar-sweep cifar-quick cifar-study imagenet-sweep imagenet-study constructed why why-landscape why-lesion why-shatter why-degeneracy models notebooks notebooks-refresh figures slides clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,notebooks,tensorboard]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the package (editable) with test extras, at constraints.txt's versions

# Up to 4 pytest-xdist workers, one thread each, a test file per worker: 1.5x faster on 2 cores.
test: $(STAMP) ## Run the fast test suite (slow and GPU tests are skipped)
	$(BIN)/pytest -m "not slow and not gpu" -q -n auto --maxprocesses 4 --dist loadfile

test-all: $(STAMP) ## Run every test, slow ones too (GPU tests skip without a GPU)
	$(BIN)/pytest -q

models: $(STAMP) ## Print the paper's networks with parameter and multiply-add counts
	$(BIN)/resnet-study models

cifar-sweep: $(STAMP) ## The paper's Fig. 6 grid (PRESET=paper|quick DATA_DIR= SEEDS=0,1 OUT=)
	$(BIN)/resnet-study sweep --config experiments/cifar_sweep.yaml --preset $(PRESET) \
		--data-dir $(DATA_DIR) --seeds $(SEEDS) --out $(OUT) $(if $(WORKERS),--workers $(WORKERS))

cifar-quick: $(STAMP) ## Plain/ResNet 20 and 56, quick preset, minutes on a CPU (DATA_DIR= QUICK_OUT=)
	$(BIN)/resnet-study sweep --config experiments/cifar_quick.yaml --data-dir $(DATA_DIR) --out $(QUICK_OUT)

cifar-study: $(STAMP) ## Fig. 6 grid until training error plateaus, about an hour on 2 CPU cores (DATA_DIR= STUDY_OUT=)
	$(BIN)/resnet-study sweep --config experiments/cifar_study.yaml --data-dir $(DATA_DIR) --out $(STUDY_OUT) \
		$(if $(WORKERS),--workers $(WORKERS))

imagenet-study: $(STAMP) ## Fig. 4's four nets on Imagenette at 64 px, images decoded once (DATA_DIR= IMAGENET_STUDY_OUT=)
	$(BIN)/resnet-study sweep --config experiments/imagenet_study.yaml --data-dir $(IMAGENET_DIR) \
		--out $(IMAGENET_STUDY_OUT) $(if $(WORKERS),--workers $(WORKERS))

imagenet-sweep: $(STAMP) ## Plain/ResNet 18 and 34 on an ImageFolder subset (DATA_DIR= IMAGENET_PRESET= IMAGENET_OUT=)
	$(BIN)/resnet-study sweep --config experiments/imagenet_subset.yaml --preset $(IMAGENET_PRESET) \
		--data-dir $(IMAGENET_DIR) --out $(IMAGENET_OUT) $(if $(WORKERS),--workers $(WORKERS))

constructed: $(STAMP) ## Section 1's constructed solution: published plain/ResNet-20 -> 56, built and trained on (DATA_DIR= CONSTRUCTED_OUT=)
	for kind in plain resnet; do \
		$(BIN)/resnet-study construct --model cifar_$${kind}56 --from cifar_$${kind}20 --weights wooyeolbaek \
			--data-dir $(DATA_DIR) --preset quick --lr 0.001 --milestones "" --iterations 100 --log-every 10 \
			--eval-every 20 --checkpoint-every 20 --out $(CONSTRUCTED_OUT)/$${kind}20-56 || exit 1; \
	done

WHY_OUT  ?= runs/why
WHY_ARGS ?=
why: why-lesion why-degeneracy why-shatter why-landscape ## The four analyses of "why shortcuts help" on the published twins (DATA_DIR= WHY_OUT= WHY_ARGS=)

why-landscape why-lesion why-shatter why-degeneracy: why-%: $(STAMP) ## One analysis: loss landscape, lesions, shattered gradients, degeneracy audit (DATA_DIR= WHY_OUT= WHY_ARGS=)
	$(BIN)/resnet-study $* --data-dir $(DATA_DIR) --out $(WHY_OUT)/$* $(WHY_ARGS)

# The results folders the figures and the deck read, one word per kind (reports/analysis.py's FOLDERS,
# and any an analysis adds): RESULTS="cifar=runs/cifar-study imagenet=runs/imagenet-study". A kind not
# named reads its committed folder under results/. The single variables still work and win.
RESULTS          ?=
CIFAR_RESULTS    ?=
IMAGENET_RESULTS ?=
CONSTRUCTED      ?=
PUBLISHED        ?=
PUBLISHED_DECK   ?=
RESULTS_GIVEN = $(RESULTS) $(if $(CIFAR_RESULTS),cifar=$(CIFAR_RESULTS)) \
    $(if $(IMAGENET_RESULTS),imagenet=$(IMAGENET_RESULTS)) $(if $(CONSTRUCTED),constructed=$(CONSTRUCTED)) \
    $(if $(PUBLISHED),published=$(PUBLISHED))
FIGURES          ?= build/figures
ONLY             ?=
SLIDES_LANG      ?= en
JUPYTER_ARGS     ?=

notebooks: $(STAMP) ## Open the notebooks in JupyterLab (JUPYTER_ARGS="--no-browser --ip 0.0.0.0 --allow-root")
	$(BIN)/jupyter lab notebooks/ $(JUPYTER_ARGS)

figures: $(STAMP) ## Run the notebooks headlessly: build/notebooks/*.ipynb, $(FIGURES)/*.png|pdf (RESULTS="cifar=DIR ..." ONLY=fig6)
	$(BIN)/python -m resnet_study.reports.notebooks --results "$(strip $(RESULTS_GIVEN))" --figures $(FIGURES) \
		--out build/notebooks $(if $(ONLY),--only $(ONLY))

notebooks-refresh: $(STAMP) ## Re-execute notebooks/*.ipynb in place on results/ (committed with outputs; same tables, same files)
	$(BIN)/python -m resnet_study.reports.notebooks --refresh

slides: $(STAMP) ## The deck: build/slides.pptx and build/slides.pdf (SLIDES_LANG=ko: build/slides-ko.*; RESULTS="cifar=DIR ...")
	$(BIN)/python -m resnet_study.reports.slides --results "$(strip $(RESULTS_GIVEN) $(if $(PUBLISHED_DECK),published=$(PUBLISHED_DECK)))" \
		--lang $(SLIDES_LANG) --out build

clean: ## Remove the environment and caches (keeps data/ and runs/)
	rm -rf $(VENV) .pytest_cache *.egg-info

gpu-data: ## Copy a CIFAR-10 folder into the checkout's ignored .gpu/data, so that it travels to a GPU (CIFAR=<folder> GPU_DATA=)
	@test -d "$(CIFAR)/cifar-10-batches-py" || { echo "make gpu-data: $(CIFAR) holds no cifar-10-batches-py/; give CIFAR=<the folder holding it> (torchvision's download, or a subset in the same format)" >&2; exit 1; }
	mkdir -p $(GPU_DATA)
	cp -r $(CIFAR)/cifar-10-batches-py $(GPU_DATA)/
	chmod -R u+w $(GPU_DATA)

gpu-check: ## The GPU check in 7.5 minutes: bench, profile, compiled bench, precisions, gpu tests, sweeps, torchrun (GPU_DATA= GPU_OUT=)
	$(PYTHON) scripts/gpu_check.py --data $(GPU_DATA) --out $(GPU_OUT)
