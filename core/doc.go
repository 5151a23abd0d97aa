// Package core is gstauth's pure-Go, sans-I/O auth core for the GST system:
// the GSTN taxpayer API, the NIC e-invoice and e-way bill APIs, the OAuth 2.0
// gateways in front of them, and WhiteBIT.
//
// The core never opens a socket, reads a file, an environment variable or
// the wall clock. Time ("now", Unix milliseconds) and extra entropy are
// parameters; the core returns the request to send and the decision to take,
// and the host sends the request with its own HTTP client and hands the
// response back. That is what lets one core serve Go, Python, Java and Node
// through the Extism plugin and the C shared library.
//
// Every error is an [*Error] with a stable [Code].
package core
