package abi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gstauth/gstauth/internal/abi"
	"github.com/gstauth/gstauth/internal/vectors"
)

// The schema is checked with santhosh-tekuri/jsonschema, a JSON Schema
// 2020-12 validator that passes the official test suite: writing one here
// would test our schema against our own reading of the standard.

func schemaPath() string { return filepath.Join(vectors.Dir(), "..", "schema.json") }

// TestSchemaOpMatchesCheckedInFile fails when testdata/schema.json is stale:
// run `go run ./internal/gen`.
func TestSchemaOpMatchesCheckedInFile(t *testing.T) {
	out, ok := abi.Call("schema", nil)
	if !ok {
		t.Fatal(string(out))
	}
	file, err := os.ReadFile(schemaPath())
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(file, &want); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("testdata/schema.json is stale (run go run ./internal/gen) (-file +op):\n%s", d)
	}
}

func compileSchema(t *testing.T) (*jsonschema.Compiler, map[string]any) {
	t.Helper()
	b, err := os.ReadFile(schemaPath())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(abi.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	var plain map[string]any
	json.Unmarshal(b, &plain)
	return c, plain
}

// TestSchemaIsValidAndComplete: the document is a valid 2020-12 schema
// whose every op names an input and output that compile, and it lists
// every op of the table.
func TestSchemaIsValidAndComplete(t *testing.T) {
	c, doc := compileSchema(t)
	ops := doc["ops"].(map[string]any)
	if len(ops) != len(abi.Names()) {
		t.Fatalf("the schema lists %d ops, the table %d", len(ops), len(abi.Names()))
	}
	for _, name := range abi.Names() {
		op, ok := ops[name].(map[string]any)
		if !ok {
			t.Fatalf("the schema has no op %s", name)
		}
		for _, side := range []string{"input", "output"} {
			ref := op[side].(map[string]any)["$ref"].(string)
			if _, err := c.Compile(abi.SchemaID + ref); err != nil {
				t.Errorf("%s %s: %v", name, side, err)
			}
		}
	}
	if _, err := c.Compile(abi.SchemaID + "#/$defs/ErrorResponse"); err != nil {
		t.Fatal(err)
	}
}

// TestVectorsValidateAgainstSchema: every vector's input and expected
// output validates against the op's schema. A case that sends
// schema-invalid input on purpose carries the flag "malformed": its input
// is not validated, and it must expect one of the errors such input gets
// (malformedErrors). Every other case's input validates, whatever it
// expects.
func TestVectorsValidateAgainstSchema(t *testing.T) {
	c, doc := compileSchema(t)
	ops := doc["ops"].(map[string]any)
	compiled := map[string]*jsonschema.Schema{}
	schemaFor := func(op, side string) *jsonschema.Schema {
		key := op + "/" + side
		if s, ok := compiled[key]; ok {
			return s
		}
		var ref string
		if side == "error" {
			ref = "#/$defs/ErrorResponse"
		} else {
			entry, ok := ops[op].(map[string]any)
			if !ok {
				t.Fatalf("vectors call %s, which the schema does not list", op)
			}
			ref = entry[side].(map[string]any)["$ref"].(string)
		}
		s, err := c.Compile(abi.SchemaID + ref)
		if err != nil {
			t.Fatal(err)
		}
		compiled[key] = s
		return s
	}
	// check validates raw; checked is false when raw holds what the runner
	// resolves or matches at replay time ($ref, $type), or nothing.
	check := func(s *jsonschema.Schema, raw json.RawMessage) (checked bool, err error) {
		if raw == nil || bytes.Contains(raw, []byte(`"$ref"`)) || bytes.Contains(raw, []byte(`"$type"`)) {
			return false, nil
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return true, s.Validate(v)
	}
	validate := func(t *testing.T, what string, s *jsonschema.Schema, raw json.RawMessage) {
		if _, err := check(s, raw); err != nil {
			t.Errorf("%s does not validate: %v", what, err)
		}
	}
	paths, err := vectors.Files()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range paths {
		f, err := vectors.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		for _, tc := range f.Tests {
			steps := tc.Steps
			if len(steps) == 0 {
				steps = []vectors.Step{tc.Step}
			}
			malformed := hasFlag(tc.Flags, "malformed")
			for i, st := range steps {
				op := st.Op
				if op == "" {
					op = f.Op
				}
				label := name + " #" + itoa(tc.TcID) + " step " + itoa(i) + " (" + op + ")"
				switch st.Result {
				case "valid":
					validate(t, label+" input", schemaFor(op, "input"), st.Input)
					validate(t, label+" output", schemaFor(op, "output"), st.Output)
				case "invalid":
					if !malformed {
						validate(t, label+" input", schemaFor(op, "input"), st.Input)
						break
					}
					if !malformedErrors[st.Error] {
						t.Errorf("%s is flagged malformed but expects %s, not an error malformed input gets", label, st.Error)
					}
					if checked, err := check(schemaFor(op, "input"), st.Input); checked && err == nil {
						t.Errorf("%s is flagged malformed but its input validates", label)
					}
				}
				if malformed && st.Result != "invalid" {
					t.Errorf("%s is flagged malformed but expects success", label)
				}
				checked++
			}
		}
	}
	t.Logf("validated %d vector steps", checked)
}

// malformedErrors are the errors a case flagged "malformed" may expect:
// what the codec (invalid_input, too_large, unsupported) or a
// configuration check (config_invalid) answers to input outside the
// schema.
var malformedErrors = map[string]bool{"invalid_input": true, "too_large": true, "unsupported": true, "config_invalid": true}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
