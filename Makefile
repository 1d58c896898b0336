# gpuprof-gui: set-up, run and test from a fresh clone. `make help` lists the targets.

PYTHON ?= python3
VENV ?= .venv
EXAMPLE ?= resources/examples/hotspots_demo.py
PYTEST_ARGS ?=

VENV_PY := $(VENV)/bin/python
INSTALL_STAMP := $(VENV)/.install-stamp
MIN_PYTHON := 3.11

# Debian packages Qt needs, found from the ELF NEEDED entries of PySide6 6.11's
# QtCore/Gui/Widgets/Svg/OpenGL/DBus and its platform plugins (zlib/zstd are
# always present). Offscreen rendering needs the first list only.
SYSDEPS_OFFSCREEN := libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 \
	libglib2.0-0 libxkbcommon0 fonts-dejavu-core
# A real window on X11. Qt's error blames libxcb-cursor0 when libxcb-icccm4 /
# libxcb-keysyms1 are the ones missing (the app names them: core/system_libs.py).
SYSDEPS_XCB := libx11-xcb1 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-icccm4 \
	libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 \
	libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1
# Xvfb, for the tests of a real window.
SYSDEPS_XVFB := xvfb xauth
# OpenSSH, for the remote-host tests: they run a real sshd on 127.0.0.1 (tests/remote).
SYSDEPS_SSH := openssh-client openssh-server
SYSDEPS := $(SYSDEPS_OFFSCREEN) $(SYSDEPS_XCB) $(SYSDEPS_XVFB) $(SYSDEPS_SSH)

# Prerequisites such as `test: sysdeps install` must run in order.
.NOTPARALLEL:
.DEFAULT_GOAL := help
.PHONY: help venv install run check test screenshots sysdeps bench clean distclean

help: ## list the targets
	@echo "gpuprof-gui make targets (variables: PYTHON=$(PYTHON) VENV=$(VENV) PYTEST_ARGS=...):"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z]+):.*## /  \1\t/' | expand -t 12

venv: $(VENV_PY) ## create .venv with PYTHON (3.11+) if absent

$(VENV_PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < tuple(map(int, "$(MIN_PYTHON)".split("."))))' 2>/dev/null \
	  || { echo "make: need Python $(MIN_PYTHON)+ but $(PYTHON) is $$(command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) --version 2>&1 || echo "not found"); install one and run e.g. make PYTHON=python3.12 ..." >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) \
	  || { echo "make: '$(PYTHON) -m venv' failed; on Debian/Ubuntu install python3-venv (make sysdeps does, as root)" >&2; rm -rf $(VENV); exit 1; }
	@echo "created $(VENV) with $$($(VENV_PY) --version)"

install: $(INSTALL_STAMP) ## pip install -e '.[test]' into .venv (again only when pyproject.toml/setup.py change)

