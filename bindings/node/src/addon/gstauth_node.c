/*
 * gstauth_node.c: the Node-API addon behind gstauth's native backend.
 *
 * It only moves bytes between JavaScript and libgstauth.so (cshared/gstauth.h); the library does all the work.
 * JavaScript validates arguments and encodes and decodes JSON (src/native.cjs); this file re-checks types so that
 * no argument can crash the process.
 *
 * Why an addon and not an FFI package: a Go c-shared library re-reads the calling thread's stack bounds on every
 * call that arrives on a foreign stack (koffi's), which costs ~100 µs on Node's main thread; an addon calls on the
 * thread's own stack (~60 ns of call overhead).
 *
 * The library is opened once per process with dlopen(RTLD_NODELETE) and never closed: a Go runtime cannot be
 * unloaded, and a process must not hold two. Every worker thread that loads this addon shares that one handle; a
 * second path is refused.
 *
 * Exports (all throw TypeError on wrong argument types):
 *   load(path)                    → the library's version; opens the library (once per process)
 *   call(op, json)                → output JSON text, or [error JSON text] when the library reports a failure
 *   callRaw(op, params, data)     → [meta JSON text, Buffer], or [error JSON text]
 *   callAsync / callRawAsync      → the same, as a Promise, run on the libuv thread pool
 *   callLoop(op, json, n)         → nanoseconds per gstauth_call over n calls made from C (benchmarks only)
 *   lockFile(fd, lock)            → 0, or an errno: lock true takes the file store's exclusive lock on the
 *                                   descriptor without blocking (EWOULDBLOCK while another process holds it),
 *                                   false releases it (src/store/file.cjs; the library is not needed for it)
 *
 * Raw data is read in place: the addon passes the Uint8Array's own memory to the library (which only reads it
 * and keeps no pointer); for the async form it holds a reference to the array until the call completes. Raw
 * output is copied once into a Buffer and the library's memory released at once (see take_buffer): from BULK bytes
 * of data on, the core's own bytes lent by gstauth_call_raw_view (gstauth_call_raw would first copy them into fresh
 * malloc'd memory, which costs more than the work on megabytes), below it gstauth_call_raw's copy.
 */
#define _GNU_SOURCE /* F_OFD_SETLK */
#define NAPI_VERSION 8
#include <node_api.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>

#include "gstauth.h"

/* Longest op name passed on: the library reads at most 256 bytes of a name. */
#define OP_MAX 256
/* JSON inputs up to this size are copied to the stack, larger ones to the heap. */
#define STACK_INPUT 4096
/* The data size from which a raw call borrows its output (gstauth_call_raw_view) instead of taking a copy. */
#define BULK (32 << 10)

static struct {
    pthread_mutex_t mu;
    atomic_int loaded;
    char path[PATH_MAX];
    __typeof__(gstauth_call) *call;
    __typeof__(gstauth_call_raw) *call_raw;
    __typeof__(gstauth_call_raw_view) *call_raw_view; /* with release_view: NULL both in a library older than them */
    __typeof__(gstauth_release_view) *release_view;
    __typeof__(gstauth_free) *free;
    __typeof__(gstauth_version) *version;
} lib = {.mu = PTHREAD_MUTEX_INITIALIZER};

#define NAPI_OK(expr)                                                                                                  \
    do {                                                                                                               \
        if ((expr) != napi_ok) return throw_last(env);                                                                 \
    } while (0)

/* Rethrows the pending exception, or throws one describing the last Node-API failure. */
static napi_value throw_last(napi_env env) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) {
        const napi_extended_error_info *info = NULL;
        napi_get_last_error_info(env, &info);
        napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
    }
    return NULL;
}

static napi_value type_error(napi_env env, const char *msg) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return NULL;
}

static bool library_ready(napi_env env) {
    if (atomic_load_explicit(&lib.loaded, memory_order_acquire)) return true;
    napi_throw_error(env, NULL, "gstauth: the native library is not loaded (call load first)");
    return false;
}

/* Copies a JS string op name into buf (OP_MAX+1 bytes). A name longer than OP_MAX is cut there: the library then
 * reports an unknown op. A name with a NUL byte is refused, since C would silently read only its first part. */
static bool get_op(napi_env env, napi_value v, char *buf) {
    napi_valuetype t;
    size_t copied = 0;
    if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
        type_error(env, "op must be a string");
        return false;
    }
    if (napi_get_value_string_utf8(env, v, buf, OP_MAX + 1, &copied) != napi_ok) {
        throw_last(env);
        return false;
    }
    if (strlen(buf) != copied) {
        napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "op must not contain NUL bytes");
        return false;
    }
    return true;
}

