package dev.netstack.nic;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** A one-queue device for the wrappers' tests: frames injected by the test, transmitted frames recorded. */
final class TestDevice implements NetDevice {

    final Arena arena = Arena.ofConfined();
    final PacketPool pool;
    final ArrayDeque<PacketBuffer> rxQueue = new ArrayDeque<>();
    final List<byte[]> sent = new ArrayList<>();
    final DeviceCounters counters = new DeviceCounters();
    /** Frames accepted per transmit call. */
    int txLimit = Integer.MAX_VALUE;
    boolean closed;

    TestDevice(int buffers) {
        pool = PacketPool.create("test", PacketMemory.offHeap(arena, (long) buffers * 2048), buffers, 2048, 128);
    }

    /** Queues a frame for receive. */
    void inject(byte[] frame) {
        PacketBuffer b = pool.allocate();
        int at = b.append(frame.length);
        MemorySegment.copy(frame, 0, b.segment(), ValueLayout.JAVA_BYTE, at, frame.length);
        rxQueue.add(b);
    }

    /** A buffer from the pool holding {@code frame}. */
    PacketBuffer frame(byte[] frame) {
        PacketBuffer b = pool.allocate();
        int at = b.append(frame.length);
        MemorySegment.copy(frame, 0, b.segment(), ValueLayout.JAVA_BYTE, at, frame.length);
        return b;
    }

    static byte[] bytes(PacketBuffer b) {
        byte[] out = new byte[b.length()];
        MemorySegment.copy(b.segment(), ValueLayout.JAVA_BYTE, b.offset(), out, 0, out.length);
        return out;
    }

    @Override
    public String name() {
        return "test0";
    }

    @Override
    public String description() {
        return "test";
    }

    @Override
    public long macAddress() {
        return 0x02_00_00_00_00_01L;
    }

    @Override
    public int mtu() {
        return 1500;
    }

    @Override
    public boolean isLinkUp() {
        return true;
    }

    @Override
    public DeviceCapabilities capabilities() {
        return new DeviceCapabilities(1, 0, 1514);
    }

    @Override
    public PacketPool pool(int queue) {
        return pool;
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        int n = 0;
        while (!batch.isFull() && !rxQueue.isEmpty()) {
            batch.add(rxQueue.poll());
            n++;
        }
        return n;
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        int n = Math.min(batch.size(), txLimit);
        for (int i = 0; i < n; i++) {
            sent.add(bytes(batch.get(i)));
            batch.get(i).release();
        }
        return n;
    }

    @Override
    public DeviceCounters counters(int queue) {
        return counters;
    }

    @Override
    public void close() {
        while (!rxQueue.isEmpty()) {
            rxQueue.poll().release();
        }
        closed = true;
    }
}
