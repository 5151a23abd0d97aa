/*
 * A C host of libgstauth.so, built with gcc by cshared/test. Modes:
 *   harness serve     reads framed calls on stdin and answers on stdout (the Go test replays every vector through
 *                     it): u8 kind (0 JSON op, 1 raw op, 2 raw op through gstauth_call_raw_view), u32 op_len, op,
 *                     u32 in_len, in [, u32 data_len, data] → i32 rc, u32 out_len, out [, u32 data_len, data]
 *                     (little-endian)
 *   harness hammer N  8 threads × N calls with checked results (raw outputs copied and lent)
 *   harness boundary  null pointers, zero and negative lengths, unknown ops: an error every time, never a crash
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gstauth.h"

static int read_full(void *p, size_t n) { return fread(p, 1, n, stdin) == n; }

static uint8_t *read_blob(uint32_t *n) {
    if (!read_full(n, 4)) return NULL;
    uint8_t *b = malloc(*n + 1);
    if (*n && !read_full(b, *n)) { free(b); return NULL; }
    b[*n] = 0;
    return b;
}

static void write_blob(const uint8_t *b, int64_t n) {
    uint32_t len = (uint32_t)n;
    fwrite(&len, 4, 1, stdout);
    if (n) fwrite(b, 1, (size_t)n, stdout);
}

static int serve(void) {
    for (;;) {
        uint8_t kind;
        if (!read_full(&kind, 1)) return 0;
        uint32_t opn, inn, dn = 0;
        uint8_t *op = read_blob(&opn), *in = read_blob(&inn), *data = NULL;
        if (!op || !in) return 1;
        if (kind != 0 && !(data = read_blob(&dn))) return 1;
        uint8_t *out = NULL, *outd = NULL;
        int64_t outn = 0, outdn = 0;
        int32_t rc;
        if (kind == 0) {
            rc = gstauth_call((char *)op, in, inn, &out, &outn);
        } else if (kind == 1) {
            rc = gstauth_call_raw((char *)op, in, inn, data, dn, &out, &outn, &outd, &outdn);
        } else {
            rc = gstauth_call_raw_view((char *)op, in, inn, data, dn, &out, &outn, &outd, &outdn);
            /* a view never refers to the caller's data (an op may return its input unchanged): spoil the input */
            memset(data, 0xAA, dn);
        }
        fwrite(&rc, 4, 1, stdout);
        write_blob(out, outn);
        if (kind != 0) write_blob(outd, outdn);
        fflush(stdout);
        gstauth_free(out);
        if (kind == 2) {
            gstauth_release_view(outd);
        } else {
            gstauth_free(outd);
        }
        free(op); free(in); free(data);
    }
}

static int hammer_n;
static const char *KEY = "\"key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"";

static void *hammer_thread(void *arg) {
    long id = (long)arg;
    char in[512], pt[64];
    for (int i = 0; i < hammer_n; i++) {
        uint8_t *enc = NULL, *dec = NULL, *encd = NULL, *decd = NULL;
        int64_t encn = 0, decn = 0, encdn = 0, decdn = 0;
        int n = snprintf(pt, sizeof pt, "thread %ld call %d", id, i);
        snprintf(in, sizeof in, "{%s}", KEY);
        int lend = i % 2; /* every other call lends its outputs: a view is read as the next call's input */
        if ((lend ? gstauth_call_raw_view : gstauth_call_raw)("aes_ecb_encrypt_raw", (uint8_t *)in, (int64_t)strlen(in),
                (uint8_t *)pt, n, &enc, &encn, &encd, &encdn) != GSTAUTH_OK) return (void *)1;
        if ((lend ? gstauth_call_raw_view : gstauth_call_raw)("aes_ecb_decrypt_raw", (uint8_t *)in, (int64_t)strlen(in),
                encd, encdn, &dec, &decn, &decd, &decdn) != GSTAUTH_OK) return (void *)2;
        if (decdn != n || memcmp(decd, pt, (size_t)n) != 0) return (void *)3;
        gstauth_free(enc); gstauth_free(dec);
        if (lend) {
            gstauth_release_view(encd); gstauth_release_view(decd);
        } else {
            gstauth_free(encd); gstauth_free(decd);
        }
        uint8_t *out = NULL;
        int64_t outn = 0;
        if (gstauth_call("pkce_s256", (uint8_t *)"{\"verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"}", 58,
                         &out, &outn) != GSTAUTH_OK || !strstr((char *)out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
            return (void *)4;
        gstauth_free(out);
    }
    return NULL;
}

static int hammer(int n) {
    pthread_t t[8];
    hammer_n = n;
    for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, hammer_thread, (void *)i);
    int bad = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        if (r) { fprintf(stderr, "thread %d failed: %ld\n", i, (long)r); bad = 1; }
    }
    if (!bad) printf("hammer ok: 8 threads x %d calls\n", n);
    return bad;
}

