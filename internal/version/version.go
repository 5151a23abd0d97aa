// Package version holds gstauth's version, read from the repository's one
// version file, VERSION, by `go generate` (version_gen.go). Every artifact
// reports it: the shared library's gstauth_version, the plugin's
// gstauth_version export, the CLI, the schema, and the Python, Java and Node
// packages, which read VERSION when they are built.
package version

//go:generate go run gen.go
