package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.ixgbe.model.Model82599;
import dev.netstack.nic.ixgbe.model.ModelPort;
import dev.netstack.test.MemoryLink;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class IxgbeDeviceTest {

    @Test
    void initialisesAgainstTheModel() {
        try (Rig rig = new Rig().open(Rig.settings())) {
            IxgbeDevice d = rig.device;
            assertTrue(d.isLinkUp());
            assertEquals(10_000, d.linkSpeedMbps());
            assertEquals(Rig.DEVICE_MAC, d.macAddress());
            assertEquals(0, rig.model.interruptMask(), "interrupts stay masked");
            assertEquals(0, rig.model.rxHead(0));
            assertEquals(63, rig.model.rxTail(0), "all descriptors but one handed to the device");
            assertEquals(0, rig.model.txTail(0));
            assertEquals(1500, d.mtu());
            assertTrue(d.capabilities().has(DeviceCapabilities.OFFLOAD_RX_CHECKSUM));
            assertTrue(d.capabilities().has(DeviceCapabilities.OFFLOAD_TX_CHECKSUM));
            assertFalse(d.capabilities().has(DeviceCapabilities.OFFLOAD_TSO));
            assertEquals(64, d.pool(0).inUse(), "the RX ring holds its buffers");
        }
    }

    @Test
    void resetThatNeverCompletesFailsWithAClearErrorAfterABoundedWait() {
        try (Rig rig = new Rig()) {
            rig.model.resetNeverCompletes = true;
            long start = System.nanoTime();
            IxgbeException e = assertThrows(IxgbeException.class,
                    () -> rig.open(Rig.settings().withTimeouts(50_000_000L, 50_000_000L)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(IxgbeException.Reason.TIMEOUT, e.reason());
            assertEquals("The ixgbe device model:0 did not complete the global reset (CTRL.RST) within 50 ms: check"
                    + " that it is an 82599 and that no other driver is bound to it.", e.getMessage());
            assertTrue(ms >= 50 && ms < 2_000, "waited " + ms + " ms");
        }
    }

    @Test
    void linkThatNeverComesUpFailsWithAClearErrorAfterABoundedWait() {
        try (Rig rig = new Rig()) {
            rig.model.linkNeverUp = true;
            long start = System.nanoTime();
            IxgbeException e = assertThrows(IxgbeException.class,
                    () -> rig.open(Rig.settings().withTimeouts(50_000_000L, 80_000_000L)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertEquals(IxgbeException.Reason.NO_LINK, e.reason());
            assertTrue(e.getMessage().startsWith("The link of ixgbe device model:0 did not come up within 80 ms"),
                    e.getMessage());
            assertTrue(ms >= 80 && ms < 2_000, "waited " + ms + " ms");
            assertEquals(0, rig.model.get32(0x3000) & 1, "reset after the failure: receive DMA off");
        }
    }

    @Test
    void framesFlowBothWaysBetweenDriverAndAnInMemoryPeer() {
        MemoryLink link = MemoryLink.builder().macA(Rig.DEVICE_MAC).macB(Rig.PEER_MAC).build();
        try (Rig rig = new Rig().open(Rig.settings())) {
            ModelPort port = new ModelPort(rig.model, link.a());
            var peer = link.b();
            // peer -> device
            PacketBatch batch = new PacketBatch(8);
            for (int i = 0; i < 5; i++) {
                PacketBuffer b = peer.pool(0).allocate();
                int len = Frames.raw(b.segment(), b.offset(), Rig.DEVICE_MAC, Rig.PEER_MAC, 100 + i * 300, i);
                b.setData(b.offset(), len);
                batch.add(b);
            }
            assertEquals(5, peer.transmit(0, batch));
            batch.clear();
            assertEquals(5, port.pump());
            assertEquals(5, rig.device.receive(0, batch));
            for (int i = 0; i < 5; i++) {
                PacketBuffer b = batch.get(i);
                assertEquals(100 + i * 300, b.length());
                assertEquals(i, Frames.seq(b.segment(), b.offset()));
                assertEquals(Rig.PEER_MAC, (b.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED
                        .withOrder(java.nio.ByteOrder.BIG_ENDIAN), b.offset() + 6) & 0xFFFF_FFFFL) << 16
                        | (b.segment().get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED
                                .withOrder(java.nio.ByteOrder.BIG_ENDIAN), b.offset() + 10) & 0xFFFF));
            }
            // device -> peer: send the same buffers back with the MACs swapped
            for (int i = 0; i < 5; i++) {
                PacketBuffer b = batch.get(i);
                Frames.mac(b.segment(), b.offset(), Rig.PEER_MAC);
                Frames.mac(b.segment(), b.offset() + 6, Rig.DEVICE_MAC);
            }
            assertEquals(5, rig.device.transmit(0, batch));
            batch.clear();
            assertEquals(5, peer.receive(0, batch));
            for (int i = 0; i < 5; i++) {
                assertEquals(100 + i * 300, batch.get(i).length());
                assertEquals(i, Frames.seq(batch.get(i).segment(), batch.get(i).offset()));
            }
            batch.releaseAll();
            DeviceCounters c = rig.device.counters(0);
            assertEquals(5, c.rxPackets);
            assertEquals(5, c.txPackets);
        }
    }

    @Test
    void shortFramesArePaddedToTheEthernetMinimum() {
        MemoryLink link = MemoryLink.builder().macA(Rig.DEVICE_MAC).macB(Rig.PEER_MAC).build();
        try (Rig rig = new Rig().open(Rig.settings())) {
            new ModelPort(rig.model, link.a());
            PacketBatch batch = new PacketBatch(1);
            PacketBuffer b = rig.device.pool(0).allocate();
            b.setData(b.offset(), Frames.raw(b.segment(), b.offset(), Rig.PEER_MAC, Rig.DEVICE_MAC, 42, 7));
            batch.add(b);
            assertEquals(1, rig.device.transmit(0, batch));
            batch.clear();
            assertEquals(1, link.b().receive(0, batch));
            assertEquals(60, batch.get(0).length());
            batch.releaseAll();
        }
    }

    @Test
    void acceptsBroadcastAndOwnUnicastAndFiltersOthersUnlessPromiscuous() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            long other = MacAddress.parse("02:aa:bb:cc:dd:ee");
            Frames.raw(f, 0, MacAddress.BROADCAST, Rig.PEER_MAC, 64, 1);
            assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, 64));
            Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 64, 2);
            assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, 64));
            Frames.raw(f, 0, other, Rig.PEER_MAC, 64, 3);
            assertEquals(Model82599.FILTERED, rig.model.receiveFrame(f, 0, 64));
            rig.device.setPromiscuous(true);
            assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, 64));
            PacketBatch batch = new PacketBatch(8);
            assertEquals(3, rig.device.receive(0, batch));
            assertEquals(3, Frames.seq(batch.get(2).segment(), batch.get(2).offset()));
            batch.releaseAll();
        }
    }

    @Test
    void promiscuousSettingOpensTheFilterFromTheStart() {
        try (Rig rig = new Rig().open(Rig.settings().withPromiscuous(true)); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            Frames.raw(f, 0, MacAddress.parse("02:aa:bb:cc:dd:ee"), Rig.PEER_MAC, 64, 1);
            assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, 64));
        }
    }

    @Test
    void checksumStatusBecomesTheVerifiedFlag() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            int ip1 = 0xC612_0001, ip2 = 0xC612_0002; // 198.18.0.1, 198.18.0.2
            int tcp = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, ip1, ip2, 40000, 80, 100, 1);
            rig.model.receiveFrame(f, 0, tcp);
            int udp = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 17, ip1, ip2, 40000, 53, 33, 2);
            rig.model.receiveFrame(f, 0, udp);
            f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, udp - 1, (byte) 0x55); // break the UDP checksum
            rig.model.receiveFrame(f, 0, udp);
            int bad = Frames.ipv4(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 6, ip1, ip2, 40000, 80, 10, 3);
            f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 14 + 8, (byte) 1); // TTL: breaks the header checksum
            rig.model.receiveFrame(f, 0, bad);
            Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 64, 4);
            rig.model.receiveFrame(f, 0, 64);
            PacketBatch batch = new PacketBatch(8);
            assertEquals(5, rig.device.receive(0, batch));
            assertTrue(batch.get(0).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "good TCP");
            assertTrue(batch.get(1).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "good UDP");
            assertFalse(batch.get(2).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "bad UDP checksum");
            assertFalse(batch.get(3).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "bad IP header checksum");
            assertFalse(batch.get(4).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "not IP");
            batch.releaseAll();
        }
    }

    @Test
    void statisticsRegistersAreReadIntoCounters() {
        MemoryLink link = MemoryLink.builder().macA(Rig.DEVICE_MAC).macB(Rig.PEER_MAC).build();
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            new ModelPort(rig.model, link.a());
            MemorySegment f = arena.allocate(2048);
            for (int i = 0; i < 10; i++) {
                rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 100, i));
            }
            PacketBatch batch = new PacketBatch(16);
            assertEquals(10, rig.device.receive(0, batch));
            assertEquals(10, rig.device.transmit(0, batch)); // echo them
            batch.clear();
            DeviceCounters hw = rig.device.readStatistics();
            assertEquals(10, hw.rxPackets);
            assertEquals(10 * 104, hw.rxBytes, "octets count the CRC");
            assertEquals(10, hw.txPackets);
            assertEquals(10 * 104, hw.txBytes);
            assertEquals(0, hw.rxDropped);
            hw = rig.device.readStatistics();
            assertEquals(10, hw.rxPackets, "clear-on-read registers are accumulated, not counted twice");
            link.b().receive(0, batch);
            batch.releaseAll();
        }
    }

    @Test
    void linkStateAndSpeedFollowTheLinksRegister() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(128);
            assertTrue(rig.device.isLinkUp());
            rig.model.setLinkUp(false);
            assertEquals(0, rig.device.linkSpeedMbps());
            assertTrue(callsUntil(rig.device, false) <= IxgbeDevice.LINK_POLL_CALLS, "LINKS read within its interval");
            Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 64, 1);
            assertEquals(Model82599.NOT_RECEIVING, rig.model.receiveFrame(f, 0, 64));
            rig.model.setLinkUp(true);
            assertTrue(callsUntil(rig.device, true) <= IxgbeDevice.LINK_POLL_CALLS);
            assertEquals(10_000, rig.device.linkSpeedMbps());
            assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0, 64));
        }
    }

    private static int callsUntil(IxgbeDevice device, boolean up) {
        int calls = 1;
        while (device.isLinkUp() != up && calls <= 10 * IxgbeDevice.LINK_POLL_CALLS) {
            calls++;
        }
        return calls;
    }

    @Test
    void closeResetsTheDeviceAndReturnsRingBuffers() {
        Rig rig = new Rig().open(Rig.settings());
        var pool = rig.device.pool(0);
        rig.device.close();
        assertEquals(0, pool.inUse());
        assertFalse(rig.device.isLinkUp());
        rig.device = null;
        rig.close();
    }
}
