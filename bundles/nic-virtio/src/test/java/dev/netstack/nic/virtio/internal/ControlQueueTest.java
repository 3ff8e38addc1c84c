package dev.netstack.nic.virtio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.netstack.nic.PacketMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ControlQueueTest {

    private static final int SIZE = 64;
    private static final long AT = 8192;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofConfined();
    private final PacketMemory memory = PacketMemory.offHeap(arena, 1 << 16);
    private final int[] kicks = new int[8];
    private final ControlQueue control = new ControlQueue(4, SIZE, memory, AT, q -> kicks[q]++);
    private final RingModel device = new RingModel(memory.segment(), AT, SIZE);

    @AfterEach
    void close() {
        arena.close();
    }

    private MemorySegment at(long ioAddress, long length) {
        return RingModel.at(memory.segment(), memory.ioAddress(0), ioAddress, length);
    }

    /** Plays the device: checks the chain, writes {@code ack}, uses the head; returns the command bytes. */
    private MemorySegment answer(int ack) {
        List<RingModel.Descriptor> d = device.takeAvailable();
        assertEquals(1, d.size());
        RingModel.Descriptor head = d.get(0);
        assertEquals(1, head.flags(), "readable and chained (VIRTQ_DESC_F_NEXT)");
        long second = AT + 16L * (memory.segment().get(U16, AT + 16L * head.id() + 14) & 0xffff);
        assertEquals(Virtqueue.DESC_F_WRITE, memory.segment().get(U16, second + 12), "ack written by the device");
        assertEquals(1, memory.segment().get(U32, second + 8));
        at(memory.segment().get(U64, second), 1).set(ValueLayout.JAVA_BYTE, 0, (byte) ack);
        device.use(head.id(), 1);
        return at(head.address(), head.length());
    }

    @Test
    void queuePairsSetIsClassMqCommandZeroWithLittleEndianPairs() {
        control.submitQueuePairs(3);
        assertEquals(1, kicks[4]);
        assertEquals(ControlQueue.PENDING, control.poll());
        MemorySegment command = answer(ControlQueue.ACK_OK);
        assertEquals(4, command.byteSize());
        assertEquals(ControlQueue.CLASS_MQ, command.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(ControlQueue.MQ_VQ_PAIRS_SET, command.get(ValueLayout.JAVA_BYTE, 1));
        assertEquals(3, command.get(U16, 2));
        assertEquals(ControlQueue.ACK_OK, control.poll());
    }

    @Test
    void rssConfigIsClassMqCommandOneWithTheConfigAsData() {
        RssConfig config = RssConfig.forDevice(2, 40, 128);
        control.submitRss(config);
        assertEquals(1, kicks[4]);
        MemorySegment command = answer(ControlQueue.ACK_OK);
        assertEquals(2 + config.bytes(), command.byteSize());
        assertEquals(ControlQueue.CLASS_MQ, command.get(ValueLayout.JAVA_BYTE, 0));
        assertEquals(RssConfig.MQ_RSS_CONFIG, command.get(ValueLayout.JAVA_BYTE, 1));
        assertEquals(RssConfig.HASH_TYPE_TCPV4, command.get(U32, 2), "hash_types");
        assertEquals(127, command.get(U16, 6), "indirection_table_mask");
        assertEquals(0, command.get(U16, 8), "unclassified_queue");
        assertEquals(1, command.get(U16, 10 + 2), "indirection_table[1]");
        assertEquals(2, command.get(U16, 10 + 256), "max_tx_vq");
        assertEquals(40, command.get(ValueLayout.JAVA_BYTE, 10 + 258), "hash_key_length");
        assertEquals(0x6d, command.get(ValueLayout.JAVA_BYTE, 10 + 259), "hash_key_data[0]");
        assertEquals(ControlQueue.ACK_OK, control.poll());
        // the next command reuses the buffer: VQ_PAIRS_SET is 4 bytes again
        control.submitQueuePairs(2);
        assertEquals(4, answer(ControlQueue.ACK_OK).byteSize());
    }

    @Test
    void noCommandIsWrittenWhileOneIsInFlight() {
        control.submitQueuePairs(2);
        assertThrows(IllegalStateException.class, () -> control.submitRss(RssConfig.forDevice(2, 40, 128)));
        assertEquals(2, answer(ControlQueue.ACK_OK).get(U16, 2), "data of the command in flight left alone");
    }

    @Test
    void anErrorAckIsReportedAndTheQueueIsReusable() {
        control.submitQueuePairs(2);
        answer(ControlQueue.ACK_ERR);
        assertEquals(ControlQueue.ACK_ERR, control.poll());
        control.submitQueuePairs(1);
        assertEquals(1, answer(ControlQueue.ACK_OK).get(U16, 2));
        assertEquals(ControlQueue.ACK_OK, control.poll());
        assertEquals(2, device.usedIdx());
    }

    @Test
    void aSilentDeviceTimesOut() {
        assertEquals(ControlQueue.PENDING, control.setQueuePairs(2, 1_000_000L));
        assertThrows(IllegalStateException.class, () -> control.submitQueuePairs(2));
    }

    @Test
    void pairsOutOfRangeAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> control.submitQueuePairs(0));
        assertThrows(IllegalArgumentException.class, () -> control.submitQueuePairs(0x8001));
    }
}
