// `make demo` runs this after the Python and Node demos: gstauth's Java client through the same GSTN, e-invoice and
// OAuth flows (e2e/node/flows.mjs, e2e/python/flows.py) against the local GST emulator and a real OAuth server, once
// over the shared library and once over the WebAssembly plugin. It prints the same facts as e2e/node/demo.mjs; with
// --facts FILE it also writes them as JSON. The servers' URLs come from GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL.
//
// Compiled with javac against the gstauth jar and its dependencies alone (no build tool):
//   javac -d out -cp 'gstauth.jar:lib/*' e2e/java/Demo.java && java -cp 'out:gstauth.jar:lib/*' Demo
// The end-to-end tests (e2e/java/E2eTest.java) run these flows too.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.Backend;
import io.github.gstauth.CallOptions;
import io.github.gstauth.EInvoiceSession;
import io.github.gstauth.GstAuth;
import io.github.gstauth.GstAuthException;
import io.github.gstauth.GstAuthHttpClient;
import io.github.gstauth.GstnSession;
import io.github.gstauth.OAuthClientCredentialsSession;
import io.github.gstauth.Ops;
import io.github.gstauth.Session;
import io.github.gstauth.Types;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

public final class Demo {
    public static final String GSTIN = "27AAACR5055K1Z7";
    public static final String OTP = "575757";
    public static final String CLIENT_ID = "sandbox-client";
    public static final String CLIENT_SECRET = "sandbox-secret";
    public static final String USER = "sandbox_user";
    public static final String PASSWORD = "sandbox-password";
    public static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private Demo() {
    }

    /**
     * The host clock plus an offset: the core takes now as a parameter, so a flow can ask the planner about a later
     * instant (the refresh margin) without waiting for it. The servers keep their real clocks.
     */
    public static final class ShiftedClock extends Clock {
        public volatile long offset;

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public long millis() {
            return System.currentTimeMillis() + offset;
        }
    }

