package dev.netstack.runtime.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.BitSet;

/**
 * CPU affinity of threads (sched_setaffinity(2), sched_getaffinity(2)), for pinning shard threads.
 * Control path: each call allocates a 128-byte {@code cpu_set_t} (1,024 CPUs) in a confined arena.
 */
public final class CpuAffinity {

    /** CPUs a {@code cpu_set_t} of glibc's default size describes. */
    public static final int MAX_CPUS = 1024;

    private static final long MASK_BYTES = MAX_CPUS / 8;

    private CpuAffinity() {
    }

    /** The CPUs the calling thread may run on (for a new thread: those of the process). */
    public static BitSet allowed() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            ErrnoException.check(new Linux().schedGetaffinity(0, MASK_BYTES, mask.address()), "sched_getaffinity");
            return BitSet.valueOf(mask.toArray(ValueLayout.JAVA_LONG));
        }
    }

    /**
     * Restricts the calling thread to {@code cpu}.
     *
     * @throws ErrnoException if the kernel refuses (EINVAL: the CPU is offline or outside the
     *     process's cpuset)
     * @throws IllegalArgumentException if {@code cpu} is negative or not below {@link #MAX_CPUS}
     */
    public static void pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new IllegalArgumentException("CPU " + cpu + " is outside 0.." + (MAX_CPUS - 1));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES, 8);
            long word = 1L << (cpu % 64);
            mask.set(ValueLayout.JAVA_LONG, (cpu / 64) * 8L, word);
            ErrnoException.check(new Linux().schedSetaffinity(0, MASK_BYTES, mask.address()),
                    "sched_setaffinity to CPU " + cpu);
        }
    }

    /**
     * Parses a CPU list as Linux writes them ({@code "2"}, {@code "0,2"}, {@code "4-7"},
     * {@code "0-1,6"}) into CPU numbers in the order given, ranges ascending.
     *
     * @throws IllegalArgumentException with one sentence if the list is malformed
     */
    public static int[] parseList(String list) {
        String text = list.strip();
        if (text.isEmpty()) {
            return new int[0];
        }
        java.util.List<Integer> cpus = new java.util.ArrayList<>();
        for (String part : text.split(",")) {
            String item = part.strip();
            try {
                int dash = item.indexOf('-');
                if (dash < 0) {
                    cpus.add(checked(Integer.parseInt(item), list));
                } else {
                    int from = checked(Integer.parseInt(item.substring(0, dash).strip()), list);
                    int to = checked(Integer.parseInt(item.substring(dash + 1).strip()), list);
                    if (to < from) {
                        throw new IllegalArgumentException("CPU range " + item + " runs backwards in \"" + list + "\"");
                    }
                    for (int cpu = from; cpu <= to; cpu++) {
                        cpus.add(cpu);
                    }
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("\"" + list + "\" is not a CPU list such as 0,2 or 4-7");
            }
        }
        return cpus.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int checked(int cpu, String list) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new IllegalArgumentException("CPU " + cpu + " in \"" + list + "\" is outside 0.." + (MAX_CPUS - 1));
        }
        return cpu;
    }
}
