package dev.netstack.launcher.bench;

import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * What the machine takes from a busy thread: one thread reads the clock in a tight loop for a
 * while and counts the gaps between successive reads longer than 5 and 10 µs (interrupts, the
 * scheduler, a hypervisor). A latency percentile of the stack cannot be lower than what these
 * gaps allow: at a million operations a second, p99.99 is the 100th slowest each second, so 100
 * gaps of 10 µs a second put it at 10 µs whatever the stack does. Printed in the bench's header.
 */
record Jitter(double seconds, long over5us, long over10us, long maxGapNs) {

    /** Spins for {@code durationNs} on {@link System#nanoTime}. */
    static Jitter measure(long durationNs) {
        return measure(durationNs, System::nanoTime);
    }

    static Jitter measure(long durationNs, LongSupplier clock) {
        long start = clock.getAsLong();
        long last = start;
        long over5 = 0;
        long over10 = 0;
        long max = 0;
        while (true) {
            long now = clock.getAsLong();
            long gap = now - last;
            last = now;
            if (gap > 5_000) {
                over5++;
                if (gap > 10_000) {
                    over10++;
                }
            }
            max = Math.max(max, gap);
            if (now - start >= durationNs) {
                return new Jitter((now - start) / 1e9, over5, over10, max);
            }
        }
    }

    /** For the header: {@code gaps > 5 µs 612/s, > 10 µs 80/s, max 105 µs}. */
    String summary() {
        return String.format(Locale.ROOT, "a spinning thread's gaps > 5 µs %.0f/s, > 10 µs %.0f/s, longest %.0f µs",
                over5us / seconds, over10us / seconds, maxGapNs / 1e3);
    }
}
