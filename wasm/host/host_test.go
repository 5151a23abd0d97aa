package host

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	extism "github.com/extism/go-sdk"
	"github.com/google/go-cmp/cmp"
	"github.com/tetratelabs/wazero"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/vectors"
)

func plugin(t testing.TB) Caller {
	t.Helper()
	if _, err := os.Stat(WasmPath()); err != nil {
		t.Fatalf("%s is missing: run `make wasm` first (%v)", WasmPath(), err)
	}
	ctx := context.Background()
	c, err := Compile(ctx, WasmPath(), filepath.Join(RepoRoot(), ".cache", "wazero"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Instance(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	return Caller{P: p}
}

// both runs every call through the plugin and the native table and fails on
// any difference; the vectors decide what is right.
type both struct {
	t *testing.T
	p Caller
}

func (b both) Call(op string, in []byte) ([]byte, bool) {
	out, ok := b.p.Call(op, in)
	nout, nok := abi.Call(op, in)
	b.compare(op, in, out, ok, nout, nok, nil, nil)
	return out, ok
}

func (b both) CallRaw(op string, params, data []byte) ([]byte, []byte, bool) {
	meta, raw, ok := b.p.CallRaw(op, params, data)
	nmeta, nraw, nok := abi.CallRaw(op, params, data)
	b.compare(op, params, meta, ok, nmeta, nok, raw, nraw)
	return meta, raw, ok
}

// randomised ops give different bytes on each run; their agreement is
// checked by the vectors' later steps.
var randomised = map[string]bool{"new_app_key": true, "rsa_encrypt": true, "gstn_encrypt_response": true,
	"nic_encrypt_auth": true, "session_seal": true, "pkce_new": true, "session_request": true,
	"oauth_authorization_url": true, "session_ensure": true, "session_headers": true}

func (b both) compare(op string, in, got []byte, ok bool, want []byte, wantOK bool, raw, nraw []byte) {
	b.t.Helper()
	if ok != wantOK {
		b.t.Errorf("%s: plugin ok=%v, native ok=%v\nplugin: %.300s\nnative: %.300s", op, ok, wantOK, got, want)
		return
	}
	if randomised[op] && ok {
		return
	}
	var g, w any
	json.Unmarshal(got, &g)
	json.Unmarshal(want, &w)
	if d := cmp.Diff(w, g); d != "" {
		b.t.Errorf("%s: plugin and native differ (-native +plugin):\n%s", op, d)
	}
	if !bytes.Equal(raw, nraw) {
		b.t.Errorf("%s: raw outputs differ", op)
	}
}

// TestPluginReplaysVectors replays every vector file through the plugin and
// compares each call with the native table.
func TestPluginReplaysVectors(t *testing.T) {
	n := vectors.Replay(t, both{t: t, p: plugin(t)})
	t.Logf("replayed %d vector cases through gstauth.wasm", n)
}

// TestPluginExportsMatchTable fails when an op has no export or an export
// no op.
func TestPluginExportsMatchTable(t *testing.T) {
	p := plugin(t)
	for _, name := range abi.Names() {
		if !p.P.FunctionExists(name) {
			t.Errorf("gstauth.wasm does not export %s", name)
		}
	}
	if p.P.FunctionExists("not_an_op") {
		t.Errorf("unexpected export")
	}
}

// TestPluginRawOpThroughJSONIsUnsupported: a raw op's export called with
// JSON, not a frame, says so, as the table and the shared library do.
func TestPluginRawOpThroughJSONIsUnsupported(t *testing.T) {
	p := plugin(t)
	for _, in := range []string{`{"key":"AAAA"}`, ` {}`, `{"key":"` + strings.Repeat("A", 44) + `"}`} {
		out, ok := p.Call("aes_ecb_encrypt_raw", []byte(in))
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if ok || json.Unmarshal(out, &e) != nil || e.Error.Code != "unsupported" {
			t.Errorf("%q: ok=%v out=%s", in, ok, out)
		}
	}
}

func TestPluginBadInput(t *testing.T) {
	p := plugin(t)
	for _, tc := range []struct{ op, in string }{
		{"aes_ecb_encrypt", "not json"}, {"aes_ecb_encrypt", `{"key":5}`}, {"aes_ecb_encrypt", ""},
		{"session_plan", `[]`}, {"aes_ecb_encrypt_raw", "\x01\x00"}, {"aes_ecb_encrypt_raw", "\xff\xff\xff\xff{}"},
		{"nope", "{}"},
	} {
		out, ok := p.Call(tc.op, []byte(tc.in))
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if ok || json.Unmarshal(out, &e) != nil || e.Error.Code == "" {
			t.Errorf("%s(%q): ok=%v out=%s", tc.op, tc.in, ok, out)
		}
	}
}

// TestPluginMovesEveryLength: inputs and outputs of every length modulo 8
// cross the boundary intact (the plugin moves 8 bytes a host call and
// rewrites the last word; wasm/io.go), small and over 64 KiB. A raw decryption's output is its
// plaintext, so its frame takes every length; so do the encryption's input
// frames and the JSON inputs.
func TestPluginMovesEveryLength(t *testing.T) {
	p := plugin(t)
	params := []byte(`{"key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}`)
	lengths := []int{}
	for n := 0; n <= 80; n++ {
		lengths = append(lengths, n)
	}
	for n := 64<<10 - 80; n <= 64<<10+16; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		meta, ct, ok := p.CallRaw("aes_ecb_encrypt_raw", params, data)
		nmeta, nct, nok := abi.CallRaw("aes_ecb_encrypt_raw", params, data)
		if !ok || !nok || !bytes.Equal(meta, nmeta) || !bytes.Equal(ct, nct) {
			t.Fatalf("encrypt %d bytes: ok=%v meta=%s", n, ok, meta)
		}
		meta, pt, ok := p.CallRaw("aes_ecb_decrypt_raw", params, ct)
		if !ok || !bytes.Equal(pt, data) {
			t.Fatalf("decrypt %d bytes: ok=%v meta=%s pt=%x", n, ok, meta, pt)
		}
		_, out, _ := p.P.Call("aes_ecb_decrypt_raw", abi.EncodeFrame(params, ct))
		if want := abi.EncodeFrame(meta, data); !bytes.Equal(out, want) {
			t.Fatalf("decrypt %d bytes: frame %x, want %x", n, out, want)
		}
	}
	for n := 43; n <= 60; n++ {
		in := []byte(`{"verifier":"` + strings.Repeat("v", n) + `"}`)
		out, ok := p.Call("pkce_s256", in)
		nout, nok := abi.Call("pkce_s256", in)
		if ok != nok || !bytes.Equal(out, nout) {
			t.Fatalf("pkce_s256 of %d bytes: %s, want %s", len(in), out, nout)
		}
	}
	for _, in := range []string{"", "{", "{}", `{"a":1}`, `{"ab":1}`, `{"abc":12}`} {
		out, ok := p.Call("pkce_s256", []byte(in))
		nout, nok := abi.Call("pkce_s256", []byte(in))
		if ok != nok || !bytes.Equal(out, nout) {
			t.Fatalf("pkce_s256 %q: %s, want %s", in, out, nout)
		}
	}
	if out, ok := p.Call("gstauth_version", nil); !ok || len(out) == 0 {
		t.Fatalf("gstauth_version: %q", out)
	}
}

// TestInstanceRandomIsSecure: Instance gives each plugin instance the
// host's crypto/rand, so two fresh instances draw different keys. With the
// SDK's default module config they draw the same ones: wazero's default
// random source is deterministic, which is what Instance exists to avoid.
func TestInstanceRandomIsSecure(t *testing.T) {
	ctx := context.Background()
	c, err := Compile(ctx, WasmPath(), filepath.Join(RepoRoot(), ".cache", "wazero"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	key := func(p *extism.Plugin) string {
		defer p.Close(ctx)
		out, ok := Caller{P: p}.Call("new_app_key", []byte(`{}`))
		if !ok {
			t.Fatalf("new_app_key: %s", out)
		}
		return string(out)
	}
	instance := func() *extism.Plugin {
		p, err := Instance(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if a, b := key(instance()), key(instance()); a == b {
		t.Errorf("two instances drew the same key %s", a)
	}
	sdkDefault := func() *extism.Plugin {
		p, err := c.Instance(ctx, extism.PluginInstanceConfig{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if a, b := key(sdkDefault()), key(sdkDefault()); a != b {
		t.Logf("the SDK's default random source is no longer deterministic (%s, %s)", a, b)
	}
}

// TestPluginImports: the plugin imports from extism:host/env only what it
// always has. Every host provides these; the Java binding's own kernel
// links nothing else, so a new import is a change of the plugin's contract.
func TestPluginImports(t *testing.T) {
	ctx := context.Background()
	wasm, err := os.ReadFile(WasmPath())
	if err != nil {
		t.Fatal(err)
	}
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	m, err := r.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range m.ImportedFunctions() {
		if mod, name, _ := f.Import(); mod == "extism:host/env" {
			got = append(got, name)
		}
	}
	sort.Strings(got)
	want := []string{"alloc", "error_set", "input_length", "input_load_u64", "input_load_u8", "output_set", "store_u64", "store_u8"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("extism:host/env imports (-want +got):\n%s", d)
	}
}
