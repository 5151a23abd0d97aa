package io.github.gstauth.internal;

import io.github.gstauth.ErrorCode;
import io.github.gstauth.RawResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A raw op's single buffer across the plugin boundary, both ways (internal/abi EncodeFrame): a NUL byte, a 4-byte
 * little-endian length of the JSON, the JSON, then the raw bytes.
 */
final class Frame {
    private static final byte TAG = 0;
    private static final int HEADER = 5;

    private Frame() {
    }

    static byte[] encode(byte[] json, ByteBuffer data) {
        byte[] frame = new byte[HEADER + json.length + data.remaining()];
        ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).put(TAG).putInt(json.length).put(json)
                .put(data.duplicate());
        return frame;
    }

    static RawResult decode(byte[] b, int offset, int length) {
        if (length < HEADER || b[offset] != TAG) {
            throw ErrorJson.hostError(ErrorCode.INTERNAL, "the plugin's raw output is not a frame");
        }
        long n = Integer.toUnsignedLong(ByteBuffer.wrap(b, offset + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
        if (n > length - HEADER) {
            throw ErrorJson.hostError(ErrorCode.INTERNAL, "the plugin's raw output header is longer than the output");
        }
        int m = offset + HEADER + (int) n;
        return new RawResult(Arrays.copyOfRange(b, offset + HEADER, m), Arrays.copyOfRange(b, m, offset + length));
    }
}
