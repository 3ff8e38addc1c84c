package dev.netstack.launcher.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * Process-wide costs over a measurement window, from the JVM's management beans: bytes allocated by
 * all threads (com.sun.management.ThreadMXBean), collections and their time (every
 * GarbageCollectorMXBean that is not a concurrent cycle, so the time is pause time), and the
 * process's CPU time (com.sun.management.OperatingSystemMXBean), which includes the kernel's work on
 * behalf of this process's threads (system calls, the TAP, softirqs run in their context).
 */
final class Meter {

    /** One reading. */
    record Reading(long allocatedBytes, long gcCount, long gcMillis, long cpuNs, long wallNs) {
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;
    private static final com.sun.management.OperatingSystemMXBean OS =
            ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean o ? o : null;

    private Meter() {
    }

    static Reading read() {
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc.getName().contains("Concurrent") && !gc.getName().contains("Pauses")) {
                continue; // G1 / ZGC concurrent cycles: not pauses
            }
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        long allocated = THREADS != null && THREADS.isThreadAllocatedMemorySupported() ? THREADS.getTotalThreadAllocatedBytes() : -1;
        long cpu = OS != null ? OS.getProcessCpuTime() : -1;
        return new Reading(allocated, gcCount, gcMillis, cpu, System.nanoTime());
    }

    /** The difference {@code end - start}; a component that cannot be read is -1. */
    static Reading delta(Reading start, Reading end) {
        return new Reading(
                start.allocatedBytes < 0 || end.allocatedBytes < 0 ? -1 : end.allocatedBytes - start.allocatedBytes,
                end.gcCount - start.gcCount, end.gcMillis - start.gcMillis,
                start.cpuNs < 0 || end.cpuNs < 0 ? -1 : end.cpuNs - start.cpuNs,
                end.wallNs - start.wallNs);
    }
}
