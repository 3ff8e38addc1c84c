package dev.netstack.runtime.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calls added for the PCI drivers: pread/pwrite/lseek/ftruncate, mmap/munmap/mlock. */
class LinuxMemoryCallsTest {

    private final Linux linux = new Linux();

    @TempDir
    Path dir;

    @Test
    void preadAndPwriteUseTheGivenOffsetAndLeaveTheFilePosition() throws IOException {
        Path file = dir.resolve("f");
        int fd = ErrnoException.check(linux.open(file.toString(), Linux.O_RDWR | Linux.O_CREAT, 0600), "open");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment word = arena.allocate(8);
            assertEquals(0, linux.ftruncate(fd, 16));
            word.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0x11223344);
            assertEquals(4, linux.pwrite(fd, word.address(), 4, 8));
            assertEquals(0, linux.lseek(fd, 0, 1)); // SEEK_CUR: untouched
            word.set(ValueLayout.JAVA_INT_UNALIGNED, 0, 0);
            assertEquals(2, linux.pread(fd, word.address(), 2, 9));
            assertEquals(0x2233, word.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xffff);
            assertEquals(16, Files.size(file));
        } finally {
            linux.close(fd);
        }
        assertEquals(-Linux.EBADF, linux.pread(-1, 0, 1, 0));
    }

    @Test
    void mapsLocksAndUnmapsAnonymousMemory() {
        long size = 1 << 16;
        long at = linux.mmap(0, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS,
                -1, 0);
        assertTrue(at > 0);
        MemorySegment s = MemorySegment.ofAddress(at).reinterpret(size);
        s.set(ValueLayout.JAVA_LONG, size - 8, 7L);
        assertEquals(7L, s.get(ValueLayout.JAVA_LONG, size - 8));
        int locked = linux.mlock(at, size);
        assertTrue(locked == 0 || locked == -Linux.ENOMEM || locked == -Linux.EPERM, "mlock: " + locked);
        if (locked == 0) {
            assertEquals(0, linux.munlock(at, size));
        }
        assertEquals(0, linux.munmap(at, size));
        assertEquals(-Linux.EINVAL, linux.mmap(0, 0, Linux.PROT_READ, Linux.MAP_PRIVATE | Linux.MAP_ANONYMOUS, -1, 0));
    }
}
