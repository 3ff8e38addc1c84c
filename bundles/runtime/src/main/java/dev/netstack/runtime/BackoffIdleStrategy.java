package dev.netstack.runtime;

import java.util.concurrent.locks.LockSupport;

/**
 * Spin, then yield, then park for growing periods up to a bound, never past the next timer.
 * A command from another thread unparks the shard at once.
 */
public final class BackoffIdleStrategy implements IdleStrategy {

    private final int maxSpins;
    private final int maxYields;
    private final long minParkNs;
    private final long maxParkNs;

    private int spins;
    private int yields;
    private long parkNs;
    private volatile Thread sleeper;

    public BackoffIdleStrategy(int maxSpins, int maxYields, long minParkNs, long maxParkNs) {
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNs = minParkNs;
        this.maxParkNs = maxParkNs;
        this.parkNs = minParkNs;
    }

    /** 100 spins, 10 yields, then parks from 1 µs up to 1 ms. */
    public BackoffIdleStrategy() {
        this(100, 10, 1_000, 1_000_000);
    }

    @Override
    public void idle(int workCount, IdleContext context) {
        if (workCount > 0) {
            spins = 0;
            yields = 0;
            parkNs = minParkNs;
            return;
        }
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            long untilTimer = context.nextDeadlineNs() - context.nowNs();
            long sleep = Math.max(0, Math.min(parkNs, untilTimer));
            sleeper = Thread.currentThread();
            LockSupport.parkNanos(sleep);
            sleeper = null;
            parkNs = Math.min(parkNs * 2, maxParkNs);
        }
    }

    @Override
    public void wakeup() {
        Thread t = sleeper;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }
}
