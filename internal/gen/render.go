package main

import (
	"bytes"
	"encoding/json"

	"github.com/gstauth/gstauth/internal/abi"
)

// Render returns every generated file, by path from the repository root.
func Render() (map[string][]byte, error) {
	schema, err := schemaFile()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{"testdata/schema.json": schema}
	var doc Document
	if err := json.Unmarshal(schema, &doc); err != nil {
		return nil, err
	}
	for path, render := range bindings {
		b, err := render(&doc)
		if err != nil {
			return nil, err
		}
		files[path] = b
	}
	return files, nil
}

// bindings maps each generated binding file to its renderer.
var bindings = map[string]func(*Document) ([]byte, error){}

// schemaFile is the schema, indented, as checked in.
func schemaFile() ([]byte, error) {
	out, ok := abi.Call("schema", nil)
	if !ok {
		return nil, &json.UnsupportedValueError{Str: string(out)}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
