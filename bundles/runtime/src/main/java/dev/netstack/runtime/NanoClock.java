package dev.netstack.runtime;

/**
 * A monotonic nanosecond clock. The data path never reads it: a shard reads it once per turn and
 * passes {@code nowNs} down. Tests substitute a virtual clock they advance by hand.
 *
 * <p>Compare instants as {@code deadlineNs - nowNs < 0}, never {@code deadlineNs < nowNs}: the
 * values may wrap.
 */
@FunctionalInterface
public interface NanoClock {

    long nanoTime();

    /** The JVM's monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;
}
