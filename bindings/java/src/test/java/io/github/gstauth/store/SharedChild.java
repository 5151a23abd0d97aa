package io.github.gstauth.store;

import io.github.gstauth.GstAuthException;
import io.github.gstauth.GstAuthHttpClient;
import io.github.gstauth.OAuthClientCredentialsSession;
import io.github.gstauth.Session;
import io.github.gstauth.SessionStore;
import io.github.gstauth.SharedInfo;
import io.github.gstauth.Types;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One process of {@link SharedProcessesTest}: an OAuth client-credentials session in a shared store, four threads that
 * each ask for a token and call the API with it until the time is up; then one line: calls, rejected calls,
 * exchanges made here under the lease, errors.
 *
 * <p>args: store location, token endpoint base URL, duration ms, holder name.
 */
public final class SharedChild {
    public static void main(String[] args) throws Exception {
        String store = args[0];
        String base = args[1];
        long duration = Long.parseLong(args[2]);
        String holder = args[3];
        byte[] key = new byte[32];
        key[0] = 42;
        Map<String, byte[]> ring = new LinkedHashMap<>();
        ring.put("k1", key);
        HttpClient http = HttpClient.newHttpClient();
        try (SessionStore s = Stores.open(store)) {
            OAuthClientCredentialsSession session = new OAuthClientCredentialsSession(Session.options()
                    .account("fleet-client")
                    .config(new Types.Config().withTokenUrl(base + "/token").withClientId("fleet-client"))
                    .credentials(new Types.Credentials().withClientSecret("s3cret"))
                    .sender(GstAuthHttpClient.sender(http))
                    .store(s).sealKeys(ring).holder(holder).leaseTtl(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(50)).waitTimeout(Duration.ofSeconds(20))
                    .onStoreEvent(e -> System.err.println(holder + ": " + e.type() + " " + e.fields())));
            AtomicLong calls = new AtomicLong();
            AtomicLong rejected = new AtomicLong();
            List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            long end = System.currentTimeMillis() + duration;
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    while (System.currentTimeMillis() < end) {
                        try {
                            String token = session.ensure();
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api"))
                                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
                            calls.incrementAndGet();
                            if (r.statusCode() != 200) {
                                rejected.incrementAndGet();
                            }
                            Thread.sleep(30);
                        } catch (GstAuthException e) {
                            errors.add(e.code() + ": " + e.getMessage());
                        } catch (Exception e) {
                            errors.add(String.valueOf(e));
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join();
            }
            SharedInfo info = session.shared();
            System.out.println("{\"holder\":\"" + holder + "\",\"calls\":" + calls.get() + ",\"rejected\":" + rejected.get()
                    + ",\"exchanges\":" + info.stats().get("exchanges") + ",\"errors\":" + errors.size() + "}");
            if (!errors.isEmpty()) {
                System.err.println(holder + ": " + errors.get(0));
            }
        }
    }
}
