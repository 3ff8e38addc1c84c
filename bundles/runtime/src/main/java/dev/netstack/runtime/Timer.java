package dev.netstack.runtime;

/**
 * A timer owned by whoever schedules it (a connection, an ARP entry, a reassembly slot), reused
 * for its whole life so that scheduling allocates nothing. It is a node of the
 * {@link TimerWheel}'s intrusive lists.
 *
 * <p>Confined to the shard thread of the wheel it is scheduled on.
 */
public abstract class Timer {

    long deadlineNs;
    Timer next;
    Timer previous;
    int slot = -1;

    /** Called on the shard thread when the deadline has passed; the timer is no longer scheduled. */
    protected abstract void onExpiry(long nowNs);

    public final boolean isScheduled() {
        return slot >= 0;
    }

    /** The deadline last scheduled; meaningful only while {@link #isScheduled()}. */
    public final long deadlineNs() {
        return deadlineNs;
    }
}
