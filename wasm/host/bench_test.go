package host

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/gstauth/gstauth/internal/abi"
)

// Measurements for docs/abi.md: `make bench-abi`.

func BenchmarkCompileCold(b *testing.B) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		c, err := Compile(ctx, WasmPath(), "")
		if err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
	}
}

func BenchmarkCompileFromCache(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	c, _ := Compile(ctx, WasmPath(), dir) // fill the cache
	c.Close(ctx)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := Compile(ctx, WasmPath(), dir)
		if err != nil {
			b.Fatal(err)
		}
		c.Close(ctx)
	}
}

func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	c, err := Compile(ctx, WasmPath(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := Instance(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		p.Close(ctx)
	}
}

var smallCall = []byte(`{"verifier":"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}`)

// BenchmarkCallOverhead: a call whose work is negligible (a SHA-256 of 43
// bytes), through the plugin and natively.
func BenchmarkCallOverhead(b *testing.B) {
	b.Run("plugin", func(b *testing.B) {
		p := plugin(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, ok := p.Call("pkce_s256", smallCall); !ok {
				b.Fatal("call failed")
			}
		}
	})
	b.Run("native", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			abi.Call("pkce_s256", smallCall)
		}
	})
}

// BenchmarkGSTNEncryptRaw: the bulk path at 1 KiB, 100 KiB and 5 MiB.
func BenchmarkGSTNEncryptRaw(b *testing.B) {
	params := []byte(`{"sek":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`)
	for _, size := range []int{1 << 10, 100 << 10, 5 << 20} {
		payload, _ := json.Marshal(map[string]string{"p": string(bytes.Repeat([]byte("x"), size-8))})
		b.Run(sizeName(size)+"/plugin", func(b *testing.B) {
			p := plugin(b)
			b.ResetTimer()
			b.SetBytes(int64(len(payload)))
			for i := 0; i < b.N; i++ {
				if _, _, ok := p.CallRaw("gstn_encrypt_request_raw", params, payload); !ok {
					b.Fatal("call failed")
				}
			}
		})
		b.Run(sizeName(size)+"/native", func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for i := 0; i < b.N; i++ {
				abi.CallRaw("gstn_encrypt_request_raw", params, payload)
			}
		})
	}
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
