package dev.netstack.runtime;

/**
 * One run-to-completion event loop on one thread, owning one RX/TX queue pair of every device, the
 * flows hashed to it and their timers. One turn:
 *
 * <ol>
 *   <li>read the clock once: {@code nowNs};</li>
 *   <li>{@link PollTask#poll} every task: receive a batch, push each buffer up the stack;</li>
 *   <li>run a bounded number of commands submitted with {@link #execute};</li>
 *   <li>fire due timers;</li>
 *   <li>{@link PollTask#flush} every task: transmit what the turn produced;</li>
 *   <li>if the turn did nothing, let the idle strategy spin, yield or sleep.</li>
 * </ol>
 *
 * <p>Everything a shard owns is touched only on its thread, so nothing there takes a lock. Other
 * threads reach it only through {@link #execute}.
 */
public interface Shard {

    /** Service property carrying {@link #id()}. */
    String ID_PROPERTY = "shard.id";

    /** 0-based index of this shard. */
    int id();

    NanoClock clock();

    /** The wheel for this shard's timers. Shard thread only. */
    TimerWheel timers();

    /**
     * Runs {@code command} on the shard thread during a coming turn, waking the shard if it sleeps.
     * Safe from any thread (multi-producer queue).
     *
     * @return false if the command queue is full (the caller should retry or fail the request)
     */
    boolean execute(Runnable command);

    /** Whether the caller runs on this shard's thread (or the shard is driven by hand, as in simulation). */
    boolean inShard();

    /** Adds a task polled every turn. Shard thread only (use {@link #execute} from elsewhere). */
    void addTask(PollTask task);

    /** Removes a task. Shard thread only. */
    void removeTask(PollTask task);
}
