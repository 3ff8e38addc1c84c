package dev.netstack.embedded.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netstack.embedded.NetStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fuzz target for the whole receive path of an embedded stack: see {@link ReceivePathTarget}. */
class ReceivePathFuzzTest {

    private static ReceivePathTarget target;

    @BeforeAll
    static void start() {
        Corpus.seedJazzer(ReceivePathFuzzTest.class, "fuzz", ReceivePathTarget.seeds());
        target = new ReceivePathTarget();
    }

    @AfterAll
    static void stop() {
        if (target != null) {
            target.close();
        }
    }

    @Test
    void corpusFramesAndFragmentSequencesPass() {
        NetStack stack = target.stack();
        long repliesBefore = stack.counter("icmp", "out-echo-reps");
        for (byte[] seed : ReceivePathTarget.seeds()) {
            target.check(seed);
        }
        long replies = stack.counter("icmp", "out-echo-reps") - repliesBefore;
        // Echo requests in the corpus: plain, with record route, without data, with TTL 1, and the fragmented one.
        assertTrue(replies >= 5, "the stack answered the corpus echo requests: " + replies);
        assertTrue(stack.counter("ip", "reasm-oks") >= 1, "the fragmented request was reassembled");
        assertTrue(stack.counter("ip", "reasm-timeouts") >= 1, "the out-of-order pair without its middle timed out");
    }

    @Test
    void framesTheKernelCannotSendAreCountedToo() {
        // A packet socket refuses frames shorter than an Ethernet header, so the interop tests
        // cannot send these; here they go straight into the device.
        NetStack stack = target.stack();
        long tooShort = stack.counter("ethernet", "too-short");
        target.check(ReceivePathTarget.encode(java.util.List.of(new byte[0], new byte[1], new byte[13])));
        assertTrue(stack.counter("ethernet", "too-short") - tooShort == 3, stack.counters().get("ethernet").toString());
    }

    @FuzzTest(maxDuration = "10s")
    void fuzz(byte[] data) {
        target.check(data);
    }
}
