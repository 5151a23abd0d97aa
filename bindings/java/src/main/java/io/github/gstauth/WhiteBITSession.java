package io.github.gstauth;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.gstauth.internal.Typed;
import java.util.Map;

/** WhiteBIT's OAuth (its own refresh endpoint) and signed private-API requests. */
public class WhiteBITSession extends AuthorizationCodeSession {
    public WhiteBITSession(Options options) {
        super(options, Types.Provider.WHITEBIT);
    }

    WhiteBITSession(Options options, Types.Provider fixed) {
        super(options, fixed);
    }

    /** A signed private-API request with the session's next nonce (the session is stored before it is sent). */
    public Types.HTTPRequest signedRequest(String apiKey, String secret, String path, Map<String, Object> params)
            throws InterruptedException {
        JsonNode out = change("whitebit_request", in -> {
            in.put("now_ms", nowMs());
            in.put("api_key", apiKey);
            in.put("secret", secret);
            in.put("path", path);
            if (params != null) {
                in.set("params", Typed.MAPPER.valueToTree(params));
            }
            return in;
        });
        return Typed.MAPPER.convertValue(out.get("request"), Types.HTTPRequest.class);
    }
}
