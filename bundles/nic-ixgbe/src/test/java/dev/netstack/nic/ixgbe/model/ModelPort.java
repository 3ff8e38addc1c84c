package dev.netstack.nic.ixgbe.model;

import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import java.lang.foreign.MemorySegment;

/**
 * The model's Ethernet port plugged into an in-memory peer: frames the model transmits go out
 * through {@code cable} (one end of a {@link dev.netstack.test.MemoryLink}, say), and
 * {@link #pump()} brings frames the peer sent into the model's receive path.
 */
public final class ModelPort implements Model82599.Wire {

    private final Model82599 model;
    private final NetDevice cable;
    private final PacketBatch in = new PacketBatch(64);
    private final PacketBatch out = new PacketBatch(1);
    private long lost;

    public ModelPort(Model82599 model, NetDevice cable) {
        this.model = model;
        this.cable = cable;
        model.connect(this);
    }

    @Override
    public void send(MemorySegment frame, long offset, int length) {
        PacketBuffer buffer = cable.pool(0).allocate();
        if (buffer == null) {
            lost++;
            return;
        }
        MemorySegment.copy(frame, offset, buffer.segment(), buffer.offset(), length);
        buffer.setData(buffer.offset(), length);
        out.add(buffer);
        if (cable.transmit(0, out) == 0) {
            buffer.release();
            lost++;
        }
        out.clear();
    }

    /** Moves what the peer sent into the model; returns the number of frames. */
    public int pump() {
        int n = cable.receive(0, in);
        for (int i = 0; i < n; i++) {
            PacketBuffer b = in.get(i);
            model.receiveFrame(b.segment(), b.offset(), b.length());
        }
        in.releaseAll();
        return n;
    }

    /** Frames the model sent that the cable could not take. */
    public long lost() {
        return lost;
    }
}
