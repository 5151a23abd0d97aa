package io.github.gstauth;

import java.util.Optional;

/**
 * What the core read in the answer to an ordinary API call ({@code session_observe}): its outcome and, for a failure,
 * the error it names (why the token was rejected, how long to back off, what a person must do).
 *
 * @param outcome ok, no_data, reauthenticate, stale_certificate, retry_later, user_action, configuration,
 *                provider_error
 * @param error   the failure, or null
 */
public record Observation(Types.Outcome outcome, Types.ErrorInfo error) {
    /** Whether the answer is a success (ok or no_data). */
    public boolean ok() {
        return outcome == Types.Outcome.OK || outcome == Types.Outcome.NO_DATA;
    }

    /** The failure as an exception, when there is one. */
    public Optional<GstAuthException> exception() {
        return error == null ? Optional.empty() : Optional.of(Errors.of(error));
    }

    /** Throws the failure, if the answer is one. */
    public void throwIfFailed() {
        if (!ok() && error != null) {
            throw Errors.of(error);
        }
    }
}