/* The UTF-8 bytes of a JS string: in stack (when it fits) or in a malloc'd buffer that *heap is set to. */
static bool get_text(napi_env env, napi_value v, const char *what, char *stack, char **heap, char **text,
                     size_t *len) {
    napi_valuetype t;
    *heap = NULL;
    if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s must be a string", what);
        type_error(env, msg);
        return false;
    }
    if (napi_get_value_string_utf8(env, v, NULL, 0, len) != napi_ok) {
        throw_last(env);
        return false;
    }
    char *buf = stack;
    if (*len >= STACK_INPUT) {
        buf = *heap = malloc(*len + 1);
        if (buf == NULL) {
            napi_throw_range_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "gstauth: out of memory copying the input");
            return false;
        }
    }
    if (napi_get_value_string_utf8(env, v, buf, *len + 1, len) != napi_ok) {
        free(*heap);
        *heap = NULL;
        throw_last(env);
        return false;
    }
    *text = buf;
    return true;
}

/* The memory of a Uint8Array (or Buffer), in place. */
static bool get_bytes(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
    bool is_typed = false;
    napi_typedarray_type type;
    void *p = NULL;
    if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) {
        type_error(env, "data must be a Uint8Array or Buffer");
        return false;
    }
    *data = p;
    return true;
}

static napi_value make_text(napi_env env, const uint8_t *p, int64_t n) {
    napi_value s;
    if (napi_create_string_utf8(env, (const char *)(p ? p : (const uint8_t *)""), (size_t)n, &s) != napi_ok) {
        return throw_last(env);
    }
    return s;
}

/* [text]: how a failure reported by the library reaches JavaScript. */
static napi_value make_failure(napi_env env, const uint8_t *p, int64_t n) {
    napi_value arr, s = make_text(env, p, n);
    if (s == NULL) return NULL;
    NAPI_OK(napi_create_array_with_length(env, 1, &arr));
    NAPI_OK(napi_set_element(env, arr, 0, s));
    return arr;
}

/* Gives back a raw output: lent by gstauth_call_raw_view, or allocated by gstauth_call_raw. */
static void release_data(uint8_t *p, bool lent) {
    if (lent) {
        lib.release_view(p);
    } else {
        lib.free(p);
    }
}

/* Whether a raw call over data_len bytes borrows its output. */
static bool lends(size_t data_len) {
    return data_len >= BULK && lib.call_raw_view != NULL;
}

/* A Buffer holding a copy of the library's output p, which is released at once. An external Buffer over p would
 * save the copy (about 0.1 ms per MiB), but Node runs the finalizer of an external buffer only once the event loop
 * turns: a synchronous loop of raw calls would hold every output until it yields. A copied Buffer is V8's own
 * memory, released by the garbage collector alone. */
static napi_value take_buffer(napi_env env, uint8_t *p, int64_t n, bool lent) {
    napi_value buf;
    napi_status st = n > 0 ? napi_create_buffer_copy(env, (size_t)n, p, NULL, &buf) : napi_create_buffer(env, 0, NULL, &buf);
    release_data(p, lent);
    NAPI_OK(st);
    return buf;
}

/* The JS value of a finished JSON call; releases out. */
static napi_value json_result(napi_env env, int32_t rc, uint8_t *out, int64_t out_len) {
    napi_value v;
    if (rc == GSTAUTH_OK) {
        v = make_text(env, out, out_len);
    } else if (rc == GSTAUTH_FAILED) {
        v = make_failure(env, out, out_len);
    } else {
        napi_throw_error(env, NULL, "gstauth: the library refused the call (misuse)");
        v = NULL;
    }
    lib.free(out);
    return v;
}

