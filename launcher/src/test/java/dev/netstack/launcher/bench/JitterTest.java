package dev.netstack.launcher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JitterTest {

    @Test
    void countsTheGapsBetweenClockReadsOverFiveAndTenMicroseconds() {
        // Reads 1 µs apart, with gaps of 6, 12 and 30 µs among them.
        long[] steps = {1_000, 1_000, 6_000, 1_000, 12_000, 1_000, 30_000, 1_000, 1_000};
        long[] now = {0};
        int[] i = {0};
        Jitter jitter = Jitter.measure(50_000, () -> {
            long t = now[0];
            now[0] += i[0] < steps.length ? steps[i[0]++] : 1_000;
            return t;
        });
        assertEquals(3, jitter.over5us());
        assertEquals(2, jitter.over10us());
        assertEquals(30_000, jitter.maxGapNs());
        assertEquals(52e-6, jitter.seconds(), 1e-9, "up to the first read at or past 50 µs");
        assertTrue(jitter.summary().startsWith("a spinning thread's gaps > 5 µs 57692/s, > 10 µs 38462/s, longest 30 µs"),
                jitter.summary());
    }
}
