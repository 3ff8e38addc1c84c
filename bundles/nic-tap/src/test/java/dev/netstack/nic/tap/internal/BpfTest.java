package dev.netstack.nic.tap.internal;

import static dev.netstack.nic.tap.internal.EbpfAssembler.R0;
import static dev.netstack.nic.tap.internal.EbpfAssembler.R2;
import static dev.netstack.nic.tap.internal.EbpfAssembler.ADD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netstack.nic.tap.TapException;
import dev.netstack.runtime.os.Linux;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** bpf(2) through FFM against the running kernel (root only). */
class BpfTest {

    @BeforeEach
    void root() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to load eBPF");
    }

    @Test
    void loadsAProgramAndRunsItOnAPacket() {
        Bpf.Loaded loaded = Bpf.loadSocketFilter(new EbpfAssembler().mov(R0, 41).aluImm(ADD, R0, 1).exit().encode(),
                "netstack_test");
        assertTrue(loaded.ok(), () -> "errno " + loaded.errno() + ": " + loaded.log());
        try {
            assertEquals(0, loaded.errno());
            assertEquals(42, Bpf.testRun(loaded.fd(), new byte[64]));
        } finally {
            new Linux().close(loaded.fd());
        }
    }

    @Test
    void aRejectedProgramComesBackWithTheVerifierLogAndTheLogReachesTheMessage() {
        // reads R2, which nothing wrote: the verifier refuses with "R2 !read_ok"
        Bpf.Loaded loaded = Bpf.loadSocketFilter(new EbpfAssembler().movReg(R0, R2).exit().encode(), "netstack_bad");
        assertFalse(loaded.ok());
        assertEquals(Linux.EACCES, loaded.errno());
        assertTrue(loaded.log().contains("R2 !read_ok"), loaded.log());
        TapException e = TapException.steeringFailed("tap0", 2, loaded.errno(), loaded.log());
        assertTrue(e.getMessage().contains("the verifier said: ") && e.getMessage().contains("R2 !read_ok"),
                e.getMessage());
    }
}
