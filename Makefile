# Every target works on a fresh clone: it creates the virtualenv and fetches
# the real helm and kubectl binaries it needs (see tools/fetch_binaries.py).

PYTHON ?= python3
VENV ?= .venv
CACHE ?= .cache
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: venv binaries catalogs test lint build dist demo bench fuzz clean

venv: $(STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml requirements/dev.txt requirements/runtime.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

binaries: venv
	$(PY) tools/fetch_binaries.py --cache $(CACHE)

MO := kubectl_metax/locale/zh_CN/LC_MESSAGES/kubectl_metax.mo

catalogs: $(MO)

# A real file target, so an unchanged catalog does not trigger a zipapp rebuild.
$(MO): $(STAMP) $(wildcard po/zh_CN/*.po) tools/catalogs.py
	$(PY) tools/catalogs.py

test: venv binaries catalogs build
	KMX_CACHE=$(CACHE) KMX_ZIPAPP=$(CURDIR)/dist/kubectl-metax $(PY) -m pytest -n 2 tests

lint: venv catalogs
	$(PY) -m ruff check kubectl_metax tests tools
	$(PY) -m ruff format --check kubectl_metax tests tools
	$(PY) -m mypy kubectl_metax
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vermin --no-tips --violations --target=3.8- kubectl_metax

build: dist/kubectl-metax

dist/kubectl-metax: $(STAMP) $(MO) $(shell find kubectl_metax po -type f -not -path '*/__pycache__/*' -not -name '*.mo') requirements/runtime.txt tools/build_zipapp.py
	$(PY) tools/build_zipapp.py --output $@

# Download base of the release archive in the krew manifest. The project has
# no public home yet: this default is a placeholder (.invalid never resolves),
# so set it for a real release, e.g. make dist KREW_BASE_URL=https://...
KREW_BASE_URL ?= https://kubectl-metax.invalid/releases/download

dist: build
	$(PY) tools/dist.py --krew-base-url '$(KREW_BASE_URL)'

# Benchmarks (bench/README.md): prints the table and writes bench/RESULTS.md
# and bench/p1.png. Its plotting library is installed here only.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) requirements/bench.txt
	$(PY) -m pip install --quiet -r requirements/bench.txt
	touch $@

bench: build binaries $(BENCH_STAMP)
	$(PY) -m bench

# Coverage-guided fuzzing (fuzz/README.md), not part of make test or CI:
# each harness runs FUZZ_SECONDS; new inputs and crashes go under .cache/fuzz.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := stream references
FUZZ_STAMP := $(VENV)/.fuzz-installed

$(FUZZ_STAMP): $(STAMP) requirements/fuzz.txt
	$(PY) -m pip install --quiet -r requirements/fuzz.txt
	touch $@

fuzz: $(FUZZ_STAMP)
	for target in $(FUZZ_TARGETS); do \
		mkdir -p $(CACHE)/fuzz/$$target/corpus || exit 1; \
		$(PY) fuzz/fuzz_$$target.py -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(CACHE)/fuzz/$$target/ \
			$(CACHE)/fuzz/$$target/corpus fuzz/seeds/$$target || exit 1; \
	done

demo: venv binaries catalogs build
	KMX_CACHE=$(CACHE) $(PY) tools/demo.py --zipapp dist/kubectl-metax --cache $(CACHE)

clean:
	rm -rf $(VENV) dist build *.egg-info kubectl_metax/locale
