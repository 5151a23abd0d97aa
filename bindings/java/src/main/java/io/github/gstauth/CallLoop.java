package io.github.gstauth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One ordinary API call through a session, the way docs/hosts.md says ("The call"), whatever HTTP client carries it
 * (the HttpClient wrapper and the OkHttp interceptor both run this):
 * <pre>
 *   token   = ensure()                              (refresh or renew first when the core says so)
 *   call    = a snapshot of the session             its headers, its encryption, its decryption
 *   response = transmit(the caller's headers with the session's over them, the body encrypted)
 *   session_observe(response, sent, received, the snapshot's token)   (after a refresh in flight has ended)
 *   ok, no_data       → the body decrypted under the snapshot (a refresh meanwhile does not change its key)
 *   reauthenticate    → once: ensure() again and replay the call (never a second time)
 *   stale_certificate → once, with a certificate loader: the certificate replaced, the call sent again
 *   anything else     → the response as it came, with what the core read in it
 * </pre>
 */
final class CallLoop {
    private CallLoop() {
    }

    /** A response read whole, with the client's own response object. */
    record Wire<R>(int status, Map<String, String> headers, byte[] body, R origin) {
    }

    /** What a call gives: the last response, its body (decrypted when it was a success), what the core read. */
    record Result<R>(Wire<R> response, byte[] body, Observation observation, int attempts, boolean decrypted) {
    }

    /** Sends the call once with the session's headers and the body to send (null: no body). */
    @FunctionalInterface
    interface Transmit<R> {
        Wire<R> send(Map<String, String> sessionHeaders, byte[] body, int attempt) throws IOException, InterruptedException;
    }

    static <R> Result<R> run(Session session, byte[] plain, CallOptions options, boolean decrypt, Sender sender,
                             Transmit<R> transmit) throws IOException, InterruptedException {
        boolean replayed = false;
        boolean reloaded = false;
        for (int attempt = 1; ; attempt++) {
            session.ensure(sender);
            // One snapshot for the headers, the body and the answer: a refresh by another caller during this call
            // changes neither the token this call carries nor the key its answer is encrypted under.
            Session.Call call = session.call();
            Map<String, String> headers = call.headers(options);
            byte[] body = plain != null && plain.length > 0 ? call.encrypt(plain) : plain;
            long sent = session.nowMs();
            Wire<R> w = transmit.send(headers, body, attempt);
            long received = Math.max(session.nowMs(), sent);
            // An answer that arrives while a refresh of this session is in flight is read once that refresh has
            // ended: a rejection read before the new token is in would mark the new token's session rejected.
            session.awaitRefreshSettled();
            Observation o = session.observe(new Types.HTTPResponse(new String(w.body(), StandardCharsets.UTF_8),
                    w.status(), w.headers()), sent, received, call.accessToken());
            switch (o.outcome()) {
                case OK, NO_DATA -> {
                    if (decrypt && w.body().length > 0) {
                        return new Result<>(w, call.decrypt(w.body()), o, attempt, true);
                    }
                }
                case REAUTHENTICATE -> {
                    if (!replayed) {
                        replayed = true;
                        continue; // ensure() gives the newer token, renews the rejected one, or says a person must act
                    }
                }
                case STALE_CERTIFICATE -> {
                    if (!reloaded && session.canReloadCertificate()) {
                        reloaded = true;
                        session.reloadCertificate();
                        continue;
                    }
                }
                default -> {
                }
            }
            return new Result<>(w, w.body(), o, attempt, false);
        }
    }

    /** Headers a transmit sets itself from the body it is given. */
    static final Set<String> BODY_HEADERS = Set.of("content-length", "transfer-encoding");

    /**
     * The headers to send: the caller's, then the session's over them (matched case-insensitively), except that the
     * caller's content-type stays.
     */
    static List<Map.Entry<String, String>> merge(List<Map.Entry<String, String>> caller, Map<String, String> session) {
        Map<String, Map.Entry<String, String>> theirs = new TreeMap<>();
        session.forEach((k, v) -> theirs.put(k.toLowerCase(Locale.ROOT), Map.entry(k, v)));
        boolean callerType = caller.stream().anyMatch(e -> e.getKey().equalsIgnoreCase("content-type"));
        List<Map.Entry<String, String>> out = new ArrayList<>();
        for (Map.Entry<String, String> e : caller) {
            String lk = e.getKey().toLowerCase(Locale.ROOT);
            if (BODY_HEADERS.contains(lk) || (theirs.containsKey(lk) && !(lk.equals("content-type") && callerType))) {
                continue;
            }
            out.add(e);
        }
        theirs.forEach((lk, e) -> {
            if (!(lk.equals("content-type") && callerType)) {
                out.add(e);
            }
        });
        return out;
    }
}
