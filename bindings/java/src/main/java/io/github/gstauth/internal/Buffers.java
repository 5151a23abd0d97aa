package io.github.gstauth.internal;

import java.nio.ByteBuffer;

/** Reading a buffer's remaining bytes without disturbing it. */
final class Buffers {
    private Buffers() {
    }

    /** The remaining bytes as an array: the backing array itself when it is exactly that, else a copy. */
    static byte[] array(ByteBuffer b) {
        if (b.hasArray() && b.arrayOffset() + b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return a;
    }
}
