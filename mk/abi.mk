# The artifacts over the ops table: the Extism plugin, the C shared library and the CLI.
#   make wasm     → build/gstauth.wasm
#   make cshared  → build/libgstauth.so and build/gstauth.h
#   make cli      → build/gstauth

GO_SRC := VERSION go.mod go.sum $(shell find gstcrypto core internal cshared wasm cmd sandbox -name '*.go' -not -name '*_test.go' 2>/dev/null)

.PHONY: wasm cshared cli build test-abi bench-abi
TEST_TARGETS += test-abi

wasm: $(BUILD)/gstauth.wasm
cshared: $(BUILD)/libgstauth.so $(BUILD)/gstauth.h
cli: $(BUILD)/gstauth
build: wasm cshared cli

# The exports are generated from the ops table; regenerate before building.
$(BUILD)/gstauth.wasm: $(GO_SRC)
	@mkdir -p $(BUILD)
	cd wasm && $(GO) run ./gen exports_gen.go
	GOOS=wasip1 GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -buildmode=c-shared -o $@ ./wasm

$(BUILD)/libgstauth.so: $(GO_SRC)
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -buildmode=c-shared -o $@ ./cshared
	rm -f $(BUILD)/libgstauth.h   # the generated header is not shipped: cshared/gstauth.h is

$(BUILD)/gstauth.h: cshared/gstauth.h
	@mkdir -p $(BUILD)
	cp $< $@

$(BUILD)/gstauth: $(GO_SRC)
	@mkdir -p $(BUILD)
	$(GO) build -trimpath -o $@ ./cmd/gstauth

# The plugin replays every vector through the Extism Go SDK; the shared library replays them from C, is hammered
# from 8 threads and probed at its boundary; the generated exports must match the table.
# The code the plugin runs instead of the portable standard library (internal/fastwasm) and the packages that pick it
# by build tag are tested again compiled to WebAssembly, under the wazero CLI.
test-abi: wasm cshared cli $(BUILD)/wazero
	$(GO) test -count=1 ./wasm/... ./cshared/... ./cmd/...
	WAZERO_CLI=$(abspath $(BUILD)/wazero) GOOS=wasip1 GOARCH=wasm $(GO) test -count=1 \
		-exec $(abspath e2e/scripts/wasip1-exec.sh) ./internal/fastwasm ./internal/ecb ./internal/b64

$(BUILD)/wazero: go.mod go.sum
	@mkdir -p $(BUILD)
	$(GO) build -o $@ github.com/tetratelabs/wazero/cmd/wazero

# Per-call overhead and payload throughput of the plugin and the shared library (docs/abi.md).
bench-abi: wasm cshared
	$(GO) test -run '^$$' -bench . -benchmem ./wasm/host/ ./cshared/test/
bench: bench-abi

# Every command the README marks as runnable, run as written (e2e/scripts/readme-commands.sh).
.PHONY: test-readme
TEST_TARGETS += test-readme
test-readme: cli
	e2e/scripts/readme-commands.sh
