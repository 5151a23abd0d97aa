package io.github.gstauth;

/** RFC 6749 §4.3, which some gateways still use. credentials: password, client_secret. */
public class OAuthPasswordSession extends Session {
    public OAuthPasswordSession(Options options) {
        super(options, Types.Provider.OAUTH_PASSWORD);
    }
}
