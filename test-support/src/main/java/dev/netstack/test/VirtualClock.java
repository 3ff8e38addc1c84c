package dev.netstack.test;

import dev.netstack.runtime.NanoClock;

/**
 * A {@link NanoClock} that moves only when a test moves it. Readable from any thread; a test
 * usually drives it from the one thread that runs the simulated shards.
 */
public final class VirtualClock implements NanoClock {

    private volatile long nowNs;

    /** A clock reading {@code startNs}. */
    public VirtualClock(long startNs) {
        this.nowNs = startNs;
    }

    /** A clock reading 0. */
    public VirtualClock() {
        this(0);
    }

    @Override
    public long nanoTime() {
        return nowNs;
    }

    /** Moves the clock forward by {@code deltaNs} (at least 0) and returns the new reading. */
    public synchronized long advance(long deltaNs) {
        if (deltaNs < 0) {
            throw new IllegalArgumentException("a monotonic clock cannot go back: advance by " + deltaNs);
        }
        nowNs += deltaNs;
        return nowNs;
    }

    /** Moves the clock to {@code ns}, which must not be before the current reading. */
    public synchronized void set(long ns) {
        if (ns - nowNs < 0) {
            throw new IllegalArgumentException("a monotonic clock cannot go back: " + ns + " is before " + nowNs);
        }
        nowNs = ns;
    }

    @Override
    public String toString() {
        return "VirtualClock[" + nowNs + " ns]";
    }
}
