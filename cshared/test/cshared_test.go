// Package test drives build/libgstauth.so from C: a harness built with gcc
// replays every conformance vector (through a pipe), hammers the library
// from 8 threads, and checks the boundary (null pointers, bad lengths). The
// library is not loaded into this Go process: one process must not hold
// two Go runtimes.
package test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/vectors"
)

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func libPath() string {
	if p := os.Getenv("GSTAUTH_LIBRARY"); p != "" {
		return p
	}
	return filepath.Join(root(), "build", "libgstauth.so")
}

var (
	buildOnce sync.Once
	harness   string
	buildErr  error
)

// build compiles harness.c against the library and the hand-written header.
func build(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(libPath()); err != nil {
		t.Fatalf("%s is missing: run `make cshared` first", libPath())
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gstauth-harness")
		if err != nil {
			buildErr = err
			return
		}
		harness = filepath.Join(dir, "harness")
		lib := filepath.Dir(libPath())
		out, err := exec.Command("gcc", "-std=c11", "-Wall", "-Werror", "-O1", "-pthread",
			"-I", filepath.Join(root(), "cshared"), filepath.Join(root(), "cshared", "test", "c", "harness.c"),
			"-L", lib, "-lgstauth", "-Wl,-rpath,"+lib, "-o", harness).CombinedOutput()
		if err != nil {
			buildErr = &buildError{string(out)}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return harness
}

type buildError struct{ out string }

func (e *buildError) Error() string { return "gcc: " + e.out }

// pipeCaller is a vectors.Caller over `harness serve`; raw ops go through
// gstauth_call_raw, or gstauth_call_raw_view when view is set.
type pipeCaller struct {
	t    *testing.T
	in   io.WriteCloser
	out  *bufio.Reader
	view bool
}

func (p *pipeCaller) send(kind byte, op string, blobs ...[]byte) {
	var b bytes.Buffer
	b.WriteByte(kind)
	for _, x := range append([][]byte{[]byte(op)}, blobs...) {
		binary.Write(&b, binary.LittleEndian, uint32(len(x)))
		b.Write(x)
	}
	if _, err := p.in.Write(b.Bytes()); err != nil {
		p.t.Fatalf("harness: %v", err)
	}
}

func (p *pipeCaller) blob() []byte {
	var n uint32
	if err := binary.Read(p.out, binary.LittleEndian, &n); err != nil {
		p.t.Fatalf("harness died: %v", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(p.out, b); err != nil {
		p.t.Fatalf("harness died: %v", err)
	}
	return b
}

func (p *pipeCaller) rc() int32 {
	var rc int32
	if err := binary.Read(p.out, binary.LittleEndian, &rc); err != nil {
		p.t.Fatalf("harness died: %v", err)
	}
	return rc
}

func (p *pipeCaller) Call(op string, in []byte) ([]byte, bool) {
	p.send(0, op, in)
	rc := p.rc()
	return p.blob(), rc == 0
}

func (p *pipeCaller) CallRaw(op string, params, data []byte) ([]byte, []byte, bool) {
	kind := byte(1)
	if p.view {
		kind = 2
	}
	p.send(kind, op, params, data)
	rc := p.rc()
	meta, raw := p.blob(), p.blob()
	return meta, raw, rc == 0
}

func TestSharedLibraryReplaysVectors(t *testing.T) {
	replay(t, false)
}

// TestSharedLibraryReplaysVectorsThroughViews replays them again with every
// raw op's output lent (gstauth_call_raw_view); the harness spoils each
// input before it reads the output, so a view that referred to the caller's
// data (an op returning its input unchanged) would fail.
func TestSharedLibraryReplaysVectorsThroughViews(t *testing.T) {
	replay(t, true)
}

func replay(t *testing.T, view bool) {
	cmd := exec.Command(build(t), "serve")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	n := vectors.Replay(t, &pipeCaller{t: t, in: in, out: bufio.NewReaderSize(out, 1<<20), view: view})
	t.Logf("replayed %d vector cases through libgstauth.so (views: %v)", n, view)
}

func TestSharedLibraryFromEightThreads(t *testing.T) {
	out, err := exec.Command(build(t), "hammer", "2000").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hammer ok") {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestSharedLibraryBoundary(t *testing.T) {
	out, err := exec.Command(build(t), "boundary").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "boundary ok") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestHeaderExportsAndTableAgree fails when gstauth.h, the library's
// exported symbols and the build's shipped header disagree.
func TestHeaderExportsAndTableAgree(t *testing.T) {
	h, err := os.ReadFile(filepath.Join(root(), "cshared", "gstauth.h"))
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^[a-z0-9_ ]+\*?\s*\**(gstauth_[a-z_]+)\(`).FindAllStringSubmatch(string(h), -1) {
		declared[m[1]] = true
	}
	f, err := elf.Open(libPath())
	if err != nil {
		t.Fatal(err)
	}
	syms, _ := f.DynamicSymbols()
	exported := map[string]bool{}
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "gstauth_") && elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF {
			exported[s.Name] = true
		}
	}
	if !equal(declared, exported) {
		t.Fatalf("gstauth.h declares %v, libgstauth.so exports %v", keys(declared), keys(exported))
	}
	if shipped, err := os.ReadFile(filepath.Join(filepath.Dir(libPath()), "gstauth.h")); err == nil && !bytes.Equal(shipped, h) {
		t.Fatalf("build/gstauth.h differs from cshared/gstauth.h: run `make cshared`")
	}
	if len(abi.Names()) == 0 {
		t.Fatal("the ops table is empty")
	}
}

func equal(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// BenchmarkCallOverhead measures gstauth_call from C on a negligible op
// (docs/abi.md); the harness times its own loop, so process start is not
// counted.
func BenchmarkCallOverhead(b *testing.B) {
	h := build(&testing.T{})
	out, err := exec.Command(h, "bench", strconv.Itoa(max(b.N, 1000))).CombinedOutput()
	if err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	var ns float64
	fmt.Sscanf(string(out), "%f", &ns)
	b.ReportMetric(ns, "ns/call")
}
