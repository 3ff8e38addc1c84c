package dev.netstack.embedded.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netstack.ethernet.wire.EthernetHeader;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fuzz target for {@link EthernetHeader}: the length check decides, accessors never fail after it, emit round-trips. */
class EthernetHeaderFuzzTest {

    @BeforeAll
    static void seed() {
        Corpus.seedJazzer(EthernetHeaderFuzzTest.class, "fuzz", new ArrayList<>(Corpus.frames().values()));
    }

    @Test
    void corpusFramesParseAndRoundTrip() {
        Corpus.frames().values().forEach(EthernetHeaderFuzzTest::check);
    }

    @FuzzTest(maxDuration = "2s")
    void fuzz(byte[] data) {
        check(data);
    }

    static void check(byte[] data) {
        MemorySegment input = MemorySegment.ofArray(data);
        EthernetHeader eth = new EthernetHeader().wrap(input, 0);
        boolean ok = eth.checkLength(data.length);
        assertEquals(data.length >= EthernetHeader.LENGTH, ok);
        if (!ok) {
            return;
        }
        eth.toString();
        byte[] out = new byte[EthernetHeader.LENGTH];
        Arrays.fill(out, (byte) 0xA5);
        new EthernetHeader().wrap(MemorySegment.ofArray(out), 0)
                .destination(eth.destination()).source(eth.source()).etherType(eth.etherType());
        assertArrayEquals(Arrays.copyOf(data, EthernetHeader.LENGTH), out);
    }
}