/* EXPECT_ERROR makes the call before reading `out` (argument evaluation order is unspecified in C). */
#define EXPECT_ERROR(what, call) do { int32_t rc_ = (call); bad |= expect_error(what, rc_, out); out = NULL; } while (0)

static int expect_error(const char *what, int32_t rc, uint8_t *out) {
    int ok = rc == GSTAUTH_FAILED && out && strstr((char *)out, "\"error\"") && strstr((char *)out, "\"code\"");
    if (!ok) fprintf(stderr, "%s: rc=%d out=%s\n", what, rc, out ? (char *)out : "(null)");
    gstauth_free(out);
    return ok ? 0 : 1;
}

/* EXPECT_CODE is EXPECT_ERROR with the error code checked too. */
#define EXPECT_CODE(what, code, call) do { int32_t rc_ = (call); bad |= expect_code(what, code, rc_, out); out = NULL; } while (0)

static int expect_code(const char *what, const char *code, int32_t rc, uint8_t *out) {
    char want[64];
    snprintf(want, sizeof want, "\"code\":\"%s\"", code);
    int ok = rc == GSTAUTH_FAILED && out && strstr((char *)out, want);
    if (!ok) fprintf(stderr, "%s: want %s, rc=%d out=%s\n", what, code, rc, out ? (char *)out : "(null)");
    gstauth_free(out);
    return ok ? 0 : 1;
}

/* gstauth_call_raw_view and gstauth_release_view at their edges. */
static int boundary_view(void) {
    int bad = 0;
    uint8_t *out = NULL, *d = (uint8_t *)1;
    int64_t n = 0, dn = 1;
    const uint8_t js[] = "{}";
    const char *key = "{\"key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}";
    EXPECT_CODE("JSON op via the view entry", "unsupported", gstauth_call_raw_view("ops", js, 2, NULL, 0, &out, &n, &d, &dn));
    if (d != NULL || dn != 0) { fprintf(stderr, "view: a failure left out_data set\n"); bad = 1; }
    EXPECT_CODE("view: null data with a length", "invalid_input",
                gstauth_call_raw_view("aes_ecb_encrypt_raw", (const uint8_t *)key, (int64_t)strlen(key), NULL, 5, &out, &n, &d, &dn));
    EXPECT_CODE("view: negative data length", "invalid_input",
                gstauth_call_raw_view("aes_ecb_encrypt_raw", (const uint8_t *)key, (int64_t)strlen(key), js, -1, &out, &n, &d, &dn));
    EXPECT_CODE("view: null params with a length", "invalid_input",
                gstauth_call_raw_view("aes_ecb_encrypt_raw", NULL, 3, js, 2, &out, &n, &d, &dn));
    EXPECT_CODE("view: op name of 65 bytes", "invalid_input",
                gstauth_call_raw_view("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", js, 2, NULL, 0, &out, &n, &d, &dn));
    EXPECT_ERROR("view: wrong key", gstauth_call_raw_view("aes_ecb_encrypt_raw", js, 2, js, 2, &out, &n, &d, &dn));
    if (gstauth_call_raw_view("aes_ecb_encrypt_raw", js, 2, js, 2, NULL, &n, &d, &dn) != GSTAUTH_MISUSE ||
        gstauth_call_raw_view("aes_ecb_encrypt_raw", js, 2, js, 2, &out, &n, NULL, &dn) != GSTAUTH_MISUSE ||
        gstauth_call_raw_view("aes_ecb_encrypt_raw", js, 2, js, 2, &out, &n, &d, NULL) != GSTAUTH_MISUSE) {
        fprintf(stderr, "view: a null output pointer accepted\n");
        bad = 1;
    }
    /* two views at once stay apart and intact; releasing one leaves the other */
    uint8_t *m1 = NULL, *m2 = NULL, *v1 = NULL, *v2 = NULL;
    int64_t m1n, m2n, v1n = 0, v2n = 0;
    uint8_t big[100000];
    memset(big, 'x', sizeof big);
    if (gstauth_call_raw_view("aes_ecb_encrypt_raw", (const uint8_t *)key, (int64_t)strlen(key), big, sizeof big,
                              &m1, &m1n, &v1, &v1n) != GSTAUTH_OK ||
        gstauth_call_raw_view("aes_ecb_encrypt_raw", (const uint8_t *)key, (int64_t)strlen(key), big, 16,
                              &m2, &m2n, &v2, &v2n) != GSTAUTH_OK || v1n != 100016 || v2n != 32 || !v1 || !v2 ||
        memcmp(v1, v2, 16) != 0 || m1[m1n] != 0) {
        fprintf(stderr, "view: two views (lengths %lld, %lld)\n", (long long)v1n, (long long)v2n);
        bad = 1;
    }
    uint8_t first[16];
    if (v1) memcpy(first, v1, 16);
    gstauth_release_view(v2);
    gstauth_release_view(v2); /* twice: ignored */
    for (int i = 0; i < 20 && v1; i++) { /* a released view's memory may be reused: the held one must not be */
        uint8_t *m = NULL, *v = NULL;
        int64_t mn, vn;
        gstauth_call_raw_view("aes_ecb_encrypt_raw", (const uint8_t *)key, (int64_t)strlen(key), big, sizeof big, &m, &mn, &v, &vn);
        gstauth_free(m);
        gstauth_release_view(v);
    }
    if (v1 && memcmp(v1, first, 16) != 0) { fprintf(stderr, "view: a held view changed\n"); bad = 1; }
    gstauth_free(m1); gstauth_free(m2);
    gstauth_release_view(v1);
    gstauth_release_view(NULL);
    gstauth_release_view(big); /* never lent: ignored */
    return bad;
}

