// Package redis holds the Redis scripts of gstauth's shared session store
// (docs/hosts.md, "Many processes"), embedded, so that a Go host loads the
// very files every other host loads: read.lua, lease.lua and write.lua in
// this directory. The rules live in the scripts; a host only runs them
// (SCRIPT LOAD, then EVALSHA; EVAL again after a NOSCRIPT).
package redis

import _ "embed"

// Read is read.lua: a session's record, {version, sealed}.
//
//go:embed read.lua
var Read string

// Lease is lease.lua: take, extend or release a session's refresh lease
// on the server's clock.
//
//go:embed lease.lua
var Lease string

// Write is write.lua: the compare-and-set of a sealed session on its
// version.
//
//go:embed write.lua
var Write string
