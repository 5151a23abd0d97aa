package io.github.gstauth.store;

import io.github.gstauth.ErrorCode;
import io.github.gstauth.GstAuthException;
import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * The store could not be reached or did not answer as the contract says (a record's lock not taken in time, an I/O
 * error, Redis out of reach, a script failing): the core's error code {@code store_unavailable}
 * ({@link ErrorCode#STORE_UNAVAILABLE}), retryable. The stores throw it as the {@link IOException} every
 * {@link io.github.gstauth.SessionStore} method declares; its cause is the failure (the file's IOException, the Jedis
 * error). A shared session keeps using a still-valid token meanwhile and tries the store again: a failed store never
 * fails a call that token can serve. An argument the rules refuse is a {@link GstAuthException} with code
 * {@code invalid_input} instead; an interrupted wait stays an {@link InterruptedIOException}.
 */
public final class StoreUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A store failure: what failed and why; {@code cause} is the failure (may be null). */
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code "store_unavailable"}. */
    public String code() {
        return ErrorCode.STORE_UNAVAILABLE.code();
    }

    /** {@link ErrorCode#STORE_UNAVAILABLE}. */
    public ErrorCode errorCode() {
        return ErrorCode.STORE_UNAVAILABLE;
    }

    /** Always true: the store may answer later. */
    public boolean retryable() {
        return true;
    }

    /** The same failure as a {@link GstAuthException} (code {@code store_unavailable}, retryable; this as its cause). */
    public GstAuthException toGstAuthException() {
        GstAuthException e = new GstAuthException(code(), getMessage(), null, null, true, null);
        e.initCause(this);
        return e;
    }

    @Override
    public String toString() {
        return "StoreUnavailableException[" + code() + "]: " + getMessage();
    }

    /**
     * A store's failure as a StoreUnavailableException ({@code what} failed: the failure's message after it); one
     * already, or an interrupted wait, as it is.
     */
    static IOException of(String what, Exception failure) {
        if (failure instanceof StoreUnavailableException || failure instanceof InterruptedIOException) {
            return (IOException) failure;
        }
        String why = failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
        return new StoreUnavailableException(what + ": " + why, failure);
    }
}
