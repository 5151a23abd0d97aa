package io.github.gstauth;

import java.io.IOException;

/**
 * Carries one of a session's own exchanges (an OTP request, a token grant, a refresh) over the application's HTTP
 * client: the request exactly as the core built it (no redirect followed), and the answer as it came.
 * {@code GstAuthHttpClient.sender(HttpClient)} and {@code GstAuthOkHttp.sender(OkHttpClient)} give one.
 *
 * <p>Throwing means no answer came at all (a network error, a timeout): the session records it
 * ({@code session_send_failed}) and the core decides what follows.
 */
@FunctionalInterface
public interface Sender {
    /**
     * Sends the request and gives back the answer.
     *
     * @throws IOException          no answer came
     * @throws InterruptedException the thread was interrupted while waiting
     */
    Types.HTTPResponse send(Types.HTTPRequest request) throws IOException, InterruptedException;
}
