package io.github.gstauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.gstauth.internal.Typed;
import java.io.IOException;
import java.util.Objects;

/** RFC 6749 §4.1 with PKCE S256 and state. config: auth_url, token_url, client_id, redirect_uri, scope. */
public class AuthorizationCodeSession extends Session {
    public AuthorizationCodeSession(Options options) {
        super(options, Types.Provider.OAUTH_AUTHORIZATION_CODE);
    }

    AuthorizationCodeSession(Options options, Types.Provider fixed) {
        super(options, fixed);
    }

    /** The URL to send the user to; the PKCE verifier and the state are kept in the session. */
    public String authorizationUrl() throws InterruptedException {
        JsonNode out = change("oauth_authorization_url", in -> in.put("now_ms", nowMs()));
        return out.get("url").asText();
    }

    /** Checks the redirect (its state, in constant time) and exchanges its code for tokens. */
    public void complete(String redirectUrl) throws IOException, InterruptedException {
        Objects.requireNonNull(redirectUrl, "redirectUrl");
        ObjectNode in = Typed.MAPPER.createObjectNode();
        in.set("session", stateNode());
        in.put("url", redirectUrl);
        JsonNode r = op("oauth_parse_redirect", in);
        exchange(Types.Step.AUTHORIZATION_CODE,
                new Types.Credentials().withCode(r.get("code").asText()).withState(r.get("state").asText()), null);
    }
}
