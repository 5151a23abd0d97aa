// Package fastwasm holds what the WebAssembly plugin runs instead of the
// standard library's portable crypto code, because WebAssembly has no AES or
// SHA instructions and the generic code runs slowly there: AES-256
// encryption with fully unrolled rounds over 32-bit lookup tables, SHA-256
// with its message schedule and state kept in locals, and a base64 encoder
// that turns 12 bits into two characters with one lookup. Only wasm builds
// use it (internal/ecb, internal/b64 and gstcrypto pick it by build tag);
// its tests compare every result with crypto/aes, crypto/sha256 and
// encoding/base64 on every build.
//
// Like the standard library's portable AES, the AES here uses lookup
// tables and is not constant-time: what it encrypts (GST payloads under
// keys the host already holds in the same process) is exposed to timing
// only to code that shares the host's cache.
package fastwasm