/* The JS value of a finished raw call; releases meta and takes data over (lent: from gstauth_call_raw_view). */
static napi_value raw_result(napi_env env, int32_t rc, uint8_t *meta, int64_t meta_len, uint8_t *data,
                             int64_t data_len, bool lent) {
    napi_value v = NULL;
    if (rc == GSTAUTH_OK) {
        napi_value m = make_text(env, meta, meta_len), b, arr;
        lib.free(meta);
        if (m == NULL) {
            release_data(data, lent);
            return NULL;
        }
        b = take_buffer(env, data, data_len, lent);
        if (b == NULL) return NULL;
        NAPI_OK(napi_create_array_with_length(env, 2, &arr));
        NAPI_OK(napi_set_element(env, arr, 0, m));
        NAPI_OK(napi_set_element(env, arr, 1, b));
        return arr;
    }
    if (rc == GSTAUTH_FAILED) {
        v = make_failure(env, meta, meta_len);
    } else {
        napi_throw_error(env, NULL, "gstauth: the library refused the call (misuse)");
    }
    lib.free(meta);
    release_data(data, lent);
    return v;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
    size_t argc = want;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
        throw_last(env);
        return false;
    }
    for (size_t i = argc; i < want; i++) napi_get_undefined(env, &argv[i]);
    return true;
}

/* --- load, version ----------------------------------------------------------------------------------------------- */

static napi_value load(napi_env env, napi_callback_info info) {
    napi_value argv[1], result;
    char stack[STACK_INPUT], *heap, *path;
    size_t len;
    char resolved[PATH_MAX];
    char err[2 * PATH_MAX + 256];

    if (!get_args(env, info, 1, argv) || !get_text(env, argv[0], "path", stack, &heap, &path, &len)) return NULL;
    if (realpath(path, resolved) == NULL) {
        snprintf(err, sizeof err, "gstauth: cannot find the native library %s", path);
        free(heap);
        napi_throw_error(env, NULL, err);
        return NULL;
    }
    free(heap);

    err[0] = 0;
    pthread_mutex_lock(&lib.mu);
    if (atomic_load_explicit(&lib.loaded, memory_order_relaxed)) {
        if (strcmp(resolved, lib.path) != 0) {
            snprintf(err, sizeof err,
                     "gstauth: this process already loaded the native library from %s; it cannot load a second "
                     "one (%s)",
                     lib.path, resolved);
        }
    } else {
        void *h = dlopen(resolved, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE); /* never closed */
        if (h == NULL) {
            snprintf(err, sizeof err, "gstauth: cannot load %s: %s", resolved, dlerror());
        } else {
            lib.call = (__typeof__(lib.call))dlsym(h, "gstauth_call");
            lib.call_raw = (__typeof__(lib.call_raw))dlsym(h, "gstauth_call_raw");
            lib.free = (__typeof__(lib.free))dlsym(h, "gstauth_free");
            lib.call_raw_view = (__typeof__(lib.call_raw_view))dlsym(h, "gstauth_call_raw_view");
            lib.release_view = (__typeof__(lib.release_view))dlsym(h, "gstauth_release_view");
            if (lib.call_raw_view == NULL || lib.release_view == NULL) {
                lib.call_raw_view = NULL;
                lib.release_view = NULL;
            }
            lib.version = (__typeof__(lib.version))dlsym(h, "gstauth_version");
            if (!lib.call || !lib.call_raw || !lib.free || !lib.version) {
                snprintf(err, sizeof err, "gstauth: %s lacks the functions of gstauth.h", resolved);
            } else {
                snprintf(lib.path, sizeof lib.path, "%s", resolved);
                atomic_store_explicit(&lib.loaded, 1, memory_order_release);
            }
        }
    }
    pthread_mutex_unlock(&lib.mu);
    if (err[0]) {
        napi_throw_error(env, NULL, err);
        return NULL;
    }
    NAPI_OK(napi_create_string_utf8(env, lib.version(), NAPI_AUTO_LENGTH, &result));
    return result;
}

/* --- synchronous calls ------------------------------------------------------------------------------------------- */

static napi_value call(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    char op[OP_MAX + 1], stack[STACK_INPUT], *heap, *in;
    size_t in_len;
    uint8_t *out = NULL;
    int64_t out_len = 0;

    if (!library_ready(env) || !get_args(env, info, 2, argv) || !get_op(env, argv[0], op) ||
        !get_text(env, argv[1], "input", stack, &heap, &in, &in_len)) {
        return NULL;
    }
    int32_t rc = lib.call(op, (const uint8_t *)in, (int64_t)in_len, &out, &out_len);
    free(heap);
    return json_result(env, rc, out, out_len);
}

