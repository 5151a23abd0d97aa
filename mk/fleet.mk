# The shared session store and the fleet test (e2e/fleet/README.md, docs/hosts.md "Many processes").
#   make test-store   the Go stores and shared sessions against a Redis server and a three-node Redis Cluster
#                     (e2e/scripts/redis.sh starts both on loopback, installing Debian's redis-server if needed,
#                     and they are stopped on exit, also on failure)
#   make test-fleet   16 worker processes, 4 each of Go, Python, Java and Node (the languages whose worker exists;
#                     GSTAUTH_FLEET_LANGUAGES=go,node picks some), share one GSTN, one e-invoice and one OAuth
#                     session for five GSTN windows and more, three scenarios at once: the file store with a lease
#                     holder killed mid-refresh, Redis restarted mid-run, a Redis Cluster; the servers' counts are
#                     printed and must show one refresh per window, no expired token, no OTP after the first
#   make demo-fleet   a small fleet: Go, Python and Node workers, one session, one refresh, the counts printed

FLEET_ENV := GSTAUTH_LIBRARY=$(abspath $(BUILD))/libgstauth.so GSTAUTH_WASM=$(abspath $(BUILD))/gstauth.wasm \
             PYTHONPATH=$(abspath $(PY_DIR)) GSTAUTH_FLEET_PYTHON=$(abspath $(VPY))
FLEET_DEPS := $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm $(VENV)/.stamp node-deps node-addon
# The Java worker runs against the packaged jar (make java: a target name, since mk/java.mk is read after this file).
FLEET_JAVA := $(if $(wildcard e2e/fleet/java/worker.sh),java)
# The orchestrator stops every server it starts; should it be killed first, the servers of its instance prefix are
# stopped here on exit.
define fleet_run
prefix=fleet-$$$$; \
trap 'for s in file redis cluster demo; do e2e/scripts/stop-oauth-server.sh $$prefix-$$s-oauth >/dev/null; e2e/scripts/redis.sh stop $$prefix-$$s; done' EXIT; \
GSTAUTH_FLEET_INSTANCE=$$prefix $(FLEET_ENV) $(GO) run ./e2e/fleet
endef

.PHONY: test-store test-fleet demo-fleet
TEST_TARGETS += test-store test-fleet

test-store:
	@trap 'e2e/scripts/redis.sh stop store-test; e2e/scripts/redis.sh stop store-test-cluster' EXIT; \
	single="$$(e2e/scripts/redis.sh start store-test)"; \
	cluster="$$(e2e/scripts/redis.sh start store-test-cluster --cluster)"; \
	GSTAUTH_TEST_REDIS=$$single GSTAUTH_TEST_REDIS_CLUSTER=$$cluster $(GO) test -race -count=1 -run 'Store|Shared' -v . \
	  | grep -E '^(--- |ok|FAIL|PASS)|    --- |_test.go'

test-fleet: $(FLEET_DEPS) $(FLEET_JAVA) oauth-server-deps
	$(GO) test -count=1 ./e2e/fleet/
	@$(fleet_run)

demo-fleet: $(FLEET_DEPS)
	@$(fleet_run) -demo
