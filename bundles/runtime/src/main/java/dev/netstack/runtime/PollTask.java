package dev.netstack.runtime;

/**
 * Work a {@link Shard} does every turn: typically one queue of one device, received in a batch,
 * pushed up the stack, and the frames the turn produced sent in a batch.
 *
 * <p>Called only on the shard thread.
 */
public interface PollTask {

    /** Step 1-2 of a turn: receive a batch and process it. Returns the work done (frames handled). */
    int poll(long nowNs);

    /** Step 5 of a turn: transmit what the turn produced. Returns the work done (frames sent). */
    default int flush(long nowNs) {
        return 0;
    }

    /** A file descriptor that polls readable when {@link #poll} would find work, or -1 if none. */
    default int readinessFd() {
        return -1;
    }
}