static int boundary(void) {
    int bad = 0;
    uint8_t *out = NULL, *d = NULL;
    int64_t n = 0, dn = 0;
    const uint8_t js[] = "{}";
    EXPECT_ERROR("null op", gstauth_call(NULL, js, 2, &out, &n));
    EXPECT_ERROR("unknown op", gstauth_call("no_such_op", js, 2, &out, &n));
    EXPECT_ERROR("null input with a length", gstauth_call("ops", NULL, 10, &out, &n));
    EXPECT_ERROR("negative length", gstauth_call("ops", js, -1, &out, &n));
    EXPECT_ERROR("huge length", gstauth_call("ops", js, (int64_t)1 << 62, &out, &n));
    EXPECT_ERROR("not JSON", gstauth_call("aes_ecb_encrypt", (const uint8_t *)"{nope", 5, &out, &n));
    EXPECT_ERROR("missing fields", gstauth_call("aes_ecb_encrypt", js, 2, &out, &n));
    EXPECT_CODE("raw op via JSON entry", "unsupported", gstauth_call("aes_ecb_encrypt_raw", js, 2, &out, &n));
    EXPECT_CODE("JSON op via raw entry", "unsupported", gstauth_call_raw("ops", js, 2, NULL, 0, &out, &n, &d, &dn));
    EXPECT_CODE("unknown op", "unsupported", gstauth_call("no_such_op", js, 2, &out, &n));
    {
        /* longer than any op name can be, with no NUL in the first 256 bytes */
        char longname[300];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        EXPECT_CODE("op name of 299 bytes", "invalid_input", gstauth_call(longname, js, 2, &out, &n));
        longname[65] = 0;
        EXPECT_CODE("op name of 65 bytes", "invalid_input", gstauth_call(longname, js, 2, &out, &n));
        EXPECT_CODE("op name of 65 bytes, raw", "invalid_input", gstauth_call_raw(longname, js, 2, NULL, 0, &out, &n, &d, &dn));
        EXPECT_CODE("empty op name", "invalid_input", gstauth_call("", js, 2, &out, &n));
    }
    EXPECT_ERROR("raw null data with a length", gstauth_call_raw("aes_ecb_encrypt_raw", js, 2, NULL, 5, &out, &n, &d, &dn));
    if (gstauth_call("ops", js, 2, NULL, &n) != GSTAUTH_MISUSE) { fprintf(stderr, "null out accepted\n"); bad = 1; }
    if (gstauth_call_raw("ops", js, 2, NULL, 0, &out, &n, NULL, &dn) != GSTAUTH_MISUSE) { fprintf(stderr, "null out_data accepted\n"); bad = 1; }
    bad |= boundary_view();
    /* zero-length input is the empty object */
    if (gstauth_call("ops", NULL, 0, &out, &n) != GSTAUTH_OK || n <= 0 || out[n] != 0) { fprintf(stderr, "empty input\n"); bad = 1; }
    gstauth_free(out);
    gstauth_free(NULL);
    const char *v = gstauth_version();
    if (!v || !*v) { fprintf(stderr, "no version\n"); bad = 1; }
    if (!bad) printf("boundary ok (version %s)\n", v);
    return bad;
}

#include <time.h>

/* bench N: N calls of a negligible op (pkce_s256), printing the mean time per call. */
static int bench(long n) {
    static const char in[] = "{\"verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"}";
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) {
        uint8_t *out = NULL;
        int64_t outn = 0;
        if (gstauth_call("pkce_s256", (const uint8_t *)in, (int64_t)sizeof in - 1, &out, &outn) != GSTAUTH_OK) return 1;
        gstauth_free(out);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)n;
    printf("%.0f ns/call\n", ns);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "bench") == 0) return bench(atol(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) return serve();
    if (argc >= 3 && strcmp(argv[1], "hammer") == 0) return hammer(atoi(argv[2]));
    if (argc >= 2 && strcmp(argv[1], "boundary") == 0) return boundary();
    fprintf(stderr, "usage: harness serve | hammer N | boundary\n");
    return 2;
}
