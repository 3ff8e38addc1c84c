package dev.netstack.test;

import java.lang.management.ManagementFactory;

/**
 * Measures heap allocation of the calling thread for the tests that hold the data path to zero
 * allocation per packet.
 *
 * <p>A steady-state figure is the least of several rounds: an allocation per packet shows in every
 * round, while the JIT's late work (a compilation finishing in the background on a loaded machine,
 * a deoptimization and recompilation) shows in some rounds only. Tests assert on that least figure
 * and so do not depend on how fast the machine compiles.
 */
public final class Allocations {

    private Allocations() {
    }

    /** Bytes the calling thread has allocated so far. */
    public static long allocatedBytes() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return threads.getCurrentThreadAllocatedBytes();
    }

    /**
     * Runs {@code round} {@code rounds} times and returns the fewest bytes the calling thread
     * allocated in one run; stops early once a round allocated nothing.
     */
    public static long leastPerRound(int rounds, Runnable round) {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < rounds && least > 0; i++) {
            long before = allocatedBytes();
            round.run();
            least = Math.min(least, allocatedBytes() - before);
        }
        return least;
    }
}
