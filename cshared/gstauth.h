/*
 * gstauth.h — the C ABI of libgstauth.so, gstauth's auth core for GST integrations.
 *
 * Every operation of the core is an "op" named in snake_case (gstauth_call("ops", ...) lists them). An op takes a
 * JSON object and returns a JSON object: binary values are standard base64 with padding, JSON payloads are the exact
 * JSON text in a string, instants are Unix milliseconds. Raw ops (names ending in "_raw") move bulk payloads
 * without JSON-in-JSON or a second base64: small JSON params and raw bytes in, JSON meta and raw bytes out.
 *
 * Failures return {"error":{"code":"...","message":"..."}} (plus "provider_code", "retry_after_ms", "retryable"
 * where they apply). Codes are stable and append-only (gstauth_call("error_codes", ...)). Messages never contain key
 * material, passwords, OTPs or tokens.
 *
 * Memory: every output buffer is allocated by the library and must be released with gstauth_free, also on
 * failure. Outputs carry one extra NUL byte after *out_len bytes, so a JSON result may be read as a C string. The
 * one exception is the raw output of gstauth_call_raw_view: lent, not copied, and released with gstauth_release_view.
 * JSON inputs (gstauth_call's in, gstauth_call_raw's params) are copied; the raw data of gstauth_call_raw is read in
 * place, without a copy, and must stay unchanged until the call returns. The library keeps no pointer to any input
 * after the call returns.
 *
 * Op names: at most 64 bytes (every op's name is shorter). A longer name (no NUL within its first 256 bytes) or an
 * empty one is invalid_input; an unknown one is unsupported. A name is read up to its NUL byte: a binding that
 * receives names from its own callers must refuse a name holding a NUL byte before calling (else "pkce_s256\0junk"
 * would run pkce_s256); every gstauth binding does.
 *
 * Schema: gstauth_call("schema", ...) returns the JSON Schema (2020-12) of every op's input and output; the
 * bindings' typed surfaces are generated from it.
 *
 * Threads: every function may be called from any number of threads at once.
 *
 * Process rules (the library is a Go c-shared library): load it once per process and never unload it (dlopen with
 * RTLD_NODELETE, or never dlclose); do not load two Go c-shared libraries into one process; glibc only (use the
 * Extism plugin build/gstauth.wasm on musl/Alpine); after fork(), a child of a process that already called the
 * library must not call it (the Go runtime does not survive fork) — use spawn-style process creation. JVMs should
 * preload libjsig.so because Go installs signal handlers.
 */
#ifndef GSTAUTH_H
#define GSTAUTH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return values of gstauth_call and gstauth_call_raw. */
#define GSTAUTH_OK 0      /* *out holds the result JSON (gstauth_call_raw: *out_meta and *out_data the result) */
#define GSTAUTH_FAILED 1  /* *out (gstauth_call_raw: *out_meta) holds the error JSON; *out_data is NULL */
#define GSTAUTH_MISUSE -1 /* an output pointer is NULL: nothing was written */

/*
 * Runs the JSON op `op` (a NUL-terminated name) on the JSON object in[0..in_len). in may be NULL when in_len is 0
 * (the empty object). On return *out points to *out_len bytes of JSON to release with gstauth_free.
 */
int32_t gstauth_call(const char *op, const uint8_t *in, int64_t in_len, uint8_t **out, int64_t *out_len);

/*
 * Runs the raw op `op` (its name ends in "_raw") with JSON params[0..params_len) and raw data[0..data_len) (either
 * may be NULL with length 0). On success *out_meta holds the meta JSON and *out_data the raw output; on failure
 * *out_meta holds the error JSON and *out_data is NULL. Release both with gstauth_free.
 */
int32_t gstauth_call_raw(const char *op, const uint8_t *params, int64_t params_len, const uint8_t *data,
                         int64_t data_len, uint8_t **out_meta, int64_t *out_meta_len, uint8_t **out_data,
                         int64_t *out_data_len);

/*
 * gstauth_call_raw without the copy of the raw output: on success *out_data points to the *out_data_len bytes the op
 * produced, lent by the library (read-only, no extra NUL byte; NULL when the output is empty) until
 * gstauth_release_view(*out_data), and never to be passed to gstauth_free. The view stays valid and unchanged until
 * it is released, from any thread; it never refers to the caller's data. Everything else is as for gstauth_call_raw
 * (*out_meta from gstauth_free's side, failures, misuse). On payloads of megabytes the copy gstauth_call_raw makes
 * is most of what the boundary costs: a caller that copies the output anyway (into its own heap, a file, a socket)
 * saves it here.
 */
int32_t gstauth_call_raw_view(const char *op, const uint8_t *params, int64_t params_len, const uint8_t *data,
                              int64_t data_len, uint8_t **out_meta, int64_t *out_meta_len, uint8_t **out_data,
                              int64_t *out_data_len);

/* Ends the loan of a raw output of gstauth_call_raw_view. NULL, a pointer already released and a pointer the
 * library never lent are ignored. */
void gstauth_release_view(const uint8_t *data);

/* Releases a buffer returned by the library. NULL is allowed. */
void gstauth_free(void *p);

/* The library version, a static NUL-terminated string (do not free it). */
const char *gstauth_version(void);

#ifdef __cplusplus
}
#endif

#endif /* GSTAUTH_H */
