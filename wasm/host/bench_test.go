package host

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gstauth/gstauth/internal/abi"
)

// Measurements for docs/abi.md: `make bench-abi`. On a shared machine the
// wall time moves with the neighbours' load; cpu-ns/op, the process's CPU
// time per call (its garbage collection included), moves much less. Run
// with GOMAXPROCS=1 to keep the collector on the calling core.

// measure runs f b.N times and reports cpu-ns/op beside the wall time.
func measure(b *testing.B, f func()) {
	b.Helper()
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f()
	}
	if c := cpuTime() - c0; c > 0 {
		b.ReportMetric(float64(c)/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkCompileCold(b *testing.B) {
	ctx := context.Background()
	measure(b, func() {
		c, err := Compile(ctx, WasmPath(), "")
		if err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
	})
}

func BenchmarkCompileFromCache(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	c, _ := Compile(ctx, WasmPath(), dir) // fill the cache
	c.Close(ctx)
	measure(b, func() {
		c, err := Compile(ctx, WasmPath(), dir)
		if err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
	})
}

// BenchmarkInstantiate: a new instance, and a new instance with its first
// call, which runs the Go runtime's and the core's initialisation.
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	c, err := Compile(ctx, WasmPath(), filepath.Join(RepoRoot(), ".cache", "wazero"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("instance", func(b *testing.B) {
		measure(b, func() {
			p, err := Instance(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			p.Close(ctx)
		})
	})
	b.Run("instance+first-call", func(b *testing.B) {
		measure(b, func() {
			p, err := Instance(ctx, c)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := p.Call("gstauth_version", nil); err != nil {
				b.Fatal(err)
			}
			p.Close(ctx)
		})
	})
}

var smallCall = []byte(`{"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}`)

// BenchmarkCallOverhead: calls whose work is negligible, through the plugin
// (pkce_s256: a SHA-256 of 43 bytes, JSON in and out; gstauth_version: no
// input, 5 bytes out) and natively.
func BenchmarkCallOverhead(b *testing.B) {
	b.Run("plugin", func(b *testing.B) {
		p := plugin(b)
		measure(b, func() {
			if _, ok := p.Call("pkce_s256", smallCall); !ok {
				b.Fatal("call failed")
			}
		})
	})
	b.Run("plugin-version", func(b *testing.B) {
		p := plugin(b)
		measure(b, func() {
			if _, ok := p.Call("gstauth_version", nil); !ok {
				b.Fatal("call failed")
			}
		})
	})
	b.Run("native", func(b *testing.B) {
		measure(b, func() { abi.Call("pkce_s256", smallCall) })
	})
}

var sekParams = []byte(`{"sek":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`)

func jsonPayload(size int) []byte {
	p, _ := json.Marshal(map[string]string{"p": string(bytes.Repeat([]byte("x"), size-8))})
	return p
}

// BenchmarkGSTNEncryptRaw: the bulk path at 1 KiB, 100 KiB and 5 MiB.
func BenchmarkGSTNEncryptRaw(b *testing.B) {
	for _, size := range []int{1 << 10, 100 << 10, 5 << 20} {
		payload := jsonPayload(size)
		b.Run(sizeName(size)+"/plugin", func(b *testing.B) {
			p := plugin(b)
			p.CallRaw("gstn_encrypt_request_raw", sekParams, payload) // grow the memories first
			b.SetBytes(int64(len(payload)))
			measure(b, func() {
				if _, _, ok := p.CallRaw("gstn_encrypt_request_raw", sekParams, payload); !ok {
					b.Fatal("call failed")
				}
			})
		})
		b.Run(sizeName(size)+"/native", func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			measure(b, func() { abi.CallRaw("gstn_encrypt_request_raw", sekParams, payload) })
		})
	}
}

// BenchmarkInputTransfer: the boundary alone, one way: a 5 MiB frame that
// the plugin reads whole and then refuses (the key is too short), so what
// is measured is the input crossing into the plugin, 8 bytes a host call.
func BenchmarkInputTransfer(b *testing.B) {
	payload := jsonPayload(5 << 20)
	p := plugin(b)
	b.SetBytes(int64(len(payload)))
	measure(b, func() {
		if _, _, ok := p.CallRaw("aes_ecb_encrypt_raw", []byte(`{"key":"AAAA"}`), payload); ok {
			b.Fatal("a 3-byte key was accepted")
		}
	})
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	default:
		return itoa(n>>10) + "KiB"
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestPluginSize logs the plugin's size (docs/abi.md).
func TestPluginSize(t *testing.T) {
	st, err := os.Stat(WasmPath())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("gstauth.wasm: %d bytes", st.Size())
}
