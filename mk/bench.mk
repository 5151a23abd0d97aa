# make bench-peers: gstauth beside each language's own crypto, in one run (bench/peers/peers.py). Prints a table of
# ratios and writes docs/bench-peers.md and docs/bench-peers.svg.

BENCH_PEERS := $(CACHE)/bench-peers

.PHONY: bench-peers
bench-peers: $(BUILD)/libgstauth.so $(VENV)/.stamp java node-deps node-addon
	@mkdir -p $(BENCH_PEERS)
	@jdk="$(or $(JDK25_HOME),$(JDK17_HOME))"; \
	cp="$(abspath $(JAVA_JAR)):$(abspath $(JAVA_LIB))/*"; \
	$$jdk/bin/javac -d $(BENCH_PEERS) -cp "$$cp" bench/peers/JavaPeer.java && \
	export GSTAUTH_LIBRARY=$(abspath $(BUILD))/libgstauth.so PYTHONPATH=$(abspath $(PY_DIR)) \
	  BENCH_PYTHON=$(abspath $(VPY)) GO=$(GO) \
	  BENCH_JAVA="$$jdk/bin/java --enable-native-access=ALL-UNNAMED -Xmx2g -cp $(abspath $(BENCH_PEERS)):$$cp JavaPeer"; \
	python3 bench/peers/peers.py
