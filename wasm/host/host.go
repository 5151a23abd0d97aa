// Package host loads build/gstauth.wasm in-process through the Extism Go
// SDK (on wazero), the way a Go host should: with a real clock, a secure
// random source and a compilation cache. Its tests replay every conformance
// vector through the plugin.
package host

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"

	"github.com/gstauth/gstauth/internal/abi"
)

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Compile compiles a plugin file with a compilation cache in cacheDir ("" for
// none). Pass the result to Instance.
func Compile(ctx context.Context, wasmPath, cacheDir string) (*extism.CompiledPlugin, error) {
	rc := wazero.NewRuntimeConfig()
	if cacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, err
		}
		rc = rc.WithCompilationCache(cache)
	}
	m := extism.Manifest{Wasm: []extism.Wasm{extism.WasmFile{Path: wasmPath}}}
	return extism.NewCompiledPlugin(ctx, m, extism.PluginConfig{EnableWasi: true, RuntimeConfig: rc}, nil)
}

// Instance makes a plugin instance with the host's real clock and
// crypto/rand: the SDK's defaults are a fake clock and a deterministic
// random source. An instance is not safe for concurrent use.
func Instance(ctx context.Context, c *extism.CompiledPlugin) (*extism.Plugin, error) {
	mc := wazero.NewModuleConfig().WithSysWalltime().WithSysNanotime().WithRandSource(rand.Reader)
	return c.Instance(ctx, extism.PluginInstanceConfig{ModuleConfig: mc})
}

// Caller runs ops through one plugin instance (internal/vectors.Caller).
type Caller struct{ P *extism.Plugin }

// Call runs a JSON op.
func (c Caller) Call(op string, in []byte) ([]byte, bool) {
	out, ok := c.call(op, in)
	return out, ok
}

// CallRaw runs a raw op through the frame format.
func (c Caller) CallRaw(op string, params, data []byte) ([]byte, []byte, bool) {
	out, ok := c.call(op, abi.EncodeFrame(params, data))
	if !ok {
		return out, nil, false
	}
	meta, raw, err := abi.DecodeFrame(out)
	if err != nil {
		return abi.ErrorJSON(err), nil, false
	}
	return meta, raw, true
}

func (c Caller) call(op string, in []byte) ([]byte, bool) {
	if !c.P.FunctionExists(op) {
		return abi.ErrorJSON(unknownOp(op)), false
	}
	rc, out, err := c.P.Call(op, in)
	if err != nil || rc != 0 {
		// The plugin sets the error JSON as the Extism error message.
		if err != nil && strings.HasPrefix(err.Error(), `{"error"`) {
			return []byte(err.Error()), false
		}
		if len(out) > 0 {
			return out, false
		}
		return abi.ErrorJSON(errors.New("plugin call failed")), false
	}
	return out, true
}

// WasmPath is build/gstauth.wasm, or $GSTAUTH_WASM.
func WasmPath() string {
	if p := os.Getenv("GSTAUTH_WASM"); p != "" {
		return p
	}
	return filepath.Join(RepoRoot(), "build", "gstauth.wasm")
}