    public static String cert(String base, String name) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/_sandbox/certs/" + name + ".pem")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(name + ".pem: HTTP " + r.statusCode());
        }
        return r.body();
    }

    static String hms(long ms) {
        return DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault()).format(Instant.ofEpochMilli(ms));
    }

    /** A GSTN session for the emulator's user in the state of gstin. */
    public static GstnSession gstnSession(String base, Backend backend, String gstin, Clock clock)
            throws IOException, InterruptedException {
        return new GstnSession(Session.options()
                .account(gstin + "/" + USER)
                .config(new Types.Config().withBaseUrl(base + "/taxpayerapi/v1.0").withClientId(CLIENT_ID).withGstin(gstin)
                        .withUsername(USER).withIpUsr("10.0.0.1").withAccessWindowMs(30L * 24 * 3600 * 1000))
                .credentials(new Types.Credentials().withClientSecret(CLIENT_SECRET).withPublicKey(cert(base, "gstn")))
                .sender(GstAuthHttpClient.sender(HTTP)).backend(backend).clock(clock));
    }

    public static EInvoiceSession einvoiceSession(String base, Backend backend, String gstin)
            throws IOException, InterruptedException {
        return new EInvoiceSession(Session.options()
                .account(gstin)
                .config(new Types.Config().withBaseUrl(base).withClientId(CLIENT_ID).withGstin(gstin).withUsername(USER))
                .credentials(new Types.Credentials().withClientSecret(CLIENT_SECRET).withPassword(PASSWORD)
                        .withPublicKey(cert(base, "nic")))
                .sender(GstAuthHttpClient.sender(HTTP)).backend(backend));
    }

    public static ObjectNode gstr1(String backend, String gstin) throws IOException {
        return (ObjectNode) JSON.readTree("{\"gstin\":\"" + gstin + "\",\"fp\":\"042026\",\"b2b\":[{\"ctin\":\"29AABCU9603R1ZJ\","
                + "\"inv\":[{\"inum\":\"" + backend.toUpperCase() + "/0001\",\"idt\":\"01-04-2026\",\"val\":118000,\"pos\":\"29\","
                + "\"rchrg\":\"N\",\"itms\":[{\"num\":1,\"itm_det\":{\"rt\":18,\"txval\":100000,\"iamt\":18000,\"csamt\":0}}]}]}]}");
    }

    public static ObjectNode invoice(String docNo, String gstin) throws IOException {
        return (ObjectNode) JSON.readTree("{\"Version\":\"1.1\",\"TranDtls\":{\"TaxSch\":\"GST\",\"SupTyp\":\"B2B\"},"
                + "\"DocDtls\":{\"Typ\":\"INV\",\"No\":\"" + docNo + "\",\"Dt\":\"01/04/2026\"},"
                + "\"SellerDtls\":{\"Gstin\":\"" + gstin + "\",\"LglNm\":\"Demo Seller\",\"Addr1\":\"Mumbai\",\"Loc\":\"Mumbai\","
                + "\"Pin\":400001,\"Stcd\":\"" + gstin.substring(0, 2) + "\"},"
                + "\"BuyerDtls\":{\"Gstin\":\"29AABCU9603R1ZJ\",\"LglNm\":\"Demo Buyer\",\"Pos\":\"29\",\"Addr1\":\"Bengaluru\","
                + "\"Loc\":\"Bengaluru\",\"Pin\":560001,\"Stcd\":\"29\"},"
                + "\"ItemList\":[{\"SlNo\":\"1\",\"IsServc\":\"N\",\"HsnCd\":\"1001\",\"Qty\":1,\"Unit\":\"NOS\",\"UnitPrice\":100000,"
                + "\"TotAmt\":100000,\"AssAmt\":100000,\"GstRt\":18,\"IgstAmt\":18000,\"TotItemVal\":118000}],"
                + "\"ValDtls\":{\"AssVal\":100000,\"IgstVal\":18000,\"TotInvVal\":118000}}");
    }

    static HttpRequest post(String url, Object body) throws IOException {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
    }

    static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).GET().build();
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    public static Map<String, Object> gstnFlow(String base, String backend, Consumer<String> say) throws Exception {
        Map<String, Object> facts = new LinkedHashMap<>();
        ShiftedClock clock = new ShiftedClock();
        GstnSession gst = gstnSession(base, GstAuth.backend(backend), GSTIN, clock);
        GstAuthHttpClient api = new GstAuthHttpClient(HTTP, gst);
        facts.put("plan_before_otp", gst.plan().action().wire());
        say.accept("GSTN   plan with no token: " + gst.plan().action() + " (" + gst.plan().message() + ")");
        gst.requestOtp();
        say.accept("GSTN   OTPREQUEST sent (app key RSA-encrypted to the GSTN certificate)");
        gst.authenticate(OTP);
        Types.Plan p = gst.plan();
        facts.put("plan_after_otp", p.action().wire());
        say.accept("GSTN   AUTHTOKEN with the OTP: token received, SEK decrypted; plan " + p.action() + ", refresh at "
                + hms(p.refreshAtMs()));

        // The payload goes in the clear: the HttpClient wrapper encrypts it (data + hmac) and decrypts the answer.
        ObjectNode body = JSON.createObjectNode().put("action", "RETSAVE");
        body.set("data", gstr1(backend, GSTIN));
        HttpResponse<String> r = api.send(post(base + "/taxpayerapi/v1.0/returns/gstr1", body),
                HttpResponse.BodyHandlers.ofString(), CallOptions.retPeriod("042026"));
        JsonNode saved = json(r).get("data");
        facts.put("retsave", saved.get("status").asText());
        say.accept("GSTN   RETSAVE: payload encrypted (data + hmac); response decrypted and its HMAC verified: " + saved);
        r = api.send(get(base + "/taxpayerapi/v1.0/returns/gstr1?action=RETSUM&gstin=" + GSTIN + "&ret_period=042026"),
                HttpResponse.BodyHandlers.ofString(), CallOptions.retPeriod("042026"));
        JsonNode summary = json(r).get("data");
        boolean ours = false;
        for (JsonNode x : summary.get("payloads")) {
            ours |= x.toString().contains(backend.toUpperCase() + "/0001");
        }
        facts.put("retsum_has_our_invoice", ours);
        say.accept("GSTN   RETSUM (encrypted GET): " + summary.get("saved") + " saved payload(s) for 042026");

        String token = gst.accessToken();
        clock.offset = gst.state().expiresAtMs() - 5 * 60 * 1000 - System.currentTimeMillis();
        p = gst.plan();
        facts.put("plan_5min_before_expiry", p.action().wire());
        say.accept("GSTN   5 minutes before expiry the planner says: " + p.action() + " (" + p.reason() + ")");
        gst.ensure();
        facts.put("refreshed_without_otp", !gst.accessToken().equals(token) && gst.plan().action() == Types.Action.USE);
        say.accept("GSTN   REFRESHTOKEN (new app key under the current SEK): new token, no OTP asked; plan " + gst.plan().action());
        clock.offset = 0;
        gst.logout();
        facts.put("after_logout", gst.plan().action().wire());
        say.accept("GSTN   LOGOUT: session cleared; plan " + gst.plan().action());
        return facts;
    }

    public static Map<String, Object> einvoiceFlow(String base, String backend, Consumer<String> say) throws Exception {
        Map<String, Object> facts = new LinkedHashMap<>();
        Backend b = GstAuth.backend(backend);
        EInvoiceSession einv = einvoiceSession(base, b, GSTIN);
        einv.ensure();
        facts.put("auth", einv.plan().action().wire());
        say.accept("NIC    e-invoice auth: token received (TokenExpiry read as IST → " + hms(einv.state().expiresAtMs())
                + " here), SEK decrypted");
        String docNo = backend.toUpperCase() + "/" + (System.currentTimeMillis() % 1_000_000_000L);
        ObjectNode body = JSON.createObjectNode();
        body.set("Data", invoice(docNo, GSTIN));
        HttpResponse<String> r = new GstAuthHttpClient(HTTP, einv).send(post(base + "/eicore/v1.03/Invoice", body),
                HttpResponse.BodyHandlers.ofString());
        JsonNode irn = json(r).get("Data");
        say.accept("NIC    Generate IRN: " + irn.get("Irn").asText().substring(0, 16) + "… AckNo " + irn.get("AckNo"));
        List<String> certs = List.of(cert(base, "signing"));
        Ops.VerifySignedJwtOutput inv = Ops.verifySignedJwt(b, new Ops.VerifySignedJwtInput(certs, irn.get("SignedInvoice").asText()));
        Ops.VerifySignedJwtOutput qr = Ops.verifySignedJwt(b, new Ops.VerifySignedJwtInput(certs, irn.get("SignedQRCode").asText()));
        facts.put("signed_invoice_verified", inv.data().get("Irn").equals(irn.get("Irn"))
                && inv.data().get("DocDtls").get("No").asText().equals(docNo));
        facts.put("signed_qr_verified", qr.data().get("Irn").equals(irn.get("Irn")) && qr.data().get("TotInvVal").asInt() == 118000);
        facts.put("jwt_alg", inv.header().get("alg").asText());
        String kid = inv.header().path("kid").asText();
        say.accept("NIC    SignedInvoice verified (RS256, kid " + kid.substring(0, Math.min(12, kid.length())) + "…, iss "
                + inv.claims().get("iss").asText() + "); SignedQRCode verified: DocNo " + qr.data().get("DocNo").asText()
                + ", TotInvVal " + qr.data().get("TotInvVal"));
        String sig = irn.get("SignedQRCode").asText();
        String tampered = sig.substring(0, sig.length() - 4) + (sig.endsWith("AAAA") ? "BBBB" : "AAAA");
        try {
            Ops.verifySignedJwt(b, new Ops.VerifySignedJwtInput(certs, tampered));
            facts.put("tampered_qr", "accepted");
        } catch (GstAuthException e) {
            if (!e.code().equals("signature_invalid")) {
                throw e;
            }
            facts.put("tampered_qr", e.code());
        }
        say.accept("NIC    a SignedQRCode with a changed signature: " + facts.get("tampered_qr"));
        return facts;
    }

    static boolean active(String base, String token) throws IOException, InterruptedException {
        String basic = Base64.getEncoder().encodeToString("gstauth-e2e-introspector:test-only-introspector-secret"
                .getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/token/introspection"))
                .header("Authorization", "Basic " + basic).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).path("active").asBoolean(false);
    }

    public static OAuthClientCredentialsSession oauthSession(String base, Backend backend, String client, String secret,
                                                             String scope, Clock clock) {
        Types.Config config = new Types.Config().withTokenUrl(base + "/token").withClientId(client);
        if (scope != null) {
            config = config.withScope(scope);
        }
        return new OAuthClientCredentialsSession(Session.options().account(client).config(config)
                .credentials(new Types.Credentials().withClientSecret(secret))
                .sender(GstAuthHttpClient.sender(HTTP)).backend(backend).clock(clock));
    }

    public static Map<String, Object> oauthFlow(String base, String backend, Consumer<String> say) throws Exception {
        Map<String, Object> facts = new LinkedHashMap<>();
        ShiftedClock clock = new ShiftedClock();
        Backend b = GstAuth.backend(backend);
        OAuthClientCredentialsSession oauth = oauthSession(base, b, "gstauth-e2e-cc-opaque", "test-only-cc-opaque-secret",
                "gstn-india", clock);
        String first = oauth.ensure();
        Types.SessionState st = oauth.state();
        long lifetime = (st.expiresAtMs() - st.obtainedAtMs()) / 1000;
        facts.put("grant", oauth.plan().action().wire());
        facts.put("token_active", active(base, first));
        say.accept("OAuth  client credentials at oidc-provider: token for " + lifetime + " s; introspection says active="
                + ((Boolean) facts.get("token_active") ? "True" : "False"));
        Types.Plan p = oauth.plan(st.expiresAtMs() - 1000 * Math.max(1, lifetime / 4));
        facts.put("plan_at_margin", p.action().wire());
        clock.offset = p.refreshAtMs() - System.currentTimeMillis();
        say.accept("OAuth  at the refresh margin (clamped to a quarter of a " + lifetime + " s token) the planner says: "
                + oauth.plan().action());
        String second = oauth.ensure();
        boolean secondActive = active(base, second);
        facts.put("refreshed", !second.equals(first) && secondActive);
        say.accept("OAuth  refreshed through the planner: new token, active=" + (secondActive ? "True" : "False") + "; plan "
                + oauth.plan().action());

        OAuthClientCredentialsSession bad = oauthSession(base, b, "gstauth-e2e-cc-basic", "wrong", null, Clock.systemUTC());
        try {
            bad.ensure();
            facts.put("wrong_secret", "accepted");
        } catch (GstAuthException e) {
            facts.put("wrong_secret", e.code() + "/" + e.providerCode().orElse("undefined"));
        }
        say.accept("OAuth  a wrong client secret: " + facts.get("wrong_secret") + " (terminal, not retried; plan "
                + bad.plan().action() + ")");
        return facts;
    }

    /** Deterministic outputs for a fixed key: the same bytes on every backend. */
    public static Map<String, Object> byteIdentity(String backend) {
        Backend b = GstAuth.backend(backend);
        byte[] key = new byte[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) i;
        }
        Ops.GstnEncryptRequestOutput r = Ops.gstnEncryptRequest(b,
                new Ops.GstnEncryptRequestInput("{\"gstin\":\"" + GSTIN + "\",\"fp\":\"042026\"}", key));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("gstn_request", List.of(r.data(), r.hmac()));
        out.put("nic_request", Ops.nicEncryptRequest(b, new Ops.NicEncryptRequestInput("{\"DocNo\":\"1\"}", key)).data());
        out.put("pkce", Ops.pkceS256(b, new Ops.PkceS256Input("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).challenge());
        out.put("ist", Ops.nicTokenExpiry(b, new Ops.NicTokenExpiryInput("2026-04-01 17:30:00")).expiresAtMs());
        return out;
    }

    public static Map<String, Object> runAll(String sandbox, String oauth, String backend, Consumer<String> say)
            throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("gstn", gstnFlow(sandbox, backend, say));
        out.put("einvoice", einvoiceFlow(sandbox, backend, say));
        out.put("oauth", oauthFlow(oauth, backend, say));
        out.put("bytes", byteIdentity(backend));
        return out;
    }

    public static void main(String[] args) throws Exception {
        String sandbox = System.getenv("GSTAUTH_SANDBOX_URL");
        String oauth = System.getenv("GSTAUTH_OAUTH_URL");
        if (sandbox == null || oauth == null) {
            System.err.println("Demo: set GSTAUTH_SANDBOX_URL and GSTAUTH_OAUTH_URL (make demo starts both servers)");
            System.exit(2);
        }
        String factsFile = args.length == 2 && args[0].equals("--facts") ? args[1] : null;
        System.out.println("gstauth demo (Java " + Runtime.version() + ") — GST emulator at " + sandbox + ", oidc-provider at "
                + oauth + "\n");
        Map<String, Map<String, Object>> results = new LinkedHashMap<>();
        for (String backend : List.of("cshared", "wasm")) {
            Backend b = GstAuth.backend(backend);
            System.out.println("── backend " + backend + ": " + (backend.equals("cshared") ? "libgstauth.so" : "gstauth.wasm")
                    + " (" + b.runtime() + ") ──");
            results.put(backend, runAll(sandbox, oauth, backend, s -> System.out.println("  " + s)));
            System.out.println();
        }
        Map<String, Object> c = results.get("cshared");
        Map<String, Object> w = results.get("wasm");
        boolean same = JSON.valueToTree(c).equals(JSON.valueToTree(w));
        System.out.println("── both backends ──");
        for (String area : c.keySet()) {
            String mark = JSON.valueToTree(c.get(area)).equals(JSON.valueToTree(w.get(area))) ? "identical" : "DIFFERENT";
            System.out.println("  " + String.format("%-9s", area) + " " + mark + ": " + JSON.writeValueAsString(c.get(area)));
        }
        System.out.println(same ? "\nthe shared library and the plugin produced identical results" : "\nthe backends DIFFER");
        if (factsFile != null) {
            Files.writeString(Path.of(factsFile), JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(results) + "\n");
        }
        System.exit(same ? 0 : 1);
    }

    static <T> T require(T v, String what) {
        return Objects.requireNonNull(v, what);
    }
}
