package oxb.tomcat;

import java.nio.charset.StandardCharsets;

/**
 * The project's bulk-data pattern (see t/tools/oxb_pattern.h): 16-byte records,
 * the record at offset 16*k is the lowercase hex of 16*k zero-padded to 15
 * digits followed by '\n'.
 *
 * <p>Generates the stream in 64 KiB chunks that start at multiples of 64 KiB.
 * Inside such a chunk the low four hex digits of each record only depend on the
 * record's position in the chunk and the high eleven only on the chunk's
 * offset, so the low part is formatted once and each chunk just stamps the high
 * part into its 4096 records.
 */
final class TestPattern {

    static final int CHUNK = 64 * 1024;
    private static final int RECORD = 16;
    private static final int HIGH_DIGITS = 11;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final byte[] buf = new byte[CHUNK];
    private final byte[] high = new byte[HIGH_DIGITS];

    TestPattern() {
        for (int pos = 0; pos < CHUNK; pos += RECORD) {
            buf[pos + 11] = HEX[(pos >>> 12) & 15];
            buf[pos + 12] = HEX[(pos >>> 8) & 15];
            buf[pos + 13] = HEX[(pos >>> 4) & 15];
            buf[pos + 14] = HEX[pos & 15];
            buf[pos + 15] = '\n';
        }
    }

    /**
     * Returns the internal buffer filled with pattern bytes
     * [base, base + CHUNK); base must be a multiple of CHUNK. The buffer is
     * reused by the next call.
     */
    byte[] chunk(long base) {
        long h = base >>> 16;
        for (int i = HIGH_DIGITS - 1; i >= 0; i--) {
            high[i] = HEX[(int) (h & 15)];
            h >>>= 4;
        }
        for (int pos = 0; pos < CHUNK; pos += RECORD) {
            System.arraycopy(high, 0, buf, pos, HIGH_DIGITS);
        }
        return buf;
    }
}
