package io.github.gstauth;

import java.io.IOException;

/**
 * NIC e-invoice (IRP). config: base_url, client_id, gstin, username. credentials: client_secret, password,
 * public_key (NIC's certificate, PEM).
 */
public class EInvoiceSession extends Session {
    public EInvoiceSession(Options options) {
        super(options, Types.Provider.NIC_EINVOICE);
    }

    /** The auth exchange now ({@link #ensure()} authenticates by itself on first use). */
    public void authenticate() throws IOException, InterruptedException {
        exchange(Types.Step.AUTH, null, null);
    }

    /** ForceRefreshAccessToken (honoured in the token's last minutes). */
    public void forceRefresh() throws IOException, InterruptedException {
        exchange(Types.Step.FORCE_REFRESH, null, null);
    }
}
