package io.github.gstauth;

import java.io.IOException;

/**
 * NIC e-way bill. config: base_url, client_id, gstin, username. credentials: client_secret, password, public_key
 * (NIC's certificate, PEM).
 */
public class EWayBillSession extends Session {
    public EWayBillSession(Options options) {
        super(options, Types.Provider.NIC_EWAYBILL);
    }

    /** The auth exchange now ({@link #ensure()} authenticates by itself on first use). */
    public void authenticate() throws IOException, InterruptedException {
        exchange(Types.Step.AUTH, null, null);
    }
}
