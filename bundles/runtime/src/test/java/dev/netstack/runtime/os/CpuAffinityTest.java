package dev.netstack.runtime.os;

import static org.junit.jupiter.api.Assertions.*;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class CpuAffinityTest {

    @Test
    void parsesLinuxCpuLists() {
        assertArrayEquals(new int[] {2}, CpuAffinity.parseList("2"));
        assertArrayEquals(new int[] {0, 2}, CpuAffinity.parseList("0,2"));
        assertArrayEquals(new int[] {4, 5, 6, 7}, CpuAffinity.parseList("4-7"));
        assertArrayEquals(new int[] {0, 1, 6}, CpuAffinity.parseList(" 0-1, 6 "));
        assertArrayEquals(new int[0], CpuAffinity.parseList(""));
    }

    @Test
    void rejectsMalformedLists() {
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parseList("3-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parseList("1,,2"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parseList("-1"));
        assertThrows(IllegalArgumentException.class, () -> CpuAffinity.parseList("1024"));
    }

    @Test
    void pinsTheCallingThreadOnly() throws Exception {
        BitSet process = CpuAffinity.allowed();
        assertFalse(process.isEmpty());
        int cpu = process.nextSetBit(0);
        BitSet[] inThread = new BitSet[1];
        Thread t = Thread.ofPlatform().start(() -> {
            CpuAffinity.pinCurrentThread(cpu);
            inThread[0] = CpuAffinity.allowed();
        });
        t.join();
        BitSet expected = new BitSet();
        expected.set(cpu);
        assertEquals(expected, inThread[0]);
        assertEquals(process, CpuAffinity.allowed(), "the test thread keeps its own mask");
    }

    @Test
    void aCpuOutsideTheProcessSetIsRefusedWithEinval() {
        BitSet process = CpuAffinity.allowed();
        int absent = process.nextClearBit(0);
        ErrnoException[] failure = new ErrnoException[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                CpuAffinity.pinCurrentThread(absent);
            } catch (ErrnoException e) {
                failure[0] = e;
            }
        });
        assertDoesNotThrow(() -> t.join());
        assertNotNull(failure[0], "CPU " + absent + " is not in " + process);
        assertEquals(Linux.EINVAL, failure[0].errno());
    }
}
