package io.github.gstauth;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A failure reported by the gstauth core: {@code {"error":{"code","message","provider_code"?,"retry_after_ms"?,
 * "retryable"?}}}.
 *
 * <p>{@link #code()} is the stable, append-only error code (the op {@code error_codes} lists them; {@link ErrorCode}
 * is the same list as an enum). The message never contains key material, passwords, OTPs or tokens. Every backend
 * raises the same code with the same message for the same input.
 *
 * <p>It is unchecked so that it passes through lambdas, streams and HTTP client callbacks; every method that can
 * raise it declares it.
 */
public class GstAuthException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;
    private final String providerCode;
    private final Long retryAfterMs;
    private final boolean retryable;
    private final String errorJson;

    /**
     * An error with the given fields; {@code errorJson} is the core's error object as it was received, or null when
     * the error was raised on the Java side of the boundary.
     */
    public GstAuthException(String code, String message, String providerCode, Long retryAfterMs, boolean retryable,
                            String errorJson) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
        this.providerCode = providerCode;
        this.retryAfterMs = retryAfterMs;
        this.retryable = retryable;
        this.errorJson = errorJson;
    }

    /** The error code, e.g. {@code "decrypt_failed"}. */
    public String code() {
        return code;
    }

    /** The code as an enum constant, or empty for a code newer than this binding's {@link ErrorCode}. */
    public Optional<ErrorCode> errorCode() {
        return ErrorCode.of(code);
    }

    /** The provider's own error code (GSTN, NIC, an OAuth server), when the failure came from a provider. */
    public Optional<String> providerCode() {
        return Optional.ofNullable(providerCode);
    }

    /** How long to wait before retrying, when the core knows (e.g. from Retry-After). */
    public OptionalLong retryAfterMs() {
        return retryAfterMs == null ? OptionalLong.empty() : OptionalLong.of(retryAfterMs);
    }

    /** Whether the same call may succeed if retried. */
    public boolean retryable() {
        return retryable;
    }

    /** The error JSON exactly as the core returned it, when it came from the core. */
    public Optional<String> errorJson() {
        return Optional.ofNullable(errorJson);
    }

    @Override
    public String toString() {
        return "GstAuthException[" + code + "]: " + getMessage();
    }
}
