package dev.netstack.nic.ixgbe.model;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.MacAddress;
import dev.netstack.nic.ixgbe.DmaAllocator;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The model's own semantics, driven register by register without the driver. */
class Model82599Test {

    private static final long MAC = MacAddress.parse("02:00:5e:82:59:01");
    private final ModelDma dma = new ModelDma();
    private final Model82599 m = new Model82599(dma, MAC);

    @AfterEach
    void close() {
        dma.close();
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void resetSelfClearsAfterItsDelayAndSetsTheDoneBits() {
        m.resetDelayNs = 5_000_000;
        m.set32(0x0, 0x0400_0000);
        assertNotEquals(0, m.get32(0x0) & 0x0400_0000, "still resetting");
        assertEquals(0, m.get32(0x10010) & 0x200, "EEC.AUTO_RD clear during reset");
        assertEquals(0, m.get32(0x2F00) & 0x8, "RDRXCTL.DMAIDONE clear during reset");
        sleepMs(10);
        assertEquals(0, m.get32(0x0) & 0x0400_0000);
        assertNotEquals(0, m.get32(0x10010) & 0x200);
        assertNotEquals(0, m.get32(0x2F00) & 0x8);
    }

    @Test
    void resetThatNeverCompletesKeepsTheBitSet() {
        m.resetNeverCompletes = true;
        m.resetDelayNs = 0;
        m.set32(0x0, 0x0400_0000);
        sleepMs(2);
        assertNotEquals(0, m.get32(0x0) & 0x0400_0000);
    }

    @Test
    void linkComesUpAfterAnRestartAtTheSpeedLmsSelects() {
        m.linkDelayNs = 2_000_000;
        assertEquals(0, m.get32(0x42A4));
        m.set32(0x42A0, 0x3 << 13 | 0x1000);
        assertEquals(0, m.get32(0x42A0) & 0x1000, "Restart_AN self-clears");
        assertEquals(0, m.get32(0x42A4) & 0x4000_0000);
        sleepMs(5);
        assertEquals(0x4000_0000 | 0x3000_0000, m.get32(0x42A4), "up at 10 Gb/s");
        m.set32(0x42A0, 0x1000); // LMS 000b
        sleepMs(5);
        assertEquals(0x4000_0000 | 0x2000_0000, m.get32(0x42A4), "up at 1 Gb/s");
    }

    @Test
    void queueEnableReadsBackOnTheSecondRead() {
        m.set32(0x1028, 0x0200_0000);
        assertEquals(0, m.get32(0x1028) & 0x0200_0000);
        assertNotEquals(0, m.get32(0x1028) & 0x0200_0000);
        m.set32(0x6028 + 0x40, 0x0200_0000);
        assertEquals(0, m.get32(0x6028 + 0x40) & 0x0200_0000);
        assertNotEquals(0, m.get32(0x6028 + 0x40) & 0x0200_0000);
    }

    @Test
    void macComesFromTheEepromInRegisterByteOrder() {
        assertEquals(0x825E0002, m.get32(0xA200));
        assertEquals(0x8000_0159, m.get32(0xA204));
    }

    @Test
    void fullRingWithoutDropEnableCountsMissedPacketsAndStatisticsClearOnRead() {
        m.set32(0x42A0, 0x3 << 13 | 0x1000);
        m.linkDelayNs = 0;
        m.get32(0x42A4);
        DmaAllocator.Region ring = dma.allocate(128 * 16, 128);
        DmaAllocator.Region buffers = dma.allocate(128 * 2048, 4096);
        for (int i = 0; i < 128; i++) {
            ring.segment().set(ValueLayout.JAVA_LONG, i * 16L, buffers.ioAddress() + i * 2048L);
        }
        m.set32(0x4240, 0x2); // HLREG0.RXCRCSTRP
        m.set32(0x2F00, m.get32(0x2F00) | 0x2); // RDRXCTL.CRCStrip
        m.set32(0x1014, 0x0200_0002); // SRRCTL: advanced one buffer, 2 KB, no Drop_En
        m.set32(0x1000, (int) ring.ioAddress());
        m.set32(0x1004, (int) (ring.ioAddress() >>> 32));
        m.set32(0x1008, 128 * 16);
        m.set32(0x1028, 0x0200_0000);
        m.set32(0x1018, 3); // three descriptors for the device
        m.set32(0x3000, 1); // RXEN
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(100);
            f.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0, (int) (MAC >>> 16));
            f.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, (short) MAC);
            for (int i = 0; i < 5; i++) {
                m.receiveFrame(f, 0, 100);
            }
        }
        assertEquals(3, m.rxHead(0));
        assertEquals(3, ring.segment().get(ValueLayout.JAVA_INT, 8) & 0x3, "DD and EOP written back");
        assertEquals(100, ring.segment().get(ValueLayout.JAVA_SHORT, 12));
        assertEquals(2, m.get32(0x3FA0), "MPC[0]");
        assertEquals(0, m.get32(0x3FA0), "cleared by the read");
        assertEquals(3, m.get32(0x4074), "GPRC");
        assertEquals(0, m.get32(0x4074));
        assertEquals(3 * 104, m.get32(0x4088), "GORCL");
        assertEquals(0, m.get32(0x408C), "GORCH, clears the pair");
        assertEquals(0, m.get32(0x4088));
    }

    @Test
    void dmaOutsideTheDriversMemoryFailsLoudly() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dma.region(0x1000, 64));
        assertTrue(e.getMessage().contains("outside every DMA region"));
    }

    @Test
    void ringLengthMustBeAMultipleOf128Bytes() {
        assertThrows(IllegalStateException.class, () -> m.set32(0x1008, 100));
        assertThrows(IllegalStateException.class, () -> m.set32(0x6008, 200));
    }
}
