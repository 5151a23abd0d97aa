# gstauth: one auth core for every GST integration.
#   make         runs the demo (the default goal; same as `make demo`)
#   make test    runs every test in the repo
# Each area of the tree has its own fragment in mk/ and adds its test target
# to TEST_TARGETS.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := demo

GO      ?= go
BUILD   := build
CACHE   := .cache
TEST_TARGETS :=
# The Python environment the binding's tests, the end-to-end tests and the demo share.
PY_DIR  := bindings/python
VENV    := $(CACHE)/venv
VPY     := $(VENV)/bin/python

include mk/*.mk

.PHONY: test
test: $(TEST_TARGETS)
	@echo "make test: all suites passed ($(TEST_TARGETS))"

.PHONY: clean
clean:
	rm -rf $(BUILD)
