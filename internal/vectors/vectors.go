// Package vectors loads the conformance vectors of testdata/vectors and
// replays them through any implementation of the ops table: the native
// table, the Extism plugin or the C shared library.
package vectors

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Schema is the schema identifier every file carries.
const Schema = "gstauth-vectors/1"

// Caller is one implementation of the ops table.
type Caller interface {
	// Call runs a JSON op: output JSON and true, or error JSON and false.
	Call(op string, in []byte) ([]byte, bool)
	// CallRaw runs a raw op: meta JSON, raw output and true, or error JSON,
	// nil and false.
	CallRaw(op string, params, data []byte) ([]byte, []byte, bool)
}

// File is one vector file.
type File struct {
	Schema        string   `json:"schema"`
	Op            string   `json:"op,omitempty"`
	Description   string   `json:"description"`
	GeneratedBy   string   `json:"generatedBy"`
	Sources       []string `json:"sources,omitempty"`
	Notes         any      `json:"notes,omitempty"`
	NumberOfTests int      `json:"numberOfTests"`
	Tests         []Test   `json:"tests"`
}

// Test is one case: a single call, or steps.
type Test struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags,omitempty"`
	Step
	Steps []Step `json:"steps,omitempty"`
}

// Step is one call and what it must give.
type Step struct {
	Op           string          `json:"op,omitempty"`
	Input        json.RawMessage `json:"input,omitempty"`
	Data         *string         `json:"data,omitempty"`
	Result       string          `json:"result,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	OutputData   *string         `json:"output_data,omitempty"`
	Error        string          `json:"error,omitempty"`
	ProviderCode string          `json:"provider_code,omitempty"`
}

// Dir returns the absolute path of testdata/vectors.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "vectors")
}

// Load reads and strictly decodes one file, checking its declared count.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Base(path), err)
	}
	if f.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", filepath.Base(path), f.Schema, Schema)
	}
	if f.NumberOfTests != len(f.Tests) {
		return nil, fmt.Errorf("%s: numberOfTests is %d but the file holds %d tests", filepath.Base(path), f.NumberOfTests, len(f.Tests))
	}
	if f.GeneratedBy == "" {
		return nil, fmt.Errorf("%s: generatedBy is empty", filepath.Base(path))
	}
	seen := map[int]bool{}
	for _, tc := range f.Tests {
		if seen[tc.TcID] {
			return nil, fmt.Errorf("%s: duplicate tcId %d", filepath.Base(path), tc.TcID)
		}
		seen[tc.TcID] = true
	}
	return &f, nil
}

// Files returns the paths of every vector file, sorted.
func Files() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(Dir(), "*.json"))
	sort.Strings(paths)
	return paths, err
}

// Replay runs every case of every file through c as subtests named
// "file #tcId comment" and returns the number of cases run. It fails t when a
// file's case count is off or there are no files.
func Replay(t *testing.T, c Caller) int {
	t.Helper()
	paths, err := Files()
	if err != nil || len(paths) == 0 {
		t.Fatalf("no vector files in %s: %v", Dir(), err)
	}
	total := 0
	for _, p := range paths {
		total += ReplayFile(t, c, p)
	}
	return total
}

// ReplayFile runs every case of one file and returns how many ran.
func ReplayFile(t *testing.T, c Caller, path string) int {
	t.Helper()
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSuffix(filepath.Base(path), ".json")
	ran := 0
	for _, tc := range f.Tests {
		ran++
		t.Run(fmt.Sprintf("%s #%d %s", name, tc.TcID, tc.Comment), func(t *testing.T) {
			if err := RunTest(c, f, tc); err != nil {
				t.Error(err)
			}
		})
	}
	if ran != f.NumberOfTests {
		t.Fatalf("%s: ran %d cases, the file holds %d", name, ran, f.NumberOfTests)
	}
	return ran
}

type stepResult struct {
	output     any
	outputData string
}

// RunTest runs one case and returns what went wrong, or nil.
func RunTest(c Caller, f *File, tc Test) error {
	steps := tc.Steps
	if len(steps) == 0 {
		steps = []Step{tc.Step}
	} else if tc.Input != nil || tc.Output != nil || tc.Error != "" || tc.Data != nil {
		return fmt.Errorf("a test with steps must not have input, output or error of its own")
	}
	var results []stepResult
	for i, s := range steps {
		op := s.Op
		if op == "" {
			op = f.Op
		}
		if op == "" {
			return fmt.Errorf("step %d names no op", i)
		}
		res, err := runStep(c, op, s, results)
		if err != nil {
			if len(steps) > 1 {
				return fmt.Errorf("step %d (%s): %v", i, op, err)
			}
			return fmt.Errorf("%s: %v", op, err)
		}
		results = append(results, res)
	}
	return nil
}

func runStep(c Caller, op string, s Step, prev []stepResult) (stepResult, error) {
	input := []byte("{}")
	if s.Input != nil {
		var v any
		if err := unmarshal(s.Input, &v); err != nil {
			return stepResult{}, fmt.Errorf("vector input: %v", err)
		}
		v, err := resolve(v, prev)
		if err != nil {
			return stepResult{}, err
		}
		input, _ = json.Marshal(v)
	}
	var out, outData []byte
	var ok bool
	if strings.HasSuffix(op, "_raw") {
		var data []byte
		if s.Data != nil {
			var err error
			if data, err = base64.StdEncoding.DecodeString(*s.Data); err != nil {
				return stepResult{}, fmt.Errorf("vector data: %v", err)
			}
		}
		out, outData, ok = c.CallRaw(op, input, data)
	} else {
		if s.Data != nil || s.OutputData != nil {
			return stepResult{}, fmt.Errorf("data and output_data belong to raw ops only")
		}
		out, ok = c.Call(op, input)
	}
	var got any
	if err := unmarshal(out, &got); err != nil {
		return stepResult{}, fmt.Errorf("output is not JSON: %v: %.200q", err, out)
	}
	switch s.Result {
	case "valid":
		if !ok {
			return stepResult{}, fmt.Errorf("want success, got %s", out)
		}
		if s.Output != nil {
			var want any
			if err := unmarshal(s.Output, &want); err != nil {
				return stepResult{}, fmt.Errorf("vector output: %v", err)
			}
			want, err := matchTypes(want, got)
			if err != nil {
				return stepResult{}, err
			}
			if d := cmp.Diff(want, got); d != "" {
				return stepResult{}, fmt.Errorf("output mismatch (-want +got):\n%s", d)
			}
		}
		if s.OutputData != nil {
			if got := base64.StdEncoding.EncodeToString(outData); got != *s.OutputData {
				return stepResult{}, fmt.Errorf("output_data mismatch:\nwant %.300s\n got %.300s", *s.OutputData, got)
			}
		}
		return stepResult{output: got, outputData: base64.StdEncoding.EncodeToString(outData)}, nil
	case "invalid":
		if s.Error == "" {
			return stepResult{}, fmt.Errorf("invalid case names no error code")
		}
		if ok {
			return stepResult{}, fmt.Errorf("want error %q, got success: %.300s", s.Error, out)
		}
		var e struct {
			Error struct {
				Code         string `json:"code"`
				Message      string `json:"message"`
				ProviderCode string `json:"provider_code"`
			} `json:"error"`
		}
		if err := json.Unmarshal(out, &e); err != nil || e.Error.Code == "" {
			return stepResult{}, fmt.Errorf("error output is not {\"error\":{...}}: %.300s", out)
		}
		if e.Error.Code != s.Error {
			return stepResult{}, fmt.Errorf("want error %q, got %q (%s)", s.Error, e.Error.Code, e.Error.Message)
		}
		if s.ProviderCode != "" && e.Error.ProviderCode != s.ProviderCode {
			return stepResult{}, fmt.Errorf("want provider_code %q, got %q", s.ProviderCode, e.Error.ProviderCode)
		}
		return stepResult{output: got}, nil
	default:
		return stepResult{}, fmt.Errorf("result must be valid or invalid, not %q", s.Result)
	}
}

// matchTypes replaces every {"$type": "string"} in want whose place in got
// holds a string with that string: a value for people (a message) that
// the contract fixes the type of, not the text.
func matchTypes(want, got any) (any, error) {
	switch w := want.(type) {
	case map[string]any:
		if t, ok := w["$type"]; ok {
			if len(w) != 1 || t != "string" {
				return nil, fmt.Errorf("a $type object must be exactly {\"$type\": \"string\"}")
			}
			if s, ok := got.(string); ok {
				return s, nil
			}
			return want, nil
		}
		g, _ := got.(map[string]any)
		out := make(map[string]any, len(w))
		for k, v := range w {
			m, err := matchTypes(v, g[k])
			if err != nil {
				return nil, err
			}
			out[k] = m
		}
		return out, nil
	case []any:
		g, _ := got.([]any)
		out := make([]any, len(w))
		for i, v := range w {
			var gi any
			if i < len(g) {
				gi = g[i]
			}
			m, err := matchTypes(v, gi)
			if err != nil {
				return nil, err
			}
			out[i] = m
		}
		return out, nil
	}
	return want, nil
}

// resolve replaces every {"$ref": "N.output.a.b"} in v.
func resolve(v any, prev []stepResult) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"]; ok {
			if len(x) != 1 {
				return nil, fmt.Errorf("a $ref object must have no other keys")
			}
			s, ok := ref.(string)
			if !ok {
				return nil, fmt.Errorf("$ref must be a string")
			}
			return lookup(s, prev)
		}
		for k, e := range x {
			r, err := resolve(e, prev)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
		return x, nil
	case []any:
		for i, e := range x {
			r, err := resolve(e, prev)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
		return x, nil
	}
	return v, nil
}

func lookup(ref string, prev []stepResult) (any, error) {
	parts := strings.Split(ref, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("$ref %q: want STEP.output[.path] or STEP.output_data", ref)
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 0 || n >= len(prev) {
		return nil, fmt.Errorf("$ref %q: no earlier step %s", ref, parts[0])
	}
	switch parts[1] {
	case "output_data":
		if len(parts) != 2 {
			return nil, fmt.Errorf("$ref %q: output_data has no path", ref)
		}
		return prev[n].outputData, nil
	case "output":
	default:
		return nil, fmt.Errorf("$ref %q: want output or output_data", ref)
	}
	cur := prev[n].output
	for _, p := range parts[2:] {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[p]
			if !ok {
				return nil, fmt.Errorf("$ref %q: no key %q", ref, p)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("$ref %q: bad index %q", ref, p)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("$ref %q: %q is not inside an object or array", ref, p)
		}
	}
	return cur, nil
}

func unmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}
