# The Go core and everything that runs natively in Go.

GO_PKGS := . ./gstcrypto/... ./core/... ./internal/... ./sandbox/...

.PHONY: test-go bench bench-payload fuzz lint
TEST_TARGETS += test-go

test-go:
	$(GO) test -race -count=1 $(GO_PKGS)
	$(GO) test -count=1 -run '^TestGSTNFileStreamsInConstantMemory$$' -v ./gstcrypto/
	# The portable code the plugin and other CPUs run, without the assembly.
	$(GO) test -count=1 -tags purego ./internal/ecb ./internal/b64 ./gstcrypto

# Benchmarks of the payload path (numbers become targets later).
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(GO_PKGS)

# The payload path alone, repeated for benchstat (docs/performance.md):
#   make bench-payload > new.txt && benchstat old.txt new.txt
BENCHCOUNT ?= 6
bench-payload:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./gstcrypto/ ./internal/ecb/ ./internal/b64/

# Every Fuzz* target for FUZZTIME each (default 2 minutes).
FUZZTIME ?= 2m
fuzz:
	@set -e; for pkg in $$($(GO) list $(GO_PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
