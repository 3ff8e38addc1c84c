package dev.netstack.nic.ixgbe;

import dev.netstack.nic.PacketMemory;
import java.lang.foreign.MemorySegment;

/**
 * Memory a device reaches by DMA: descriptor rings and packet pools. Every region is physically
 * (or, behind an IOMMU, I/O-virtually) contiguous and has one I/O address, the address the device
 * uses for its first byte.
 *
 * <p>Production implementations (hugepages with pagemap, or VFIO) come from nic-pci; tests use the
 * model's allocator, whose I/O addresses deliberately differ from virtual addresses so that a
 * driver writing a virtual address into a descriptor is caught.
 */
public interface DmaAllocator extends AutoCloseable {

    /** A contiguous DMA region: the memory as the CPU sees it, and where the device finds it. */
    record Region(MemorySegment segment, long ioAddress) {
    }

    /**
     * Allocates {@code bytes} of zeroed, contiguous DMA memory aligned to {@code alignment} bytes
     * (a power of two) in both views.
     *
     * @throws IllegalStateException if the memory cannot be had (one sentence, says what to do)
     */
    Region allocate(long bytes, long alignment);

    /**
     * Memory for a {@link dev.netstack.nic.PacketPool} of {@code bytes}. The default is one
     * contiguous region; implementations with smaller contiguous chunks (2 MiB hugepages) override
     * this and report the chunk size in {@link PacketMemory#contiguousChunkBytes()}.
     */
    default PacketMemory packetMemory(long bytes) {
        Region region = allocate(bytes, 4096);
        return new PacketMemory() {
            @Override
            public MemorySegment segment() {
                return region.segment();
            }

            @Override
            public long ioAddress(long offset) {
                return region.ioAddress() + offset;
            }
        };
    }

    /** Frees every region this allocator handed out. The device must be reset before. */
    @Override
    void close();
}
