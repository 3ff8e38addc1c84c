package dev.netstack.embedded.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netstack.ip.wire.Ipv4Header;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzz target for {@link Ipv4Header}: {@code checkLength} agrees with an independent reading of
 * RFC 791's length fields, accessors never fail once it passes, the fixed header round-trips and
 * a filled checksum validates.
 */
class Ipv4HeaderFuzzTest {

    @BeforeAll
    static void seed() {
        Corpus.seedJazzer(Ipv4HeaderFuzzTest.class, "fuzz", Corpus.stripped(14));
    }

    @Test
    void corpusHeadersParseAndRoundTrip() {
        Corpus.stripped(14).forEach(Ipv4HeaderFuzzTest::check);
    }

    @FuzzTest(maxDuration = "2s")
    void fuzz(byte[] data) {
        check(data);
    }

    static void check(byte[] data) {
        Ipv4Header ip = new Ipv4Header().wrap(MemorySegment.ofArray(data), 0);
        int verdict = ip.checkLength(data.length);
        assertEquals(expectedVerdict(data), verdict);
        if (verdict != Ipv4Header.OK) {
            return;
        }
        ip.toString();
        ip.checksumValid();
        ip.isFragment();
        ip.fragmentOffsetBytes();
        int headerLength = ip.headerLength();
        byte[] out = new byte[headerLength];
        Arrays.fill(out, (byte) 0xA5);
        Ipv4Header copy = new Ipv4Header().wrap(MemorySegment.ofArray(out), 0);
        if (ip.version() == 4) {
            // Options are copied as bytes; the fixed part goes through the setters.
            System.arraycopy(data, Ipv4Header.MIN_LENGTH, out, Ipv4Header.MIN_LENGTH, headerLength - Ipv4Header.MIN_LENGTH);
            copy.setVersionAndHeaderLength(headerLength).setDscpEcn(ip.dscpEcn()).setTotalLength(ip.totalLength())
                    .setIdentification(ip.identification()).setFlagsFragment(ip.flagsFragment()).setTtl(ip.ttl())
                    .setProtocol(ip.protocol()).setChecksum(ip.checksum()).setSource(ip.source())
                    .setDestination(ip.destination());
            assertArrayEquals(Arrays.copyOf(data, headerLength), out);
            copy.fillChecksum();
            assertTrue(copy.checksumValid(), "a filled checksum validates");
            assertEquals(0xFFFF, onesComplementSum(out, headerLength),
                    "RFC 1071: the ones' complement sum over a header with its checksum is all ones");
        }
    }

    /** RFC 1071 §1, written out here so the parser's own checksum code is not its own judge. */
    static int onesComplementSum(byte[] bytes, int length) {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2) {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        if ((length & 1) != 0) {
            sum += (bytes[length - 1] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** RFC 791 §3.1 read directly from the bytes. */
    private static int expectedVerdict(byte[] data) {
        if (data.length < 20) {
            return Ipv4Header.TRUNCATED;
        }
        int headerLength = (data[0] & 0x0F) * 4;
        if (headerLength < 20) {
            return Ipv4Header.BAD_IHL;
        }
        if (headerLength > data.length) {
            return Ipv4Header.TRUNCATED;
        }
        int total = ((data[2] & 0xFF) << 8) | (data[3] & 0xFF);
        return total < headerLength || total > data.length ? Ipv4Header.BAD_TOTAL_LENGTH : Ipv4Header.OK;
    }
}
