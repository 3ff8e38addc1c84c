package dev.netstack.socket.internal;

import dev.netstack.nic.DecoratedDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;

/**
 * Remembers the memory range of the last frames handed to the device for transmission, so a test
 * can prove that the bytes an application wrote into a buffer left from that very memory.
 * Written on the shard thread; read by the test under the same lock.
 */
final class TxRecordingDevice extends DecoratedDevice {

    private final long[] frameStart = new long[1 << 16];
    private final long[] frameEnd = new long[1 << 16];
    private long frames;

    TxRecordingDevice(NetDevice inner) {
        super(inner);
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        synchronized (this) {
            for (int i = 0; i < batch.size(); i++) {
                PacketBuffer b = batch.get(i);
                int slot = (int) (frames++ & (frameStart.length - 1));
                frameStart[slot] = b.segment().address() + b.offset();
                frameEnd[slot] = frameStart[slot] + b.length();
            }
        }
        return inner.transmit(queue, batch);
    }

    /** Whether a recorded frame ends with the {@code length} bytes at {@code address} (its payload). */
    synchronized boolean sentFrom(long address, int length) {
        long n = Math.min(frames, frameStart.length);
        for (long k = 0; k < n; k++) {
            int slot = (int) ((frames - 1 - k) & (frameStart.length - 1));
            if (frameStart[slot] < address && frameEnd[slot] == address + length) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        return inner.receive(queue, batch);
    }

    @Override
    public String description() {
        return "tx-recording " + inner.description();
    }

    @Override
    public void close() {
        inner.close();
    }
}
