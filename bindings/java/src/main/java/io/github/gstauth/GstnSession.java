package io.github.gstauth;

import java.io.IOException;
import java.util.Map;

/**
 * The GSTN taxpayer API: an OTP once, then refreshes before every expiry until the API-access window ends.
 * config: base_url (…/taxpayerapi/v1.0), client_id, gstin, username, ip_usr, access_window_ms. credentials:
 * client_secret, public_key (the GSTN certificate, PEM).
 */
public class GstnSession extends Session {
    public GstnSession(Options options) {
        super(options, Types.Provider.GSTN);
    }

    GstnSession(Options options, Types.Provider fixed) {
        super(options, fixed);
    }

    /** OTPREQUEST: the taxpayer receives an OTP. */
    public void requestOtp() throws IOException, InterruptedException {
        exchange(Types.Step.OTP_REQUEST, null, null);
    }

    /** AUTHTOKEN with the OTP the taxpayer received. */
    public void authenticate(String otp) throws IOException, InterruptedException {
        exchange(Types.Step.AUTH_TOKEN, new Types.Credentials().withOtp(otp), null);
    }

    /** REFRESHTOKEN now ({@link #ensure()} refreshes by itself when the planner says so). */
    public void refresh() throws IOException, InterruptedException {
        exchange(Types.Step.REFRESH_TOKEN, null, null);
    }

    /** LOGOUT: the session is cleared. */
    public void logout() throws IOException, InterruptedException {
        exchange(Types.Step.LOGOUT, null, null);
    }

    /** The EVC OTP for signing a return with the PAN's EVC. */
    public void requestEvcOtp(String pan, String formType) throws IOException, InterruptedException {
        exchange(Types.Step.EVC_OTP, null, Map.of("pan", pan, "form_type", formType));
    }
}
