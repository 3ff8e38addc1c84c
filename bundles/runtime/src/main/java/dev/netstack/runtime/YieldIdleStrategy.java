package dev.netstack.runtime;

/**
 * Gives up the CPU with {@link Thread#yield()} after a turn without work, then runs the next
 * turn. Low latency while letting other runnable threads in; the core still looks busy.
 */
public final class YieldIdleStrategy implements IdleStrategy {

    @Override
    public void idle(int workCount, IdleContext context) {
        if (workCount == 0) {
            Thread.yield();
        }
    }

    /** Nothing to wake: the shard never sleeps. */
    @Override
    public void wakeup() {
    }
}
