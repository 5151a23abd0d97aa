# The Java binding: bindings/java (Maven, Java 17 baseline; README there).
#   make java             → build/dist/gstauth-$(VERSION).jar, its sources jar and pom, and its runtime
#                           dependencies in build/dist/gstauth-$(VERSION)-lib/
#   make test-java        → JUnit on JDK 17 (native route JNA) and JDK 25 (native route FFM), both backends each,
#                           with the GST emulator, oidc-provider, Redis and a Redis Cluster on loopback for the
#                           end-to-end and store tests (started here, stopped on exit); then test-java-dist
#   make test-java-dist   → a plain program compiled with javac against the dist jar alone, run on each JDK and
#                           backend with no Go and no Maven reachable
#   make test-java-e2e    → only the end-to-end and store tests of test-java, with the same servers, newest JDK
#   make demo-java        → e2e/java/Demo.java against the servers of GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL
#   make bench-java       → per-call overhead and the 5 MiB GSTN request against a JCE peer (bindings/java/README.md)
#   make java-generate    → rewrites the generated sources (ErrorCode, Types, Ops) from the schema: internal/gen
#
# The JDKs are found at build time (JAVA17_HOME / JAVA25_HOME, else /usr/lib/jvm, else the javac on PATH). Maven
# runs on the newest one found, so the FFM class (Java 22, META-INF/versions/22) compiles; the rest targets Java 17.
# A JDK that is missing skips its test run and says so.

