package dev.netstack.ethernet.internal;

import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HexFormat;

/**
 * A one-queue in-memory device for simulation: frames injected by the test come out of
 * {@link #receive}; transmitted frames are kept in {@link #sent} (or released at once when
 * {@link #discardTransmitted} is set). {@link #transmitLimit} makes it refuse frames like a full ring.
 */
final class FakeDevice implements NetDevice {

    final String name;
    final long mac;
    final PacketPool pool;
    final ArrayDeque<PacketBuffer> inbound = new ArrayDeque<>(256);
    final ArrayDeque<PacketBuffer> sent = new ArrayDeque<>(256);
    final DeviceCounters counters = new DeviceCounters();
    int transmitLimit = Integer.MAX_VALUE;
    boolean discardTransmitted;
    boolean closed;
    boolean linkUp = true;

    FakeDevice(String name, long mac, int buffers) {
        this.name = name;
        this.mac = mac;
        PacketMemory memory = PacketMemory.offHeap(Arena.ofAuto(), (long) buffers * PacketPool.DEFAULT_BUFFER_SIZE);
        this.pool = PacketPool.create(name + "-pool", memory, buffers, PacketPool.DEFAULT_BUFFER_SIZE, PacketPool.DEFAULT_HEADROOM);
    }

    /** Queues a frame (hex, spaces ignored) for the next receive. */
    PacketBuffer inject(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
        PacketBuffer buffer = pool.allocate();
        int at = buffer.append(bytes.length);
        MemorySegment.copy(bytes, 0, buffer.segment(), ValueLayout.JAVA_BYTE, at, bytes.length);
        inbound.add(buffer);
        return buffer;
    }

    /** Queues the first {@code length} bytes of {@code frame}; allocation-free. */
    boolean inject(MemorySegment frame, int length) {
        PacketBuffer buffer = pool.allocate();
        if (buffer == null) {
            return false;
        }
        int at = buffer.append(length);
        MemorySegment.copy(frame, 0, buffer.segment(), at, length);
        inbound.add(buffer);
        return true;
    }

    /** The next transmitted frame as hex, removed and released; null if none. */
    String takeSent() {
        PacketBuffer buffer = sent.poll();
        if (buffer == null) {
            return null;
        }
        String hex = HexFormat.of().formatHex(buffer.segment().asSlice(buffer.offset(), buffer.length()).toArray(ValueLayout.JAVA_BYTE));
        buffer.release();
        return hex;
    }

    void releaseSent() {
        PacketBuffer buffer;
        while ((buffer = sent.poll()) != null) {
            buffer.release();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "fake:" + name + "@" + Long.toHexString(mac);
    }

    @Override
    public long macAddress() {
        return mac;
    }

    @Override
    public int mtu() {
        return 1500;
    }

    @Override
    public boolean isLinkUp() {
        return linkUp && !closed;
    }

    @Override
    public DeviceCapabilities capabilities() {
        return new DeviceCapabilities(1, 0, 1514);
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public PacketPool pool(int queue) {
        return pool;
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        int n = 0;
        while (batch.remaining() > 0 && !inbound.isEmpty()) {
            batch.add(inbound.poll());
            n++;
        }
        counters.rxPackets += n;
        return n;
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        int n = Math.min(batch.size(), transmitLimit);
        for (int i = 0; i < n; i++) {
            PacketBuffer buffer = batch.get(i);
            if (discardTransmitted) {
                buffer.release();
            } else {
                sent.add(buffer);
            }
        }
        counters.txPackets += n;
        return n;
    }

    @Override
    public DeviceCounters counters(int queue) {
        return counters;
    }

    @Override
    public void close() {
        closed = true;
    }
}
