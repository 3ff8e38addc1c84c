package dev.netstack.nic.ixgbe.internal;

import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.ixgbe.DmaAllocator;
import dev.netstack.nic.ixgbe.IxgbeException;
import dev.netstack.nic.pci.DmaMemory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * DMA memory from nic-pci's hugepages: each descriptor ring gets a 2 MiB hugepage of its own (one
 * physically contiguous page, so a ring never crosses a discontinuity), each pool a run of
 * hugepages whose buffers never span two pages. Physical addresses serve as DMA addresses, so this
 * needs root and no IOMMU in the way (see {@link DmaMemory}).
 */
public final class HugepageDma implements DmaAllocator {

    private final Path mount;
    private final List<DmaMemory> regions = new ArrayList<>();

    /** Hugepages from the hugetlbfs at {@code mount}, or the first one mounted if null. */
    public HugepageDma(Path mount) {
        this.mount = mount;
    }

    @Override
    public synchronized Region allocate(long bytes, long alignment) {
        if (bytes > DmaMemory.HUGEPAGE_BYTES || alignment > DmaMemory.HUGEPAGE_BYTES) {
            throw new IxgbeException(IxgbeException.Reason.SYSTEM, "A DMA region of " + bytes
                    + " bytes does not fit in one 2 MiB hugepage: use smaller rings.");
        }
        DmaMemory memory = DmaMemory.allocate(bytes, mount);
        regions.add(memory);
        // A hugepage starts 2 MiB-aligned in both views, which covers any alignment asked for.
        return new Region(memory.segment().asSlice(0, bytes), memory.ioAddress(0));
    }

    @Override
    public synchronized PacketMemory packetMemory(long bytes) {
        DmaMemory memory = DmaMemory.allocate(bytes, mount);
        regions.add(memory);
        return memory;
    }

    @Override
    public synchronized void close() {
        for (DmaMemory memory : regions) {
            memory.close();
        }
        regions.clear();
    }
}
