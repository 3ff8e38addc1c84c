package dev.netstack.embedded.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netstack.ethernet.wire.ArpPacket;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fuzz target for {@link ArpPacket}: length check, every accessor, round trip through the setters. */
class ArpPacketFuzzTest {

    @BeforeAll
    static void seed() {
        Corpus.seedJazzer(ArpPacketFuzzTest.class, "fuzz", Corpus.stripped(14));
    }

    @Test
    void corpusPacketsParseAndRoundTrip() {
        Corpus.stripped(14).forEach(ArpPacketFuzzTest::check);
    }

    @FuzzTest(maxDuration = "2s")
    void fuzz(byte[] data) {
        check(data);
    }

    static void check(byte[] data) {
        ArpPacket arp = new ArpPacket().wrap(MemorySegment.ofArray(data), 0);
        boolean ok = arp.checkLength(data.length);
        assertEquals(data.length >= ArpPacket.LENGTH, ok);
        if (!ok) {
            return;
        }
        arp.isEthernetIpv4();
        arp.toString();
        byte[] out = new byte[ArpPacket.LENGTH];
        Arrays.fill(out, (byte) 0xA5);
        new ArpPacket().wrap(MemorySegment.ofArray(out), 0)
                .hardwareType(arp.hardwareType()).protocolType(arp.protocolType())
                .hardwareLength(arp.hardwareLength()).protocolLength(arp.protocolLength())
                .operation(arp.operation())
                .senderHardwareAddress(arp.senderHardwareAddress()).senderProtocolAddress(arp.senderProtocolAddress())
                .targetHardwareAddress(arp.targetHardwareAddress()).targetProtocolAddress(arp.targetProtocolAddress());
        assertArrayEquals(Arrays.copyOf(data, ArpPacket.LENGTH), out);
    }
}
