package dev.netstack.embedded.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netstack.ip.wire.IcmpHeader;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fuzz target for {@link IcmpHeader}: length check, accessors, round trip, checksum over the whole message. */
class IcmpHeaderFuzzTest {

    @BeforeAll
    static void seed() {
        Corpus.seedJazzer(IcmpHeaderFuzzTest.class, "fuzz", Corpus.icmpMessages());
    }

    @Test
    void corpusMessagesParseRoundTripAndCarryValidChecksums() {
        assertTrue(Corpus.icmpMessages().size() >= 6, "echo requests, replies and errors in the corpus");
        for (byte[] message : Corpus.icmpMessages()) {
            check(message);
            assertTrue(new IcmpHeader().wrap(MemorySegment.ofArray(message), 0).checksumValid(message.length),
                    "captured messages carry valid checksums");
        }
    }

    @FuzzTest(maxDuration = "2s")
    void fuzz(byte[] data) {
        check(data);
    }

    static void check(byte[] data) {
        IcmpHeader icmp = new IcmpHeader().wrap(MemorySegment.ofArray(data), 0);
        boolean ok = icmp.checkLength(data.length);
        assertEquals(data.length >= IcmpHeader.LENGTH, ok);
        if (!ok) {
            return;
        }
        icmp.toString();
        icmp.identifier();
        icmp.sequence();
        icmp.nextHopMtu();
        IcmpHeader.isError(icmp.type());
        boolean valid = icmp.checksumValid(data.length);
        assertEquals(Ipv4HeaderFuzzTest.onesComplementSum(data, data.length) == 0xFFFF, valid,
                "checksumValid agrees with RFC 1071");
        byte[] out = new byte[data.length];
        Arrays.fill(out, (byte) 0xA5);
        System.arraycopy(data, IcmpHeader.LENGTH, out, IcmpHeader.LENGTH, data.length - IcmpHeader.LENGTH);
        IcmpHeader copy = new IcmpHeader().wrap(MemorySegment.ofArray(out), 0)
                .setType(icmp.type()).setCode(icmp.code()).setChecksum(icmp.checksum()).setRest(icmp.rest());
        assertArrayEquals(data, out);
        copy.fillChecksum(data.length);
        assertTrue(copy.checksumValid(data.length), "a filled checksum validates");
    }
}
