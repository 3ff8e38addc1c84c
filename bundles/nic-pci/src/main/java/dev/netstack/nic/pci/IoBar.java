package dev.netstack.nic.pci;

import dev.netstack.runtime.os.Linux;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An I/O port BAR reached through pread/pwrite of 1, 2 or 4 bytes on its sysfs {@code resourceN}
 * file (the kernel turns each into one inb/outb, inw/outw or inl/outl). Little-endian, like the
 * ports. Used from one thread at a time: it owns a small scratch buffer and its errno capture.
 * Reads and writes allocate nothing; a failed access reads as all ones, as a missing device does.
 */
public final class IoBar implements AutoCloseable {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private final Linux linux = new Linux();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment scratch = arena.allocate(8, 8);
    private final long scratchAddress = scratch.address();
    private final String path;
    private final long size;
    private int fd;
    private long errors;

    private IoBar(String path, int fd, long size) {
        this.path = path;
        this.fd = fd;
        this.size = size;
    }

    static IoBar open(String path, long size) {
        Linux linux = new Linux();
        int fd = linux.open(path, Linux.O_RDWR | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw PciException.failed("open", path, -fd);
        }
        return new IoBar(path, fd, size);
    }

    public long size() {
        return size;
    }

    /** Accesses that failed (the kernel refused a read or write). */
    public long errors() {
        return errors;
    }

    public int read8(long offset) {
        return read(offset, 1) & 0xff;
    }

    public int read16(long offset) {
        return read(offset, 2) & 0xffff;
    }

    public int read32(long offset) {
        return read(offset, 4);
    }

    public void write8(long offset, int value) {
        scratch.set(ValueLayout.JAVA_BYTE, 0, (byte) value);
        write(offset, 1);
    }

    public void write16(long offset, int value) {
        scratch.set(SHORT, 0, (short) value);
        write(offset, 2);
    }

    public void write32(long offset, int value) {
        scratch.set(INT, 0, value);
        write(offset, 4);
    }

    private int read(long offset, int bytes) {
        scratch.set(INT, 0, 0);
        if (linux.pread(fd, scratchAddress, bytes, offset) != bytes) {
            errors++;
            return -1;
        }
        return scratch.get(INT, 0);
    }

    private void write(long offset, int bytes) {
        if (linux.pwrite(fd, scratchAddress, bytes, offset) != bytes) {
            errors++;
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            linux.close(fd);
            fd = -1;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "IoBar[" + path + ", " + size + " ports]";
    }
}