$(INSTALL_STAMP): pyproject.toml setup.py | $(VENV_PY)
	@echo "installing gpuprof-gui (editable, with test extras) into $(VENV) ..."
	@$(VENV_PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

# After the display, the Debian packages the window needs (the X11 ones when Qt will use X11; the
# venv module while there is no .venv): as root with apt-get the missing ones are installed first,
# otherwise `make run` stops with the one `sudo apt-get install ...` line that names them.
run: ## open the window on the bundled example (needs a display; as root installs what Qt needs)
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY$$QT_QPA_PLATFORM" ]; then \
	  echo "make run: no display (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM unset); headless: make install && QT_QPA_PLATFORM=offscreen $(VENV)/bin/gpuprof gui $(EXAMPLE) --run --screenshot shot.png" >&2; \
	  exit 1; fi
	@$(if $(wildcard $(VENV_PY)),,PYTHON=$(PYTHON)) sh tools/sysdeps.sh run $(SYSDEPS_OFFSCREEN) --x11 $(SYSDEPS_XCB)
	@$(MAKE) --no-print-directory install
	$(VENV)/bin/gpuprof-gui $(EXAMPLE) --run

# Static checks, over the whole tree: the package, tests, benchmarks, tools and the bundled examples.
RUFF_CHECK_PATHS ?= .
FORMAT_PATHS ?= .
MYPY_PATHS ?= gpuprof_gui

check: install ## static checks: ruff, ruff format, import contracts, import circles and module sizes, mypy
	$(VENV)/bin/ruff check $(RUFF_CHECK_PATHS)
	$(VENV)/bin/ruff format --check $(FORMAT_PATHS)
	$(VENV)/bin/lint-imports --no-cache --no-logo
	QT_QPA_PLATFORM=offscreen $(VENV_PY) -m pytest -q -p no:cacheprovider tests/project/test_module_structure.py
	$(VENV_PY) -m mypy $(MYPY_PATHS)

# pytest's own status is the recipe's: 5 (nothing collected, e.g. a PYTEST_ARGS typo) fails too.
test: sysdeps install check ## static checks, then the whole test suite headless (PYTEST_ARGS narrows it)
	QT_QPA_PLATFORM=offscreen $(VENV_PY) -m pytest -q $(PYTEST_ARGS)

# Every tab x 1024x768, 1280x720, 1920x1080 x desk/projector x light/dark, under Xvfb when it is
# installed (offscreen otherwise), into docs/gallery/ with what each picture measured.
screenshots: sysdeps install ## the screenshot gallery: docs/gallery/*.png, README.md, manifest.json (fails on a broken layout rule)
	$(VENV_PY) tools/gallery.py --out docs/gallery

sysdeps: ## as root with apt-get: install the missing Debian packages Qt and the SSH tests need (tools/sysdeps.sh)
	@PYTHON=$(PYTHON) sh tools/sysdeps.sh install $(SYSDEPS)

# Each benchmark prints one JSON object; exit 3 means "needs a GPU" (skipped here), any
# other failure is reported and the others still run.
bench: install ## run every benchmarks/*.py (headless; the GPU ones say they are skipped without a GPU)
	@found=0; failed=""; for script in benchmarks/*.py; do \
	  [ -e "$$script" ] || continue; found=1; echo "== $$script"; \
	  QT_QPA_PLATFORM=offscreen $(VENV_PY) $$script; rc=$$?; \
	  if [ $$rc = 3 ]; then echo "   (skipped: needs a GPU)"; elif [ $$rc != 0 ]; then failed="$$failed $$script"; fi; \
	done; [ $$found = 1 ] || echo "bench: no benchmarks/*.py yet"; \
	if [ -n "$$failed" ]; then echo "bench: failed:$$failed" >&2; exit 1; fi

# The one-folder app (packaging/README.md). DIST_DIR/DIST_WORK_DIR move the
# output, e.g. `make dist DIST_DIR=/tmp/app` (tests/project/test_packaging.py does).
DIST_DIR ?= dist
DIST_WORK_DIR ?= build/pyinstaller
DIST_STAMP := $(VENV)/.dist-stamp
.PHONY: dist

dist: $(DIST_STAMP) ## build the one-folder app dist/gpuprof-gui/ with PyInstaller (DIST_DIR=... elsewhere)
	$(VENV_PY) -m PyInstaller --noconfirm --log-level WARN --distpath $(DIST_DIR) \
	  --workpath $(DIST_WORK_DIR) packaging/gpuprof-gui.spec
	@echo "built $(DIST_DIR)/gpuprof-gui/ ($$(du -sh $(DIST_DIR)/gpuprof-gui | cut -f1)): run $(DIST_DIR)/gpuprof-gui/gpuprof-gui; to install it see packaging/README.md"

$(DIST_STAMP): pyproject.toml setup.py | $(VENV_PY)
	@echo "installing PyInstaller (extra: dist) into $(VENV) ..."
	@$(VENV_PY) -m pip install --quiet --disable-pip-version-check -e '.[dist]'
	@touch $@

clean: ## remove build output and caches (keeps .venv)
	rm -rf build dist *.egg-info .pytest_cache $(INSTALL_STAMP)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
