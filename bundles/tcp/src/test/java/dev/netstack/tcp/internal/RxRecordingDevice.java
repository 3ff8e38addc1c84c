package dev.netstack.tcp.internal;

import dev.netstack.nic.DecoratedDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;

/**
 * Remembers, per buffer of the device's pool, the memory range of the last frame received into
 * it, so a test can prove that data reached the application in that very memory (no copy).
 */
final class RxRecordingDevice extends DecoratedDevice {

    private final long[] frameStart;
    private final long[] frameEnd;

    RxRecordingDevice(NetDevice inner) {
        super(inner);
        int buffers = inner.pool(0).capacity();
        this.frameStart = new long[buffers];
        this.frameEnd = new long[buffers];
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        int before = batch.size();
        int n = inner.receive(queue, batch);
        for (int i = before; i < batch.size(); i++) {
            PacketBuffer b = batch.get(i);
            long start = b.segment().address() + b.offset();
            frameStart[b.index()] = start;
            frameEnd[b.index()] = start + b.length();
        }
        return n;
    }

    /** Whether {@code payload}'s data lies inside the frame the device last received into that buffer. */
    boolean holdsFrameOf(PacketBuffer payload) {
        if (payload.pool() != inner.pool(0)) {
            return false;
        }
        long start = payload.segment().address() + payload.offset();
        int i = payload.index();
        return start > frameStart[i] && start + payload.length() <= frameEnd[i];
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        return inner.transmit(queue, batch);
    }

    @Override
    public String description() {
        return "rx-recording " + inner.description();
    }

    @Override
    public void close() {
        inner.close();
    }
}
