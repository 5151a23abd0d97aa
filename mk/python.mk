# The Python binding: bindings/python.

PY_REQS  := $(PY_DIR)/requirements-test.txt

.PHONY: python-venv python-wheel test-python test-python-wheel lint-python
TEST_TARGETS += test-python lint-python

# A virtual environment with the pinned test and demo dependencies, rebuilt when the pins change.
$(VENV)/.stamp: $(PY_REQS)
	python3 -m venv $(VENV)
	$(VPY) -m pip install --quiet --disable-pip-version-check -r $(PY_REQS)
	touch $@
python-venv: $(VENV)/.stamp

# The wheel bundles libgstauth.so, gstauth.wasm and the Redis store's scripts (store/redis/*.lua, their one source);
# nothing is compiled at install time.
python-wheel: $(VENV)/.stamp $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm $(wildcard store/redis/*.lua)
	rm -rf $(PY_DIR)/gstauth/_lib $(PY_DIR)/build $(BUILD)/dist/gstauth-*.whl
	mkdir -p $(PY_DIR)/gstauth/_lib/redis $(BUILD)/dist
	cp $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm $(PY_DIR)/gstauth/_lib/
	cp store/redis/*.lua $(PY_DIR)/gstauth/_lib/redis/
	cd $(PY_DIR) && $(abspath $(VPY)) -m pip wheel --quiet --no-deps --no-build-isolation -w $(abspath $(BUILD))/dist .
	rm -rf $(PY_DIR)/gstauth/_lib $(PY_DIR)/build $(PY_DIR)/*.egg-info
	@ls $(BUILD)/dist/gstauth-*.whl

test-python: $(VENV)/.stamp $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm test-python-wheel
	cd $(PY_DIR) && $(abspath $(VPY)) -m pytest -q -rfE tests

# Installs the wheel into a fresh virtual environment with no Go on PATH and runs a smoke call on both backends.
test-python-wheel: python-wheel
	rm -rf $(CACHE)/wheel-venv
	python3 -m venv $(CACHE)/wheel-venv
	$(CACHE)/wheel-venv/bin/python -m pip install --quiet --disable-pip-version-check \
	  $(BUILD)/dist/gstauth-*.whl extism==1.1.1 extism-sys==1.41.0
	cd /tmp && env -i PATH=/usr/bin:/bin HOME=$$HOME GSTAUTH_VERSION_FILE="$$(cat $(abspath VERSION))" \
	  $(abspath $(CACHE))/wheel-venv/bin/python -c \
	  'import importlib.metadata as m, os, shutil, gstauth, gstauth.http; assert shutil.which("go") is None; \
	   a = gstauth.aes_ecb_encrypt(key=b"k"*32, plaintext=b"x", backend="cshared"); \
	   b = gstauth.aes_ecb_encrypt(key=b"k"*32, plaintext=b"x", backend="wasm"); assert a == b; \
	   v = os.environ["GSTAUTH_VERSION_FILE"]; \
	   assert m.version("gstauth") == gstauth.__version__ == gstauth.get_backend("wasm").version == v, v; \
	   from gstauth.store._scripts import script, script_dir; \
	   assert script_dir().startswith(os.path.dirname(gstauth.__file__)) and "PEXPIRE" in script("lease")[0]; \
	   print("wheel ok:", gstauth.__file__, m.version("gstauth"))'

# mypy --strict on the package, its examples and the fleet worker (configuration: pyproject.toml).
lint-python: $(VENV)/.stamp
	cd $(PY_DIR) && $(abspath $(VPY)) -m mypy --strict --cache-dir $(abspath $(CACHE))/mypy gstauth examples \
	  $(abspath e2e/fleet/python/worker.py)

# Per-call overhead and payload throughput from Python, on both backends.
.PHONY: bench-python
bench-python: $(VENV)/.stamp $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm
	$(VPY) $(PY_DIR)/benchmarks/bench_calls.py
bench: bench-python

