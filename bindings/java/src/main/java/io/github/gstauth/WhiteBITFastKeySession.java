package io.github.gstauth;

/** WhiteBIT's Fast API Key flow (PKCE, a 4 h token, no refresh token). */
public class WhiteBITFastKeySession extends WhiteBITSession {
    public WhiteBITFastKeySession(Options options) {
        super(options, Types.Provider.WHITEBIT_FAST_KEY);
    }
}
