package io.github.gstauth.bench;

import io.github.gstauth.Backend;
import io.github.gstauth.GstAuth;
import io.github.gstauth.RawResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * make bench-java: what a call costs from Java beyond the core's own work, and a 5 MiB GSTN request through the core
 * against the same pipeline written with the JCE. A plain harness (warm-up, then the median of several timed runs);
 * the numbers go to bindings/java/README.md and are never asserted.
 */
public final class Bench {
    static final byte[] PKCE = "{\"verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"}".getBytes(StandardCharsets.UTF_8);
    static final String SEK = "tueZCrGtdJk0Ye0jpLc/bXTi6j9ltazyAN6vXvx9dIk=";

    private Bench() {
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Median ns per call of op over runs of n calls, after a warm-up run. */
    static double perCall(Backend b, String op, byte[] in, int n, int runs) {
        for (int i = 0; i < n; i++) {
            b.call(op, in);
        }
        double[] r = new double[runs];
        for (int k = 0; k < runs; k++) {
            long t = System.nanoTime();
            for (int i = 0; i < n; i++) {
                b.call(op, in);
            }
            r[k] = (System.nanoTime() - t) / (double) n;
        }
        return median(r);
    }

    static double perStringCall(int n, int runs) {
        String in = new String(PKCE, StandardCharsets.UTF_8);
        for (int i = 0; i < n; i++) {
            GstAuth.call("pkce_s256", in);
        }
        double[] r = new double[runs];
        for (int k = 0; k < runs; k++) {
            long t = System.nanoTime();
            for (int i = 0; i < n; i++) {
                GstAuth.call("pkce_s256", in);
            }
            r[k] = (System.nanoTime() - t) / (double) n;
        }
        return median(r);
    }

    /** A JSON document of about n bytes: a GSTR-1 style list of invoices. */
    static byte[] payload(int n) {
        StringBuilder b = new StringBuilder(n + 200).append("{\"gstin\":\"27AAACR5055K1Z7\",\"fp\":\"042026\",\"b2b\":[");
        for (int i = 0; b.length() < n - 120; i++) {
            b.append(i == 0 ? "" : ",").append("{\"inum\":\"INV/26/").append(i)
                    .append("\",\"idt\":\"01-04-2026\",\"val\":").append(1000 + i % 997).append(".50,\"pos\":\"29\",\"rchrg\":\"N\"}");
        }
        return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The JCE peer: data = base64(AES-256-ECB-PKCS5(base64(payload))), hmac = base64(HMAC-SHA256(sek, base64(payload))). */
    static String[] jcePipeline(byte[] key, byte[] payload) throws Exception {
        byte[] text = Base64.getEncoder().encode(payload);
        Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
        byte[] data = Base64.getEncoder().encode(c.doFinal(text));
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(new SecretKeySpec(key, "HmacSHA256"));
        String hmac = Base64.getEncoder().encodeToString(m.doFinal(text));
        return new String[] {new String(data, StandardCharsets.US_ASCII), hmac};
    }

    interface Work {
        void run() throws Exception;
    }

    /** Median ms of runs of w, after 20 warm-up runs: the JCE's AES and SHA-256 intrinsics need C2-compiled code. */
    static double medianMs(int runs, Work w) throws Exception {
        for (int i = 0; i < 20; i++) {
            w.run();
        }
        double[] r = new double[runs];
        for (int k = 0; k < runs; k++) {
            long t = System.nanoTime();
            w.run();
            r[k] = (System.nanoTime() - t) / 1e6;
        }
        return median(r);
    }

    public static void main(String[] args) throws Exception {
        String feature = Integer.toString(Runtime.version().feature());
        double nativeNs = Double.parseDouble(System.getProperty("gstauth.bench.nativeNs", "0").isEmpty() ? "0"
                : System.getProperty("gstauth.bench.nativeNs", "0"));
        Backend c = GstAuth.backend("cshared");
        Backend w = GstAuth.backend("wasm");
        System.out.printf("== Java %s (%s), gstauth %s%n", Runtime.version(), System.getProperty("java.vm.name"), GstAuth.version());

        double bytesApi = perCall(c, "pkce_s256", PKCE, 200_000, 7);
        double stringApi = perStringCall(200_000, 7);
        double codes = perCall(c, "error_codes", "{}".getBytes(StandardCharsets.UTF_8), 200_000, 5);
        System.out.printf("Java %s cshared/%s pkce_s256: %.0f ns/call (Backend.call, bytes), %.0f ns/call (GstAuth.call, "
                + "String); error_codes %.0f ns/call%n", feature, c.runtime(), bytesApi, stringApi, codes);
        if (nativeNs > 0) {
            System.out.printf("Java %s cshared/%s overhead beyond C's %.0f ns: %.0f ns (bytes), %.0f ns (String)%n",
                    feature, c.runtime(), nativeNs, bytesApi - nativeNs, stringApi - nativeNs);
        }
        double wasmCall = perCall(w, "pkce_s256", PKCE, 3_000, 5);
        System.out.printf("Java %s wasm/chicory pkce_s256: %.1f us/call%n", feature, wasmCall / 1000);

        byte[] key = Base64.getDecoder().decode(SEK);
        byte[] doc = payload(5 << 20);
        byte[] params = ("{\"sek\":\"" + SEK + "\"}").getBytes(StandardCharsets.UTF_8);
        String[] peer = jcePipeline(key, doc);
        RawResult r = c.callRaw("gstn_encrypt_request_raw", params, ByteBuffer.wrap(doc));
        if (!new String(r.data(), StandardCharsets.US_ASCII).equals(peer[0]) || !r.meta().contains(peer[1])) {
            throw new AssertionError("the core and the JCE pipeline disagree on the 5 MiB request");
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(doc.length).put(doc).flip();
        double mib = doc.length / 1048576.0;
        double heapMs = medianMs(9, () -> c.callRaw("gstn_encrypt_request_raw", params, ByteBuffer.wrap(doc)));
        double directMs = medianMs(9, () -> c.callRaw("gstn_encrypt_request_raw", params, direct));
        double jceMs = medianMs(9, () -> jcePipeline(key, doc));
        System.out.printf("Java %s gstn_encrypt_request_raw %.1f MiB: cshared/%s %.1f ms (byte[]), %.1f ms (direct buffer), "
                + "%.0f MB/s; JCE pipeline %.1f ms, %.0f MB/s%n", feature, mib, c.runtime(), heapMs, directMs,
                doc.length / directMs / 1e3, jceMs, doc.length / jceMs / 1e3);
        double wasmMs = medianMs(2, () -> w.callRaw("gstn_encrypt_request_raw", params, ByteBuffer.wrap(doc)));
        System.out.printf("Java %s gstn_encrypt_request_raw %.1f MiB: wasm/chicory %.0f ms, %.1f MB/s%n", feature, mib,
                wasmMs, doc.length / wasmMs / 1e3);
    }
}
