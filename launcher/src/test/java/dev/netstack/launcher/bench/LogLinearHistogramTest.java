package dev.netstack.launcher.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogLinearHistogramTest {

    @Test
    void smallValuesAreExact() {
        LogLinearHistogram h = new LogLinearHistogram();
        for (long v = 0; v < 256; v++) {
            h.record(v);
        }
        assertEquals(256, h.count());
        assertEquals(127, h.percentile(50));
        assertEquals(255, h.percentile(100));
        assertEquals(0, h.percentile(0));
        assertEquals(0, h.min());
        assertEquals(255, h.max());
    }

    @Test
    void largeValuesAreWithinOneBucketAbove() {
        long seed = System.nanoTime();
        System.out.println("LogLinearHistogramTest seed " + seed);
        Random random = new Random(seed);
        for (int i = 0; i < 100_000; i++) {
            long v = (random.nextLong() >>> 1) >>> random.nextInt(63);
            int index = LogLinearHistogram.index(v);
            long high = LogLinearHistogram.highestEquivalent(index);
            assertTrue(high >= v, "bucket top " + high + " below " + v);
            assertTrue(high - v <= Math.max(0, v / 128), "bucket of " + v + " too wide: " + high);
        }
        assertEquals(Long.MAX_VALUE, LogLinearHistogram.highestEquivalent(LogLinearHistogram.index(Long.MAX_VALUE)));
    }

    @Test
    void percentilesOfAUniformSpreadAreWithinAPercent() {
        LogLinearHistogram h = new LogLinearHistogram();
        for (long v = 1; v <= 1_000_000; v++) {
            h.record(v * 1000);
        }
        assertNear(500_000_000L, h.percentile(50));
        assertNear(990_000_000L, h.percentile(99));
        assertNear(999_000_000L, h.percentile(99.9));
        assertNear(999_990_000L, h.percentile(99.99));
        assertEquals(1_000_000_000L, h.percentile(100));
        assertEquals(500_000_500.0, h.mean(), 1e-3);
    }

    @Test
    void oneOutlierShowsOnlyInTheHighPercentiles() {
        LogLinearHistogram h = new LogLinearHistogram();
        for (int i = 0; i < 9_999; i++) {
            h.record(10_000);
        }
        h.record(5_000_000);
        assertNear(10_000, h.percentile(99.9));
        assertEquals(5_000_000, h.percentile(99.995));
    }

    @Test
    void negativeValuesCountAsZeroAndResetEmpties() {
        LogLinearHistogram h = new LogLinearHistogram();
        h.record(-5);
        assertEquals(0, h.percentile(50));
        assertEquals(1, h.count());
        h.reset();
        assertEquals(0, h.count());
        assertEquals(0, h.percentile(99));
        assertEquals(0, h.max());
    }

    @Test
    void recordingAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        LogLinearHistogram h = new LogLinearHistogram();
        for (int i = 0; i < 100_000; i++) { // warm up (JIT)
            h.record(i * 37L);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        int records = 1_000_000;
        for (int i = 0; i < records; i++) {
            h.record(i * 7919L);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue((double) allocated / records < 1, allocated + " bytes for " + records + " records");
    }

    private static void assertNear(long expected, long actual) {
        assertTrue(actual >= expected && actual - expected <= expected / 100, "expected about " + expected + ", got " + actual);
    }
}
