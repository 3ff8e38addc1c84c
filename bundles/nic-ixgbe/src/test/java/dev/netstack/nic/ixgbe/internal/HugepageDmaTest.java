package dev.netstack.nic.ixgbe.internal;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.ixgbe.IxgbeException;
import org.junit.jupiter.api.Test;

class HugepageDmaTest {

    @Test
    void refusesRegionsLargerThanOneHugepageBeforeAllocating() {
        try (HugepageDma dma = new HugepageDma(null)) {
            IxgbeException e = assertThrows(IxgbeException.class, () -> dma.allocate(4L << 20, 128));
            assertEquals("A DMA region of 4194304 bytes does not fit in one 2 MiB hugepage: use smaller rings.",
                    e.getMessage());
        }
    }
}
