package main

import "encoding/json"

// Document is the part of the schema the generators read.
type Document struct {
	Version    string          `json:"version"`
	ErrorCodes []string        `json:"errorCodes"`
	Ops        map[string]Op   `json:"ops"`
	Defs       map[string]Node `json:"$defs"`
}

// Op is one op of the schema.
type Op struct {
	Description string `json:"description"`
	Raw         bool   `json:"raw"`
	Input       Node   `json:"input"`
	Output      Node   `json:"output"`
	Data        string `json:"data"`
	OutputData  string `json:"outputData"`
}

// Node is a schema node, read as far as the generators need.
type Node struct {
	Ref                  string          `json:"$ref"`
	Type                 string          `json:"type"`
	Description          string          `json:"description"`
	Enum                 []string        `json:"enum"`
	Properties           map[string]Node `json:"properties"`
	Required             []string        `json:"required"`
	Items                *Node           `json:"items"`
	AdditionalProperties json.RawMessage `json:"additionalProperties"`
	AllOf                []Node          `json:"allOf"`
	ContentEncoding      string          `json:"contentEncoding"`
	ContentMediaType     string          `json:"contentMediaType"`
	MaxLength            int             `json:"maxLength"`
	Minimum              *int64          `json:"minimum"`
}
