// The Java column of make bench-peers: a GSTN request encryption by gstauth (native backend, a direct ByteBuffer in)
// and by the same pipeline written with the JCE and java.util.Base64, checked to give the same bytes. One JSON line
// per (implementation, size) on stdout.
import io.github.gstauth.GstAuth;
import io.github.gstauth.RawResult;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class JavaPeer {
    interface Op { Object run() throws Exception; }

    static byte[][] peer(byte[] ek, byte[] payload) throws Exception {
        byte[] p = Base64.getEncoder().encode(payload);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(ek, "HmacSHA256"));
        byte[] tag = Base64.getEncoder().encode(mac.doFinal(p));
        Cipher c = Cipher.getInstance("AES/ECB/PKCS5Padding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(ek, "AES"));
        return new byte[][] {Base64.getEncoder().encode(c.doFinal(p)), tag};
    }

    static byte[][] ours(String params, ByteBuffer payload) throws Exception {
        RawResult r = GstAuth.callRaw("gstn_encrypt_request_raw", params, payload.duplicate());
        String meta = r.meta();
        int i = meta.indexOf("\"hmac\":\"") + 8;
        return new byte[][] {r.data(), meta.substring(i, meta.indexOf('"', i)).getBytes(StandardCharsets.US_ASCII)};
    }

    static byte[] payloadOf(int n) {
        String head = "{\"gstin\":\"27AAACR5055K1Z7\",\"b2b\":\"";
        return (head + "x".repeat(Math.max(n - head.length() - 2, 0)) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    static double timeNs(Op op) throws Exception {
        for (int i = 0; i < 20; i++) op.run(); // let the JIT compile both paths
        long n = 1;
        for (;;) {
            long t = System.nanoTime();
            for (long i = 0; i < n; i++) op.run();
            if (System.nanoTime() - t > 50_000_000L) break;
            n *= 2;
        }
        double[] rounds = new double[7];
        for (int r = 0; r < rounds.length; r++) {
            long t = System.nanoTime();
            for (long i = 0; i < n; i++) op.run();
            rounds[r] = (double) (System.nanoTime() - t) / n;
        }
        Arrays.sort(rounds);
        return rounds[3];
    }

    public static void main(String[] args) throws Exception {
        byte[] ek = new byte[32];
        Arrays.fill(ek, (byte) 7);
        String params = "{\"sek\":\"" + Base64.getEncoder().encodeToString(ek) + "\"}";
        for (String arg : args) {
            int size = Integer.parseInt(arg);
            byte[] payload = payloadOf(size);
            ByteBuffer direct = ByteBuffer.allocateDirect(payload.length).put(payload).flip();
            byte[][] a = ours(params, direct), b = peer(ek, payload);
            if (!Arrays.equals(a[0], b[0]) || !Arrays.equals(a[1], b[1])) {
                System.err.println("bench-peers java: gstauth and the peer disagree");
                System.exit(1);
            }
            System.out.printf("{\"lang\":\"java\",\"impl\":\"gstauth\",\"size\":%d,\"ns_per_op\":%.1f}%n", size, timeNs(() -> ours(params, direct)));
            System.out.printf("{\"lang\":\"java\",\"impl\":\"peer\",\"size\":%d,\"ns_per_op\":%.1f}%n", size, timeNs(() -> peer(ek, payload)));
        }
    }
}
