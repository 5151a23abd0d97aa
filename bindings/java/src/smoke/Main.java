import io.github.gstauth.Backend;
import io.github.gstauth.GstAuth;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.OAuthClientCredentialsSession;
import io.github.gstauth.Ops;
import io.github.gstauth.RawResult;
import io.github.gstauth.Session;
import io.github.gstauth.Types;
import io.github.gstauth.store.FileStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;

/**
 * A plain program with only the gstauth jar and its runtime dependencies on the class path (make test-java-dist):
 * one JSON op, one error and one raw op on the backend named by gstauth.backend or GSTAUTH_BACKEND; a typed op;
 * a session in a file store, sealed and opened (no network).
 */
public class Main {
    public static void main(String[] args) throws Exception {
        Backend b = GstAuth.backend();
        String named = System.getProperty("gstauth.backend", System.getenv("GSTAUTH_BACKEND"));
        if (!b.name().equals(named == null ? "cshared" : named)) {
            throw new AssertionError("the default backend is " + b.name() + ", not the one named: " + named);
        }
        String out = GstAuth.call("pkce_s256", "{\"verifier\":\"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\"}");
        if (!out.equals("{\"challenge\":\"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\"}")) {
            throw new AssertionError("pkce_s256 gave " + out);
        }
        try {
            GstAuth.call("aes_ecb_decrypt", "{\"key\":\"AAAA\",\"ciphertext\":\"AAAA\"}");
            throw new AssertionError("a 3-byte key was accepted");
        } catch (GstAuthException e) {
            if (e.code().isEmpty()) {
                throw new AssertionError("an error without a code");
            }
        }
        String key = "{\"key\":\"+nqBCMfDNjgxUEF2Prl9t5OvsOxZhblc+20hzJ6aLDg=\"}";
        RawResult enc = GstAuth.callRaw("aes_ecb_encrypt_raw", key, "hello".getBytes(StandardCharsets.UTF_8));
        RawResult dec = GstAuth.callRaw("aes_ecb_decrypt_raw", key, enc.data());
        if (!new String(dec.data(), StandardCharsets.UTF_8).equals("hello")) {
            throw new AssertionError("raw round trip failed");
        }
        String typed = Ops.pkceS256(new Ops.PkceS256Input("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).challenge();
        if (!typed.equals("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")) {
            throw new AssertionError("the typed pkceS256 gave " + typed);
        }
        byte[] k = new byte[32];
        FileStore store = new FileStore(Files.createTempDirectory("gstauth-smoke"));
        Session s = Session.of(Session.options().provider(Types.Provider.OAUTH_CLIENT_CREDENTIALS).account("c")
                .config(new Types.Config().withTokenUrl("https://idp.invalid/token").withClientId("c"))
                .store(store).sealKeys(Map.of("k1", k)));
        if (!(s instanceof OAuthClientCredentialsSession) || !s.save()) {
            throw new AssertionError("a new session in a file store was not written");
        }
        if (store.read(s.shared().keys()).version() != 1
                || !Session.open(store.read(s.shared().keys()).sealed(), Map.of("k1", k), Session.options())
                        .stateJson().equals(s.stateJson())) {
            throw new AssertionError("the stored session does not open as it was");
        }
        System.out.println("gstauth " + GstAuth.version() + " ok on Java " + Runtime.version() + ": backend "
                + b.name() + " via " + b.runtime() + " (core " + b.version() + ")");
    }
}
