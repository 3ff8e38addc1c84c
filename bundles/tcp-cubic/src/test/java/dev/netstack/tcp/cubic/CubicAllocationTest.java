package dev.netstack.tcp.cubic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The per-ACK and per-event paths allocate nothing (measured with the thread allocation counter). */
class CubicAllocationTest {

    private static long churn(Cubic cc, long now) {
        for (int i = 0; i < 200_000; i++) {
            cc.onAck(1460, 20_000_000L, cc.cwndBytes(), now);
            now += 100_000L;
            if (i % 5_000 == 4_999) {
                cc.onEnterRecovery(cc.cwndBytes(), now);
                cc.onExitRecovery(cc.cwndBytes(), now);
            }
            if (i % 50_000 == 49_999) {
                cc.onRetransmissionTimeout(cc.cwndBytes(), now);
                cc.onIdleRestart(now);
                cc.onMssChanged(i % 100_000 == 99_999 ? 1460 : 1400);
            }
        }
        return now;
    }

    @Test
    void allocatesNothingAfterCreation() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Cubic cc = new Cubic(1460, 0);
        long now = 0;
        for (int round = 0; round < 3; round++) {
            now = churn(cc, now); // warm-up: class loading, compilation (the JIT's own first allocations)
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        churn(cc, now);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, allocated, "bytes allocated by 200000 ACKs and their loss events");
    }
}
