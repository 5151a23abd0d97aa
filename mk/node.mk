# The Node.js binding: bindings/node (the npm package `gstauth`).
#   make node               → build/dist/gstauth-<VERSION>.tgz: the package with the prebuilt addon for linux-x64,
#                             libgstauth.so and gstauth.wasm (nothing is compiled when it is installed)
#   make node-addon         → build/node/gstauth.node, the Node-API addon (plain gcc, headers from node-api-headers)
#   make test-node          → the binding's tests on both backends (the shared stores against redis-server
#                             instances of their own), then the packed tarball in a fresh project
#   make test-node-e2e      → e2e/node against the GST emulator and oidc-provider on loopback (both started and
#                             stopped here, also on failure)
#   make bench-node         → per-call overhead and the 5 MiB payload path from Node (part of `make bench`)

NODE_DIR     := bindings/node
NODE_BUILD   := $(BUILD)/node
NODE_ADDON   := $(NODE_BUILD)/gstauth.node
NODE_STAMP   := $(NODE_DIR)/node_modules/.package-lock.json
NODE_VERSION := $(shell cat VERSION)
NODE_TGZ     := $(BUILD)/dist/gstauth-$(NODE_VERSION).tgz
NODE_ARCH    := linux-x64
NODE_SRC     := $(NODE_DIR)/package.json $(NODE_DIR)/README.md $(wildcard $(NODE_DIR)/src/*.js $(NODE_DIR)/src/*.cjs \
                $(NODE_DIR)/src/*.d.ts $(NODE_DIR)/src/*.d.cts $(NODE_DIR)/src/generated/* $(NODE_DIR)/src/store/*)
# The Redis store's scripts: one text, store/redis/*.lua, copied into the package as it is.
NODE_LUA     := $(wildcard store/redis/*.lua)
NODE_CFLAGS  := -std=gnu11 -O2 -fPIC -shared -fvisibility=hidden -Wall -Wextra -Werror

.PHONY: node node-deps node-addon node-redis-server test-node test-node-package test-node-e2e bench-node
TEST_TARGETS += test-node test-node-e2e

# The pinned packages of package-lock.json, installed into bindings/node/node_modules (again only when the lock changes).
$(NODE_STAMP): $(NODE_DIR)/package-lock.json $(NODE_DIR)/package.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@
node-deps: $(NODE_STAMP)

# Node-API is a stable C ABI: one build serves every Node version from 20 on. Node resolves the napi_* symbols
# when it loads the addon; the addon opens libgstauth.so itself (dlopen, RTLD_NODELETE), so it links nothing else.
$(NODE_ADDON): $(NODE_DIR)/src/addon/gstauth_node.c cshared/gstauth.h $(NODE_STAMP)
	@mkdir -p $(NODE_BUILD)
	gcc $(NODE_CFLAGS) -I$(NODE_DIR)/node_modules/node-api-headers/include -Icshared -o $@ $< -ldl -lpthread
node-addon: $(NODE_ADDON)

# The package is staged in build/node/package: the sources, the artifacts and package.json with the version of
# VERSION (the source package.json says 0.0.0-dev: VERSION is the one place the version is written).
$(NODE_TGZ): $(NODE_ADDON) $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm $(NODE_SRC) $(NODE_LUA) VERSION
	rm -rf $(NODE_BUILD)/package $(BUILD)/dist/gstauth-*.tgz
	mkdir -p $(NODE_BUILD)/package/prebuilds/$(NODE_ARCH) $(NODE_BUILD)/package/wasm $(NODE_BUILD)/package/store/redis \
	  $(BUILD)/dist
	cp -r $(NODE_DIR)/package.json $(NODE_DIR)/README.md $(NODE_DIR)/src $(NODE_BUILD)/package/
	cp $(NODE_LUA) $(NODE_BUILD)/package/store/redis/
	cp $(NODE_ADDON) $(BUILD)/libgstauth.so $(NODE_BUILD)/package/prebuilds/$(NODE_ARCH)/
	cp $(BUILD)/gstauth.wasm $(NODE_BUILD)/package/wasm/
	cd $(NODE_BUILD)/package && npm pkg set --loglevel=error version=$(NODE_VERSION) && \
	  npm pack --loglevel=error --pack-destination $(abspath $(BUILD))/dist >/dev/null
	@tar -tzf $@ | sort | sed 's/^/  /'
node: $(NODE_TGZ)

test-node: $(NODE_STAMP) $(NODE_ADDON) $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm node-redis-server test-node-package
	cd $(NODE_DIR) && node --test --test-reporter=spec test/*.test.js

# The Redis store's tests start redis-server instances of their own (a single node, a three-node cluster) on free
# loopback ports; Debian's redis-server 7.0 is installed when the machine lacks it.
node-redis-server:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

# Installs the tarball into a fresh project and calls both backends with no Go and no compiler on PATH.
test-node-package: $(NODE_TGZ)
	$(NODE_DIR)/scripts/test-package.sh $(abspath $(NODE_TGZ)) $(NODE_VERSION)

# End to end: the emulator (30-minute tokens) and oidc-provider (120-second tokens) as instances of their own, so
# that the Python and Java suites may run at the same time; their URLs go to the tests in the environment.
NODE_E2E_SERVERS := $(abspath e2e/scripts)
test-node-e2e: $(NODE_STAMP) $(NODE_ADDON) $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm $(BUILD)/gstauth oauth-server-deps
	@trap '$(NODE_E2E_SERVERS)/server.sh stop node-e2e-sandbox >/dev/null; \
	  $(NODE_E2E_SERVERS)/stop-oauth-server.sh node-e2e-oauth >/dev/null' EXIT; \
	sandbox="$$($(NODE_E2E_SERVERS)/server.sh start node-e2e-sandbox /_sandbox/health 30 -- \
	  $(abspath $(BUILD))/gstauth sandbox --token-lifetime 30m)"; \
	oauth="$$(OAUTH_ACCESS_TOKEN_TTL=120 $(NODE_E2E_SERVERS)/start-oauth-server.sh node-e2e-oauth)"; \
	GSTAUTH_SANDBOX_URL="$$sandbox" GSTAUTH_OAUTH_URL="$$oauth" node --test --test-reporter=spec e2e/node/*.test.mjs

bench-node: $(NODE_STAMP) $(NODE_ADDON) $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm
	cd $(NODE_DIR) && node bench/bench.js
bench: bench-node
