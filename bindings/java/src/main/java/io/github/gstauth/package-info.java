/**
 * gstauth for the JVM: {@link io.github.gstauth.GstAuth#call(String, String)} runs one op of the Go core,
 * {@link io.github.gstauth.GstAuthException} carries its error code ({@link io.github.gstauth.ErrorCode}).
 * {@link io.github.gstauth.Backend} is the layer the typed API and the session helpers build on.
 */
package io.github.gstauth;
