package dev.netstack.nic.ixgbe;

import static org.junit.jupiter.api.Assertions.*;

import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.ixgbe.model.Model82599;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ring edge cases: exhausted RX ring, exhausted pool, full TX ring, wrap-around many times over, frames spanning descriptors. */
class RingEdgeTest {

    @Test
    void exhaustedRxRingDropsAndCountsThenRecovers() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            int delivered = 0;
            int dropped = 0;
            for (int i = 0; i < 100; i++) {
                int r = rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 200, i));
                if (r == Model82599.DELIVERED) {
                    delivered++;
                } else {
                    assertEquals(Model82599.NO_DESCRIPTOR, r);
                    dropped++;
                }
            }
            assertEquals(63, delivered, "a ring of 64 holds 63 frames");
            assertEquals(37, dropped);
            assertEquals(37, rig.device.readStatistics().rxDropped, "QPRDC counted the drops");
            PacketBatch batch = new PacketBatch(64);
            assertEquals(63, rig.device.receive(0, batch));
            for (int i = 0; i < 63; i++) {
                assertEquals(i, Frames.seq(batch.get(i).segment(), batch.get(i).offset()), "order kept");
            }
            batch.releaseAll();
            // no stall: the ring takes frames again
            for (int i = 0; i < 10; i++) {
                assertEquals(Model82599.DELIVERED,
                        rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 200, 1000 + i)));
            }
            assertEquals(10, rig.device.receive(0, batch));
            assertEquals(1000, Frames.seq(batch.get(0).segment(), batch.get(0).offset()));
            batch.releaseAll();
            assertEquals(64, rig.device.pool(0).inUse(), "only the ring holds buffers");
        }
    }

    @Test
    void emptyPoolDropsInTheDriverWithoutStallingTheRing() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            var pool = rig.device.pool(0);
            List<PacketBuffer> hoard = new ArrayList<>();
            PacketBuffer b;
            while ((b = pool.allocate()) != null) {
                hoard.add(b); // the stack holds every spare buffer
            }
            for (int i = 0; i < 20; i++) {
                rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 100, i));
            }
            PacketBatch batch = new PacketBatch(64);
            assertEquals(0, rig.device.receive(0, batch));
            DeviceCounters c = rig.device.counters(0);
            assertEquals(20, c.rxDropped);
            hoard.forEach(PacketBuffer::release);
            for (int i = 0; i < 20; i++) {
                assertEquals(Model82599.DELIVERED,
                        rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 100, 50 + i)));
            }
            assertEquals(20, rig.device.receive(0, batch));
            assertEquals(50, Frames.seq(batch.get(0).segment(), batch.get(0).offset()));
            batch.releaseAll();
        }
    }

    @Test
    void fullTxRingPushesBackAndLosesNothing() {
        List<Integer> wire = new ArrayList<>();
        try (Rig rig = new Rig().open(Rig.settings())) {
            rig.model.connect((frame, offset, length) -> wire.add(Frames.seq(frame, offset)));
            rig.model.pauseTransmit(true);
            var pool = rig.device.pool(0);
            PacketBatch batch = new PacketBatch(128);
            for (int i = 0; i < 100; i++) {
                PacketBuffer b = pool.allocate();
                b.setData(b.offset(), Frames.raw(b.segment(), b.offset(), Rig.PEER_MAC, Rig.DEVICE_MAC, 100, i));
                batch.add(b);
            }
            int taken = rig.device.transmit(0, batch);
            assertEquals(63, taken, "a ring of 64 takes 63");
            batch.removeFirst(taken);
            assertEquals(37, batch.size(), "the caller keeps the rest");
            assertEquals(0, rig.device.transmit(0, batch), "still full while the link partner pauses us");
            assertTrue(wire.isEmpty());
            rig.model.pauseTransmit(false);
            assertEquals(63, wire.size());
            int more = rig.device.transmit(0, batch);
            assertEquals(37, more, "reclaim made room");
            batch.removeFirst(more);
            for (int i = 0; i < 100; i++) {
                assertEquals(i, wire.get(i), "in order, none lost");
            }
            assertEquals(100, rig.device.counters(0).txPackets);
        }
    }

    /**
     * A pool that the RX ring and the frames sent can drain: once the stack has no buffer left it
     * sends nothing, so if only transmit reclaimed, the sent buffers would stay on the TX ring for
     * good. The receive poll, which runs every turn, reclaims too.
     */
    @Test
    void receivePollsGiveSentBuffersBackWhenNothingMoreIsSent() {
        List<Integer> wire = new ArrayList<>();
        try (Rig rig = new Rig().open(Rig.settings().withRings(64, 64, 100))) {
            rig.model.connect((frame, offset, length) -> wire.add(Frames.seq(frame, offset)));
            var pool = rig.device.pool(0);
            assertEquals(36, pool.available(), "100 buffers, 64 on the RX ring");
            PacketBatch batch = new PacketBatch(64);
            PacketBuffer b;
            while ((b = pool.allocate()) != null) {
                b.setData(b.offset(), Frames.raw(b.segment(), b.offset(), Rig.PEER_MAC, Rig.DEVICE_MAC, 100, batch.size()));
                batch.add(b);
            }
            assertEquals(36, rig.device.transmit(0, batch));
            batch.clear();
            assertEquals(36, wire.size(), "sent");
            assertEquals(0, pool.available(), "the sent buffers wait on the TX ring for reclaim");
            assertEquals(0, rig.device.receive(0, batch), "nothing received");
            assertEquals(36, pool.available(), "the receive poll reclaimed them");
            assertEquals(0, rig.device.transmitInFlight(0));
        }
    }

    @Test
    void ringsWrapAroundManyTimesInBothDirections() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            int[] next = {0};
            rig.model.connect((frame, offset, length) -> {
                assertEquals(next[0]++, Frames.seq(frame, offset));
                assertEquals(60 + (next[0] - 1) % 1400, length);
            });
            PacketBatch batch = new PacketBatch(32);
            int seq = 0;
            int received = 0;
            int total = 64 * 500; // 500 laps of each ring
            while (received < total) {
                int burst = 1 + (seq % 31);
                for (int i = 0; i < burst && seq < total; i++, seq++) {
                    assertEquals(Model82599.DELIVERED, rig.model.receiveFrame(f, 0,
                            Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 60 + seq % 1400, seq)));
                }
                int n = rig.device.receive(0, batch);
                for (int i = 0; i < n; i++) {
                    PacketBuffer b = batch.get(i);
                    assertEquals(received + i, Frames.seq(b.segment(), b.offset()));
                    assertEquals(60 + (received + i) % 1400, b.length());
                    Frames.mac(b.segment(), b.offset(), Rig.PEER_MAC);
                }
                received += n;
                int sent = rig.device.transmit(0, batch);
                assertEquals(n, sent);
                batch.clear();
            }
            assertEquals(total, next[0]);
            assertTrue(rig.device.transmitInFlight(0) < 64);
            assertTrue(rig.device.pool(0).inUse() <= 64 + 64, "no leak: ring buffers plus unreclaimed sends");
        }
    }

    @Test
    void framesSpanningDescriptorsAreDroppedWholeAndTheRingGoesOn() {
        try (Rig rig = new Rig().open(Rig.settings()); Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(2048);
            // Shrink the receive buffers to 1 KB behind the driver's back (SRRCTL[0].BSIZEPACKET):
            // a 1500-byte frame then takes two descriptors, the first without EOP.
            int srrctl = rig.model.get32(0x1014);
            rig.model.set32(0x1014, (srrctl & ~0x1F) | 1);
            assertEquals(Model82599.DELIVERED,
                    rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 1500, 1)));
            assertEquals(Model82599.DELIVERED,
                    rig.model.receiveFrame(f, 0, Frames.raw(f, 0, Rig.DEVICE_MAC, Rig.PEER_MAC, 500, 2)));
            PacketBatch batch = new PacketBatch(8);
            assertEquals(1, rig.device.receive(0, batch));
            assertEquals(2, Frames.seq(batch.get(0).segment(), batch.get(0).offset()));
            assertEquals(500, batch.get(0).length());
            assertEquals(1, rig.device.counters(0).rxErrors, "the two-piece frame counted once");
            batch.releaseAll();
            assertEquals(64, rig.device.pool(0).inUse(), "both pieces' buffers stayed on the ring");
        }
    }
}