static napi_value call_raw(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    char op[OP_MAX + 1], stack[STACK_INPUT], *heap, *params;
    size_t params_len, data_len;
    const uint8_t *data;
    uint8_t *meta = NULL, *out = NULL;
    int64_t meta_len = 0, out_len = 0;

    if (!library_ready(env) || !get_args(env, info, 3, argv) || !get_op(env, argv[0], op) ||
        !get_bytes(env, argv[2], &data, &data_len) ||
        !get_text(env, argv[1], "params", stack, &heap, &params, &params_len)) {
        return NULL;
    }
    bool lent = lends(data_len);
    int32_t rc = (lent ? lib.call_raw_view : lib.call_raw)(op, (const uint8_t *)params, (int64_t)params_len, data,
                                                          (int64_t)data_len, &meta, &meta_len, &out, &out_len);
    free(heap);
    return raw_result(env, rc, meta, meta_len, out, out_len, lent);
}

/* --- asynchronous calls: the library runs on the libuv thread pool ---------------------------------------------- */

typedef struct {
    napi_async_work work;
    napi_deferred deferred;
    bool raw;
    char op[OP_MAX + 1];
    char *in; /* JSON input or raw params, malloc'd */
    size_t in_len;
    const uint8_t *data; /* raw data, the caller's memory, kept alive by data_ref */
    size_t data_len;
    napi_ref data_ref;
    bool lent; /* out_data from gstauth_call_raw_view */
    int32_t rc;
    uint8_t *out, *out_data;
    int64_t out_len, out_data_len;
} async_call;

static void async_free(napi_env env, async_call *c) {
    if (c->data_ref) napi_delete_reference(env, c->data_ref);
    if (c->work) napi_delete_async_work(env, c->work);
    free(c->in);
    free(c);
}

static void async_execute(napi_env env, void *p) {
    (void)env;
    async_call *c = p;
    if (c->raw) {
        c->lent = lends(c->data_len);
        c->rc = (c->lent ? lib.call_raw_view : lib.call_raw)(c->op, (const uint8_t *)c->in, (int64_t)c->in_len,
                                                             c->data, (int64_t)c->data_len, &c->out, &c->out_len,
                                                             &c->out_data, &c->out_data_len);
    } else {
        c->rc = lib.call(c->op, (const uint8_t *)c->in, (int64_t)c->in_len, &c->out, &c->out_len);
    }
}

static void async_complete(napi_env env, napi_status status, void *p) {
    async_call *c = p;
    napi_value v = NULL, err = NULL, msg;
    if (status == napi_ok) {
        v = c->raw ? raw_result(env, c->rc, c->out, c->out_len, c->out_data, c->out_data_len, c->lent)
                   : json_result(env, c->rc, c->out, c->out_len);
    } else {
        lib.free(c->out);
        release_data(c->out_data, c->lent);
        if (napi_create_string_utf8(env, "gstauth: the call was cancelled", NAPI_AUTO_LENGTH, &msg) == napi_ok) {
            napi_create_error(env, NULL, msg, &err);
        }
    }
    if (v != NULL) {
        napi_resolve_deferred(env, c->deferred, v);
    } else {
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (pending) napi_get_and_clear_last_exception(env, &err);
        if (err == NULL) napi_get_undefined(env, &err);
        napi_reject_deferred(env, c->deferred, err);
    }
    async_free(env, c);
}

static napi_value queue_call(napi_env env, napi_callback_info info, bool raw) {
    napi_value argv[3], promise, name;
    char stack[STACK_INPUT], *heap, *text;
    async_call *c;

    if (!library_ready(env) || !get_args(env, info, raw ? 3 : 2, argv)) return NULL;
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        napi_throw_range_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "gstauth: out of memory");
        return NULL;
    }
    c->raw = raw;
    if (!get_op(env, argv[0], c->op) || (raw && !get_bytes(env, argv[2], &c->data, &c->data_len)) ||
        !get_text(env, argv[1], raw ? "params" : "input", stack, &heap, &text, &c->in_len)) {
        free(c);
        return NULL;
    }
    /* The work runs after this function returns: the text moves to the heap if it is on the stack. */
    if (heap != NULL) {
        c->in = heap;
    } else {
        c->in = malloc(c->in_len + 1);
        if (c->in == NULL) {
            free(c);
            napi_throw_range_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "gstauth: out of memory");
            return NULL;
        }
        memcpy(c->in, text, c->in_len + 1);
    }
    if ((raw && napi_create_reference(env, argv[2], 1, &c->data_ref) != napi_ok) ||
        napi_create_string_utf8(env, raw ? "gstauth.callRaw" : "gstauth.call", NAPI_AUTO_LENGTH, &name) !=
            napi_ok ||
        napi_create_async_work(env, NULL, name, async_execute, async_complete, c, &c->work) != napi_ok ||
        napi_create_promise(env, &c->deferred, &promise) != napi_ok ||
        napi_queue_async_work(env, c->work) != napi_ok) {
        async_free(env, c);
        return throw_last(env);
    }
    return promise;
}

