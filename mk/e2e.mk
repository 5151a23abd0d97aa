# End-to-end tests: real servers on loopback, gstauth as their client.
#   make oauth-server-deps   npm ci of e2e/oauth-server (once; again when the lock changes)
#   make test-e2e-oauth      starts oidc-provider, runs e2e/go against it, stops it
# Server helpers: e2e/scripts/server.sh (pid, URL and log files in $(E2E_CACHE)).

E2E_CACHE        := $(CACHE)/e2e
OAUTH_SERVER_DIR := e2e/oauth-server
# Short access tokens, so the tests watch a refresh happen.
E2E_OAUTH_ACCESS_TOKEN_TTL ?= 10

.PHONY: oauth-server-deps test-e2e-oauth
TEST_TARGETS += test-e2e-oauth

oauth-server-deps:
	@e2e/scripts/oauth-server-deps.sh

# The server runs as its own instance (oauth-server-test), stopped on exit
# whatever the outcome. The tests mostly wait for tokens to fall due, so
# more of them run at once than there are cores (-parallel).
test-e2e-oauth: oauth-server-deps
	@trap 'e2e/scripts/stop-oauth-server.sh oauth-server-test' EXIT; \
	url="$$(OAUTH_ACCESS_TOKEN_TTL=$(E2E_OAUTH_ACCESS_TOKEN_TTL) OAUTH_LOG=1 e2e/scripts/start-oauth-server.sh oauth-server-test)"; \
	GSTAUTH_E2E_OAUTH_URL="$$url" GSTAUTH_E2E_OAUTH_ACCESS_TOKEN_TTL=$(E2E_OAUTH_ACCESS_TOKEN_TTL) \
	  $(GO) test -count=1 -parallel 8 -v ./e2e/go/...
