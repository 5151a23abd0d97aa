package io.github.gstauth;

/**
 * RFC 6749 §4.4 (WhiteBooks, OneFinOps/Keycloak through config.flavor). config: token_url, client_id, scope,
 * client_auth. credentials: client_secret (and previous_client_secret, previous_secret_valid_until_ms).
 * {@link #ensure()} does everything.
 */
public class OAuthClientCredentialsSession extends Session {
    public OAuthClientCredentialsSession(Options options) {
        super(options, Types.Provider.OAUTH_CLIENT_CREDENTIALS);
    }
}
