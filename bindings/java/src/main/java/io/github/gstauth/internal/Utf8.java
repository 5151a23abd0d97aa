package io.github.gstauth.internal;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** Strings across the boundary: UTF-8, refusing what UTF-8 cannot carry instead of replacing it with '?'. */
public final class Utf8 {
    private Utf8() {
    }

    /**
     * The UTF-8 bytes of s. An unpaired surrogate would silently become '?' (and change a payload that is then
     * encrypted or signed), so it is refused.
     *
     * @throws IllegalArgumentException s holds an unpaired surrogate
     */
    public static byte[] encode(String s, String what) {
        Objects.requireNonNull(s, what);
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        // An unpaired surrogate comes out as '?': pure ASCII without '?' needs no second look.
        if (b.length != s.length() || contains(b, (byte) '?')) {
            checkSurrogates(s, what);
        }
        return b;
    }

    private static boolean contains(byte[] b, byte x) {
        for (byte c : b) {
            if (c == x) {
                return true;
            }
        }
        return false;
    }

    private static void checkSurrogates(String s, String what) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " holds an unpaired UTF-16 surrogate at index " + i
                        + ": it cannot be encoded as UTF-8");
            }
        }
    }

    /**
     * An op name as a NUL-terminated C string.
     *
     * @throws NullPointerException     op is null
     * @throws IllegalArgumentException op contains NUL (it would name a different op) or an unpaired surrogate
     */
    public static byte[] opName(String op) {
        Objects.requireNonNull(op, "op");
        if (op.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("op name contains a NUL character at index " + op.indexOf('\0'));
        }
        byte[] b = encode(op, "op");
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, b.length);
        return c;
    }

    /** The core's output, always UTF-8. */
    public static String decode(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
