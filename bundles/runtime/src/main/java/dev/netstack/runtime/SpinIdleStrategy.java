package dev.netstack.runtime;

/**
 * Never sleeps: a turn without work is followed by a CPU spin hint and the next turn. Lowest
 * latency, one core at 100% per shard. Stateless; one instance per shard anyway, like every
 * strategy.
 */
public final class SpinIdleStrategy implements IdleStrategy {

    @Override
    public void idle(int workCount, IdleContext context) {
        if (workCount == 0) {
            Thread.onSpinWait();
        }
    }

    /** Nothing to wake: the shard never sleeps. */
    @Override
    public void wakeup() {
    }
}
