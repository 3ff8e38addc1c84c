package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FeaturesTest {

    /** What QEMU's virtio-net offers on its modern interface (bits from a guest's sysfs features file). */
    private static final long QEMU_MODERN = 0x1_3079_bfe7L;

    @Test
    void modernNegotiatesMacStatusAndVersion1Only() {
        assertEquals(Features.MAC | Features.STATUS | Features.VERSION_1, Features.negotiate(QEMU_MODERN, true));
    }

    @Test
    void legacyNegotiatesMacStatusAndAnyLayout() {
        long offered = (QEMU_MODERN & 0xffff_ffffL) | Features.ANY_LAYOUT;
        assertEquals(Features.MAC | Features.STATUS | Features.ANY_LAYOUT, Features.negotiate(offered, false));
    }

    @Test
    void nothingIsAcceptedThatIsNotOffered() {
        assertEquals(Features.VERSION_1, Features.negotiate(Features.VERSION_1 | Features.MQ, true));
        assertEquals("MAC,STATUS,VERSION_1", Features.describe(Features.MAC | Features.STATUS | Features.VERSION_1));
    }
}