JAVA_DIR      := bindings/java
JAVA_VER      := $(shell cat VERSION)
JAVA_JAR      := $(BUILD)/dist/gstauth-$(JAVA_VER).jar
JAVA_LIB      := $(BUILD)/dist/gstauth-$(JAVA_VER)-lib
JDK17_HOME    := $(shell $(JAVA_DIR)/scripts/find-jdk.sh 17)
JDK25_HOME    := $(shell $(JAVA_DIR)/scripts/find-jdk.sh 25 26 24 23 22)
JAVA_MVN_HOME := $(or $(JDK25_HOME),$(JDK17_HOME))
JAVA_SRC      := $(shell find $(JAVA_DIR)/src/main $(JAVA_DIR)/src/generated -type f 2>/dev/null) $(JAVA_DIR)/pom.xml VERSION
MVN           ?= mvn
# Maven 3.8 itself calls sun.misc.Unsafe and loads a JNI library, which JDK 23+ warns about on every run.
JAVA_MVN_OPTS := $(if $(JDK25_HOME),--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
JAVA_MVN       = cd $(JAVA_DIR) && JAVA_HOME=$(JAVA_MVN_HOME) MAVEN_OPTS="$(JAVA_MVN_OPTS)" $(MVN) -B -ntp \
                 -Drevision=$(JAVA_VER) -Dgstauth.artifacts=$(abspath $(BUILD))
JAVA_JDK_ARGS := $(if $(JDK17_HOME),-Djdk17.java=$(JDK17_HOME)/bin/java,-Dskip.jdk17=true) \
                 $(if $(JDK25_HOME),-Djdk25.java=$(JDK25_HOME)/bin/java,-Dskip.jdk25=true)
JAVA_TARGET    = $(JAVA_DIR)/target/gstauth-$(JAVA_VER)

.PHONY: java test-java test-java-dist bench-java java-generate java-jdks java-clean
TEST_TARGETS += test-java

java-clean:
	rm -rf $(JAVA_DIR)/target $(JAVA_DIR)/.flattened-pom.xml $(JAVA_SMOKE) $(JAVA_BENCH) $(JAVA_DEMO)
clean: java-clean

java-jdks:
	@test -n "$(JAVA_MVN_HOME)" || { echo "java: no JDK 17 or 22+ found (set JAVA17_HOME or JAVA25_HOME)"; exit 1; }
	@echo "java: JDK 17: $(or $(JDK17_HOME),not found - the JNA run is skipped)"
	@echo "java: JDK 22+: $(or $(JDK25_HOME),not found - the FFM class is not built and the FFM run is skipped)"
	@echo "java: Maven runs on $(JAVA_MVN_HOME)"

# Copies the packaged jar, its sources, its pom (version resolved) and its runtime dependencies to build/dist.
define java_dist
	mkdir -p $(BUILD)/dist
	cp $(JAVA_TARGET).jar $(JAVA_JAR)
	cp $(JAVA_TARGET)-sources.jar $(BUILD)/dist/gstauth-$(JAVA_VER)-sources.jar
	cp $(JAVA_DIR)/.flattened-pom.xml $(BUILD)/dist/gstauth-$(JAVA_VER).pom
	rm -rf $(JAVA_LIB)
	$(JAVA_MVN) -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=$(abspath $(JAVA_LIB))
	@echo "java: $(JAVA_JAR) and $$(ls $(JAVA_LIB) | wc -l) runtime dependencies in $(JAVA_LIB)"
endef

java: $(JAVA_JAR)
$(JAVA_JAR): $(JAVA_SRC) $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm | java-jdks
	$(JAVA_MVN) -DskipTests package
	$(java_dist)

# The servers of the Java tests, on loopback, stopped on exit whatever the outcome: the GST emulator and oidc-provider
# (E2eTest), a Redis server and a three-node Redis Cluster (StoreTest, SharedProcessesTest); their addresses exported.
JAVA_E2E_SERVERS := $(abspath e2e/scripts)
define java_servers
	trap '$(JAVA_E2E_SERVERS)/server.sh stop java-test-sandbox >/dev/null; \
	  $(JAVA_E2E_SERVERS)/stop-oauth-server.sh java-test-oauth >/dev/null; \
	  $(JAVA_E2E_SERVERS)/redis.sh stop java-test-redis; $(JAVA_E2E_SERVERS)/redis.sh stop java-test-cluster' EXIT; \
	sandbox="$$($(JAVA_E2E_SERVERS)/server.sh start java-test-sandbox /_sandbox/health 30 -- \
	  $(abspath $(BUILD))/gstauth sandbox --token-lifetime 30m)"; \
	oauth="$$(OAUTH_ACCESS_TOKEN_TTL=120 $(JAVA_E2E_SERVERS)/start-oauth-server.sh java-test-oauth)"; \
	redis="$$($(JAVA_E2E_SERVERS)/redis.sh start java-test-redis)"; \
	cluster="$$($(JAVA_E2E_SERVERS)/redis.sh start java-test-cluster --cluster)"; \
	export GSTAUTH_SANDBOX_URL="$$sandbox" GSTAUTH_OAUTH_URL="$$oauth" GSTAUTH_TEST_REDIS="$$redis" \
	  GSTAUTH_TEST_REDIS_CLUSTER="$$cluster" GSTAUTH_TEST_PROCESSES=1;
endef
JAVA_TEST_DEPS := $(BUILD)/libgstauth.so $(BUILD)/gstauth.wasm $(BUILD)/gstauth oauth-server-deps java-jdks

# The tests run against the packaged jar, once per JDK (surefire executions jdk17 and jdk25 in the pom), with the
# servers above: the unit tests, the end-to-end tests and the store tests in one build (SharedProcessesTest, which
# starts child JVMs, on the newest JDK only).
test-java: $(JAVA_TEST_DEPS)
	@$(java_servers) $(JAVA_MVN) $(JAVA_JDK_ARGS) verify
	$(java_dist)
	$(MAKE) --no-print-directory test-java-dist

# Only the dist jar and its declared dependencies, copied out of the tree; java by absolute path with PATH emptied,
# so neither go nor mvn can be reached.
JAVA_SMOKE := $(CACHE)/java-smoke
test-java-dist: $(JAVA_JAR)
	rm -rf $(JAVA_SMOKE) && mkdir -p $(JAVA_SMOKE)/lib $(JAVA_SMOKE)/classes
	cp $(JAVA_JAR) $(JAVA_LIB)/*.jar $(JAVA_SMOKE)/lib/
	$(JAVA_MVN_HOME)/bin/javac --release 17 -d $(JAVA_SMOKE)/classes -cp '$(JAVA_SMOKE)/lib/*' $(JAVA_DIR)/src/smoke/Main.java
	@set -e; cd $(JAVA_SMOKE); ran=0; \
	for home in $(JDK17_HOME) $(JDK25_HOME); do \
	  flags=; if [ "$$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' $$home/release)" -ge 22 ]; then flags=--enable-native-access=ALL-UNNAMED; fi; \
	  for backend in cshared wasm; do \
	    env -i PATH=/nonexistent HOME=$$HOME GSTAUTH_BACKEND=$$backend /bin/sh -c \
	      'if command -v go || command -v mvn; then echo "go or mvn is reachable"; exit 1; fi; exec "$$0" "$$@"' \
	      $$home/bin/java $$flags -cp 'classes:lib/*' Main; \
	    ran=$$((ran + 1)); \
	  done; \
	  env -i PATH=/nonexistent HOME=$$HOME $$home/bin/java $$flags -Dgstauth.backend=wasm -cp 'classes:lib/*' Main; \
	  ran=$$((ran + 1)); \
	  if [ -n "$$flags" ]; then \
	    env -i PATH=/nonexistent HOME=$$HOME $$home/bin/java $$flags -Dgstauth.native=jna -cp 'classes:lib/*' Main; \
	    ran=$$((ran + 1)); \
	  fi; \
	done; \
	echo "test-java-dist: $$ran passed, 0 failed"

# The typed surface is internal/gen's (go test ./internal/gen/ fails when it is stale); this rewrites every binding's.
java-generate:
	$(GO) run ./internal/gen

# Per-call overhead beyond the C caller's own cost (measured here by the C harness of cshared/test) and the 5 MiB
# GSTN request against a JCE pipeline; never asserted anywhere.
JAVA_BENCH := $(CACHE)/java-bench
bench-java: $(JAVA_JAR)
	rm -rf $(JAVA_BENCH) && mkdir -p $(JAVA_BENCH)
	$(JAVA_MVN_HOME)/bin/javac --release 17 -d $(JAVA_BENCH) -cp '$(JAVA_JAR):$(JAVA_LIB)/*' \
	  $(JAVA_DIR)/src/bench/java/io/github/gstauth/bench/Bench.java
	@native=$$($(GO) test -count=1 -run '^$$' -bench '^BenchmarkCallOverhead$$' -benchtime 300000x ./cshared/test/ \
	  | sed -n 's/.* \([0-9.]*\) ns\/call.*/\1/p' | head -n 1); \
	echo "bench-java: C → libgstauth, pkce_s256: $${native:-?} ns/call"; \
	for home in $(JDK17_HOME) $(JDK25_HOME); do \
	  flags=; if [ "$$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' $$home/release)" -ge 22 ]; then flags=--enable-native-access=ALL-UNNAMED; fi; \
	  $$home/bin/java $$flags -Xmx2g -XX:-DontCompileHugeMethods -Dgstauth.bench.nativeNs=$$native -cp '$(JAVA_BENCH):$(JAVA_JAR):$(JAVA_LIB)/*' \
	    io.github.gstauth.bench.Bench; \
	done
