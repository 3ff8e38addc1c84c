package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Transmit checksum offload through an advanced context descriptor, checked by the model's own insertion. */
class TxChecksumOffloadTest {

    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int SRC = 0xC612_0002, DST = 0xC612_0001;

    private final List<byte[]> wire = new ArrayList<>();

    /** A correct frame into {@code b}; then its L4 checksum replaced by the pseudo-header sum, as a stack asking for offload leaves it. */
    private static int partial(PacketBuffer b, int protocol, int payload, int seq, byte[] expected) {
        int len = Frames.ipv4(b.segment(), b.offset(), Rig.PEER_MAC, Rig.DEVICE_MAC, protocol, SRC, DST, 40000, 80,
                payload, seq);
        b.setData(b.offset(), len);
        MemorySegment.copy(b.segment(), ValueLayout.JAVA_BYTE, b.offset(), expected, 0, len);
        int field = 34 + (protocol == 6 ? 16 : 6);
        long pseudo = (SRC >>> 16) + (SRC & 0xFFFF) + (DST >>> 16) + (DST & 0xFFFF) + protocol + (len - 34);
        while ((pseudo >>> 16) != 0) {
            pseudo = (pseudo & 0xFFFF) + (pseudo >>> 16);
        }
        b.segment().set(S, b.offset() + field, (short) pseudo);
        b.setNetworkOffset(b.offset() + 14);
        b.setChecksumRequest(34, protocol == 6 ? 16 : 6);
        return len;
    }

    @Test
    void deviceInsertsTcpAndUdpChecksumsUnderOneContextPerChange() {
        try (Rig rig = new Rig().open(Rig.settings())) {
            assertTrue(rig.device.capabilities().has(DeviceCapabilities.OFFLOAD_TX_CHECKSUM));
            rig.model.connect((frame, offset, length) -> {
                byte[] copy = new byte[length];
                MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, offset, copy, 0, length);
                wire.add(copy);
            });
            PacketBatch batch = new PacketBatch(8);
            List<byte[]> expected = new ArrayList<>();
            int[] protocols = {6, 6, 6, 17, 17, 6};
            for (int i = 0; i < protocols.length; i++) {
                PacketBuffer b = rig.device.pool(0).allocate();
                byte[] e = new byte[2048];
                int len = partial(b, protocols[i], 100 + i * 7, i, e);
                expected.add(java.util.Arrays.copyOf(e, len));
                batch.add(b);
            }
            assertEquals(6, rig.device.transmit(0, batch));
            assertEquals(6, wire.size());
            for (int i = 0; i < 6; i++) {
                assertArrayEquals(expected.get(i), wire.get(i), "frame " + i + " with the checksum a full computation gives");
            }
            // contexts: TCP, then UDP, then TCP again: 3 context descriptors + 6 data descriptors
            assertEquals(9, rig.model.txHead(0));
        }
    }

    @Test
    void requestsTheDeviceCannotTakeAreComputedInSoftware() {
        try (Rig rig = new Rig().open(Rig.settings())) {
            rig.model.connect((frame, offset, length) -> {
                byte[] copy = new byte[length];
                MemorySegment.copy(frame, ValueLayout.JAVA_BYTE, offset, copy, 0, length);
                wire.add(copy);
            });
            PacketBuffer b = rig.device.pool(0).allocate();
            byte[] e = new byte[2048];
            int len = partial(b, 6, 64, 9, e);
            // the same request, but with a network offset that leaves an IP header under 20 bytes,
            // which a context descriptor cannot describe: the driver sums in software instead
            b.setNetworkOffset(b.offset() + 30);
            PacketBatch batch = new PacketBatch(1);
            batch.add(b);
            assertEquals(1, rig.device.transmit(0, batch));
            assertArrayEquals(java.util.Arrays.copyOf(e, len), wire.get(0));
            assertEquals(1, rig.model.txHead(0), "no context descriptor");
        }
    }

    @Test
    void checksummedFramesRoundTripWithTheVerifiedFlag() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            // loop the model's wire back into its own receive path, addressed to the device
            rig.model.connect((frame, offset, length) -> {
                MemorySegment copy = arena.allocate(length);
                MemorySegment.copy(frame, offset, copy, 0, length);
                Frames.mac(copy, 0, Rig.DEVICE_MAC);
                rig.model.receiveFrame(copy, 0, length);
            });
            PacketBuffer b = rig.device.pool(0).allocate();
            partial(b, 17, 300, 5, new byte[2048]);
            PacketBatch batch = new PacketBatch(2);
            batch.add(b);
            assertEquals(1, rig.device.transmit(0, batch));
            batch.clear();
            assertEquals(1, rig.device.receive(0, batch));
            assertTrue(batch.get(0).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
            batch.releaseAll();
        }
    }
}
