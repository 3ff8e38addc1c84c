package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FeaturesTest {

    /** What QEMU 7.2's virtio-net offered on its modern interface, as logged by VirtioDevice in the guest. */
    private static final long QEMU_MODERN = 0x101_30bf_ffa7L;
    /** What it offered on its legacy interface. */
    private static final long QEMU_LEGACY = 0x79bf_ffe7L;

    @Test
    void modernNegotiatesMacStatusChecksumsMergeableBuffersAndVersion1() {
        assertEquals(Features.MAC | Features.STATUS | Features.CSUM | Features.GUEST_CSUM | Features.MRG_RXBUF
                | Features.VERSION_1,
                Features.negotiate(QEMU_MODERN, true));
    }

    @Test
    void legacyNegotiatesMacStatusChecksumsMergeableBuffersAndAnyLayout() {
        assertEquals(Features.MAC | Features.STATUS | Features.CSUM | Features.GUEST_CSUM | Features.MRG_RXBUF
                | Features.ANY_LAYOUT,
                Features.negotiate(QEMU_LEGACY, false));
    }

    @Test
    void nothingIsAcceptedThatIsNotOffered() {
        assertEquals(Features.VERSION_1, Features.negotiate(Features.VERSION_1 | Features.MQ, true));
        assertEquals("MAC,STATUS,VERSION_1", Features.describe(Features.MAC | Features.STATUS | Features.VERSION_1));
    }

    @Test
    void headerHasNumBuffersWithVersion1OrMergeableBuffers() {
        assertEquals(10, Features.headerBytes(Features.negotiate(Features.MAC | Features.ANY_LAYOUT, false)));
        assertEquals(12, Features.headerBytes(Features.negotiate(Features.MAC | Features.MRG_RXBUF, false)));
        assertEquals(12, Features.headerBytes(Features.negotiate(QEMU_LEGACY, false)));
        assertEquals(12, Features.headerBytes(Features.negotiate(Features.VERSION_1, true)));
        assertEquals(12, Features.headerBytes(Features.negotiate(QEMU_MODERN, true)));
    }

    @Test
    void multiqueueOnlyWhenWantedAndOfferedWithTheControlQueue() {
        long both = Features.VERSION_1 | Features.MQ | Features.CTRL_VQ;
        assertEquals(both, Features.negotiate(both, true, true));
        assertEquals(Features.VERSION_1, Features.negotiate(both, true, false));
        assertEquals(Features.VERSION_1, Features.negotiate(Features.VERSION_1 | Features.MQ, true, true));
        // QEMU's virtio-net-pci offers CTRL_VQ but not MQ unless started with mq=on
        assertEquals(Features.negotiate(QEMU_MODERN, true), Features.negotiate(QEMU_MODERN, true, true));
        assertEquals(Features.MQ | Features.CTRL_VQ,
                Features.negotiate(QEMU_LEGACY | Features.MQ, false, true) & (Features.MQ | Features.CTRL_VQ));
    }

    @Test
    void rssOnlyWithMultiqueueAndTheControlQueue() {
        long all = Features.VERSION_1 | Features.MQ | Features.CTRL_VQ | Features.RSS;
        assertEquals(all, Features.negotiate(all, true, true));
        assertEquals(Features.VERSION_1, Features.negotiate(all, true, false));
        assertEquals(Features.VERSION_1, Features.negotiate(Features.VERSION_1 | Features.RSS | Features.CTRL_VQ, true,
                true));
        assertEquals(1L << 60, Features.RSS);
        assertEquals("MQ,VERSION_1,RSS", Features.describe(Features.MQ | Features.VERSION_1 | Features.RSS));
    }
}
