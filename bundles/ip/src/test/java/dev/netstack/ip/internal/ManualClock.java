package dev.netstack.ip.internal;

import dev.netstack.runtime.NanoClock;

/** A virtual clock the test advances by hand. */
final class ManualClock implements NanoClock {

    private long nowNs = 1_000_000_000L;

    @Override
    public long nanoTime() {
        return nowNs;
    }

    long advanceMs(long ms) {
        nowNs += ms * 1_000_000L;
        return nowNs;
    }
}