bench: bench-java

# The end-to-end and store tests alone (E2eTest, StoreTest, SharedProcessesTest; make test-java runs them with the
# rest), with the same servers, on the newest JDK.
JAVA_E2E_JDK = $(if $(JDK25_HOME),-Dskip.jdk17=true -Djdk25.java=$(JDK25_HOME)/bin/java,-Dskip.jdk25=true -Djdk17.java=$(JDK17_HOME)/bin/java)
.PHONY: test-java-e2e demo-java
test-java-e2e: $(JAVA_TEST_DEPS)
	@$(java_servers) $(JAVA_MVN) $(JAVA_E2E_JDK) -Dtest='E2eTest,StoreTest,SharedProcessesTest' \
	  -Dsurefire.failIfNoSpecifiedTests=false verify

# The demo's Java part (mk/demo.mk runs it after Python and Node, with GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL set):
# e2e/java/Demo.java compiled with javac against the dist jar and its dependencies alone.
JAVA_DEMO := $(CACHE)/java-demo
demo-java: $(JAVA_JAR)
	@rm -rf $(JAVA_DEMO) && mkdir -p $(JAVA_DEMO)
	@$(JAVA_MVN_HOME)/bin/javac --release 17 -d $(JAVA_DEMO) -cp '$(JAVA_JAR):$(JAVA_LIB)/*' e2e/java/Demo.java
	@$(JAVA_MVN_HOME)/bin/java $(if $(JDK25_HOME),--enable-native-access=ALL-UNNAMED) -XX:-DontCompileHugeMethods \
	  -cp '$(JAVA_DEMO):$(JAVA_JAR):$(JAVA_LIB)/*' Demo
