package dev.netstack.runtime;

/**
 * What a shard does with a turn that found no work (Agrona's duty-cycle pattern).
 *
 * <p>Strategies run on the shard thread; {@link #wakeup()} lets another thread end a sleep early.
 */
public interface IdleStrategy {

    /**
     * Called after every turn with the work it did; sleeps, yields or spins when {@code workCount}
     * is 0, and resets its back-off otherwise.
     *
     * @param context the shard's timers and device descriptors, to bound the sleep
     */
    void idle(int workCount, IdleContext context);

    /** Interrupts a sleep in progress or the next one. Safe from any thread. */
    void wakeup();

    /** Releases native resources (an eventfd, say). */
    default void close() {
    }

    /** What a shard tells its idle strategy about itself. */
    interface IdleContext {
        /** The clock reading of the turn that just ended. */
        long nowNs();

        /** The earliest timer deadline, {@code Long.MAX_VALUE} if none. */
        long nextDeadlineNs();

        /** Descriptors that turn readable when a device has frames; may be empty. */
        int[] readinessFds();
    }
}
