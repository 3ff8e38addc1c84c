package dev.netstack.nic.pci;

import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.pci.PciException.Reason;
import dev.netstack.runtime.os.Linux;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Packet memory a PCI device reaches by DMA: 2 MiB hugepages from a hugetlbfs mount, mapped
 * shared, populated and locked, with each page's physical address read from
 * {@code /proc/self/pagemap} (the kernel's Documentation/admin-guide/mm/pagemap.rst).
 *
 * <p>A hugepage is physically contiguous and never moves while mapped (hugetlbfs pages are not
 * migrated while locked), so {@link #contiguousChunkBytes()} is 2 MiB and a buffer never spans two
 * pages. Physical addresses equal DMA addresses only without an IOMMU (a QEMU guest without a
 * vIOMMU, or a host with the IOMMU off or in passthrough); VFIO, which maps I/O virtual addresses
 * through the IOMMU, is not implemented.
 *
 * <p>Reading physical addresses needs CAP_SYS_ADMIN: without it the kernel reports frame 0.
 */
public final class DmaMemory implements PacketMemory, AutoCloseable {

    /** Size of the hugepages used, and of each physically contiguous chunk. */
    public static final long HUGEPAGE_BYTES = 2L << 20;
    /** The kernel's count of free 2 MiB hugepages. */
    public static final Path FREE_HUGEPAGES = Path.of("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");

    private static final long PAGEMAP_PRESENT = 1L << 63;
    private static final long PAGEMAP_PFN_MASK = (1L << 55) - 1;
    private static final long SMALL_PAGE = 4096;
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final MemorySegment segment;
    private final long[] physical;
    private final long address;
    private final long bytes;
    private boolean closed;

    private DmaMemory(long address, long bytes, long[] physical) {
        this.address = address;
        this.bytes = bytes;
        this.segment = MemorySegment.ofAddress(address).reinterpret(bytes);
        this.physical = physical;
    }

    /**
     * Allocates at least {@code bytes} (rounded up to whole hugepages) from the hugetlbfs mounted at
     * {@code mount}, or from the first hugetlbfs in {@code /proc/mounts} if {@code mount} is null.
     *
     * @throws PciException with a one-sentence message if no hugetlbfs is mounted, too few
     *         hugepages are free, or physical addresses cannot be read
     */
    public static DmaMemory allocate(long bytes, Path mount) {
        return allocate(bytes, mount, FREE_HUGEPAGES);
    }

    /** As {@link #allocate(long, Path)}, reading the free hugepage count from {@code freeHugepages}. */
    public static DmaMemory allocate(long bytes, Path mount, Path freeHugepages) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("DMA memory size must be positive, got " + bytes);
        }
        long pages = (bytes + HUGEPAGE_BYTES - 1) / HUGEPAGE_BYTES;
        long size = pages * HUGEPAGE_BYTES;
        long free = freeHugepages(freeHugepages);
        if (free < pages) {
            throw noHugepages(pages, free);
        }
        Path dir = mount != null ? mount : findHugetlbfs();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new PciException(Reason.NO_HUGEPAGES, "No hugetlbfs is mounted" + (dir == null ? "" : " at " + dir)
                    + ": mount -t hugetlbfs none /dev/hugepages (or configure the mount point).");
        }
        Linux linux = new Linux();
        Path file = dir.resolve("netstack-dma-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
        int fd = linux.open(file.toString(), Linux.O_RDWR | Linux.O_CREAT | Linux.O_CLOEXEC, 0600);
        if (fd < 0) {
            throw PciException.failed("create a hugepage file", file.toString(), -fd);
        }
        long address = -1;
        try {
            int r = linux.ftruncate(fd, size);
            if (r < 0) {
                throw noHugepages(pages, free);
            }
            address = linux.mmap(0, size, Linux.PROT_READ | Linux.PROT_WRITE, Linux.MAP_SHARED | Linux.MAP_POPULATE,
                    fd, 0);
            if (address < 0) {
                throw noHugepages(pages, free);
            }
            r = linux.mlock(address, size);
            if (r < 0) {
                throw PciException.failed("lock", "DMA memory in " + dir, -r);
            }
            MemorySegment memory = MemorySegment.ofAddress(address).reinterpret(size);
            memory.fill((byte) 0); // touch every page: present from here on
            long[] physical = physicalAddresses(linux, address, pages);
            DmaMemory dma = new DmaMemory(address, size, physical);
            address = -1;
            return dma;
        } finally {
            if (address >= 0) {
                linux.munmap(address, size);
            }
            linux.close(fd);
            try {
                Files.deleteIfExists(file); // the mapping keeps the pages until munmap
            } catch (IOException ignored) {
                // hugetlbfs files are removed by the next boot at the latest
            }
        }
    }

    private static PciException noHugepages(long needed, long free) {
        return new PciException(Reason.NO_HUGEPAGES, "No free 2 MiB hugepages for " + needed + " pages (" + free
                + " free): echo " + Math.max(needed, 64) + " > /proc/sys/vm/nr_hugepages (as root).");
    }

    private static long freeHugepages(Path count) {
        try {
            return Long.parseLong(Files.readString(count).trim());
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** The first hugetlbfs mount point in /proc/mounts, or {@code /dev/hugepages} if there is none. */
    public static Path findHugetlbfs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("hugetlbfs")) {
                    return Path.of(f[1]);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** Physical address of each hugepage, from one pagemap entry (8 bytes per 4 KiB page) each. */
    private static long[] physicalAddresses(Linux linux, long address, long pages) {
        String path = "/proc/self/pagemap";
        int fd = linux.open(path, Linux.O_RDONLY | Linux.O_CLOEXEC);
        if (fd < 0) {
            throw PciException.failed("read physical addresses from", path, -fd);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment entry = arena.allocate(8, 8);
            long[] physical = new long[(int) pages];
            for (int i = 0; i < pages; i++) {
                long virtual = address + i * HUGEPAGE_BYTES;
                int n = linux.pread(fd, entry.address(), 8, virtual / SMALL_PAGE * 8);
                if (n != 8) {
                    throw PciException.failed("read physical addresses from", path, n < 0 ? -n : Linux.EIO);
                }
                long e = entry.get(ValueLayout.JAVA_LONG, 0);
                long pfn = e & PAGEMAP_PFN_MASK;
                if ((e & PAGEMAP_PRESENT) == 0 || pfn == 0) {
                    throw new PciException(Reason.NOT_PERMITTED, "/proc/self/pagemap shows no physical addresses:"
                            + " run as root (reading them needs CAP_SYS_ADMIN).");
                }
                physical[i] = pfn * SMALL_PAGE + virtual % SMALL_PAGE;
            }
            return physical;
        } finally {
            linux.close(fd);
        }
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    /** Physical (DMA) address of the byte at {@code offset}. */
    @Override
    public long ioAddress(long offset) {
        return physical[(int) (offset / HUGEPAGE_BYTES)] + offset % HUGEPAGE_BYTES;
    }

    @Override
    public long contiguousChunkBytes() {
        return HUGEPAGE_BYTES;
    }

    /** Unmaps the pages. Reset every device that may still write into them first. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            new Linux().munmap(address, bytes);
        }
    }

    @Override
    public String toString() {
        return "DmaMemory[" + bytes / HUGEPAGE_BYTES + " x 2 MiB at 0x" + Long.toHexString(physical[0]) + "]";
    }
}
