package abi

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/gstauth/gstauth/core"
	"github.com/gstauth/gstauth/gstcrypto"
	"github.com/gstauth/gstauth/internal/version"
)

// The schema of the table, written from the ops' Go types (the same ones
// the codec decodes with): one JSON Schema 2020-12 document whose $defs
// describe every input, output and shared type, and whose "ops" member maps
// each op to its input and output. testdata/schema.json is this document,
// checked in; a test fails when it is stale.
//
// Beside the standard keywords the document carries, for the binding
// generators: "version", "errorCodes", and per op "description", "raw",
// "input", "output", and for raw ops "data" and "outputData" (what the raw
// bytes are).

// SchemaID is the schema's $id.
const SchemaID = "https://github.com/gstauth/gstauth/testdata/schema.json"

// enums lists the values of the string types that are enumerations.
var enums = map[reflect.Type][]string{}

func enum[T ~string](values []T) {
	list := make([]string, len(values))
	for i, v := range values {
		list[i] = string(v)
	}
	enums[reflect.TypeOf(values).Elem()] = list
}

func init() {
	enum(core.Providers)
	enum(core.Actions)
	enum(core.Reasons)
	enum([]core.TokenState{core.TokenNone, core.TokenFresh, core.TokenStale, core.TokenExpired})
	enum(core.Flavors)
	enum([]core.Environment{core.EnvironmentSandbox, core.EnvironmentProduction})
	enum([]core.ClientAuth{core.ClientAuthBasic, core.ClientAuthPost, core.ClientAuthNone})
	enum([]core.SecretChoice{core.SecretCurrent, core.SecretPrevious})
	enum([]core.BindingSource{core.BindingCnf, core.BindingPresented})
	enum(core.Outcomes)
	enum(core.Moves)
	enum([]core.EnsureStage{core.EnsureCheck, core.EnsureLocked})
	enum(core.LeaseActions)
	enum(gstcrypto.Codes)
	steps := map[core.Step]bool{core.StepAuthorize: true}
	for _, p := range core.Providers {
		for _, s := range core.Steps(p) {
			steps[s] = true
		}
	}
	var all []core.Step
	for s := range steps {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	enum(all)
}

var (
	schemaOnce sync.Once
	schemaJSON []byte
)

// schemaDocument returns the schema, compact.
func schemaDocument() json.RawMessage {
	schemaOnce.Do(func() {
		b, err := json.Marshal(Schema())
		if err != nil {
			panic("abi: the schema does not encode: " + err.Error())
		}
		schemaJSON = b
	})
	return schemaJSON
}

// Schema builds the schema document.
func Schema() map[string]any {
	g := &schemaGen{defs: map[string]any{}, named: map[reflect.Type]string{}}
	// A type one op uses is named after the op; a type several ops share,
	// after itself.
	uses := map[reflect.Type]int{}
	for _, name := range names {
		uses[table[name].In]++
		uses[table[name].Out]++
	}
	defName := func(t reflect.Type, op, suffix string) string {
		if uses[t] == 1 {
			return exportedName(op) + suffix
		}
		n := t.Name()
		for _, end := range []string{"Out", "In", "Param"} {
			n = strings.TrimSuffix(n, end)
		}
		if n == "none" {
			return "Empty"
		}
		return exportedName(n) + suffix
	}
	ops := map[string]any{}
	for _, name := range names {
		op := table[name]
		suffixIn, suffixOut := "Input", "Output"
		if op.Raw {
			suffixIn, suffixOut = "Params", "Meta"
		}
		entry := map[string]any{
			"description": op.Doc,
			"raw":         op.Raw,
			"input":       g.defOf(op.In, defName(op.In, name, suffixIn)),
			"output":      g.defOf(op.Out, defName(op.Out, name, suffixOut)),
		}
		if op.Raw {
			entry["data"], entry["outputData"] = op.DataDoc, op.OutDoc
		}
		ops[name] = entry
	}
	g.defs["ErrorResponse"] = map[string]any{
		"description":          "What every failed call returns.",
		"type":                 "object",
		"properties":           map[string]any{"error": g.schemaOf(reflect.TypeOf(gstcrypto.Error{}), nil)},
		"required":             []string{"error"},
		"additionalProperties": false,
	}
	return map[string]any{
		"$schema":         "https://json-schema.org/draft/2020-12/schema",
		"$id":             SchemaID,
		"title":           "gstauth ABI",
		"description":     "Every op of gstauth's table: its input and output (a raw op: its params and meta, beside raw bytes), the error object and codes. Binary values are standard base64 with padding; JSON payloads are the exact JSON text in a string; instants are Unix milliseconds.",
		"version":         version.Version,
		"errorCodes":      enums[reflect.TypeOf(gstcrypto.Code(""))],
		"maxOpNameLength": MaxOpNameLen,
		"ops":             ops,
		"$defs":           g.defs,
	}
}

type schemaGen struct {
	defs  map[string]any
	named map[reflect.Type]string
}

// defOf writes the schema of an op's struct type as a def of the given
// name and returns a reference to it.
func (g *schemaGen) defOf(t reflect.Type, name string) map[string]any {
	if n, ok := g.named[t]; ok {
		return ref(n)
	}
	g.named[t] = name
	if t == reflect.TypeOf(schemaOut{}) {
		g.defs[name] = g.schemaOf(t, nil)
	} else {
		g.defs[name] = g.objectSchema(t)
	}
	return ref(name)
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/$defs/" + name} }

// schemaOf is the schema of a value of type t in field f (nil outside a
// struct).
func (g *schemaGen) schemaOf(t reflect.Type, f *fieldInfo) map[string]any {
	if t.Kind() == reflect.Pointer {
		return g.schemaOf(t.Elem(), f)
	}
	if t == reflect.TypeOf(schemaOut{}) {
		return map[string]any{"type": "object", "description": "a JSON Schema 2020-12 document: this one"}
	}
	if t == rawMessageType {
		return map[string]any{"description": "any JSON value, kept as it is"}
	}
	if values, ok := enums[t]; ok {
		name := t.Name()
		if t == reflect.TypeOf(gstcrypto.Code("")) {
			name = "ErrorCode"
		}
		if _, done := g.defs[name]; !done {
			g.defs[name] = map[string]any{"type": "string", "enum": values}
		}
		return ref(name)
	}
	limit := 0
	if f != nil {
		limit = f.limit
	}
	switch t.Kind() {
	case reflect.String:
		s := map[string]any{"type": "string"}
		if limit > 0 {
			s["maxLength"] = limit
		}
		if f != nil && f.format == "json" {
			s["contentMediaType"] = "application/json"
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		s := map[string]any{"type": "integer"}
		if f != nil && f.min != nil {
			s["minimum"] = *f.min
		}
		return s
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s := map[string]any{"type": "string", "contentEncoding": "base64"}
			if limit > 0 {
				s["maxLength"] = (limit + 2) / 3 * 4
			}
			return s
		}
		s := map[string]any{"type": "array", "items": g.schemaOf(t.Elem(), nil)}
		if limit > 0 {
			s["maxItems"] = limit
		}
		return s
	case reflect.Map:
		s := map[string]any{"type": "object"}
		if t.Elem().Kind() != reflect.Interface {
			s["additionalProperties"] = g.schemaOf(t.Elem(), nil)
		}
		if limit > 0 {
			s["maxProperties"] = limit
		}
		return s
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if t.PkgPath() == reflect.TypeOf(none{}).PkgPath() {
			name = exportedName(name)
		}
		if name == "" {
			panic("abi: anonymous struct in the schema")
		}
		if n, ok := g.named[t]; ok {
			return ref(n)
		}
		return g.defOf(t, name)
	}
	panic("abi: no schema for " + t.String())
}

// objectSchema describes a struct: its fields, which are required, and no
// others.
func (g *schemaGen) objectSchema(t reflect.Type) map[string]any {
	si := structFields(t)
	props := map[string]any{}
	var required []string
	for i := range si {
		f := &si[i]
		s := g.schemaOf(f.typ, f)
		if f.doc != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": f.doc}
			} else {
				c := make(map[string]any, len(s)+1)
				for k, v := range s {
					c[k] = v
				}
				c["description"] = f.doc
				s = c
			}
		}
		props[f.name] = s
		if f.required {
			required = append(required, f.name)
		}
	}
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		sort.Strings(required)
		out["required"] = required
	}
	return out
}

// structFields are the JSON members of a struct type: the codec's for the
// types it decodes; for output types the same rules (json tags, embedded
// structs flattened, omitempty optional).
func structFields(t reflect.Type) []fieldInfo {
	return infoOf(t).fields
}

// exportedName turns a snake_case op or a lowerCamel Go name into
// UpperCamel: pkce_s256 → PkceS256, sessionParam → SessionParam.
func exportedName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