static napi_value call_async(napi_env env, napi_callback_info info) { return queue_call(env, info, false); }

static napi_value call_raw_async(napi_env env, napi_callback_info info) { return queue_call(env, info, true); }

/* --- benchmarks -------------------------------------------------------------------------------------------------- */

/* Calls gstauth_call n times from C with the same input and returns the mean nanoseconds per call: the library's
 * own cost, to subtract from a call made from JavaScript. */
static napi_value call_loop(napi_env env, napi_callback_info info) {
    napi_value argv[3], result;
    char op[OP_MAX + 1], stack[STACK_INPUT], *heap, *in;
    size_t in_len;
    int64_t n = 0;
    struct timespec t0, t1;

    if (!library_ready(env) || !get_args(env, info, 3, argv) || !get_op(env, argv[0], op) ||
        napi_get_value_int64(env, argv[2], &n) != napi_ok || n <= 0) {
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (!pending) type_error(env, "n must be a positive number");
        return NULL;
    }
    if (!get_text(env, argv[1], "input", stack, &heap, &in, &in_len)) return NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int64_t i = 0; i < n; i++) {
        uint8_t *out = NULL;
        int64_t out_len = 0;
        lib.call(op, (const uint8_t *)in, (int64_t)in_len, &out, &out_len);
        lib.free(out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(heap);
    double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n;
    NAPI_OK(napi_create_double(env, ns, &result));
    return result;
}

/* --- the file store's lock ---------------------------------------------------------------------------------------- */

/* The file store's lock on <file>.lock is two locks, taken in this order by every host that takes both (Python's
 * file store too): flock(2), which Go's gofrs/flock takes, and an open file description record lock on the whole
 * file (F_OFD_SETLK), which excludes the POSIX record lock the JVM's FileChannel.lock takes (on Linux, flock and
 * record locks do not see each other). Both belong to the open file description: two descriptors of one process
 * exclude each other too, and the kernel drops both when the process dies. Nothing here blocks: the caller polls,
 * so the event loop and the thread pool stay free while another process holds the lock. */
static int ofd_lock(int fd, short type) {
    struct flock fl;
    memset(&fl, 0, sizeof fl); /* l_pid 0, as an OFD lock requires; whole file */
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_OFD_SETLK, &fl);
}

static int store_lock(int fd, bool lock) {
    int rc, err;
    if (!lock) {
        rc = ofd_lock(fd, F_UNLCK);
        err = rc == 0 ? 0 : errno;
        rc = flock(fd, LOCK_UN);
        return rc == 0 ? err : errno;
    }
    do {
        rc = flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return errno;
    do {
        rc = ofd_lock(fd, F_WRLCK);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return 0;
    err = (errno == EACCES || errno == EAGAIN) ? EWOULDBLOCK : errno;
    flock(fd, LOCK_UN);
    return err;
}

static napi_value file_lock(napi_env env, napi_callback_info info) {
    napi_value argv[2], result;
    int32_t fd = -1;
    bool lock = false;

    if (!get_args(env, info, 2, argv)) return NULL;
    if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return type_error(env, "fd must be a file descriptor");
    if (napi_get_value_bool(env, argv[1], &lock) != napi_ok) return type_error(env, "lock must be a boolean");
    NAPI_OK(napi_create_int32(env, store_lock(fd, lock), &result));
    return result;
}

/* --- module ------------------------------------------------------------------------------------------------------ */

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
    napi_property_descriptor props[] = {
        {"load", NULL, load, NULL, NULL, NULL, napi_enumerable, NULL},
        {"call", NULL, call, NULL, NULL, NULL, napi_enumerable, NULL},
        {"callRaw", NULL, call_raw, NULL, NULL, NULL, napi_enumerable, NULL},
        {"callAsync", NULL, call_async, NULL, NULL, NULL, napi_enumerable, NULL},
        {"callRawAsync", NULL, call_raw_async, NULL, NULL, NULL, napi_enumerable, NULL},
        {"callLoop", NULL, call_loop, NULL, NULL, NULL, napi_enumerable, NULL},
        {"lockFile", NULL, file_lock, NULL, NULL, NULL, napi_enumerable, NULL},
    };
    if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
    return exports;
}
