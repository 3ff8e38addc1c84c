package dev.netstack.nic;

import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * A {@link NetDevice} that wraps another and writes every frame it receives and transmits to a
 * {@link PcapWriter} while a capture is on. The {@code capture} shell command switches it.
 *
 * <p>Received frames are written as the inner device hands them over; transmitted frames as they
 * are offered to the inner device, before it owns them (a frame it refuses and that is offered
 * again appears twice: the capture shows what the stack tried to send).
 *
 * <p><b>Threads.</b> The batch calls run on the shard threads of their queues. {@link #start} and
 * {@link #stop} may come from any thread: the writer sits in a volatile field, read once per call.
 * A write error stops the capture (the shard is never disturbed by it).
 *
 * <p><b>Ownership.</b> The wrapper owns the inner device (closed by {@link #close()}) and the
 * writer while started; frames are only borrowed for writing.
 */
public final class CapturingDevice extends DecoratedDevice {

    private static final System.Logger LOG = System.getLogger(CapturingDevice.class.getName());

    private final LongSupplier epochNs;
    private volatile PcapWriter writer;

    /**
     * @param inner the wrapped device, owned by this wrapper from now on
     * @param epochNs wall-clock time in nanoseconds since 1970 for the timestamps
     */
    public CapturingDevice(NetDevice inner, LongSupplier epochNs) {
        super(inner);
        this.epochNs = epochNs;
    }

    /** Timestamps from the system clock, read once at creation and advanced by {@code System.nanoTime()}. */
    public CapturingDevice(NetDevice inner) {
        this(inner, systemEpochNs());
    }

    private static LongSupplier systemEpochNs() {
        long baseNano = System.nanoTime();
        java.time.Instant now = java.time.Instant.now();
        long baseEpoch = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return () -> baseEpoch + (System.nanoTime() - baseNano);
    }

    /** Starts writing to {@code to} (the device owns it until {@link #stop}); stops a capture in progress first. */
    public void start(PcapWriter to) {
        PcapWriter previous = writer;
        writer = to;
        if (previous != null) {
            previous.close();
        }
    }

    /** Stops the capture and closes its writer; returns it (for its frame count), or null if none ran. */
    public PcapWriter stop() {
        PcapWriter previous = writer;
        writer = null;
        if (previous != null) {
            previous.close();
        }
        return previous;
    }

    public boolean isCapturing() {
        return writer != null;
    }

    @Override
    public int receive(int queue, PacketBatch batch) {
        int before = batch.size();
        int n = inner.receive(queue, batch);
        PcapWriter w = writer;
        if (w != null && n > 0) {
            long now = epochNs.getAsLong();
            for (int i = before; i < before + n; i++) {
                if (!write(w, batch.get(i), now)) {
                    break;
                }
            }
        }
        return n;
    }

    @Override
    public int transmit(int queue, PacketBatch batch) {
        PcapWriter w = writer;
        if (w == null) {
            return inner.transmit(queue, batch);
        }
        // Written before the call: once the device owns a frame it may release it at once.
        // A frame the device refuses is written again on retry; a capture shows what was offered.
        long now = epochNs.getAsLong();
        for (int i = 0; i < batch.size(); i++) {
            if (!write(w, batch.get(i), now)) {
                break;
            }
        }
        return inner.transmit(queue, batch);
    }

    private boolean write(PcapWriter w, PacketBuffer frame, long now) {
        try {
            w.write(frame, now);
            return true;
        } catch (IOException e) {
            if (writer == w) {
                writer = null;
            }
            w.close();
            LOG.log(System.Logger.Level.WARNING, "capture on " + inner.name() + " stopped: " + e.getMessage());
            return false;
        }
    }

    @Override
    public String description() {
        return "capture(" + inner.description() + ")";
    }

    /** Stops any capture and closes the inner device. */
    @Override
    public void close() {
        stop();
        inner.close();
    }
}
