package dev.netstack.nic.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DmaMemoryTest {

    @TempDir
    Path dir;

    @Test
    void noFreeHugepagesIsOneSentenceSayingWhatToDo() throws IOException {
        Path free = Files.writeString(dir.resolve("free_hugepages"), "0\n");
        PciException e = assertThrows(PciException.class, () -> DmaMemory.allocate(8 << 20, dir, free));
        assertEquals(PciException.Reason.NO_HUGEPAGES, e.reason());
        assertEquals("No free 2 MiB hugepages for 4 pages (0 free): echo 64 > /proc/sys/vm/nr_hugepages (as root).",
                e.getMessage());
    }

    @Test
    void aMissingHugetlbfsIsOneSentence() throws IOException {
        Path free = Files.writeString(dir.resolve("free_hugepages"), "64\n");
        PciException e = assertThrows(PciException.class,
                () -> DmaMemory.allocate(2 << 20, dir.resolve("no-such-mount"), free));
        assertEquals(PciException.Reason.NO_HUGEPAGES, e.reason());
        assertTrue(e.getMessage().startsWith("No hugetlbfs is mounted at "), e.getMessage());
        assertTrue(e.getMessage().contains("mount -t hugetlbfs"));
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> DmaMemory.allocate(0, dir));
    }

    /** Runs where hugepages are set up (the QEMU guest, CI hosts with nr_hugepages > 0), as root. */
    @Test
    void allocatesLockedHugepagesWithPhysicalAddresses() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(Files.exists(DmaMemory.FREE_HUGEPAGES)
                && Long.parseLong(Files.readString(DmaMemory.FREE_HUGEPAGES).trim()) >= 2, "no free hugepages");
        assumeTrue(DmaMemory.findHugetlbfs() != null, "no hugetlbfs mounted");
        try (DmaMemory memory = DmaMemory.allocate(3 << 20, null)) {
            assertEquals(4 << 20, memory.segment().byteSize());
            assertEquals(2 << 20, memory.contiguousChunkBytes());
            assertNotEquals(0, memory.ioAddress(0));
            assertEquals(0, memory.ioAddress(0) % (2 << 20), "hugepages are 2 MiB aligned physically");
            assertEquals(memory.ioAddress(0) + 4096, memory.ioAddress(4096));
            memory.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, (2 << 20) + 8, 42L);
        }
    }
}
