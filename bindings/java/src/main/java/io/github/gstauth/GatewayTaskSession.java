package io.github.gstauth;

import java.io.IOException;

/** A gateway's task API (getAuthToken), giving a GSTN-like session. */
public class GatewayTaskSession extends GstnSession {
    public GatewayTaskSession(Options options) {
        super(options, Types.Provider.GATEWAY_TASK);
    }

    /** getAuthToken with the OTP the taxpayer received. */
    @Override
    public void authenticate(String otp) throws IOException, InterruptedException {
        exchange(Types.Step.GET_AUTH_TOKEN, new Types.Credentials().withOtp(otp), null);
    }
}
