# The demo (`make`, `make demo`) and the Python end-to-end tests. Both start the GST emulator (gstauth sandbox) and
# the oidc-provider OAuth server on loopback and stop them at the end, also on failure.

DEMO_DEPS := cli cshared wasm $(VENV)/.stamp oauth-server-deps node-deps node-addon
# Start both servers as instances named $(1)-sandbox and $(1)-oauth; exports their URLs; stops them on exit.
define with_servers
	trap '$(abspath e2e/scripts)/server.sh stop $(1)-sandbox; $(abspath e2e/scripts)/stop-oauth-server.sh $(1)-oauth' EXIT; \
	sandbox="$$(e2e/scripts/server.sh start $(1)-sandbox /_sandbox/health 30 -- $(abspath $(BUILD))/gstauth sandbox --token-lifetime 30m)"; \
	oauth="$$(OAUTH_ACCESS_TOKEN_TTL=120 e2e/scripts/start-oauth-server.sh $(1)-oauth)"; \
	export GSTAUTH_SANDBOX_URL="$$sandbox" GSTAUTH_OAUTH_URL="$$oauth" PYTHONPATH=$(abspath $(PY_DIR)):$(abspath e2e/python); \
	export GSTAUTH_LIBRARY=$(abspath $(BUILD))/libgstauth.so GSTAUTH_WASM=$(abspath $(BUILD))/gstauth.wasm;
endef

.PHONY: demo test-e2e-python
TEST_TARGETS += test-e2e-python

# The same flows from Python, then Node, then Java, against the same servers: the facts printed must agree. Then a
# small fleet: Go, Python and Node processes sharing one session through a store, refreshed once.
demo: $(DEMO_DEPS) java
	@$(call with_servers,demo) $(VPY) e2e/python/demo.py && echo && node e2e/node/demo.mjs && echo && \
	  $(MAKE) --no-print-directory demo-java
	@echo && $(MAKE) --no-print-directory demo-fleet

test-e2e-python: $(DEMO_DEPS)
	@$(call with_servers,e2e) cd e2e/python && $(abspath $(VPY)) -m pytest -q -rfE .
